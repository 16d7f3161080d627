"""Production settings: refuse to start without real secrets and servers.

Every refusal names the variable to fix. Nothing here has an insecure default: DEBUG cannot
be switched on, the secret key must be a real one, hosts must be listed, and HTTPS (HSTS,
redirect, secure cookies) is on unless turned off on purpose.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, EMBEDDED_DATABASE, EMBEDDED_REDIS, env

# Keys that ship in this repository (dev.py, test.py) or that people paste from examples.
KNOWN_SECRET_KEYS = {
    "dev-only-insecure-key-change-me-0123456789abcdef",
    "test-only-key-0123456789abcdef0123456789abcdef",
    "change-me",
    "changeme",
    "secret",
}
MIN_SECRET_KEY_LENGTH = 50

if env.bool("DJANGO_DEBUG", default=False):
    raise ImproperlyConfigured("DJANGO_DEBUG must not be on in production (config.settings.prod): unset it")
DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY in KNOWN_SECRET_KEYS or "insecure" in SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a secret of your own in production "
        '(e.g. python -c "import secrets; print(secrets.token_urlsafe(50))")'
    )
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(f"DJANGO_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} random characters")
if not ALLOWED_HOSTS or any(host.strip() in ("*", ".") for host in ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must list the platform's host names (e.g. example.com,.example.com), never '*'"
    )
ALLOWED_HOSTS = [host for host in ALLOWED_HOSTS if host != "testserver"]
if EMBEDDED_DATABASE or EMBEDDED_REDIS:
    raise ImproperlyConfigured("production needs DATABASE_URL and REDIS_URL")
SIGNUP_RATE_LIMIT = env("SIGNUP_RATE_LIMIT", default="5/hour")
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS only. HSTS starts at one year; an operator trying HTTPS out first may lower it (e.g. 300)
# and raise it once sure. Subdomains are included because every tenant lives on one.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
WHITENOISE_USE_FINDERS = False
# The mail relay (invitations, password resets). EMAIL_URL-style single variables are avoided
# on purpose: operators paste these from their provider's SMTP page one by one.
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=EMAIL_PORT == 465)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are mutually exclusive")
# Remote seats (docs/sip.md): coturn relaying to loopback would open this host's own services to
# anyone holding a TURN credential; that is for a one-machine dev plane only.
if env.bool("TURN_ALLOW_LOOPBACK_PEERS", default=False):
    raise ImproperlyConfigured(
        "TURN_ALLOW_LOOPBACK_PEERS must not be on in production: coturn would relay to this host's own"
        " services; give rtpengine a routable SIP_RTP_ADDRESS instead"
    )
TURN_ALLOW_LOOPBACK_PEERS = False
