"""API rate limits: per user for authenticated calls, per client address for anonymous ones.

Rates come from ``settings.API_THROTTLE_RATES`` (``"N/s|m|h|d"``, or ``None`` for no limit)
and are read on every request, not frozen at import as DRF's own classes do, so operators
change them in the environment and tests can override them. The anonymous key is the
trusted-proxy client address (apps/core/clientip.py): behind a load balancer every caller
would otherwise share the balancer's one budget. Counters live in the shared cache, whose
keys carry the tenant schema (django-tenants' key function): a user id of one company never
eats into another's budget.

A refused call is HTTP 429 with ``Retry-After`` (seconds) in the one error format
``{"code": "throttled", "message", "fields"}`` (apps/core/api/errors.py).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from apps.core.clientip import client_ip


class _SettingsRateThrottle(SimpleRateThrottle):
    def __init__(self) -> None:  # DRF's reads the rate at construction too, from its frozen table
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str | None:
        return (getattr(settings, "API_THROTTLE_RATES", {}) or {}).get(self.scope)


class UserRateThrottle(_SettingsRateThrottle):
    """Authenticated callers (token or session): one budget per user."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_SettingsRateThrottle):
    """Anonymous callers (sign-up, token requests, failed credentials): one budget per address."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


class LoginRateThrottle(_SettingsRateThrottle):
    """``POST /auth/token``: password (and code) guesses per address, below the general anon rate."""

    scope = "login"

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}
