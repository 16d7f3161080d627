"""Schedule adherence and conformance from agent states (plain Python; DOMAIN.md §2).

- **Adherence** = minutes in the scheduled activity ÷ scheduled minutes. For every instant of a
  published shift the schedule says an activity (on queue, break, meal, training, meeting);
  the agent's state says what they did: Ready, Reserved, Talking, Hold and Wrap-up are *on
  queue*; NotReady is the activity its pause reason maps to (``break`` → break, ``lunch`` →
  meal, …: :data:`DEFAULT_PAUSE_ACTIVITIES`, overridable per pause-reason code); Offline and
  unmapped reasons (``missed``, ``login``) match nothing.
- **Conformance** = minutes actually on queue (at any time of the day) ÷ minutes scheduled on
  queue: whether the agent worked the hours, wherever in the day they fell. It may exceed 100%.

A shift without activities is on queue throughout except its unpaid break, placed around the
midpoint as the staffing coverage places it (apps/workforce/staffing.py ``on_queue_spans``).

Real time: :func:`current_status` says whether an agent is out of adherence now, allowing a
grace period (a few seconds of lag between a schedule boundary and the agent's click are
normal and not worth a supervisor's attention).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from apps.workforce.choices import ActivityKind

ON_QUEUE_STATES = frozenset({"ready", "reserved", "talking", "hold", "wrap_up"})
OFFLINE = "offline"
NOT_READY = "not_ready"
OTHER = "other"  # a state that is no scheduled activity (offline, an unmapped pause reason)

#: Pause-reason code → scheduled activity it fulfils. Overridden (merged) by
#: ``settings.WORKFORCE_STAFFING["pause_activities"]``.
DEFAULT_PAUSE_ACTIVITIES: dict[str, str] = {
    "break": ActivityKind.BREAK,
    "rest": ActivityKind.BREAK,
    "lunch": ActivityKind.MEAL,
    "meal": ActivityKind.MEAL,
    "dinner": ActivityKind.MEAL,
    "training": ActivityKind.TRAINING,
    "coaching": ActivityKind.TRAINING,
    "meeting": ActivityKind.MEETING,
}


@dataclass(frozen=True)
class Stretch:
    """``[start, end)`` doing ``activity`` (a scheduled one, or what a state maps to)."""

    start: dt.datetime
    end: dt.datetime
    activity: str

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class StateChange:
    at: dt.datetime
    state: str
    reason: str | None = None


def activity_of(state: str, reason: str | None, pause_activities: Mapping[str, str]) -> str:
    """What an agent state counts as: on queue, a mapped pause activity, or ``other``."""
    if state in ON_QUEUE_STATES:
        return ActivityKind.ON_QUEUE
    if state == NOT_READY and reason:
        return pause_activities.get(reason, OTHER)
    return OTHER


def scheduled_stretches(
    *,
    start: dt.datetime,
    end: dt.datetime,
    break_minutes: int,
    activities: Iterable[tuple[dt.datetime, dt.datetime, str]],
) -> list[Stretch]:
    """The whole shift as consecutive stretches: the listed non-queue activities, on queue in
    between; with none listed, the unpaid break around the midpoint (as ``break``)."""
    holes = sorted(
        (max(a, start), min(b, end), kind)
        for a, b, kind in activities
        if kind != ActivityKind.ON_QUEUE and b > start and a < end
    )
    if not holes and break_minutes > 0:
        middle = start + (end - start) / 2
        half = dt.timedelta(minutes=break_minutes) / 2
        holes = [(max(start, middle - half), min(end, middle + half), ActivityKind.BREAK)]
    result: list[Stretch] = []
    cursor = start
    for hole_start, hole_end, kind in holes:
        if hole_start > cursor:
            result.append(Stretch(cursor, hole_start, ActivityKind.ON_QUEUE))
        if hole_end > max(cursor, hole_start):
            result.append(Stretch(max(cursor, hole_start), hole_end, kind))
        cursor = max(cursor, hole_end)
    if cursor < end:
        result.append(Stretch(cursor, end, ActivityKind.ON_QUEUE))
    return result


def actual_stretches(
    changes: Sequence[StateChange],
    *,
    since: dt.datetime,
    until: dt.datetime,
    initial: StateChange | None,
    pause_activities: Mapping[str, str],
) -> list[Stretch]:
    """The agent's states over ``[since, until)`` as activities. ``initial`` is the last change
    before ``since`` (None: offline); ``changes`` are those inside the window, in order."""
    current = initial or StateChange(since, OFFLINE)
    result: list[Stretch] = []
    cursor = since
    for change in changes:
        if change.at < since:
            current = change
            continue
        if change.at >= until:
            break
        if change.at > cursor:
            result.append(Stretch(cursor, change.at, activity_of(current.state, current.reason, pause_activities)))
        cursor = max(cursor, change.at)
        current = change
    if cursor < until:
        result.append(Stretch(cursor, until, activity_of(current.state, current.reason, pause_activities)))
    return result


def _overlap(a: Stretch, b: Stretch) -> float:
    return max(0.0, (min(a.end, b.end) - max(a.start, b.start)).total_seconds())


@dataclass(frozen=True)
class AdherenceFigures:
    scheduled_seconds: float
    adherent_seconds: float
    scheduled_on_queue_seconds: float
    on_queue_seconds: float

    @property
    def adherence(self) -> float | None:
        """A fraction 0–1; None without scheduled time."""
        return self.adherent_seconds / self.scheduled_seconds if self.scheduled_seconds else None

    @property
    def conformance(self) -> float | None:
        """A fraction; may exceed 1 (more time on queue than scheduled)."""
        return self.on_queue_seconds / self.scheduled_on_queue_seconds if self.scheduled_on_queue_seconds else None

    def __add__(self, other: AdherenceFigures) -> AdherenceFigures:
        return AdherenceFigures(
            self.scheduled_seconds + other.scheduled_seconds,
            self.adherent_seconds + other.adherent_seconds,
            self.scheduled_on_queue_seconds + other.scheduled_on_queue_seconds,
            self.on_queue_seconds + other.on_queue_seconds,
        )


ZERO = AdherenceFigures(0.0, 0.0, 0.0, 0.0)


def figures(scheduled: Sequence[Stretch], actual: Sequence[Stretch]) -> AdherenceFigures:
    """Compare two timelines: seconds scheduled, seconds where the activities agree, seconds
    scheduled on queue, seconds actually on queue (anywhere in ``actual``)."""
    scheduled_seconds = sum(s.seconds for s in scheduled)
    on_queue_plan = sum(s.seconds for s in scheduled if s.activity == ActivityKind.ON_QUEUE)
    on_queue_done = sum(s.seconds for s in actual if s.activity == ActivityKind.ON_QUEUE)
    adherent = 0.0
    j = 0
    ordered = sorted(actual, key=lambda s: s.start)
    for plan in sorted(scheduled, key=lambda s: s.start):
        while j < len(ordered) and ordered[j].end <= plan.start:
            j += 1
        k = j
        while k < len(ordered) and ordered[k].start < plan.end:
            if ordered[k].activity == plan.activity:
                adherent += _overlap(plan, ordered[k])
            k += 1
    return AdherenceFigures(scheduled_seconds, adherent, on_queue_plan, on_queue_done)


@dataclass(frozen=True)
class CurrentStatus:
    scheduled: str | None  # the activity the schedule says now (None: not scheduled)
    actual: str
    out_of_adherence: bool
    since: dt.datetime | None  # when the mismatch began (None when adherent)


def current_status(
    *,
    now: dt.datetime,
    scheduled: Sequence[Stretch],
    state: StateChange,
    grace_seconds: float,
    pause_activities: Mapping[str, str],
) -> CurrentStatus:
    """Out of adherence now: the schedule names an activity that the agent's state is not, and
    has been so for longer than ``grace_seconds`` (counted from the later of the state change
    and the schedule boundary). Off schedule, an agent is never out of adherence."""
    actual = activity_of(state.state, state.reason, pause_activities)
    plan = next((s for s in scheduled if s.start <= now < s.end), None)
    if plan is None or plan.activity == actual:
        return CurrentStatus(plan.activity if plan else None, actual, False, None)
    # The mismatch began when both the plan stretch and the state were in force; a run of
    # adjacent stretches of the same activity counts as one.
    plan_start = plan.start
    for earlier in sorted(scheduled, key=lambda s: s.start, reverse=True):
        if earlier.end == plan_start and earlier.activity == plan.activity:
            plan_start = earlier.start
    began = max(plan_start, state.at)
    late = (now - began).total_seconds() > grace_seconds
    return CurrentStatus(plan.activity, actual, late, began if late else None)
