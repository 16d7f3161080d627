"""Metering for billing: usage events, seat-days and the platform number pool."""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.tenants.choices import PoolNumberStatus
from apps.tenants.models import PoolNumber, Tenant, UsageEvent


def usage_record(*, tenant: Tenant, kind: str, quantity: int = 0, detail: dict[str, Any] | None = None) -> UsageEvent:
    return UsageEvent.objects.create(tenant=tenant, kind=kind, quantity=quantity, detail=detail or {})


def seat_days_record(*, tenant_id: int, seats: int, day: date | None = None) -> None:
    """Raise today's seat-day row to ``seats`` if that is more than it holds (one upsert)."""
    # Billing days are platform days, whatever time zone the request runs in.
    day = day or timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO public.tenants_seatusageday (tenant_id, day, seats) VALUES (%s, %s, %s) "
            "ON CONFLICT (tenant_id, day) DO UPDATE "
            "SET seats = GREATEST(public.tenants_seatusageday.seats, EXCLUDED.seats)",
            [tenant_id, day, seats],
        )


def pool_number_take(*, tenant: Tenant) -> PoolNumber | None:
    """Give the next free pool number to ``tenant``; ``None`` when the pool is empty.

    ``SKIP LOCKED`` lets concurrent sign-ups take different numbers without waiting.
    """
    number = (
        PoolNumber.objects.select_for_update(skip_locked=True)
        .filter(status=PoolNumberStatus.AVAILABLE)
        .order_by("number")
        .first()
    )
    if number is None:
        return None
    number.status = PoolNumberStatus.ASSIGNED
    number.tenant = tenant
    number.assigned_at = timezone.now()
    number.save(update_fields=["status", "tenant", "assigned_at"])
    return number
