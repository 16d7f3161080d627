"""Is the contact center open? Weekly hours, the hours' own overrides and, when asked for,
the platform's holiday calendar (:mod:`apps.calendar.selectors`, with the tenant's exceptions).

The rules for one local date, first match wins:

1. a ``HolidayOverride`` for that date: closed (a *holiday*) or open with its hours
   (open with no hours given means the make-up-day hours below);
2. with ``follow_chinese_holidays``, the holiday calendar for the tenant:
   a tenant's extra closed day and a public holiday or moved rest day (including the weekend
   days inside a holiday) are a *holiday*; a make-up workday (调休, a Saturday or Sunday worked
   instead) is open with ``makeup_day_hours``, or Monday's hours when those are empty; a holiday
   the tenant works is open with that weekday's hours (the make-up hours on a weekend);
3. otherwise the weekly hours of that weekday.

A year whose official schedule is not in the calendar yet uses the statutory holidays computed
by rule, marked provisional (``DayPlan.source``); the platform and tenant dashboards warn about
it. Nothing falls back silently to plain weeks.

Hours are lists of ``["HH:MM", "HH:MM"]`` intervals, start included, end excluded;
``"24:00"`` closes at midnight. Times are read in the hours' own time zone (the tenant's
by default), whatever zone the instant passed in carries.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apps.calendar import selectors as calendar_selectors

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


class HoursState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    HOLIDAY = "holiday"


class DayKind(StrEnum):
    WEEKLY = "weekly"
    OVERRIDE_OPEN = "override_open"
    OVERRIDE_CLOSED = "override_closed"
    PUBLIC_HOLIDAY = "public_holiday"
    MAKEUP_WORKDAY = "makeup_workday"
    TENANT_CLOSED = "tenant_closed"
    TENANT_WORKED = "tenant_worked"


@dataclass(frozen=True)
class OverrideSpec:
    is_open: bool
    open_hours: list = field(default_factory=list)
    name: str = ""


@dataclass(frozen=True)
class HoursSpec:
    """Plain data of a ``BusinessHours`` row and its overrides (no database needed)."""

    time_zone: str = "Asia/Shanghai"
    weekly: dict = field(default_factory=dict)
    follow_chinese_holidays: bool = True
    makeup_day_hours: list = field(default_factory=list)
    overrides: dict[dt.date, OverrideSpec] = field(default_factory=dict)
    # The holiday calendar snapshot to read (the tenant's, taken by ``from_model``); None: ask the
    # calendar cache at evaluation time (the platform calendar). A snapshot answers without the
    # database, which the engine needs: it evaluates hours on its event loop.
    calendar: calendar_selectors.Calendar | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_model(cls, hours) -> HoursSpec:
        overrides = {
            row.date: OverrideSpec(is_open=row.is_open, open_hours=list(row.open_hours or []), name=row.name)
            for row in hours.overrides.all()
        }
        return cls(
            time_zone=hours.time_zone,
            weekly=dict(hours.weekly or {}),
            follow_chinese_holidays=hours.follow_chinese_holidays,
            makeup_day_hours=list(hours.makeup_day_hours or []),
            overrides=overrides,
            calendar=calendar_selectors.calendar_for(calendar_selectors.current_tenant()),
        )


@dataclass(frozen=True)
class DayPlan:
    """What a local date looks like: its kind, its open intervals and why (a holiday's name)."""

    date: dt.date
    kind: DayKind
    intervals: list
    name: str = ""
    source: str = ""  # of a calendar day: official, provisional, manual or tenant

    @property
    def is_holiday(self) -> bool:
        return self.kind in (DayKind.OVERRIDE_CLOSED, DayKind.PUBLIC_HOLIDAY, DayKind.TENANT_CLOSED)


def as_spec(hours) -> HoursSpec:
    return hours if isinstance(hours, HoursSpec) else HoursSpec.from_model(hours)


def _calendar_day(spec: HoursSpec, day: dt.date) -> calendar_selectors.DayInfo:
    snapshot = spec.calendar if spec.calendar is not None else calendar_selectors.calendar_for(None)
    return snapshot.day_info(day)


def _makeup_hours(spec: HoursSpec) -> list:
    return list(spec.makeup_day_hours or spec.weekly.get("mon") or [])


def day_plan(hours, day: dt.date) -> DayPlan:
    spec = as_spec(hours)
    override = spec.overrides.get(day)
    if override is not None:
        if not override.is_open:
            return DayPlan(day, DayKind.OVERRIDE_CLOSED, [], override.name)
        return DayPlan(day, DayKind.OVERRIDE_OPEN, list(override.open_hours or _makeup_hours(spec)), override.name)
    if spec.follow_chinese_holidays:
        info = _calendar_day(spec, day)
        weekly = list(spec.weekly.get(WEEKDAYS[day.weekday()]) or [])
        if info.kind == calendar_selectors.TenantDayKind.CLOSED:
            return DayPlan(day, DayKind.TENANT_CLOSED, [], info.name, info.source)
        if info.kind == calendar_selectors.TenantDayKind.WORKED:
            intervals = weekly if day.weekday() < 5 and weekly else _makeup_hours(spec)
            return DayPlan(day, DayKind.TENANT_WORKED, intervals, info.name, info.source)
        if info.kind in (calendar_selectors.DayKind.HOLIDAY, calendar_selectors.DayKind.IN_LIEU):
            return DayPlan(day, DayKind.PUBLIC_HOLIDAY, [], info.name, info.source)
        if info.kind == calendar_selectors.DayKind.MAKEUP:
            return DayPlan(day, DayKind.MAKEUP_WORKDAY, _makeup_hours(spec), info.name, info.source)
    return DayPlan(day, DayKind.WEEKLY, list(spec.weekly.get(WEEKDAYS[day.weekday()]) or []))


def _parse_time(text: str) -> dt.time | None:
    """``None`` stands for 24:00 (the end of the day)."""
    if text == "24:00":
        return None
    hour, minute = text.split(":")
    return dt.time(int(hour), int(minute))


def _inside(moment: dt.time, interval) -> bool:
    start, end = _parse_time(interval[0]), _parse_time(interval[1])
    if start is None:
        return False
    return start <= moment and (end is None or moment < end)


def zone(hours) -> ZoneInfo:
    spec = as_spec(hours)
    try:
        return ZoneInfo(spec.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def hours_state(hours, at: dt.datetime) -> HoursState:
    """Open, closed, or closed for a holiday (a public holiday or a closing override)."""
    if at.tzinfo is None:
        raise ValueError("hours_state needs an aware datetime")
    spec = as_spec(hours)
    local = at.astimezone(zone(spec))
    plan = day_plan(spec, local.date())
    if plan.is_holiday:
        return HoursState.HOLIDAY
    moment = local.time().replace(tzinfo=None)
    return HoursState.OPEN if any(_inside(moment, interval) for interval in plan.intervals) else HoursState.CLOSED


def is_open(hours, at: dt.datetime) -> bool:
    return hours_state(hours, at) == HoursState.OPEN


# --- checking what people type ----------------------------------------------------------------


def interval_errors(intervals) -> list[str]:
    """Problems with a list of ``[start, end]`` intervals (English; the services translate)."""
    if not isinstance(intervals, list):
        return ["not_a_list"]
    problems: list[str] = []
    previous_end = -1
    for interval in intervals:
        if (
            not isinstance(interval, list | tuple)
            or len(interval) != 2
            or not all(isinstance(part, str) and TIME_RE.match(part) for part in interval)
        ):
            problems.append("bad_interval")
            continue
        start = _minutes(interval[0])
        end = _minutes(interval[1])
        if start >= end or interval[0] == "24:00":
            problems.append("empty_interval")
        elif start < previous_end:
            problems.append("overlap")
        previous_end = max(previous_end, end)
    return problems


def _minutes(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def weekly_errors(weekly) -> dict[str, list[str]]:
    if not isinstance(weekly, dict):
        return {"weekly": ["not_an_object"]}
    errors: dict[str, list[str]] = {}
    for key in weekly:
        if key not in WEEKDAYS:
            errors.setdefault(str(key), []).append("unknown_day")
    for day in WEEKDAYS:
        problems = interval_errors(weekly.get(day, []))
        if problems:
            errors[day] = problems
    return errors
