"""Staff needed per interval, coverage gaps and the seeds' per-seat formula (plain Python).

The Erlang maths are the telephony core's (apps/telephony/engine/erlang.py, DOMAIN.md §3),
reached through ``apps.telephony.selectors.erlang`` because departments never import the engine
(ARCHITECTURE §10). This module adds what staffing needs around it:

- an interval with no forecast calls needs nobody (Erlang C would still say one agent);
- the SL target and threshold come from each queue; the occupancy cap and shrinkage from the
  tenant's staffing settings (``apps.workforce.selectors.staffing.staffing_settings``);
- queues are staffed separately and summed: agents shared between queues would need fewer,
  so the sum is the safe (upper) figure for a roster.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from apps.telephony.selectors.erlang import Staffing, required_agents


@dataclass(frozen=True)
class QueueTarget:
    """What a queue promises: ``sl_target`` (fraction, 0.8) within ``sl_threshold_seconds``."""

    queue_id: int
    sl_target: float
    sl_threshold_seconds: float


@dataclass(frozen=True)
class IntervalRequirement:
    slot: int
    calls: float
    aht_seconds: float
    agents: int  # on the phones (Erlang C)
    staff: int  # after shrinkage
    service_level: float | None
    occupancy: float | None


def interval_requirement(
    *,
    slot: int,
    calls: float,
    aht_seconds: float,
    interval_seconds: float,
    target: QueueTarget,
    max_occupancy: float,
    shrinkage: float,
) -> IntervalRequirement:
    """One queue, one interval. Fewer than 0.01 forecast calls count as none."""
    if calls < 0.01 or aht_seconds <= 0:
        return IntervalRequirement(slot, calls, aht_seconds, 0, 0, None, None)
    figures: Staffing = required_agents(
        calls=calls,
        interval_seconds=interval_seconds,
        aht_seconds=aht_seconds,
        sl_target=target.sl_target,
        sl_threshold_seconds=target.sl_threshold_seconds,
        max_occupancy=max_occupancy,
        shrinkage=shrinkage,
    )
    return IntervalRequirement(
        slot, calls, aht_seconds, figures.agents, figures.staff, figures.service_level, figures.occupancy
    )


def staff_after_shrinkage(agents: int, shrinkage: float) -> int:
    """⌈N ÷ (1 − s)⌉ (DOMAIN §3); rounded first so that 14 ÷ 0.7 is 20, not 21 from float noise."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage is a fraction between 0 and 1")
    return math.ceil(round(agents / (1.0 - shrinkage), 9))


def total_by_slot(rows: Iterable[Sequence[IntervalRequirement]], slots: int) -> list[int]:
    """Sum the staff of several queues interval by interval."""
    totals = [0] * slots
    for queue_rows in rows:
        for row in queue_rows:
            totals[row.slot] += row.staff
    return totals


@dataclass(frozen=True)
class Gap:
    slot: int
    required: int
    scheduled: int

    @property
    def shortfall(self) -> int:
        """Positive: people missing; negative: people beyond the need."""
        return self.required - self.scheduled


def coverage_gaps(required: Sequence[int], scheduled: Sequence[int]) -> list[Gap]:
    """The intervals where the roster has fewer people than the requirement."""
    return [
        Gap(slot, need, have) for slot, (need, have) in enumerate(zip(required, scheduled, strict=True)) if have < need
    ]


def people_per_seat(*, seat_hours_per_day: float, working_days_per_month: float, monthly_legal_hours: float) -> float:
    """The seeds' formula: seat hours/day × working days/month ÷ legal hours per person (174 in
    China: 21.75 days × 8 h). 14 h × 30 days ÷ 174 ≈ 2.41 people per seat."""
    if seat_hours_per_day <= 0 or seat_hours_per_day > 24:
        raise ValueError("seat_hours_per_day must be between 0 and 24")
    if working_days_per_month <= 0 or working_days_per_month > 31:
        raise ValueError("working_days_per_month must be between 0 and 31")
    if monthly_legal_hours <= 0:
        raise ValueError("monthly_legal_hours must be positive")
    return seat_hours_per_day * working_days_per_month / monthly_legal_hours


Span = tuple[dt.datetime, dt.datetime]


def on_queue_spans(
    *, start: dt.datetime, end: dt.datetime, break_minutes: int, off_queue: Sequence[Span]
) -> list[Span]:
    """The stretches of a shift spent on queue: the shift minus its break, meal, training and
    meeting activities (``off_queue``). A shift with an unpaid break but no break or meal
    activity has the break placed around its midpoint, where rosters usually put the meal."""
    holes = sorted((max(a, start), min(b, end)) for a, b in off_queue if b > start and a < end)
    if not holes and break_minutes > 0:
        middle = start + (end - start) / 2
        half = dt.timedelta(minutes=break_minutes) / 2
        holes = [(max(start, middle - half), min(end, middle + half))]
    spans: list[Span] = []
    cursor = start
    for hole_start, hole_end in holes:
        if hole_start > cursor:
            spans.append((cursor, hole_start))
        cursor = max(cursor, hole_end)
    if cursor < end:
        spans.append((cursor, end))
    return spans


def coverage_by_slot(
    spans: Iterable[Span], *, day_start: dt.datetime, slots: int, interval_minutes: int
) -> list[float]:
    """Staff-equivalents on queue per interval: each span adds the share of each interval it
    covers (an agent on a 15-minute break in a 30-minute interval counts 0.5 there)."""
    step = dt.timedelta(minutes=interval_minutes)
    seconds = step.total_seconds()
    day_end = day_start + step * slots
    totals = [0.0] * slots
    for span_start, span_end in spans:
        a, b = max(span_start, day_start), min(span_end, day_end)
        if b <= a:
            continue
        first = int((a - day_start) // step)
        last = min(slots - 1, int((b - day_start - dt.timedelta(microseconds=1)) // step))
        for slot in range(first, last + 1):
            slot_start = day_start + step * slot
            overlap = min(b, slot_start + step) - max(a, slot_start)
            totals[slot] += overlap.total_seconds() / seconds
    return totals


def whole_staff(values: Iterable[float]) -> list[int]:
    """Staff-equivalents rounded to whole people (half up: 1.5 → 2)."""
    return [math.floor(value + 0.5 + 1e-9) for value in values]
