"""Reads of a tenant's metering for the platform console's tenant page.

Seat-day rows are what billing will charge, so every figure here is a plain sum of those rows:
no interpolation for days without a row (a day the meter did not run shows as a gap, not a zero).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from apps.tenants.choices import UsageKind
from apps.tenants.models import SeatUsageDay, Tenant, UsageEvent


@dataclass(frozen=True)
class SeatDays:
    """One window of seat-day rows and its total, oldest day first (the chart's order)."""

    first_day: date
    last_day: date
    rows: list[SeatUsageDay]
    total: int


@dataclass(frozen=True)
class UsageFigure:
    kind: str
    label: str
    events: int
    quantity: int


def platform_today() -> date:
    """Billing days are platform days (settings.TIME_ZONE), whatever zone the request runs in."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def seat_days_between(*, tenant: Tenant, first_day: date, last_day: date) -> SeatDays:
    rows = list(SeatUsageDay.objects.filter(tenant=tenant, day__gte=first_day, day__lte=last_day).order_by("day"))
    return SeatDays(first_day=first_day, last_day=last_day, rows=rows, total=sum(row.seats for row in rows))


def seat_days_total(*, tenant: Tenant, first_day: date, last_day: date) -> int:
    result = SeatUsageDay.objects.filter(tenant=tenant, day__gte=first_day, day__lte=last_day).aggregate(
        total=Sum("seats")
    )
    return int(result["total"] or 0)


def seat_days_months(*, tenant: Tenant, today: date) -> tuple[int, int]:
    """Seat-days of the current calendar month so far and of the previous month (billing periods)."""
    month_start = today.replace(day=1)
    previous_end = month_start - timedelta(days=1)
    previous_start = previous_end.replace(day=1)
    return (
        seat_days_total(tenant=tenant, first_day=month_start, last_day=today),
        seat_days_total(tenant=tenant, first_day=previous_start, last_day=previous_end),
    )


def usage_figures(*, tenant: Tenant) -> list[UsageFigure]:
    """How many usage events of each kind the tenant has, and their summed quantity (e.g. seats added)."""
    rows = (
        UsageEvent.objects.filter(tenant=tenant).values("kind").annotate(events=Count("id"), quantity=Sum("quantity"))
    )
    by_kind = {row["kind"]: row for row in rows}
    return [
        UsageFigure(
            kind=kind.value,
            label=str(kind.label),
            events=int(by_kind[kind.value]["events"]),
            quantity=int(by_kind[kind.value]["quantity"] or 0),
        )
        for kind in UsageKind
        if kind.value in by_kind
    ]


def usage_events_recent(*, tenant: Tenant, limit: int = 20) -> list[UsageEvent]:
    return list(UsageEvent.objects.filter(tenant=tenant).order_by("-at", "-id")[:limit])
