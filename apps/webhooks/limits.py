"""The webhooks' settings, read in one place with the defaults docs/webhooks.md states
(config/settings/base.py sets them from the environment)."""

from __future__ import annotations

from django.conf import settings


def max_attempts() -> int:
    """Attempts per delivery, the first included."""
    return int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 8))


def backoff_base_seconds() -> int:
    return int(getattr(settings, "WEBHOOK_BACKOFF_BASE_SECONDS", 60))


def backoff_max_seconds() -> int:
    return int(getattr(settings, "WEBHOOK_BACKOFF_MAX_SECONDS", 6 * 3600))


def disable_after_failures() -> int:
    """Deliveries failed in a row (each after all its attempts) that disable a subscription."""
    return int(getattr(settings, "WEBHOOK_DISABLE_AFTER_FAILURES", 5))


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))


def max_subscriptions() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_SUBSCRIPTIONS", 20))
