"""Business time: adding business minutes to an instant and measuring them between two instants.

Plain Python (no models, no database). A :class:`BusinessClock` is built from a time zone and a
function giving the open intervals of a local date — in the product that function is the
telephony hours' day plan (weekly hours, the hours' own overrides, the holiday calendar with its
make-up workdays 调休), supplied by apps/crm/services/ticket_sla.py; tests may give any function.

Rules:

- Intervals are ``(start, end)`` minutes after local midnight, start included, end excluded, end
  at most 1440 (24:00); a day's intervals are sorted and do not overlap (the hours' editor
  guarantees it; :func:`parse_intervals` sorts and merges anyway).
- Business time is real elapsed time inside open intervals, so a daylight-saving change inside an
  interval counts what the clock on the wall did not show. Local times that do not exist (a
  spring-forward gap) are read as zoneinfo reads them.
- Adding 0 minutes gives the instant itself, open or not. Adding more than 0 to an instant outside
  the hours starts counting when the hours next open; the result is always inside (or at the end
  of) an open interval.
- A clock with no open time within :data:`MAX_DAYS` days raises :class:`NoBusinessTime` (hours
  that are never open): callers decide what to do (the ticket services count calendar time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
MAX_DAYS = 800  # a little more than two years: the longest target (weeks) across long closures
UTC = dt.UTC

Intervals = Sequence[tuple[int, int]]


class NoBusinessTime(ValueError):
    """The hours are not open at all within MAX_DAYS days of the instant."""


def parse_time(text: str) -> int:
    """``"09:30"`` → 570; ``"24:00"`` → 1440."""
    hour, minute = str(text).split(":")
    value = int(hour) * 60 + int(minute)
    if not 0 <= value <= MINUTES_PER_DAY:
        raise ValueError(f"not a time of day: {text!r}")
    return value


def parse_intervals(intervals: Iterable[Sequence[str]]) -> list[tuple[int, int]]:
    """``[["09:00", "12:00"], ["13:00", "18:00"]]`` → ``[(540, 720), (780, 1080)]``, sorted, merged,
    empty intervals dropped."""
    spans = sorted((parse_time(start), parse_time(end)) for start, end in intervals)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class BusinessClock:
    """Business-time arithmetic in one time zone over ``day_intervals(local_date)``.

    A clock remembers each date's spans, so computing the due times of many tickets with one clock
    asks for each date once.
    """

    def __init__(self, zone: ZoneInfo | dt.tzinfo, day_intervals: Callable[[dt.date], Intervals]) -> None:
        self.zone = zone
        self._day_intervals = day_intervals
        self._spans: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = {}

    @classmethod
    def always_open(cls, zone: ZoneInfo | dt.tzinfo = UTC) -> BusinessClock:
        """Calendar time (24 × 7): the fallback when a company's hours are never open."""
        return cls(zone, lambda _day: [(0, MINUTES_PER_DAY)])

    def _local(self, day: dt.date, minute: int) -> dt.datetime:
        # The wall time in the zone (its offset is the one of that wall time), then UTC for every
        # comparison and sum: Python subtracts aware datetimes of one tzinfo by their wall times.
        wall = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=minute)
        return wall.replace(tzinfo=self.zone).astimezone(UTC)

    def spans(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The open spans of a local date, as UTC instants."""
        cached = self._spans.get(day)
        if cached is None:
            cached = [
                (self._local(day, start), self._local(day, end))
                for start, end in self._day_intervals(day)
                if end > start
            ]
            self._spans[day] = cached
        return cached

    @staticmethod
    def _utc(at: dt.datetime) -> dt.datetime:
        if at.tzinfo is None:
            raise ValueError("business time needs aware datetimes")
        return at.astimezone(UTC)

    def _local_date(self, at: dt.datetime) -> dt.date:
        return at.astimezone(self.zone).date()

    def is_open(self, at: dt.datetime) -> bool:
        at = self._utc(at)
        return any(start <= at < end for start, end in self.spans(self._local_date(at)))

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The instant ``minutes`` business minutes after ``start`` (``start`` itself for 0)."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        at = self._utc(start)
        if minutes == 0:
            return at
        left = dt.timedelta(minutes=minutes)
        day = self._local_date(at) - dt.timedelta(days=1)  # a span of the day before may hold ``at``
        for _ in range(MAX_DAYS):
            for span_start, span_end in self.spans(day):
                if span_end <= at:
                    continue
                begin = max(span_start, at)
                available = span_end - begin
                if left <= available:
                    return begin + left
                left -= available
            day += dt.timedelta(days=1)
        raise NoBusinessTime(f"no open time within {MAX_DAYS} days of {start.isoformat()}")

    def minutes_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business minutes from ``start`` to ``end``; negative when ``end`` comes first."""
        if self._utc(end) < self._utc(start):
            return -self.minutes_between(end, start)
        start, end = self._utc(start), self._utc(end)
        total = dt.timedelta(0)
        day = self._local_date(start) - dt.timedelta(days=1)
        last = self._local_date(end)
        while day <= last:
            for span_start, span_end in self.spans(day):
                begin, finish = max(span_start, start), min(span_end, end)
                if finish > begin:
                    total += finish - begin
            day += dt.timedelta(days=1)
        return total.total_seconds() / 60


def warn_point(clock: BusinessClock, start: dt.datetime, minutes: int, fraction: float) -> dt.datetime:
    """When ``fraction`` of a ``minutes`` target has passed (in business time)."""
    return clock.add(start, minutes * fraction)
