"""Filling the KPI rollups (apps/reports/models/rollups.py): idempotent, re-buildable by period.

:func:`rollups_rebuild` replaces every rollup row of a period — 15-minute rows from the CDRs and
agent-state events, then the day rows of the local days it touches from the 15-minute rows — by
delete + insert in one transaction (the ``q15`` rows follow the ``m15`` ones), so running it twice changes nothing and a failure leaves the
old rows. Three callers:

- the Celery beat task ``reports.rollups_refresh`` every minute (:func:`rollups_refresh`): the
  last two hours (calls still closing, wrap-ups, surveys) plus the earlier buckets whose FCR a new
  call has just changed (a repeat call within the window makes an earlier call "not resolved");
- ``manage.py rebuild_rollups --tenant <slug> --since --until`` (a period, in chunks of days);
- the ``history_written`` signal of apps.telephony (generated history): that period.

The FCR window is read from the tenant's settings when the rows are built and recorded in
``RollupState``; a changed window needs a rebuild (the selector states which window was used).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.reports import kpi_sql
from apps.reports.models import RollupState
from apps.reports.periods import BUCKET, ceil_bucket, floor_bucket, local_day_start, tenant_zone
from apps.reports.selectors.kpis import kpi_settings

REFRESH_LOOKBACK = timedelta(hours=2)
MAX_CATCH_UP = timedelta(days=7)  # beyond that, manage.py rebuild_rollups
CHUNK = timedelta(days=31)


def rollup_state() -> RollupState:
    state, _created = RollupState.objects.get_or_create(pk=RollupState.SINGLETON_ID)
    return state


def rollups_rebuild(*, since: datetime, until: datetime) -> dict[str, int]:
    """Rebuild the rollups of ``[since, until)`` (widened to whole 15-minute buckets) and the day
    rows of the local days it touches. Returns the number of 15-minute call and state rows written."""
    start, end = floor_bucket(since), ceil_bucket(until)
    if end <= start:
        return {"call_rows": 0, "state_rows": 0}
    zone = tenant_zone()
    window_hours = kpi_settings().fcr_window_hours
    params: dict[str, Any] = {
        "since": start,
        "until": end,
        "fcr_window": timedelta(hours=window_hours),
        "tz": str(zone),
    }
    day_from = local_day_start(start, zone)
    day_to = local_day_start(end - timedelta(microseconds=1), zone) + timedelta(days=1)
    day_params: dict[str, Any] = {"since": day_from, "until": day_to, "tz": str(zone)}
    with transaction.atomic(), connection.cursor() as cursor:
        # One writer per tenant at a time: two overlapping delete + insert transactions (the beat
        # and a rebuild) would each miss the other's new rows and leave both.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('reports.rollups:' || current_schema()))")
        # Sorts and hash aggregates of a month of calls spill to disk at the default 4 MB.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        for grain in ("m15", "q15", "a15"):
            cursor.execute(kpi_sql.DELETE_CALLS, {**params, "grain": grain})
        for grain in ("m15", "t15"):
            cursor.execute(kpi_sql.DELETE_STATES, {**params, "grain": grain})
        cursor.execute(kpi_sql.calls_m15_sql(), params)
        call_rows = cursor.rowcount
        cursor.execute(kpi_sql.STATES_M15, params)
        state_rows = cursor.rowcount
        _derive(cursor, params, source="m15", target="q15", to_day=False, narrow=True)
        _derive_calls(cursor, params, source="m15", target="a15", to_day=False, dimensions=kpi_sql.AGENT_DIMENSIONS)
        for grain in ("day", "qday", "aday"):
            cursor.execute(kpi_sql.DELETE_CALLS, {**day_params, "grain": grain})
        for grain in ("day", "tday"):
            cursor.execute(kpi_sql.DELETE_STATES, {**day_params, "grain": grain})
        _derive(cursor, day_params, source="m15", target="day", to_day=True, narrow=False)
        _derive(cursor, day_params, source="q15", target="qday", to_day=True, narrow=True)
        _derive_calls(cursor, day_params, source="a15", target="aday", to_day=True, dimensions=kpi_sql.AGENT_DIMENSIONS)
        RollupState.objects.update_or_create(
            pk=RollupState.SINGLETON_ID,
            defaults={"fcr_window_hours": window_hours, "updated_at": timezone.now()},
        )
    return {"call_rows": call_rows, "state_rows": state_rows}


def _derive(cursor, params: dict[str, Any], *, source: str, target: str, to_day: bool, narrow: bool) -> None:
    """Coarser rows from finer ones: call rows (``narrow``: queue and direction only) and the
    matching state rows (``narrow``: all agents together, agent 0)."""
    dimensions = kpi_sql.QUEUE_DIMENSIONS if narrow else kpi_sql.CALL_DIMENSIONS
    _derive_calls(cursor, params, source=source, target=target, to_day=to_day, dimensions=dimensions)
    state_source = {"q15": "t15"}.get(source, source)
    state_target = {"q15": "t15", "qday": "tday"}.get(target, target)
    cursor.execute(
        kpi_sql.derived_states_sql(to_day=to_day, all_agents=narrow),
        {**params, "source": state_source, "target": state_target},
    )


def _derive_calls(
    cursor, params: dict[str, Any], *, source: str, target: str, to_day: bool, dimensions: tuple[str, ...]
) -> None:
    grains = {**params, "source": source, "target": target}
    cursor.execute(kpi_sql.derived_calls_sql(to_day=to_day, dimensions=dimensions), grains)


def periods(since: datetime, until: datetime, step: timedelta = CHUNK) -> Iterator[tuple[datetime, datetime]]:
    """``[since, until)`` cut at local midnights into pieces of at most ``step`` (so each piece's
    day rows are complete when it is built)."""
    zone = tenant_zone()
    at = since
    while at < until:
        nxt = local_day_start(at + step, zone) if step >= timedelta(days=1) else at + step
        nxt = min(max(nxt, at + BUCKET), until)
        yield at, nxt
        at = nxt


def rollups_rebuild_period(*, since: datetime, until: datetime) -> dict[str, int]:
    """A long period, chunk by chunk (each its own transaction); the day rows of a local day cut
    between two chunks are rebuilt by both, the second time complete."""
    totals = {"call_rows": 0, "state_rows": 0, "chunks": 0}
    for start, end in periods(floor_bucket(since), ceil_bucket(until)):
        written = rollups_rebuild(since=start, until=end)
        totals["call_rows"] += written["call_rows"]
        totals["state_rows"] += written["state_rows"]
        totals["chunks"] += 1
    return totals


_FCR_TOUCHED = """
SELECT DISTINCT date_bin('15 minutes', p.arrived_at, TIMESTAMPTZ '2000-01-01 00:00+00')
FROM telephony_call c
JOIN telephony_call p ON p.caller = c.caller AND p.queue_id = c.queue_id AND p.direction = 'inbound'
     AND p.arrived_at >= c.arrived_at - %(fcr_window)s AND p.arrived_at < %(before)s
WHERE c.arrived_at >= %(new_since)s AND c.direction = 'inbound' AND c.queue_id IS NOT NULL
"""


def rollups_refresh(*, now: datetime | None = None) -> dict[str, int]:
    """The every-minute refresh: the last two hours (from two hours before the previous refresh,
    if that is earlier: a stopped beat catches up, up to :data:`MAX_CATCH_UP`), plus the earlier
    15-minute buckets holding calls that a call arrived since the previous refresh turned into
    repeats (FCR) — each such bucket once, not every minute for two hours."""
    now = now or timezone.now()
    state = rollup_state()
    since = floor_bucket(now - REFRESH_LOOKBACK)
    start = since
    new_since = since
    if state.refreshed_at is not None:
        start = max(min(since, floor_bucket(state.refreshed_at - REFRESH_LOOKBACK)), since - MAX_CATCH_UP)
        new_since = max(start, state.refreshed_at - timedelta(minutes=1))  # calls that arrived since then
    window = timedelta(hours=kpi_settings().fcr_window_hours)
    with connection.cursor() as cursor:
        touched_params: dict[str, Any] = {"fcr_window": window, "before": start, "new_since": new_since}
        cursor.execute(_FCR_TOUCHED, touched_params)
        touched = sorted(row[0] for row in cursor.fetchall())
    written = rollups_rebuild_period(since=start, until=now)
    for bucket in touched:
        rollups_rebuild(since=bucket, until=bucket + BUCKET)
    RollupState.objects.filter(pk=RollupState.SINGLETON_ID).update(refreshed_at=now, refreshed_until=now)
    return {"call_rows": written["call_rows"], "state_rows": written["state_rows"], "fcr_buckets": len(touched)}
