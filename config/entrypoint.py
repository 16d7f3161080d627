"""Every entry point (manage.py, ASGI, WSGI, Celery) names its settings module explicitly.

A default of ``config.settings.dev`` meant that a production host that forgot the variable
ran with DEBUG on, a published secret key and an embedded database, and said nothing. Now a
missing ``DJANGO_SETTINGS_MODULE`` stops the process with a message saying what to set;
``make run`` sets the development settings and pytest reads the test settings from
pyproject.toml.
"""

from __future__ import annotations

import os

MISSING_SETTINGS_MESSAGE = (
    "DJANGO_SETTINGS_MODULE is not set. Set it explicitly: config.settings.prod in production, "
    "config.settings.dev for local development (`make run` sets it; for a single command: "
    "DJANGO_SETTINGS_MODULE=config.settings.dev .venv/bin/python manage.py <command>), "
    "config.settings.test for tests (pytest reads it from pyproject.toml)."
)


class SettingsModuleMissing(SystemExit):
    """An exit with the message on stderr (status 1), not a traceback: the operator reads one line.

    Every import of the ``config`` package checks (config/__init__.py loads the Celery app,
    config/celery.py), so manage.py, daphne, a WSGI server and ``celery -A config`` all stop here.
    """


def require_settings_module() -> str:
    """The settings module named in the environment, or ``SettingsModuleMissing``."""
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "").strip()
    if not module:
        raise SettingsModuleMissing(MISSING_SETTINGS_MESSAGE)
    return module
