"""Billing's periodic job (public schema): the daily meter."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from apps.billing.periods import billing_today
from apps.billing.services.metering import usage_meter
from apps.tenants.models import Tenant


@shared_task(name="billing.meter_usage")
def meter_usage_task(days_back: int = 1) -> int:
    """Re-read yesterday (final now) and today (so far) for every tenant; returns the rows written.
    Idempotent: a run twice, or on demand, writes the same rows."""
    today = billing_today()
    results = usage_meter(
        tenants=Tenant.objects.exclude(schema_name="public").order_by("pk"),
        first_day=today - timedelta(days=days_back),
        last_day=today,
    )
    return sum(result.rows for result in results)
