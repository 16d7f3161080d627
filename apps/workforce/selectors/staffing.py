"""Staffing reads: the forecast per queue, the staff it requires and the staff the roster puts
on queue, per interval of the tenant's local day.

History comes from the KPI rollups (apps/reports, ``q15`` rows: one per queue, direction and
15-minute bucket), never from the CDRs or the engine; the forecast and Erlang rules are plain
modules (apps/workforce/forecast.py, staffing.py). The roster editor calls
:func:`required_staff` and :func:`scheduled_staff` for its coverage row.

Settings (no model holds them yet): ``settings.WORKFORCE_STAFFING`` overrides the defaults in
:data:`DEFAULTS` — shrinkage, the occupancy cap and the weeks of history read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection

from apps.calendar.selectors import WEEKEND, calendar_for
from apps.core.tenancy import current_tenant
from apps.reports.models import CallRollup
from apps.telephony.models import Queue
from apps.workforce import staffing as rules
from apps.workforce.choices import ActivityKind, ShiftStatus
from apps.workforce.forecast import Forecaster, IntervalForecast, IntervalHistory, day_class
from apps.workforce.models import Shift
from apps.workforce.selectors.policy import tenant_zone

DEFAULTS: dict[str, Any] = {
    "shrinkage": 0.30,  # paid time off the phones: breaks, training, meetings, absence
    "max_occupancy": 0.85,
    "history_weeks": 8,
    "interval_minutes": 30,
}
INTERVALS = (15, 30, 60)


def staffing_settings() -> dict[str, Any]:
    """The defaults, overridden by ``settings.WORKFORCE_STAFFING`` (a dict)."""
    return {**DEFAULTS, **getattr(settings, "WORKFORCE_STAFFING", {})}


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tenant_zone())


def slots_per_day(interval_minutes: int) -> int:
    if interval_minutes not in INTERVALS:
        raise ValueError(f"interval_minutes must be one of {INTERVALS}")
    return 24 * 60 // interval_minutes


def staffed_queues(queue_ids: list[int] | None = None) -> list[rules.QueueTarget]:
    """Every queue that takes real calls (scratch queues of the simulator excluded)."""
    queues = Queue.objects.filter(is_scratch=False).order_by("id")
    if queue_ids is not None:
        queues = queues.filter(pk__in=queue_ids)
    return [
        rules.QueueTarget(row["id"], row["sl_target_percent"] / 100.0, float(row["sl_threshold_seconds"]))
        for row in queues.values("id", "sl_target_percent", "sl_threshold_seconds")
        if 0 < row["sl_target_percent"] < 100
    ]


def classifier():
    """``day -> class`` from the tenant's holiday calendar (holiday, make-up workday, weekday)."""
    calendar = calendar_for(current_tenant())

    def classify(day: dt.date) -> str:
        info = calendar.day_info(day)
        holiday = not info.is_working_day and info.kind != WEEKEND
        return day_class(day, is_working_day=info.is_working_day, is_holiday=holiday)

    return classify


def _local(column: str) -> str:
    return f"({column} AT TIME ZONE %(tz)s)"


def daily_history(
    *, since: dt.date, until: dt.date, queue_ids: list[int] | None = None
) -> dict[int, dict[dt.date, float]]:
    """``{queue_id: {day: calls offered}}`` for local days ``since`` ≤ day < ``until``."""
    zone = tenant_zone()
    params: dict[str, Any] = {
        "tz": str(zone),
        "since": dt.datetime.combine(since, dt.time.min, tzinfo=zone),
        "until": dt.datetime.combine(until, dt.time.min, tzinfo=zone),
    }
    queue_filter = ""
    if queue_ids is not None:
        queue_filter = "AND queue_id = ANY(%(queue_ids)s)"
        params["queue_ids"] = list(queue_ids)
    sql = f"""
        SELECT queue_id, {_local("bucket_start")}::date AS day, SUM(offered)::float8
        FROM {CallRollup._meta.db_table}
        WHERE grain = 'q15' AND bucket_start >= %(since)s AND bucket_start < %(until)s
          AND queue_id IS NOT NULL {queue_filter}
        GROUP BY 1, 2
    """  # noqa: S608 — the table name is the model's own; every value is a parameter
    result: dict[int, dict[dt.date, float]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for queue_id, day, offered in cursor.fetchall():
            result.setdefault(queue_id, {})[day] = offered
    return result


def interval_history(
    *,
    since: dt.date,
    until: dt.date,
    interval_minutes: int = 30,
    queue_ids: list[int] | None = None,
    days: list[dt.date] | None = None,
) -> dict[int, list[IntervalHistory]]:
    """``{queue_id: [IntervalHistory]}`` for local days ``since`` ≤ day < ``until`` (only
    ``days`` of them when given) from the rollups: offered, handled and handle seconds summed
    per local interval."""
    zone = tenant_zone()
    params: dict[str, Any] = {
        "tz": str(zone),
        "since": dt.datetime.combine(since, dt.time.min, tzinfo=zone),
        "until": dt.datetime.combine(until, dt.time.min, tzinfo=zone),
        "minutes": interval_minutes,
    }
    queue_filter = ""
    if queue_ids is not None:
        queue_filter = "AND queue_id = ANY(%(queue_ids)s)"
        params["queue_ids"] = list(queue_ids)
    if days is not None:
        queue_filter += f" AND {_local('bucket_start')}::date = ANY(%(days)s)"
        params["days"] = list(days)
    sql = f"""
        SELECT queue_id,
               (bucket_start AT TIME ZONE %(tz)s)::date AS day,
               ((EXTRACT(HOUR FROM bucket_start AT TIME ZONE %(tz)s) * 60
                 + EXTRACT(MINUTE FROM bucket_start AT TIME ZONE %(tz)s))::int / %(minutes)s) AS slot,
               SUM(offered)::float8, SUM(handled)::float8, SUM(handle_sum)::float8
        FROM {CallRollup._meta.db_table}
        WHERE grain = 'q15' AND bucket_start >= %(since)s AND bucket_start < %(until)s
          AND queue_id IS NOT NULL {queue_filter}
        GROUP BY 1, 2, 3
    """  # noqa: S608 — the table name is the model's own; every value is a parameter
    result: dict[int, list[IntervalHistory]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for queue_id, day, slot, offered, handled, handle_seconds in cursor.fetchall():
            result.setdefault(queue_id, []).append(IntervalHistory(day, slot, offered, handled, handle_seconds))
    return result


@dataclass(frozen=True)
class QueuePlan:
    """One queue's day: the forecast and the requirement, interval by interval."""

    queue_id: int
    name: str
    sl_target: float
    sl_threshold_seconds: float
    forecast: list[IntervalForecast]
    requirement: list[rules.IntervalRequirement]


def forecasters(
    *, before: dt.date, days: list[dt.date], interval_minutes: int = 30, queue_ids: list[int] | None = None
) -> dict[int, Forecaster]:
    """One forecaster per staffed queue, able to forecast ``days``, from the history up to (not
    including) ``before``. Two reads: every day's total (volume and trend), then the intervals
    of only the days those forecasts use (their profile and AHT) — a fraction of the history."""
    config = staffing_settings()
    weeks = int(config["history_weeks"])
    targets = [target.queue_id for target in staffed_queues(queue_ids)]
    since = before - dt.timedelta(weeks=weeks)
    daily = daily_history(since=since, until=before, queue_ids=targets)
    classify = classifier()
    slots = slots_per_day(interval_minutes)
    needed: set[dt.date] = set()
    for queue_id in targets:
        sketch = Forecaster([], classify=classify, slots=slots, weeks=weeks, daily=daily.get(queue_id, {}))
        for day in days:
            needed.update(sketch.days_needed(day))
    history = interval_history(
        since=since, until=before, interval_minutes=interval_minutes, queue_ids=targets, days=sorted(needed)
    )
    return {
        queue_id: Forecaster(
            history.get(queue_id, []), classify=classify, slots=slots, weeks=weeks, daily=daily.get(queue_id, {})
        )
        for queue_id in targets
    }


def staffing_plan(
    day: dt.date,
    *,
    interval_minutes: int | None = None,
    queue_ids: list[int] | None = None,
    today: dt.date | None = None,
) -> list[QueuePlan]:
    """Forecast and requirement of every staffed queue for ``day``. History ends before
    ``today`` (default: the tenant's today) or before ``day`` if that is earlier, so a past day
    is forecast as it would have been, never from its own calls."""
    config = staffing_settings()
    minutes = int(interval_minutes or config["interval_minutes"])
    before = min(day, today or dt.datetime.now(tenant_zone()).date())
    targets = {target.queue_id: target for target in staffed_queues(queue_ids)}
    names = dict(Queue.objects.filter(pk__in=list(targets)).values_list("id", "name"))
    by_queue = forecasters(before=before, days=[day], interval_minutes=minutes, queue_ids=list(targets))
    plans = []
    for queue_id, forecaster in by_queue.items():
        target = targets[queue_id]
        forecast = forecaster.day(day)
        requirement = [
            rules.interval_requirement(
                slot=row.slot,
                calls=row.offered,
                aht_seconds=row.aht_seconds,
                interval_seconds=minutes * 60,
                target=target,
                max_occupancy=float(config["max_occupancy"]),
                shrinkage=float(config["shrinkage"]),
            )
            for row in forecast
        ]
        plans.append(
            QueuePlan(
                queue_id, names.get(queue_id, ""), target.sl_target, target.sl_threshold_seconds, forecast, requirement
            )
        )
    return plans


def required_staff(day: dt.date) -> list[int]:
    """48 half-hour values of the tenant's local day: staff to roster across all queues
    (forecast → Erlang C at each queue's SL target and the occupancy cap → shrinkage)."""
    plans = staffing_plan(day, interval_minutes=30)
    return rules.total_by_slot((plan.requirement for plan in plans), slots_per_day(30))


def scheduled_coverage(day: dt.date, *, interval_minutes: int = 30, published_only: bool = False) -> list[float]:
    """Staff-equivalents on queue per interval of ``day`` from the roster: each shift overlapping
    the day minus its break, meal, training and meeting activities. Drafts count unless
    ``published_only`` (the roster editor shows the effect of the draft it is editing)."""
    start = day_start(day)
    slots = slots_per_day(interval_minutes)
    end = start + dt.timedelta(minutes=interval_minutes * slots)
    shifts = Shift.objects.filter(start__lt=end, end__gt=start).prefetch_related("activities")
    if published_only:
        shifts = shifts.filter(status=ShiftStatus.PUBLISHED)
    spans: list[rules.Span] = []
    for shift in shifts:
        off_queue = [(a.start, a.end) for a in shift.activities.all() if a.kind != ActivityKind.ON_QUEUE]
        spans.extend(
            rules.on_queue_spans(
                start=shift.start, end=shift.end, break_minutes=shift.break_minutes, off_queue=off_queue
            )
        )
    return rules.coverage_by_slot(spans, day_start=start, slots=slots, interval_minutes=interval_minutes)


def scheduled_staff(day: dt.date, *, published_only: bool = False) -> list[int]:
    """48 half-hour values of the tenant's local day: people the roster has on queue (drafts
    included unless ``published_only``), breaks and meals taken out, rounded half up."""
    return rules.whole_staff(scheduled_coverage(day, interval_minutes=30, published_only=published_only))
