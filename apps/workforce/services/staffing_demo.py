"""Demo data for staffing and adherence: the demo roster's published shifts get their meal and a
short break as activities, so the adherence page and the wallboard's live flag compare agents'
pauses with a real schedule. Run after ``workforce_demo_ensure`` (which rosters the demo agents);
idempotent (a shift that already has activities is left alone) and fast (two queries and one
bulk insert).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.tenants.models import Tenant
from apps.workforce.choices import ActivityKind, ShiftStatus
from apps.workforce.models import Shift, ShiftActivity
from apps.workforce.selectors.policy import tenant_zone

SHORT_BREAK = dt.timedelta(minutes=15)


def staffing_demo_ensure(tenant, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Give the demo tenant's (a ``Tenant`` or its schema name) published shifts of the last
    week and the next two weeks a meal (the unpaid break, mid-shift) and a 15-minute break in the
    first half; returns how many activities were made."""
    if isinstance(tenant, str):
        tenant = Tenant.objects.get(schema_name=tenant)
    with tenant_context(tenant), transaction.atomic():
        today = (now or timezone.now()).astimezone(tenant_zone()).date()
        shifts = Shift.objects.filter(
            status=ShiftStatus.PUBLISHED,
            date__gte=today - dt.timedelta(days=7),
            date__lte=today + dt.timedelta(days=14),
            activities__isnull=True,
        )
        made: list[ShiftActivity] = []
        for shift in shifts:
            length = shift.end - shift.start
            if shift.break_minutes:
                middle = shift.start + length / 2
                half = dt.timedelta(minutes=shift.break_minutes) / 2
                made.append(ShiftActivity(shift=shift, kind=ActivityKind.MEAL, start=middle - half, end=middle + half))
            if length >= dt.timedelta(hours=6):
                at = shift.start + length / 4
                made.append(ShiftActivity(shift=shift, kind=ActivityKind.BREAK, start=at, end=at + SHORT_BREAK))
        ShiftActivity.objects.bulk_create(made)
        return {"activities": len(made)}
