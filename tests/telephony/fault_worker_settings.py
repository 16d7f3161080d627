"""Settings of the real Celery worker that tests/telephony/test_import_worker_faults.py starts
and kills: the test process's database and media directory, a Redis database of its own as the
broker, no eager tasks, and short timeouts so that a lost task comes back within seconds."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["FAULT_DATABASE_NAME"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BROKER_URL = os.environ["FAULT_BROKER_URL"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["FAULT_QUEUE"]
# Redelivery of the killed worker's unacknowledged task: after 2 s, checked every second.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
CELERY_BEAT_SCHEDULE = {}
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ["FAULT_MEDIA_ROOT"]},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
IMPORT_STALL_SECONDS = int(os.environ.get("FAULT_STALL_SECONDS", "2"))
