"""Production settings refuse to start with an unsafe value, and entry points without a settings
module. Each case imports the settings in a fresh interpreter (module-level checks run once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k3Y-" + "".join(chr(65 + (i * 7) % 26) + str(i % 10) for i in range(30))
GOOD = {
    "DJANGO_SECRET_KEY": GOOD_SECRET,
    "DJANGO_ALLOWED_HOSTS": "cc.example.com,.cc.example.com",
    "DATABASE_URL": "postgres://cc:pw@db.invalid:5432/cc",
    "REDIS_URL": "redis://redis.invalid:6379/0",
}
PRINT_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, sorted(s.ALLOWED_HOSTS))"
)


def _run(code: str, environment: dict[str, str], settings_module: str | None = "config.settings.prod"):
    child = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    child.update(environment)
    if settings_module:
        child["DJANGO_SETTINGS_MODULE"] = settings_module
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=child, capture_output=True, text=True, timeout=60, check=False
    )


def _import_prod(**overrides: str | None):
    environment = {**GOOD, **overrides}
    return _run(PRINT_SETTINGS, {key: value for key, value in environment.items() if value is not None})


def test_good_production_settings_load_with_https_hardening():
    result = _import_prod()

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:6] == ["False", "True", "31536000", "True", "True", "True"]
    assert "'testserver'" not in result.stdout


def test_hsts_is_configurable():
    result = _import_prod(SECURE_HSTS_SECONDS="300", SECURE_HSTS_INCLUDE_SUBDOMAINS="false")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[2:4] == ["300", "False"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG must not be on in production"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set to a secret of your own"),
        (
            {"DJANGO_SECRET_KEY": "dev-only-insecure-key-change-me-0123456789abcdef"},
            "DJANGO_SECRET_KEY must be set to a secret of your own",
        ),
        ({"DJANGO_SECRET_KEY": "short-but-random-Xy7"}, "DJANGO_SECRET_KEY must be at least 50"),
        ({"DJANGO_SECRET_KEY": "a" * 60}, "DJANGO_SECRET_KEY must be at least 50"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS must list the platform's host names"),
        ({"DJANGO_ALLOWED_HOSTS": "cc.example.com,*"}, "DJANGO_ALLOWED_HOSTS must list the platform's host names"),
        ({"DATABASE_URL": None}, "production needs DATABASE_URL and REDIS_URL"),
    ],
)
def test_production_refuses_an_unsafe_value_with_a_message(overrides, message):
    result = _import_prod(**overrides)

    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    "code",
    [
        "import runpy, sys; sys.argv = ['manage.py', 'check']; runpy.run_path('manage.py', run_name='__main__')",
        "import config.asgi",
        "import config.wsgi",
        "from config.celery import app",
        "import apps.sip.asgi",
    ],
)
def test_entry_points_refuse_to_start_without_a_settings_module(code):
    result = _run(code, {}, settings_module=None)

    assert result.returncode == 1
    assert "DJANGO_SETTINGS_MODULE is not set" in result.stderr
    assert "config.settings.prod" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_makefile_and_procfiles_name_the_settings_module():
    makefile = (ROOT / "Makefile").read_text()
    assert "DEV := DJANGO_SETTINGS_MODULE=config.settings.dev" in makefile
    assert "$(DEV) $(PY) manage.py migrate_schemas" in makefile
    for procfile in ("Procfile", "Procfile.sip"):
        for line in (ROOT / procfile).read_text().splitlines():
            if line.strip():
                assert "DJANGO_SETTINGS_MODULE=config.settings.dev " in line, (procfile, line)
