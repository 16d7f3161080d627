"""Metering: read each tenant's usage for billing days into public ``UsageDay`` rows.

Why a table of its own: rating then reads one small public table for every tenant, never a
tenant's schema, and an invoice can be rebuilt after retention has deleted the calls or
recordings it charged for. Reading a day replaces that tenant's rows of the day in one
transaction, so metering twice gives the same rows (idempotent); ``MeteredDay`` marks the days
read, and the monthly close meters only the missing ones, so a past day keeps its figures.

What is read, per billing day [00:00, 24:00) Asia/Shanghai (apps/billing/periods.py):
- seat-days: the existing ``SeatUsageDay`` row (the most seats held that day); no row, no charge;
- minutes: calls inbound or outbound with talk time, counted on the day they arrived, each call's
  talk seconds rounded up to the whole minute, per trunk and direction; a call without a trunk
  is charged on the tenant's default trunk. Internal calls are not billed;
- trunk-days: each trunk existing at the end of the day (for its monthly rental);
- number-days: the platform pool numbers assigned to the tenant by the end of the day;
- storage: the size of the tenant's recordings made before the end of the day, in GB (10⁹ bytes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Ceil, TruncDate
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.billing.choices import UsageItem
from apps.billing.models import MeteredDay, UsageDay
from apps.billing.periods import billing_today, billing_zone, day_end, day_start, days_between
from apps.telephony.choices import CallDirection
from apps.telephony.models import Call, Recording, Trunk
from apps.tenants.choices import PoolNumberStatus, TenantStatus
from apps.tenants.models import PoolNumber, SeatUsageDay, Tenant

GB = Decimal(10) ** 9
MINUTE_ITEMS = {CallDirection.INBOUND: UsageItem.MINUTES_INBOUND, CallDirection.OUTBOUND: UsageItem.MINUTES_OUTBOUND}


@dataclass(frozen=True)
class MeterResult:
    tenant: str
    days: int
    rows: int


def meterable(tenant: Tenant) -> bool:
    """A deleted tenant's schema is gone: its metered rows stay, nothing more can be read."""
    return tenant.schema_name != "public" and tenant.status != TenantStatus.DELETED


def _tenant_reads(tenant: Tenant, days: list[date]) -> list[UsageDay]:
    """Everything read from the tenant's own schema for ``days`` (consecutive), as unsaved rows."""
    first, last = days[0], days[-1]
    start, end = day_start(first), day_end(last)
    rows: list[UsageDay] = []
    with tenant_context(tenant):
        trunks = list(Trunk.objects.order_by("id"))
        default = next((trunk for trunk in trunks if trunk.is_default), trunks[0] if trunks else None)
        by_id = {trunk.pk: trunk for trunk in trunks}
        minutes = (
            Call.objects.filter(
                arrived_at__gte=start,
                arrived_at__lt=end,
                talk_seconds__gt=0,
                direction__in=list(MINUTE_ITEMS),
            )
            .annotate(day=TruncDate("arrived_at", tzinfo=billing_zone()))
            .values("day", "trunk_id", "direction")
            .annotate(minutes=Sum(Ceil(F("talk_seconds") / 60.0)))
        )
        merged: dict[tuple[date, str, int | None], Decimal] = defaultdict(Decimal)
        for row in minutes:
            trunk = by_id.get(row["trunk_id"]) if row["trunk_id"] is not None else default
            key = (row["day"], row["direction"], trunk.pk if trunk else None)
            merged[key] += Decimal(int(row["minutes"] or 0))
        for (day, direction, trunk_id), quantity in merged.items():
            trunk = by_id.get(trunk_id) if trunk_id is not None else None
            rows.append(
                UsageDay(
                    day=day,
                    item=MINUTE_ITEMS[CallDirection(direction)],
                    ref=str(trunk_id or ""),
                    ref_label=trunk.name if trunk else "",
                    quantity=quantity,
                    rate=trunk.per_minute_rate if trunk else None,
                )
            )
        for day in days:
            for trunk in trunks:
                if trunk.created_at < day_end(day):
                    rows.append(
                        UsageDay(
                            day=day,
                            item=UsageItem.TRUNK_DAYS,
                            ref=str(trunk.pk),
                            ref_label=trunk.name,
                            quantity=Decimal(1),
                            rate=trunk.monthly_rental,
                        )
                    )
        held_before = Recording.objects.filter(created_at__lt=start).aggregate(size=Sum("size_bytes"))["size"] or 0
        made = (
            Recording.objects.filter(created_at__gte=start, created_at__lt=end)
            .annotate(day=TruncDate("created_at", tzinfo=billing_zone()))
            .values("day")
            .annotate(size=Sum("size_bytes"), count=Count("id"))
        )
        made_by_day = {row["day"]: int(row["size"] or 0) for row in made}
    held = int(held_before)
    for day in days:
        held += made_by_day.get(day, 0)
        if held:
            rows.append(
                UsageDay(
                    day=day, item=UsageItem.STORAGE_GB_DAYS, quantity=(Decimal(held) / GB).quantize(Decimal("0.000001"))
                )
            )
    return rows


def _public_reads(tenant: Tenant, days: list[date]) -> list[UsageDay]:
    """Seat-days and pool numbers, which the platform keeps in the public schema."""
    rows = [
        UsageDay(day=seat.day, item=UsageItem.SEAT_DAYS, quantity=Decimal(seat.seats))
        for seat in SeatUsageDay.objects.filter(tenant=tenant, day__gte=days[0], day__lte=days[-1])
        if seat.seats
    ]
    assigned = list(
        PoolNumber.objects.filter(tenant=tenant, status=PoolNumberStatus.ASSIGNED).values_list("assigned_at", flat=True)
    )
    for day in days:
        held = sum(1 for at in assigned if at is None or at < day_end(day))
        if held:
            rows.append(UsageDay(day=day, item=UsageItem.NUMBER_DAYS, quantity=Decimal(held)))
    return rows


def usage_meter_tenant(*, tenant: Tenant, first_day: date, last_day: date) -> MeterResult:
    """(Re)read ``tenant``'s usage for every day from ``first_day`` to ``last_day`` (never past today):
    the days' rows are replaced as a whole, in one transaction."""
    # Not clamped to the tenant's creation: generated history (generate_history) predates it.
    last_day = min(last_day, billing_today())
    if not meterable(tenant) or first_day > last_day:
        return MeterResult(tenant=tenant.slug, days=0, rows=0)
    days = days_between(first_day, last_day)
    rows = _tenant_reads(tenant, days) + _public_reads(tenant, days)
    now = timezone.now()
    for row in rows:
        row.tenant = tenant
        row.metered_at = now
    with transaction.atomic():
        # Lock order: the tenant row first, so two meters of one tenant run one after the other.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        UsageDay.objects.filter(tenant=tenant, day__gte=first_day, day__lte=last_day).delete()
        UsageDay.objects.bulk_create(rows)
        MeteredDay.objects.filter(tenant=tenant, day__gte=first_day, day__lte=last_day).delete()
        MeteredDay.objects.bulk_create([MeteredDay(tenant=tenant, day=day, metered_at=now) for day in days])
    return MeterResult(tenant=tenant.slug, days=len(days), rows=len(rows))


def usage_meter_missing(*, tenant: Tenant, first_day: date, last_day: date) -> MeterResult:
    """Meter only the days of the window not read yet (runs of consecutive missing days)."""
    done = set(
        MeteredDay.objects.filter(tenant=tenant, day__gte=first_day, day__lte=last_day).values_list("day", flat=True)
    )
    missing = [day for day in days_between(first_day, min(last_day, billing_today())) if day not in done]
    days = rows = 0
    for run in _runs(missing):
        result = usage_meter_tenant(tenant=tenant, first_day=run[0], last_day=run[-1])
        days += result.days
        rows += result.rows
    return MeterResult(tenant=tenant.slug, days=days, rows=rows)


def _runs(days: list[date]) -> list[list[date]]:
    runs: list[list[date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def usage_meter(*, tenants: Iterable[Tenant], first_day: date, last_day: date) -> list[MeterResult]:
    """Meter every tenant in ``tenants`` for the window (the command and the daily task)."""
    return [
        usage_meter_tenant(tenant=tenant, first_day=first_day, last_day=last_day)
        for tenant in tenants
        if meterable(tenant)
    ]
