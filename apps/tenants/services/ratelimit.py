"""Sign-up throttle per client address (settings.SIGNUP_RATE_LIMIT, e.g. "5/hour")."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from apps.core.clientip import client_ip
from apps.core.errors import ApplicationError

_PERIODS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    if not rate:
        return None
    count, _sep, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()]


def client_address(request) -> str:
    return client_ip(request) or "unknown"


def signup_rate_limit_check(request) -> None:
    """Count this attempt; refuse with 429 once the address is over the limit (atomic INCR)."""
    parsed = parse_rate(settings.SIGNUP_RATE_LIMIT)
    if parsed is None:
        return
    limit, period = parsed
    key = f"signup-rate:{client_address(request)}"
    cache.add(key, 0, timeout=period)
    attempts = cache.incr(key)
    if attempts > limit:
        raise ApplicationError("rate_limited", _("Too many sign-ups from this address; try again later."), status=429)
