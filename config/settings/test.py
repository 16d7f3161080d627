"""Test settings: real PostgreSQL and Redis, one Redis database pair per xdist worker."""

import os

from .base import *  # noqa: F403
from .base import REDIS_URL, env, redis_db_url

SECRET_KEY = "test-only-key-0123456789abcdef0123456789abcdef"  # noqa: S105
DEBUG = False
# Hashing strength is not under test; Argon2 would make every login ~100 ms.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SIGNUP_RATE_LIMIT = ""
# No API rate limits by accident: tests/core/test_throttling.py sets its own.
API_THROTTLE_RATES = {"user": None, "anon": None, "login": None}

# Workers share one Redis server; give each its own databases so that channel groups and
# cache keys of the same-named test tenants never meet.
# TEST_RUN_ID separates concurrent test runs on one machine (their own databases too).
_run = int(os.environ.get("TEST_RUN_ID", "0"))
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
# The embedded Redis has 64 databases (3 + 2 * 29 + 1 = 62 is the last one used): wrap around.
REDIS_DB_CACHE = 3 + 2 * ((_worker + 4 * _run) % 30)
REDIS_DB_CHANNELS = REDIS_DB_CACHE + 1
if _run:
    DATABASES["default"]["TEST"] = {"NAME": f"test_contactcenter_run{_run}"}  # noqa: F405
CACHES["default"]["LOCATION"] = redis_db_url(REDIS_URL, REDIS_DB_CACHE)  # noqa: F405
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [redis_db_url(REDIS_URL, REDIS_DB_CHANNELS)]  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True  # skip the start-up scan of every static file for each test client
# Spares are exercised by their own tests; elsewhere every sign-up builds its schema.
TENANT_SPARE_SCHEMAS = 0
# Tests read English messages; tests of the Chinese UI switch language explicitly.
LANGUAGE_CODE = "en"
# tests/sip give rtpengine media ports anywhere in 20000-49999 (harness.free_port_range): coturn's
# relay range stays above them, so rendering a plane never trips the overlap check (the test that
# starts coturn, tests/sip/test_remote_seat.py, picks its own free range).
TURN_RELAY_PORT_MIN = env.int("TURN_RELAY_PORT_MIN", default=50100)
TURN_RELAY_PORT_MAX = env.int("TURN_RELAY_PORT_MAX", default=50199)
