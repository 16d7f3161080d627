"""Rating: a month's metered quantities × prices → invoice lines. Plain Python, no database.

Rules (docs/billing.md states them to the customer):
- Every amount is CNY, computed with ``Decimal``, never floats.
- Monthly prices (the plan's seat price, a trunk's rental, a number's rental, storage per GB) are
  prorated per day held: unit price = monthly price ÷ days in the month, kept to 6 decimals, and
  the quantity is in days held (seat-days, trunk-days, number-days, GB-days).
- Minutes: each call's talk time rounded up to the whole minute (the meter does this), priced at
  the trunk's per-minute rate for its direction.
- Each line's amount = quantity × unit price, rounded half up to 0.01 (fen) once, per line; the
  invoice total is the sum of the rounded lines, so the printed lines always add up to the total.
- A line is printed only when it has a quantity and a price (a free trunk's rental is no line).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language

from apps.billing.choices import UsageItem, UsageUnit
from apps.billing.periods import days_in_month

CENT = Decimal("0.01")
UNIT_PRICE_PLACES = Decimal("0.000001")
ZERO = Decimal("0")

# Invoice line order: what the tenant buys first, then what it used.
ITEM_ORDER = [
    UsageItem.SEAT_DAYS,
    UsageItem.TRUNK_DAYS,
    UsageItem.NUMBER_DAYS,
    UsageItem.MINUTES_INBOUND,
    UsageItem.MINUTES_OUTBOUND,
    UsageItem.STORAGE_GB_DAYS,
]
ITEM_UNITS = {
    UsageItem.SEAT_DAYS: UsageUnit.SEAT_DAY,
    UsageItem.TRUNK_DAYS: UsageUnit.TRUNK_DAY,
    UsageItem.NUMBER_DAYS: UsageUnit.NUMBER_DAY,
    UsageItem.MINUTES_INBOUND: UsageUnit.MINUTE,
    UsageItem.MINUTES_OUTBOUND: UsageUnit.MINUTE,
    UsageItem.STORAGE_GB_DAYS: UsageUnit.GB_DAY,
}
PRORATED = {UsageItem.SEAT_DAYS, UsageItem.TRUNK_DAYS, UsageItem.NUMBER_DAYS, UsageItem.STORAGE_GB_DAYS}


def money(value: Decimal) -> Decimal:
    """Round to the fen, half up (0.005 → 0.01), the one rounding of an amount."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def prorated_unit_price(monthly: Decimal, month: date) -> Decimal:
    return (monthly / days_in_month(month)).quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class UsageTotal:
    """A month's sum of one item for one reference at one metered rate."""

    item: str
    ref: str
    ref_label: str
    rate: Decimal | None
    quantity: Decimal


@dataclass(frozen=True)
class Prices:
    """The prices a month is rated with, besides the rates metered with each trunk's usage."""

    seat_month: Decimal
    plan_name_en: str
    plan_name_zh: str
    number_month: Decimal
    storage_gb_month: Decimal
    inbound_per_minute: Decimal | None = None


@dataclass(frozen=True)
class RatedLine:
    item: str
    ref: str
    description_en: str
    description_zh: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal

    @property
    def description(self) -> str:
        return self.description_zh if (get_language() or "").startswith("zh") else self.description_en


def _describe(item: str, label: str, prices: Prices) -> tuple[str, str]:
    """The line's text in both languages: stored on the invoice, so a PDF in either language
    prints what was billed even if a plan or trunk is renamed later."""
    if item == UsageItem.SEAT_DAYS:
        return (
            f"Seats, plan {prices.plan_name_en} (prorated per seat-day)",
            f"坐席，{prices.plan_name_zh}套餐（按坐席天折算）",
        )
    if item == UsageItem.TRUNK_DAYS:
        return f"Trunk rental: {label} (prorated per day)", f"中继月租：{label}（按天折算）"
    if item == UsageItem.NUMBER_DAYS:
        return "Service number rental (prorated per number-day)", "号码月租（按号码天折算）"
    if item == UsageItem.MINUTES_INBOUND:
        return f"Inbound minutes: trunk {label}", f"呼入分钟：中继 {label}"
    if item == UsageItem.MINUTES_OUTBOUND:
        return f"Outbound minutes: trunk {label}", f"呼出分钟：中继 {label}"
    return "Recording storage (GB-days)", "录音存储（GB·天）"


def _monthly_or_rate(total: UsageTotal, prices: Prices) -> Decimal:
    """The price behind a usage total: a monthly price for prorated items, per minute for minutes."""
    if total.item == UsageItem.SEAT_DAYS:
        return prices.seat_month
    if total.item == UsageItem.NUMBER_DAYS:
        return prices.number_month
    if total.item == UsageItem.STORAGE_GB_DAYS:
        return prices.storage_gb_month
    if total.item == UsageItem.MINUTES_INBOUND and prices.inbound_per_minute is not None:
        return prices.inbound_per_minute
    return total.rate if total.rate is not None else ZERO


def rate_month(*, month: date, usage: Iterable[UsageTotal], prices: Prices) -> list[RatedLine]:
    """The invoice lines of ``month``: one per item, reference and price, in ITEM_ORDER."""
    grouped: dict[tuple[str, str, Decimal], list[UsageTotal]] = defaultdict(list)
    for total in usage:
        grouped[(total.item, total.ref, _monthly_or_rate(total, prices))].append(total)
    lines: list[tuple[tuple[int, str, str, Decimal], RatedLine]] = []
    for (item, ref, price), totals in grouped.items():
        quantity = sum((total.quantity for total in totals), ZERO)
        if quantity <= 0 or price <= 0:
            continue
        unit_price = prorated_unit_price(price, month) if item in PRORATED else price
        label = totals[0].ref_label
        description_en, description_zh = _describe(item, label, prices)
        line = RatedLine(
            item=item,
            ref=ref,
            description_en=description_en,
            description_zh=description_zh,
            quantity=quantity,
            unit=ITEM_UNITS[UsageItem(item)],
            unit_price=unit_price,
            amount=money(quantity * unit_price),
        )
        lines.append(((ITEM_ORDER.index(UsageItem(item)), label, ref, price), line))
    return [line for _key, line in sorted(lines, key=lambda pair: pair[0])]


def decimal_text(value: Decimal) -> str:
    """A quantity or price as plain text without trailing zeros: 12, 0.5, 3.225806 (never 1E+1)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def lines_total(lines: Iterable[RatedLine]) -> Decimal:
    return sum((line.amount for line in lines), ZERO).quantize(CENT)
