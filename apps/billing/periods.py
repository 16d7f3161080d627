"""Billing periods: platform days and calendar months.

Billing days are platform days (``settings.TIME_ZONE``, Asia/Shanghai), whatever a tenant's own
time zone, as for the seat-days (apps/tenants/services/usage.py): one tenant's month must not
start eight hours before another's on the same invoice run.
"""

from __future__ import annotations

import calendar
import re
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def billing_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def billing_today() -> date:
    return timezone.localdate(timezone=billing_zone())


def parse_month(text: str) -> date:
    """``YYYY-MM`` → the month's first day; ValueError for anything else (month 13, 2026-1, …)."""
    match = MONTH_PATTERN.match(text or "")
    if not match:
        raise ValueError(text)
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 2999):
        raise ValueError(text)
    return date(year, month, 1)


def month_last_day(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def days_in_month(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def month_days(month: date) -> list[date]:
    return [month + timedelta(days=offset) for offset in range(days_in_month(month))]


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def next_month(month: date) -> date:
    return month_last_day(month) + timedelta(days=1)


def month_is_over(month: date, *, today: date | None = None) -> bool:
    """A month can be closed once its last day is behind us (platform time)."""
    return month_last_day(month) < (today or billing_today())


def day_start(day: date) -> datetime:
    """The first instant of a billing day (aware)."""
    return datetime.combine(day, time.min, tzinfo=billing_zone())


def day_end(day: date) -> datetime:
    """The first instant after a billing day (aware); a day is [start, end)."""
    return day_start(day + timedelta(days=1))


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
