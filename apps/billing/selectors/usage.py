"""Reads of metered usage and the figures rated from it (month-to-date, previews, the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Max, Sum

from apps.billing.models import Invoice, MeteredDay, PriceList, UsageDay
from apps.billing.periods import billing_today, month_last_day
from apps.billing.rating import Prices, RatedLine, UsageTotal, lines_total, rate_month
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant


def price_list_for(month: date) -> PriceList:
    """The row in force on the month's first day; the model's defaults when there is none."""
    return PriceList.objects.filter(effective_from__lte=month).order_by("-effective_from").first() or PriceList(
        effective_from=month
    )


def prices_for(*, tenant: Tenant, month: date) -> Prices:
    price_list = price_list_for(month)
    plan = tenant.plan
    return Prices(
        seat_month=plan.price_per_seat_month if plan else Decimal(0),
        plan_name_en=plan.name if plan else "—",
        plan_name_zh=plan.name_zh if plan else "—",
        number_month=price_list.number_rental_month,
        storage_gb_month=price_list.storage_gb_month,
        inbound_per_minute=price_list.inbound_per_minute,
    )


def usage_totals(*, tenant: Tenant, first_day: date, last_day: date) -> list[UsageTotal]:
    rows = (
        UsageDay.objects.filter(tenant=tenant, day__gte=first_day, day__lte=last_day)
        .values("item", "ref", "rate")
        .annotate(quantity=Sum("quantity"))
        .order_by("item", "ref", "rate")
    )
    labels = {
        (row["item"], row["ref"]): row["ref_label"]
        for row in UsageDay.objects.filter(tenant=tenant, day__gte=first_day, day__lte=last_day)
        .order_by("day")
        .values("item", "ref", "ref_label")
    }
    return [
        UsageTotal(
            item=row["item"],
            ref=row["ref"],
            ref_label=labels.get((row["item"], row["ref"]), ""),
            rate=row["rate"],
            quantity=row["quantity"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class MonthFigures:
    """A tenant's month rated from the meter: the open month so far, or a closed month not invoiced."""

    tenant: Tenant
    month: date
    last_day: date
    # When the meter last read this tenant's days of the month (None: never): month-to-date
    # figures are as fresh as that, not as "now".
    metered_at: datetime | None
    lines: list[RatedLine]
    total: Decimal


def month_figures(*, tenant: Tenant, month: date) -> MonthFigures:
    """Rate ``month`` from what is metered so far (up to today for the open month). Not stored:
    the same rating as the close, so the month-to-date figure is what the invoice will say for
    the days behind us."""
    last_day = min(month_last_day(month), billing_today())
    lines = rate_month(
        month=month,
        usage=usage_totals(tenant=tenant, first_day=month, last_day=last_day),
        prices=prices_for(tenant=tenant, month=month),
    )
    metered_at = MeteredDay.objects.filter(tenant=tenant, day__gte=month, day__lte=last_day).aggregate(
        latest=Max("metered_at")
    )["latest"]
    return MonthFigures(
        tenant=tenant, month=month, last_day=last_day, metered_at=metered_at, lines=lines, total=lines_total(lines)
    )


def billed_tenants(*, month: date) -> list[Tenant]:
    """Every tenant not deleted, and a deleted one with usage or an invoice in ``month`` (it keeps its bill)."""
    keep = set(Invoice.objects.filter(month=month).values_list("tenant_id", flat=True)) | set(
        UsageDay.objects.filter(day__gte=month, day__lte=month_last_day(month)).values_list("tenant_id", flat=True)
    )
    tenants = Tenant.objects.exclude(schema_name="public").select_related("plan").order_by("slug")
    return [tenant for tenant in tenants if tenant.pk in keep or tenant.status != TenantStatus.DELETED]
