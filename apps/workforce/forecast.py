"""Forecast of offered calls and AHT per interval of a day, from history (plain Python).

Why this shape: contact-center volume repeats by day of week and by time of day, drifts slowly,
and collapses (or moves) on public holidays. The forecast therefore splits a day into

- a **daily volume**: the mean of the recent days of the same *class* (weekday, or "holiday"),
  the more recent weighing more, times a **trend** factor: the least-squares slope of the daily
  volumes, each divided by its class's mean (so the weekly pattern does not pass for a trend),
  projected to the target day and clamped to ±50%;
- an **intraday profile**: each interval's share of its day, averaged over the same class;
- an **AHT** per interval: handle seconds ÷ handled calls over the same class's days, falling
  back to the class's daily AHT, then to all history, then to ``default_aht``.

Day classes come from the holiday calendar: a statutory holiday or in-lieu rest day is
``holiday`` (whatever its weekday); a make-up workday (调休) is a ``workday`` and borrows the
Monday–Friday figures; any other day is its weekday ``dow0``…``dow6``. Holidays never pollute
their weekday's figures. With no holiday in history, a holiday is forecast like a Sunday.

The module takes history as plain numbers (the selectors read it from the KPI rollups, never
from the CDRs or the engine), so it is tested on synthetic history without a database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

HOLIDAY = "holiday"
WORKDAY = "workday"  # a make-up workday (调休): forecast like an ordinary Monday–Friday
WEEKDAY_CLASSES = tuple(f"dow{index}" for index in range(7))
DEFAULT_AHT_SECONDS = 180.0
MAX_TREND = 0.5  # the trend may move a forecast by at most ±50%
RECENT_WEIGHT = 0.85  # weight of a same-class day one occurrence older than the next one


class IntervalHistory(NamedTuple):
    """One past interval of one queue: calls offered, calls handled and their handle seconds.
    (A tuple: a forecast reads hundreds of thousands of them.)"""

    day: dt.date
    slot: int  # index of the interval within its local day
    offered: float
    handled: float = 0.0
    handle_seconds: float = 0.0


@dataclass(frozen=True)
class IntervalForecast:
    slot: int
    offered: float
    aht_seconds: float


def day_class(day: dt.date, *, is_working_day: bool, is_holiday: bool) -> str:
    """The class whose history forecasts ``day``: ``holiday``, ``workday`` (make-up) or ``dowN``."""
    if is_holiday:
        return HOLIDAY
    if is_working_day and day.weekday() >= 5:
        return WORKDAY
    return WEEKDAY_CLASSES[day.weekday()]


def _history_classes(day_classes: dict[dt.date, str]) -> dict[str, list[dt.date]]:
    """Days of each class, newest first. Make-up workdays join every Monday–Friday class's
    pool only as a fallback (they are rare); ``workday`` is the union of Monday–Friday."""
    by_class: dict[str, list[dt.date]] = defaultdict(list)
    for day, klass in day_classes.items():
        by_class[klass].append(day)
        if klass in WEEKDAY_CLASSES[:5] or klass == WORKDAY:
            by_class.setdefault(WORKDAY, [])
            if klass != WORKDAY:
                by_class[WORKDAY].append(day)
    for days in by_class.values():
        days.sort(reverse=True)
    return by_class


def _weighted_mean(values: list[float]) -> float:
    """Values newest first; each older one weighs RECENT_WEIGHT times the one before."""
    if not values:
        return 0.0
    weight, total, weights = 1.0, 0.0, 0.0
    for value in values:
        total += weight * value
        weights += weight
        weight *= RECENT_WEIGHT
    return total / weights


def _trend_factor(
    daily: dict[dt.date, float], classes: dict[dt.date, str], class_means: dict[str, float], target: dt.date
) -> float:
    """1 + slope × (target − mean date), the slope fitted to volumes normalised by class mean."""
    points = [
        ((day - target).days, volume / class_means[classes[day]])
        for day, volume in daily.items()
        if class_means.get(classes[day], 0) > 0
    ]
    if len(points) < 14:  # less than two weeks: no trend worth projecting
        return 1.0
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var_x = sum((x - mean_x) ** 2 for x, _ in points)
    if var_x == 0 or mean_y == 0:
        return 1.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var_x
    # Relative change from the history's centre (mean_x days ago) to the target day (x = 0).
    factor = 1.0 + slope * (0 - mean_x) / mean_y
    return min(1.0 + MAX_TREND, max(1.0 - MAX_TREND, factor))


class Forecaster:
    """Built once from one queue's history; :meth:`day` forecasts any later day.

    ``classify(day)`` gives a day's class (see :func:`day_class`); ``slots`` is the number of
    intervals per day (48 for 30 minutes). ``weeks`` bounds how many same-class days count.
    """

    def __init__(
        self,
        history: Iterable[IntervalHistory],
        *,
        classify: Callable[[dt.date], str],
        slots: int = 48,
        weeks: int = 8,
        default_aht: float = DEFAULT_AHT_SECONDS,
        daily: dict[dt.date, float] | None = None,
    ) -> None:
        self.slots = slots
        self.weeks = weeks
        self.default_aht = default_aht
        self.classify = classify
        offered: dict[dt.date, list[float]] = {}
        handled: dict[dt.date, list[float]] = {}
        handle_seconds: dict[dt.date, list[float]] = {}
        for row in history:
            if not 0 <= row.slot < slots:
                continue
            if row.day not in offered:
                offered[row.day] = [0.0] * slots
                handled[row.day] = [0.0] * slots
                handle_seconds[row.day] = [0.0] * slots
            offered[row.day][row.slot] += row.offered
            handled[row.day][row.slot] += row.handled
            handle_seconds[row.day][row.slot] += row.handle_seconds
        self._offered = offered
        self._handled = handled
        self._handle_seconds = handle_seconds
        # ``daily``: each day's total when the intervals of only some days were read (the
        # selector reads intervals just for the days a forecast uses: see :meth:`days_needed`).
        self._daily = dict(daily) if daily is not None else {day: sum(values) for day, values in offered.items()}
        self._classes = {day: classify(day) for day in self._daily}
        self._by_class = _history_classes(self._classes)
        all_handled = sum(sum(values) for values in handled.values())
        all_seconds = sum(sum(values) for values in handle_seconds.values())
        self._overall_aht = all_seconds / all_handled if all_handled else default_aht
        self._class_means = {
            klass: sum(self._daily[d] for d in days) / len(days) for klass, days in self._by_class.items() if days
        }
        self._cache: dict[tuple[str, dt.date], list[IntervalForecast]] = {}

    def _days_for(self, klass: str, before: dt.date) -> list[dt.date]:
        """Up to ``weeks`` recent days of the class (before the target), with fallbacks."""
        for candidate in (
            klass,
            WORKDAY if klass in WEEKDAY_CLASSES[:5] else None,
            "dow6" if klass == HOLIDAY else None,
        ):
            if candidate is None:
                continue
            days = [day for day in self._by_class.get(candidate, []) if day < before]
            limit = self.weeks * (5 if candidate == WORKDAY else 1)
            if days:
                return days[:limit]
        return []

    def days_needed(self, target: dt.date) -> list[dt.date]:
        """The past days whose intervals the forecast of ``target`` reads."""
        return self._days_for(self.classify(target), target)

    def day(self, target: dt.date) -> list[IntervalForecast]:
        """``slots`` forecasts for ``target``: offered calls (a real number) and AHT seconds."""
        klass = self.classify(target)
        days = self._days_for(klass, target)
        if not days:
            return [IntervalForecast(slot, 0.0, self.default_aht) for slot in range(self.slots)]
        volume = _weighted_mean([self._daily[day] for day in days])
        daily_before = {day: v for day, v in self._daily.items() if day < target}
        volume *= _trend_factor(daily_before, self._classes, self._class_means, target)
        totals = [0.0] * self.slots
        handled = [0.0] * self.slots
        seconds = [0.0] * self.slots
        for day in days:
            if day not in self._offered:
                continue
            for slot in range(self.slots):
                totals[slot] += self._offered[day][slot]
                handled[slot] += self._handled[day][slot]
                seconds[slot] += self._handle_seconds[day][slot]
        grand = sum(totals)
        class_handled = sum(handled)
        class_aht = sum(seconds) / class_handled if class_handled else self._overall_aht
        result = []
        for slot in range(self.slots):
            share = totals[slot] / grand if grand else 0.0
            aht = seconds[slot] / handled[slot] if handled[slot] >= 3 else class_aht
            result.append(IntervalForecast(slot, volume * share, aht))
        return result


@dataclass(frozen=True)
class Accuracy:
    """How a forecast compared with what happened: WAPE (weighted absolute percentage error,
    Σ|actual − forecast| ÷ Σ actual) and bias (Σ(forecast − actual) ÷ Σ actual), fractions."""

    forecast: float
    actual: float
    wape: float | None
    bias: float | None


def accuracy(forecast: Iterable[float], actual: Iterable[float]) -> Accuracy:
    """WAPE rather than MAPE: quiet night intervals with one or two calls would dominate a mean
    of percentages, while WAPE weighs each interval by its volume."""
    pairs = list(zip(forecast, actual, strict=True))
    total_forecast = sum(f for f, _ in pairs)
    total_actual = sum(a for _, a in pairs)
    if total_actual == 0:
        return Accuracy(total_forecast, 0.0, None, None)
    error = sum(abs(a - f) for f, a in pairs)
    return Accuracy(total_forecast, total_actual, error / total_actual, (total_forecast - total_actual) / total_actual)
