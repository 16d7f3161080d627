"""The plain-Python rules of sampling: what a period is, how the seeded draw orders calls, how
many calls a group gets and who evaluates each one.

No models here: apps/qa/services/sampling.py runs the draw in SQL (a million calls in about a
second) with the very same definitions, and the tests check the SQL against these functions.

- **Periods** are local to the tenant: a day from local midnight, a week from Monday, a month
  from the 1st; ``[since, until)`` are the local midnights that bound it.
- **The draw** orders a group's calls by ``md5("<call uid>|<seed>|<period start>")`` (hex, then
  the call id): the same seed and period give the same order on any machine and in any
  PostgreSQL version, another seed or another period a different one, and no call's chance
  depends on the others (a call added late does not reshuffle the rest).
- **The quota** of a group of ``n`` calls is ``per_agent`` (the group being one agent's calls,
  per stratum) or ``ceil(percent × n / 100)``; with both set, the larger; never more than ``n``.
  The first ``quota`` calls in key order are picked, passing over those without a recording
  when the rule asks for one (the quota still counts them: every call is recorded in a working
  center, and a call nobody can hear cannot be scored).
- **Workload balance**: each new sample goes to the evaluator with the fewest open assignments
  (to do or in progress, counting the ones just given), ties to the lowest user id; an
  evaluator is never given a call they handled themselves.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

DAY, WEEK, MONTH = "day", "week", "month"
PERIODS = (DAY, WEEK, MONTH)
STRATA = ("queue", "campaign", "direction")


def period_floor(period: str, day: date) -> date:
    """The first day of the period holding ``day``."""
    if period == DAY:
        return day
    if period == WEEK:
        return day - timedelta(days=day.weekday())
    if period == MONTH:
        return day.replace(day=1)
    raise ValueError(f"unknown period {period!r}")


def period_next(period: str, start: date) -> date:
    """The first day of the period after the one starting on ``start``."""
    start = period_floor(period, start)
    if period == DAY:
        return start + timedelta(days=1)
    if period == WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_previous(period: str, start: date) -> date:
    return period_floor(period, period_floor(period, start) - timedelta(days=1))


def last_complete_period(period: str, today: date) -> date:
    """The start of the last period that has ended by ``today`` (the beat task samples it)."""
    return period_previous(period, period_floor(period, today))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def period_bounds(period: str, start: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``[since, until)`` of the period starting on (or holding) ``start``, in ``zone``."""
    first = period_floor(period, start)
    return local_midnight(first, zone), local_midnight(period_next(period, first), zone)


def draw_salt(seed: int, period_start: date) -> str:
    """What follows the call's uid in the draw key (the SQL appends it to ``uid``)."""
    return f"|{seed}|{period_start.isoformat()}"


def draw_key(uid: str, seed: int, period_start: date) -> str:
    return hashlib.md5((uid + draw_salt(seed, period_start)).encode(), usedforsecurity=False).hexdigest()


def quota(n: int, *, per_agent: int | None, percent: Decimal | float | None) -> int:
    """How many calls a group of ``n`` gives to the random sample."""
    wanted = 0
    if per_agent:
        wanted = per_agent
    if percent:
        wanted = max(wanted, math.ceil(Decimal(str(percent)) * n / 100))
    return min(n, wanted)


def partition_keys(*, per_agent: bool, strata: Sequence[str]) -> tuple[str, ...]:
    """The columns a rule's draw groups by: the agent when it samples per agent, then each stratum
    in a fixed order (so that ``["direction", "queue"]`` and ``["queue", "direction"]`` agree)."""
    keys = ("agent",) if per_agent else ()
    return keys + tuple(key for key in STRATA if key in strata)


@dataclass(frozen=True)
class Candidate:
    """A call the draw may pick (used by :func:`draw`, the reference for the SQL)."""

    id: int
    uid: str
    agent: int | None
    queue: int | None = None
    campaign: int | None = None
    direction: str = "inbound"
    recorded: bool = True


def draw(
    calls: Iterable[Candidate],
    *,
    seed: int,
    period_start: date,
    per_agent: int | None,
    percent: Decimal | float | None,
    strata: Sequence[str] = (),
) -> list[int]:
    """The random sample's call ids, in draw order within each group (the SQL's definition, in
    Python: tests compare the two, and a reader can follow the rule here)."""
    keys = partition_keys(per_agent=bool(per_agent), strata=strata)
    groups: dict[tuple, list[tuple[str, int, bool]]] = {}
    for call in calls:
        group = tuple(getattr(call, key) for key in keys)
        groups.setdefault(group, []).append((draw_key(call.uid, seed, period_start), call.id, call.recorded))
    picked: list[int] = []
    for members in groups.values():
        members.sort()
        wanted = quota(len(members), per_agent=per_agent, percent=percent)
        picked.extend([call_id for _key, call_id, recorded in members if recorded][:wanted])
    return picked


def balance(
    picks: Sequence[tuple[int, int | None]],
    evaluators: Iterable[int],
    open_counts: Mapping[int, int],
) -> list[int | None]:
    """The evaluator of each pick, in order. ``picks`` are ``(call id, the call's agent's user id)``;
    ``open_counts`` the evaluators' open assignments now. None when no evaluator may take it
    (no evaluators, or the only one handled the call): the lead assigns it by hand."""
    people = sorted(set(evaluators))
    heap = [(open_counts.get(user, 0), user) for user in people]
    heapq.heapify(heap)
    chosen: list[int | None] = []
    for _call, agent_user in picks:
        skipped = []
        taken: int | None = None
        while heap:
            load, user = heapq.heappop(heap)
            if user == agent_user:
                skipped.append((load, user))
                continue
            taken = user
            heapq.heappush(heap, (load + 1, user))
            break
        for item in skipped:
            heapq.heappush(heap, item)
        chosen.append(taken)
    return chosen
