"""The attendance and HR rules of the handbook (DOMAIN.md §4), as plain Python.

No models, no database, no engine: callers pass the figures (a :class:`Policy` built from the
``WorkforcePolicy`` in effect, shifts as instants, clock records, calendar days) and get
judgements back. Every service, selector, report and the benchmark go through these functions,
so each rule exists once.

Definitions (also in docs/workforce.md):

- **late**: the first clock-in of a shift is after ``shift start − early_clock_in_minutes``
  plus the grace; late minutes count from ``shift start − early_clock_in_minutes`` (whole
  minutes, rounded up).
- **absent**: a published shift that has ended with no clock-in and no approved leave.
- **early leave**: the last clock-out is before the shift end; minutes rounded up.
- **worked**: clock-in to clock-out clipped to the shift, minus the break (never below 0).
  A shift is counted in the month of its date (the day it starts), so a night shift that ends
  on the 1st belongs to the month before.
- **sick deduction**: within one spell — a run of consecutive *scheduled* days all on sick
  leave (unscheduled days such as a weekend do not break it, and do not count) — the n-th
  scheduled day deducts the share of the band that holds n.
- **overtime day kind**: a statutory holiday (not an in-lieu rest day) → holiday; an in-lieu
  day, a weekend or a company's extra day off → rest day; a make-up workday (调休) or an
  ordinary weekday → working day. The law, not the company's opening, decides: a company open
  on a holiday still pays the holiday rate.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# How far before a shift's start a clock-in can belong to it, and after its end a clock-out.
CLOCK_IN_WINDOW = dt.timedelta(hours=6)
CLOCK_OUT_WINDOW = dt.timedelta(hours=8)

WORKDAY = "workday"
REST_DAY = "rest_day"
HOLIDAY = "holiday"
OVERTIME_DAY_KINDS = (WORKDAY, REST_DAY, HOLIDAY)


def _bands(raw: Iterable[Sequence[Any]]) -> tuple[tuple[int, int | None, float], ...]:
    return tuple((int(row[0]), None if row[1] is None else int(row[1]), float(row[2])) for row in raw)


@dataclass(frozen=True)
class Policy:
    """The figures the rules need, copied from a ``WorkforcePolicy`` (``Policy.of(row)``)."""

    early_clock_in_minutes: int = 10
    late_grace_minutes: int = 0
    sick_bands: tuple[tuple[int, int | None, float], ...] = ((1, 3, 0.5), (4, None, 1.0))
    bereavement_days: Mapping[str, int] = field(
        default_factory=lambda: {
            "parent": 3,
            "spouse": 3,
            "child": 3,
            "grandparent": 1,
            "sibling": 1,
            "parent_in_law": 1,
        }
    )
    annual_leave_bands: tuple[tuple[int, int | None, float], ...] = ((1, 10, 5), (10, 20, 10), (20, None, 15))
    overtime_rates: Mapping[str, int] = field(default_factory=lambda: {WORKDAY: 150, REST_DAY: 200, HOLIDAY: 300})
    monthly_legal_hours: Decimal = Decimal("174")
    warning_threshold: int = 3
    warning_window_months: int = 6
    absence_consecutive_days: int = 3
    absence_days_per_year: int = 3

    @classmethod
    def of(cls, row: Any) -> Policy:
        return cls(
            early_clock_in_minutes=row.early_clock_in_minutes,
            late_grace_minutes=row.late_grace_minutes,
            sick_bands=_bands(row.sick_bands),
            bereavement_days={str(k): int(v) for k, v in (row.bereavement_days or {}).items()},
            annual_leave_bands=_bands(row.annual_leave_bands),
            overtime_rates={
                WORKDAY: row.overtime_rate_workday,
                REST_DAY: row.overtime_rate_rest_day,
                HOLIDAY: row.overtime_rate_holiday,
            },
            monthly_legal_hours=Decimal(row.monthly_legal_hours),
            warning_threshold=row.warning_threshold,
            warning_window_months=row.warning_window_months,
            absence_consecutive_days=row.absence_consecutive_days,
            absence_days_per_year=row.absence_days_per_year,
        )


# --- shifts ------------------------------------------------------------------------------------------


def shift_instants(day: dt.date, start: dt.time, end: dt.time, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """A shift type's times on ``day`` as aware instants; overnight (end <= start) ends the next
    day. Local wall-clock times (no DST in China, but correct where there is)."""
    begins = dt.datetime.combine(day, start).replace(tzinfo=tz)
    end_day = day + dt.timedelta(days=1) if end <= start else day
    ends = dt.datetime.combine(end_day, end).replace(tzinfo=tz)
    return begins, ends


@dataclass(frozen=True)
class ShiftSlot:
    """A published shift as the rules see it."""

    key: Any
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    break_minutes: int = 0

    @property
    def scheduled_minutes(self) -> int:
        return max(0, int((self.end - self.start).total_seconds() // 60) - self.break_minutes)


@dataclass(frozen=True)
class ClockPair:
    """The clock-in and clock-out matched to one shift (either may be missing)."""

    clock_in: dt.datetime | None = None
    clock_out: dt.datetime | None = None


def match_clock_events(
    shifts: Sequence[ShiftSlot], ins: Sequence[dt.datetime], outs: Sequence[dt.datetime]
) -> list[ClockPair]:
    """One person's clock records matched to their shifts (both sorted by time). A shift takes
    the earliest clock-in from ``CLOCK_IN_WINDOW`` before its start (not before the previous
    shift's end) up to its end, and the latest clock-out after that clock-in (or its start) up to
    ``CLOCK_OUT_WINDOW`` after its end (not after the next shift's start)."""
    pairs: list[ClockPair] = []
    for index, shift in enumerate(shifts):
        low = shift.start - CLOCK_IN_WINDOW
        if index > 0:
            low = max(low, shifts[index - 1].end)
        position = bisect.bisect_left(ins, low)
        clock_in = ins[position] if position < len(ins) and ins[position] < shift.end else None
        out_from = clock_in or shift.start
        out_until = shift.end + CLOCK_OUT_WINDOW
        if index + 1 < len(shifts):
            out_until = min(out_until, shifts[index + 1].start)
        last = bisect.bisect_right(outs, out_until) - 1
        clock_out = outs[last] if last >= 0 and outs[last] > out_from else None
        pairs.append(ClockPair(clock_in, clock_out))
    return pairs


def _minutes_up(delta: dt.timedelta) -> int:
    return math.ceil(delta.total_seconds() / 60)


@dataclass(frozen=True)
class ShiftJudgement:
    scheduled_minutes: int
    worked_minutes: int = 0
    late_minutes: int = 0
    early_leave_minutes: int = 0
    absent: bool = False
    on_leave: bool = False
    missing_clock_out: bool = False

    @property
    def late(self) -> bool:
        return self.late_minutes > 0


def judge_shift(
    shift: ShiftSlot, pair: ClockPair, *, policy: Policy, now: dt.datetime, on_leave: bool = False
) -> ShiftJudgement:
    """Late, absent, early leave and worked minutes of one shift (see the module docstring).
    A shift on approved leave is excused; one not ended yet is never absent or short."""
    scheduled = shift.scheduled_minutes
    if on_leave:
        return ShiftJudgement(scheduled_minutes=scheduled, on_leave=True)
    if pair.clock_in is None:
        return ShiftJudgement(scheduled_minutes=scheduled, absent=now >= shift.end)
    deadline = shift.start - dt.timedelta(minutes=policy.early_clock_in_minutes)
    late = 0
    if pair.clock_in > deadline + dt.timedelta(minutes=policy.late_grace_minutes):
        late = _minutes_up(pair.clock_in - deadline)
    if pair.clock_out is None:
        return ShiftJudgement(scheduled_minutes=scheduled, late_minutes=late, missing_clock_out=now >= shift.end)
    early = _minutes_up(shift.end - pair.clock_out) if pair.clock_out < shift.end else 0
    span = min(pair.clock_out, shift.end) - max(pair.clock_in, shift.start)
    span_minutes = max(0, int(span.total_seconds() // 60))
    worked = max(0, span_minutes - min(shift.break_minutes, span_minutes))
    return ShiftJudgement(
        scheduled_minutes=scheduled, worked_minutes=worked, late_minutes=late, early_leave_minutes=early
    )


# --- leave ---------------------------------------------------------------------------------------------


def band_share(bands: Sequence[tuple[int, int | None, float]], n: int) -> float:
    """The value of the band holding ``n``, both ends included (0.0 when none does)."""
    for first, last, value in bands:
        if n >= first and (last is None or n <= last):
            return value
    return 0.0


def sick_deductions(scheduled: Sequence[tuple[dt.date, bool]], *, policy: Policy) -> dict[dt.date, float]:
    """``scheduled``: a person's scheduled dates in order, each with whether it is on approved
    sick leave. Returns the share deducted for each sick date: the n-th scheduled sick day of a
    spell falls in band n; a scheduled day not on sick leave ends the spell. Pass enough days
    before the period judged for a spell that began earlier to be numbered right."""
    result: dict[dt.date, float] = {}
    n = 0
    for day, sick in scheduled:
        if not sick:
            n = 0
            continue
        n += 1
        result[day] = band_share(policy.sick_bands, n)
    return result


def bereavement_days(relation: str, *, policy: Policy) -> int:
    """Paid bereavement days for the deceased's relation (0 for a relation the policy lacks)."""
    return int(policy.bereavement_days.get(relation, 0))


def years_of_service(service_from: dt.date | None, on: dt.date) -> int:
    """Completed years from ``service_from`` to ``on`` (0 without a start date)."""
    if service_from is None or on < service_from:
        return 0
    years = on.year - service_from.year
    if (on.month, on.day) < (service_from.month, service_from.day):
        years -= 1
    return years


def annual_leave_entitlement(service_from: dt.date | None, on: dt.date, *, policy: Policy) -> float:
    """Paid annual leave days a year for the total years of service on ``on`` (1–10 years 5,
    10–20 10, 20 or more 15 by default; under one year none)."""
    years = years_of_service(service_from, on)
    for first, last, days in policy.annual_leave_bands:  # "10–20 years": 10 included, 20 not
        if years >= first and (last is None or years < last):
            return days
    return 0.0


# --- overtime ------------------------------------------------------------------------------------------


def overtime_day_kind(*, kind: str, platform_kind: str = "", is_working_day: bool = True) -> str:
    """Classify a day for overtime pay from the calendar's answer (``apps.calendar`` DayInfo:
    ``kind``, ``platform_kind``, ``is_working_day``). See the module docstring."""
    legal = platform_kind or kind
    if legal == "holiday":
        return HOLIDAY
    if legal == "in_lieu":
        return REST_DAY
    if legal == "makeup":
        return WORKDAY
    if kind == "closed" or legal == "weekend" or not is_working_day:
        return REST_DAY
    return WORKDAY


def overtime_hours(start: dt.datetime, end: dt.datetime) -> Decimal:
    """Hours between two instants, two decimals."""
    return (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"))


def overtime_pay_factor(day_kind: str, *, policy: Policy) -> Decimal:
    """The multiple of the hourly wage paid for an overtime hour on this kind of day."""
    return Decimal(policy.overtime_rates[day_kind]) / Decimal(100)


# --- discipline ----------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in range(day.day, 0, -1):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover -- day 1 always exists


def warnings_reaching_threshold(
    warning_dates: Sequence[dt.date], *, on: dt.date, policy: Policy
) -> list[dt.date] | None:
    """The warning dates within the window ending ``on`` when they reach the threshold, else None."""
    since = add_months(on, -policy.warning_window_months)
    recent = sorted(day for day in warning_dates if since < day <= on)
    if policy.warning_threshold and len(recent) >= policy.warning_threshold:
        return recent
    return None


def consecutive_absences(scheduled: Sequence[tuple[dt.date, bool]], *, policy: Policy) -> list[dt.date] | None:
    """``scheduled``: a person's scheduled dates in order with whether each was an absence. The
    first run of at least ``absence_consecutive_days`` consecutive scheduled days absent, or None."""
    run: list[dt.date] = []
    for day, absent in scheduled:
        run = [*run, day] if absent else []
        if policy.absence_consecutive_days and len(run) >= policy.absence_consecutive_days:
            return run
    return None


def absences_in_year(absent_dates: Sequence[dt.date], *, on: dt.date, policy: Policy) -> list[dt.date] | None:
    """The absences within the 365 days ending ``on`` when they reach the yearly threshold."""
    since = on - dt.timedelta(days=365)
    recent = sorted(day for day in absent_dates if since < day <= on)
    if policy.absence_days_per_year and len(recent) >= policy.absence_days_per_year:
        return recent
    return None


# --- months --------------------------------------------------------------------------------------------


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """``"2026-10"`` → (first day, last day). Raises ValueError on anything else."""
    year_text, _sep, month_text = month.partition("-")
    if len(year_text) != 4 or len(month_text) != 2 or not (year_text + month_text).isdigit():
        raise ValueError(month)
    first = dt.date(int(year_text), int(month_text), 1)
    last = add_months(first, 1) - dt.timedelta(days=1)
    return first, last
