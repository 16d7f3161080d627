"""The KPI table every report, the dashboard and ``GET /api/v1/reports/kpis`` read.

:func:`kpi_table` answers from the rollups (apps/reports/models/rollups.py): whole local days from
the day rows, the ragged edges of the period from the 15-minute rows, interval groupings from the
15-minute rows only — a ``SUM … GROUP BY`` over thousands of rows, not millions of CDRs
(docs/decisions/0017-kpi-rollups.md). The period is widened to whole 15-minute buckets (the
rollups' grain); the response states the period actually counted. Raw-CDR queries stay for the
drill-down (apps/telephony/selectors/calls.py).

The arithmetic is apps/telephony/kpis.py (SL, ASA, abandon rate, AHT, occupancy) and
apps/reports/kpi_math.py (FCR, CSAT, containment, blocked rate, means); the words are
apps/reports/definitions.py. Every response carries the settings its figures depend on.

Groupings: ``queue agent interval day week month campaign disposition trunk number``. ``team``
is part of the contract but the product has no teams yet (no model groups agents under a
supervisor): asking for it raises ``ValueError`` until one exists.
Occupancy comes from agent states, which belong to no queue, campaign or number: it is given
for the agent and time groupings and the totals, ``None`` elsewhere, and ignores the queue and
campaign filters.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from apps.reports import kpi_math
from apps.reports.definitions import settings_lines
from apps.reports.models import KpiSettings, RollupState
from apps.reports.models.rollups import CALL_MEASURES
from apps.reports.periods import ceil_bucket, floor_bucket, local_day_start, tenant_zone
from apps.telephony import kpis
from apps.telephony.models import Agent, Campaign, Disposition, PhoneNumber, Queue, Trunk

GROUPINGS = ("queue", "agent", "team", "interval", "day", "week", "month", "campaign", "disposition", "trunk", "number")
INTERVALS = (15, 30, 60)
TIME_GROUPINGS = ("interval", "day", "week", "month")
DIMENSIONS = {
    "queue": "queue_id",
    "agent": "agent_id",
    "campaign": "campaign_id",
    "disposition": "disposition_id",
    "trunk": "trunk_id",
    "number": "number_id",
}


def kpi_settings() -> KpiSettings:
    """The tenant's KPI settings row, created with the defaults on first read."""
    settings, _created = KpiSettings.objects.get_or_create(pk=KpiSettings.SINGLETON_ID)
    return settings


def _time_key(group_by: str, interval_minutes: int) -> str:
    local = "(bucket_start AT TIME ZONE %(tz)s)"
    if group_by == "interval":
        return f"date_bin(make_interval(mins => {int(interval_minutes)}), {local}, TIMESTAMP '2000-01-01')"
    return f"date_trunc('{group_by}', {local})"


def _period_filter(
    start: datetime, end: datetime, zone: zoneinfo.ZoneInfo, *, days: bool, grains: tuple[str, str] = ("m15", "day")
) -> tuple[str, dict]:
    """SQL selecting the rollup rows that cover ``[start, end)`` exactly once: rows of the day grain
    for the whole local days inside it (unless ``days`` is False), of the 15-minute grain for the
    rest. ``grains``: (15-minute grain, day grain)."""
    params: dict[str, Any] = {"start": start, "end": end, "g15": grains[0], "gday": grains[1]}
    first_day = local_day_start(start, zone)
    if first_day < start:
        first_day = local_day_start(first_day + timedelta(days=1, hours=2), zone)
    last_day = local_day_start(end, zone)
    if not days or first_day >= last_day:
        return "(grain = %(g15)s AND bucket_start >= %(start)s AND bucket_start < %(end)s)", params
    params.update(d0=first_day, d1=last_day)
    return (
        "((grain = %(gday)s AND bucket_start >= %(d0)s AND bucket_start < %(d1)s) OR (grain = %(g15)s AND "
        "((bucket_start >= %(start)s AND bucket_start < %(d0)s) OR (bucket_start >= %(d1)s AND bucket_start < %(end)s))))",
        params,
    )


def _prefixed(sql: str) -> str:
    """The same filter with its parameter names prefixed ``s_`` (for the state rows' own grains)."""
    for name in ("start", "end", "g15", "gday", "d0", "d1"):
        sql = sql.replace(f"%({name})s", f"%(s_{name})s")
    return sql


def _ids_filter(column: str, ids: list[int] | None, name: str, params: dict) -> str:
    if ids is None:
        return ""
    params[name] = [int(i) for i in ids]
    return f" AND {column} = ANY(%({name})s)"


# The SQL below is assembled from constants of this module (measure names, the key expressions of
# _time_key / DIMENSIONS and _period_filter); every value is a bound parameter.
def _fetch(sql: str, params: dict) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [col.name for col in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _sum(measure: str) -> str:
    """SUM of a measure, typed: counts summed as int4 (SUM(int4) is a bigint, accumulated natively;
    SUM(bigint) would be numeric, several times slower and a Decimal in Python), seconds as float8."""
    if measure.endswith("_sum") and measure != "csat_sum":
        return f"COALESCE(sum({measure}), 0)::float8"
    return f"COALESCE(sum({measure}::int4), 0)"


def _call_sums(key_sql: str | None, where: str, params: dict) -> dict[Any, dict[str, Any]]:
    sums = ", ".join(f"{_sum(m)} AS {m}" for m in CALL_MEASURES)
    if key_sql is None:
        rows = _fetch(f"SELECT {sums} FROM reports_callrollup WHERE {where}", params)  # noqa: S608
        return {None: rows[0]}
    rows = _fetch(f"SELECT {key_sql} AS k, {sums} FROM reports_callrollup WHERE {where} GROUP BY k", params)  # noqa: S608
    return {row.pop("k"): row for row in rows}


def _state_sums(key_sql: str | None, where: str, params: dict) -> dict[Any, tuple[float, float]]:
    busy = "COALESCE(sum(talking_seconds + hold_seconds + wrapup_seconds), 0)"
    ready = "COALESCE(sum(ready_seconds), 0)"
    if key_sql is None:
        sql = f"SELECT {busy} AS busy, {ready} AS ready FROM reports_agentstaterollup WHERE {where}"  # noqa: S608
        rows = _fetch(sql, params)
        return {None: (rows[0]["busy"], rows[0]["ready"])}
    sql = f"SELECT {key_sql} AS k, {busy} AS busy, {ready} AS ready FROM reports_agentstaterollup WHERE {where} GROUP BY k"  # noqa: S608
    rows = _fetch(sql, params)
    return {row["k"]: (row["busy"], row["ready"]) for row in rows}


_ZEROS: dict[str, Any] = dict.fromkeys(CALL_MEASURES, 0)


def figures(sums: dict[str, Any], *, short_excluded: bool, resolved_counts: bool, occupancy: Any = None) -> dict:
    """Every figure of apps/reports/definitions.py from one set of rollup sums."""
    s: dict[str, Any] = sums if sums else _ZEROS
    abandoned = s["abandoned"] + (0 if short_excluded else s["short_abandons"])
    abandoned_after = s["abandoned_after_sl"] + (0 if short_excluded else s["short_abandons_after_sl"])
    handled = s["handled"]
    fcr = kpi_math.fcr(
        kpi_math.fcr_resolved(s["fcr_no_repeat"], s["fcr_resolved_repeat"], resolved_counts=resolved_counts),
        s["fcr_handled"],
    )
    row = {
        "offered": s["offered"],
        "answered": s["answered"],
        "abandoned": abandoned,
        "short_abandons": s["short_abandons"],
        "sl_percent": kpis.as_percent(kpis.service_level(s["answered_in_sl"], s["answered"], abandoned_after)),
        "asa_seconds": kpis.rounded(kpis.asa_seconds(s["wait_sum"], s["waited"]), 2),
        "abandon_rate": kpis.as_percent(kpis.abandon_rate(abandoned, s["offered"])),
        "handled": handled,
        "aht_seconds": kpis.rounded(kpis.aht_seconds(s["handle_sum"], handled), 2),
        "talk_seconds_mean": kpis.rounded(kpi_math.mean(s["talk_sum"], handled), 2),
        "hold_seconds_mean": kpis.rounded(kpi_math.mean(s["hold_sum"], handled), 2),
        "wrapup_seconds_mean": kpis.rounded(kpi_math.mean(s["wrapup_sum"], handled), 2),
        "fcr_percent": kpis.as_percent(fcr),
        "csat_mean": kpis.rounded(kpi_math.csat_mean(s["csat_sum"], s["csat_count"]), 2),
        "csat_top2_percent": kpis.as_percent(kpi_math.csat_top_two(s["csat_top2"], s["csat_count"])),
        "containment_percent": kpis.as_percent(kpi_math.containment(s["ivr_contained"], s["ivr_entered"])),
        "occupancy_percent": None,
        "blocked": s["blocked"],
        "blocked_rate": kpis.as_percent(kpi_math.blocked_rate(s["blocked"], s["calls"])),
        "transfers": s["transfers"],
        "rona": s["ronas"],
        "callbacks": s["callbacks"],
        "voicemails": s["voicemails"],
        "calls": s["calls"],
    }
    if occupancy is not None:
        busy, ready = (float(value) for value in occupancy)  # numeric sums: Decimals
        row["occupancy_percent"] = kpis.as_percent(kpis.occupancy(busy, ready))
    return row


def _labels(group_by: str, keys: list[Any]) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if group_by == "agent":
        return {a.pk: (a.user.name or a.user.email) for a in Agent.objects.filter(pk__in=ids).select_related("user")}
    model, field = {
        "queue": (Queue, "name"),
        "campaign": (Campaign, "name"),
        "disposition": (Disposition, "name"),
        "trunk": (Trunk, "name"),
        "number": (PhoneNumber, "number"),
    }[group_by]
    return dict(model._default_manager.filter(pk__in=ids).values_list("pk", field))


def _time_keys(group_by: str, interval_minutes: int, start: datetime, end: datetime, zone) -> list[datetime]:
    """Every local period start of ``[start, end)`` (naive local times), so charts have no holes."""
    keys: list[datetime] = []
    local = start.astimezone(zone).replace(tzinfo=None)
    stop = end.astimezone(zone).replace(tzinfo=None)
    if group_by == "interval":
        step = timedelta(minutes=interval_minutes)
        origin = datetime(2000, 1, 1)  # noqa: DTZ001  (a naive local time, as date_bin's origin in _time_key)
        at = origin + ((local - origin) // step) * step
        while at < stop:
            keys.append(at)
            at += step
        return keys
    at = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if group_by == "week":
        at -= timedelta(days=at.weekday())
    if group_by == "month":
        at = at.replace(day=1)
    while at < stop:
        keys.append(at)
        if group_by == "day":
            at += timedelta(days=1)
        elif group_by == "week":
            at += timedelta(days=7)
        else:
            at = (at.replace(day=28) + timedelta(days=4)).replace(day=1)
    return keys


def _time_label(group_by: str, at: datetime) -> str:
    if group_by == "interval":
        return at.strftime("%Y-%m-%d %H:%M")
    if group_by == "month":
        return at.strftime("%Y-%m")
    return at.strftime("%Y-%m-%d")


def settings_used(*, start: datetime, end: datetime, zone, interval_minutes: int) -> dict[str, Any]:
    """The settings the figures depend on, as the response states them."""
    current = kpi_settings()
    state = RollupState.objects.filter(pk=RollupState.SINGLETON_ID).first()
    queues = list(Queue.objects.order_by("name").values("name", "sl_threshold_seconds", "short_abandon_seconds"))
    return {
        "since": start.astimezone(zone).isoformat(),
        "until": end.astimezone(zone).isoformat(),
        "time_zone": str(zone),
        "interval_minutes": interval_minutes,
        "sl_threshold_seconds": {q["name"]: q["sl_threshold_seconds"] for q in queues},
        "short_abandon_seconds": {q["name"]: q["short_abandon_seconds"] for q in queues},
        "short_abandons_excluded": current.short_abandons_excluded,
        "fcr_window_hours": state.fcr_window_hours if state else current.fcr_window_hours,
        "fcr_resolved_counts": current.fcr_resolved_counts,
        "targets": {
            "abandon_rate_percent": float(current.abandon_rate_target_percent),
            "asa_seconds": current.asa_target_seconds,
            "fcr_percent": float(current.fcr_target_percent),
            "occupancy_percent": float(current.occupancy_target_percent),
        },
        "rollups_refreshed_at": state.refreshed_at.isoformat() if state and state.refreshed_at else None,
    }


def kpi_table(
    *,
    since: datetime,
    until: datetime,
    group_by: str,
    interval_minutes: int = 30,
    queue_ids: list[int] | None = None,
    agent_ids: list[int] | None = None,
    campaign_ids: list[int] | None = None,
) -> dict:
    """``{"settings", "settings_lines", "group_by", "rows": [{"key", "label", <figures>}], "totals"}``.

    Time keys are the local period starts in ISO 8601 with the offset; dimension keys are ids
    (``None``: calls without that dimension, e.g. no campaign). Raises ``ValueError`` for an
    unknown grouping or interval (the API validates before calling)."""
    if group_by not in GROUPINGS:
        raise ValueError(f"unknown grouping {group_by!r}")
    if group_by == "team":
        raise ValueError("no teams exist yet: group by agent instead")
    if interval_minutes not in INTERVALS:
        raise ValueError(f"interval_minutes must be one of {INTERVALS}")
    zone = tenant_zone()
    start, end = floor_bucket(since), ceil_bucket(until)
    current = kpi_settings()
    options = {"short_excluded": current.short_abandons_excluded, "resolved_counts": current.fcr_resolved_counts}

    # The narrowest rows that answer: queue-only rows whatever needs no agent, campaign,
    # disposition, trunk or number; agent rows what needs agents but none of the others; the
    # all-agents state rows whatever needs no single agent.
    narrow = campaign_ids is None and (group_by in ("queue", "agent") or group_by in TIME_GROUPINGS)
    if narrow and agent_ids is None and group_by != "agent":
        grains = ("q15", "qday")  # queue and direction only
    elif narrow:
        grains = ("a15", "aday")  # queue, agent and direction
    else:
        grains = ("m15", "day")
    where, params = _period_filter(start, end, zone, days=group_by != "interval", grains=grains)
    params["tz"] = str(zone)
    per_agent = group_by == "agent" or agent_ids is not None
    state_filter, state_params = _period_filter(
        start, end, zone, days=group_by != "interval", grains=("m15", "day") if per_agent else ("t15", "tday")
    )
    call_where = (
        where
        + _ids_filter("queue_id", queue_ids, "queue_ids", params)
        + _ids_filter("agent_id", agent_ids, "agent_ids", params)
        + _ids_filter("campaign_id", campaign_ids, "campaign_ids", params)
    )
    params.update({f"s_{key}": value for key, value in state_params.items()})
    state_where = _prefixed(state_filter) + _ids_filter("agent_id", agent_ids, "agent_ids", params)

    key_sql = _time_key(group_by, interval_minutes) if group_by in TIME_GROUPINGS else DIMENSIONS[group_by]
    by_key = _call_sums(key_sql, call_where, params)
    with_states = group_by == "agent" or group_by in TIME_GROUPINGS
    states = _state_sums(key_sql, state_where, params) if with_states else {}

    rows: list[dict[str, Any]] = []
    if group_by in TIME_GROUPINGS:
        for at in _time_keys(group_by, interval_minutes, start, end, zone):
            row = figures(by_key.get(at, {}), occupancy=states.get(at), **options)
            aware = at.replace(tzinfo=zone)
            rows.append({"key": aware.isoformat(), "label": _time_label(group_by, at), **row})
    else:
        keys = set(by_key) | set(states)
        if group_by == "queue":
            chosen = Queue.objects.all()
            if queue_ids is not None:
                chosen = chosen.filter(pk__in=queue_ids)
            keys |= set(chosen.values_list("pk", flat=True))
        labels = _labels(group_by, list(keys))
        for key in keys:
            row = figures(by_key.get(key, {}), occupancy=states.get(key) if with_states else None, **options)
            label = labels.get(key) if key is not None else None
            if label is None:
                label = _("(none)") if key is None else f"#{key}"
            rows.append({"key": key, "label": label, **row})
        rows.sort(key=lambda r: (r["key"] is None, str(r["label"]).lower(), r["key"] or 0))

    # Totals are the sums of the groups (every group of the period is in by_key / states).
    total_sums = {m: sum(group[m] for group in by_key.values()) for m in CALL_MEASURES}
    if with_states:
        totals_states = (sum(v[0] for v in states.values()), sum(v[1] for v in states.values()))
    else:
        totals_states = _state_sums(None, state_where, params)[None]
    totals = figures(total_sums, occupancy=totals_states, **options)
    settings = settings_used(start=start, end=end, zone=zone, interval_minutes=interval_minutes)
    return {
        "group_by": group_by,
        "settings": settings,
        "settings_lines": settings_lines(settings),
        "rows": rows,
        "totals": totals,
    }
