"""The holiday calendar for the calling-window rule (apps/telephony/dialer/windows.py).

The rule itself is plain Python in ``dialer/``; it cannot read the database, so this module
hands it the platform's holiday calendar with the tenant's exceptions
(:mod:`apps.calendar.selectors`). A year whose official schedule is not entered yet uses the
holidays computed by rule (provisional).
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

from apps.calendar import selectors as calendar_selectors
from apps.telephony.dialer.windows import CallingWindow, HolidayLookup, classify_day


def day_kind(day: datetime.date, tenant_id: int | None = None) -> str:
    """``holiday`` (a day off), ``makeup`` (a weekend day worked), or ``plain``, by the calendar of
    ``tenant_id`` (None: the platform calendar)."""
    info = calendar_selectors.day_info(day, tenant_id)
    return classify_day(day, is_working_day=info.is_working_day, is_special=info.is_special)


def holiday_lookup(tenant_id: int | None = None) -> HolidayLookup:
    """The calendar of ``tenant_id`` (None: the platform's) as the window rule's lookup."""

    def lookup(day: datetime.date) -> str:
        return day_kind(day, tenant_id)

    return lookup


def calling_window(tenant_id: int | None = None, **fields: Any) -> CallingWindow:
    """A :class:`CallingWindow` (``fields`` as its own) that knows the holidays of ``tenant_id``."""
    return replace(CallingWindow(**fields), holidays=holiday_lookup(tenant_id))


def campaign_window(campaign: Any) -> CallingWindow:
    """The window of ``campaign`` (a ``Campaign`` or anything with its fields), with the holidays of
    the tenant whose schema is active."""
    return calling_window(
        getattr(calendar_selectors.current_tenant(), "pk", None),
        window_start=campaign.window_start,
        window_end=campaign.window_end,
        weekdays=frozenset(int(day) for day in (campaign.weekdays or ())),
        skip_holidays=campaign.skip_holidays,
        start_date=campaign.start_date,
        end_date=campaign.end_date,
    )
