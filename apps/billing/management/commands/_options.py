"""Argument parsing shared by the billing commands: a clear CommandError, never a traceback."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError

from apps.billing.periods import parse_month
from apps.tenants.models import Tenant


def tenants_option(value: str) -> list[Tenant]:
    """``all`` (every tenant but the platform) or one slug."""
    tenants = Tenant.objects.exclude(schema_name="public").select_related("plan").order_by("slug")
    if value == "all":
        return list(tenants)
    tenant = tenants.filter(slug=value).first()
    if tenant is None:
        raise CommandError(f"No tenant with slug {value!r}.")
    return [tenant]


def date_option(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{name}: expected a date YYYY-MM-DD, got {value!r}.") from None


def month_option(value: str) -> date:
    try:
        return parse_month(value)
    except ValueError:
        raise CommandError(f"--month: expected YYYY-MM, got {value!r}.") from None
