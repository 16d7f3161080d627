"""When a campaign may call: daily window, weekdays, campaign dates and Chinese public holidays,
all in the *contact's* local time. Plain Python, no database.

The dialer's query cannot evaluate a window per row cheaply, so :func:`open_time_zones` turns
"may we call now?" into the set of IANA zones whose local time is inside the window at this
instant; the query then filters ``time_zone IN (…)``. Zones are grouped by their current UTC
offset, so the work is a few dozen date checks whatever the number of contacts.

Holidays follow the platform's holiday calendar with the tenant's exceptions
(:mod:`apps.calendar.selectors`): a statutory holiday or moved rest day (and a tenant's extra
closed day) is never dialled; a make-up workday (调休, a weekend day worked, or a weekend holiday
the tenant works) is dialled even if the campaign's weekdays leave weekends out. A year whose
official schedule is not entered yet uses the holidays computed by rule (provisional).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from apps.calendar import selectors as calendar_selectors
from apps.telephony.dialer.numbers import time_zone_names


@dataclass(frozen=True)
class CallingWindow:
    window_start: datetime.time = datetime.time(8, 0)
    window_end: datetime.time = datetime.time(21, 0)
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(1, 8)))
    skip_holidays: bool = True
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    tenant_id: int | None = None  # whose calendar exceptions apply (None: the platform calendar)

    @classmethod
    def of(cls, campaign) -> CallingWindow:
        return cls(
            window_start=campaign.window_start,
            window_end=campaign.window_end,
            weekdays=frozenset(int(day) for day in (campaign.weekdays or ())),
            skip_holidays=campaign.skip_holidays,
            start_date=campaign.start_date,
            end_date=campaign.end_date,
            tenant_id=getattr(calendar_selectors.current_tenant(), "pk", None),
        )


def day_kind(day: datetime.date, tenant_id: int | None = None) -> str:
    """``holiday`` (a day off), ``makeup`` (a weekend day worked), or ``plain``."""
    info = calendar_selectors.day_info(day, tenant_id)
    if not info.is_working_day and info.is_special:
        return "holiday"
    if info.is_working_day and day.isoweekday() >= 6:
        return "makeup"
    return "plain"


def date_open(window: CallingWindow, day: datetime.date) -> bool:
    if window.start_date is not None and day < window.start_date:
        return False
    if window.end_date is not None and day > window.end_date:
        return False
    if window.skip_holidays:
        kind = day_kind(day, window.tenant_id)
        if kind == "holiday":
            return False
        if kind == "makeup":
            return True
    return day.isoweekday() in window.weekdays


def local_open(window: CallingWindow, local: datetime.datetime) -> bool:
    """May a contact whose wall clock shows ``local`` be called now?"""
    if not window.window_start <= local.time().replace(tzinfo=None) < window.window_end:
        return False
    return date_open(window, local.date())


def is_open_for(window: CallingWindow, time_zone: str, now: datetime.datetime) -> bool:
    return local_open(window, now.astimezone(ZoneInfo(time_zone)))


def open_time_zones(window: CallingWindow, now: datetime.datetime, zones: Iterable[str] | None = None) -> list[str]:
    """The zones (of ``zones``, default every IANA zone) in which ``now`` is inside the window."""
    utc_now = now.astimezone(datetime.UTC)
    by_offset: dict[datetime.timedelta, bool] = {}
    result = []
    for name in sorted(zones if zones is not None else time_zone_names()):
        try:
            offset = utc_now.astimezone(ZoneInfo(name)).utcoffset()
        except (KeyError, ValueError, OSError):
            continue
        if offset is None:
            continue
        if offset not in by_offset:
            local = (utc_now + offset).replace(tzinfo=None)
            by_offset[offset] = local_open(window, local)
        if by_offset[offset]:
            result.append(name)
    return result


def next_open_local(
    window: CallingWindow, time_zone: str, after: datetime.datetime, *, days: int = 30
) -> datetime.datetime | None:
    """The next instant at or after ``after`` when the window opens for this zone (for display and
    for rescheduling); None if it stays closed for ``days`` days."""
    zone = ZoneInfo(time_zone)
    local = after.astimezone(zone)
    for offset in range(days + 1):
        day = local.date() + datetime.timedelta(days=offset)
        if not date_open(window, day):
            continue
        opens = datetime.datetime.combine(day, window.window_start, tzinfo=zone)
        closes = datetime.datetime.combine(day, window.window_end, tzinfo=zone)
        if offset == 0 and local >= closes:
            continue
        return max(opens, local) if offset == 0 else opens
    return None
