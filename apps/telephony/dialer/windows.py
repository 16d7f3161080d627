"""When a campaign may call: daily window, weekdays, campaign dates and public holidays, all in
the *contact's* local time. Plain Python: the holiday calendar is injected.

The dialer's query cannot evaluate a window per row cheaply, so :func:`open_time_zones` turns
"may we call now?" into the set of IANA zones whose local time is inside the window at this
instant; the query then filters ``time_zone IN (…)``. Zones are grouped by their current UTC
offset, so the work is a few dozen date checks whatever the number of contacts.

Holidays: ``CallingWindow.holidays`` says what kind a date is — :data:`DAY_HOLIDAY` (a statutory
holiday, a moved rest day or a tenant's extra closed day: never dialled), :data:`DAY_MAKEUP` (a
make-up workday, 调休: dialled even if the campaign's weekdays leave weekends out) or
:data:`DAY_PLAIN`. ``dialer/`` may not read the database, so the service layer supplies it from
the platform's holiday calendar with the tenant's exceptions
(``apps/telephony/services/campaigns/windows.py``, over ``apps.calendar.selectors``). Without a
lookup every day is plain.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from apps.telephony.dialer.numbers import time_zone_names

DAY_PLAIN = "plain"
DAY_HOLIDAY = "holiday"
DAY_MAKEUP = "makeup"

#: ``date -> DAY_PLAIN | DAY_HOLIDAY | DAY_MAKEUP``
HolidayLookup = Callable[[datetime.date], str]


def classify_day(day: datetime.date, *, is_working_day: bool, is_special: bool) -> str:
    """A calendar's answer for ``day`` as the window needs it: a special day off is a holiday, a
    weekend day worked is a make-up workday, anything else is plain."""
    if not is_working_day and is_special:
        return DAY_HOLIDAY
    if is_working_day and day.isoweekday() >= 6:
        return DAY_MAKEUP
    return DAY_PLAIN


@dataclass(frozen=True)
class CallingWindow:
    window_start: datetime.time = datetime.time(8, 0)
    window_end: datetime.time = datetime.time(21, 0)
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(1, 8)))
    skip_holidays: bool = True
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    holidays: HolidayLookup | None = field(default=None, compare=False, repr=False)


def date_open(window: CallingWindow, day: datetime.date) -> bool:
    if window.start_date is not None and day < window.start_date:
        return False
    if window.end_date is not None and day > window.end_date:
        return False
    if window.skip_holidays and window.holidays is not None:
        kind = window.holidays(day)
        if kind == DAY_HOLIDAY:
            return False
        if kind == DAY_MAKEUP:
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
