"""The manager dashboard (/reports/): today against the targets, the last 30 days, each queue
today, and live tiles fed by the wallboard's socket.

Every figure comes from ``kpi_table`` (apps/reports/selectors/kpis.py) and is explained by its
definition in apps/reports/definitions.py, so the dashboard says the same as the reports, the
API and the PDFs. Targets: each queue's own service-level target (``Queue.sl_target_percent``),
the tenant's other targets from ``kpi_settings()``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.reports.catalog.common import calls_url, chart_spec
from apps.reports.definitions import FIGURES
from apps.reports.forms import day_start
from apps.reports.selectors.details import queue_targets
from apps.reports.selectors.kpis import kpi_settings, kpi_table
from apps.reports.views.reports import REPORT_ROLES, format_value
from apps.telephony.selectors.wallboard import STATE_GROUPS

# A figure within this many points (or seconds) of its target is amber, beyond it red.
WARN_MARGIN = 10
TREND_DAYS = 30
# The agent tiles of "Now": the wallboard's groups of states (selectors/wallboard.py STATE_GROUPS).
LIVE_GROUPS = (
    ("ready", _("Ready")),
    ("ringing", _("Ringing")),
    ("talking", _("Talking")),
    ("wrap_up", _("Wrap-up")),
    ("not_ready", _("Not ready")),
)
QUEUE_FIGURES = ("offered", "answered", "abandoned", "sl_percent", "asa_seconds", "abandon_rate", "aht_seconds")


def level(value: Any, target: Any, *, higher_is_better: bool) -> str:
    """good / warn / bad against a target; "" when there is nothing to compare."""
    if value is None or target is None:
        return ""
    value, target = float(value), float(target)
    gap = value - target if higher_is_better else target - value
    if gap >= 0:
        return "good"
    return "warn" if -gap <= WARN_MARGIN else "bad"


def _tile(key: str, value: Any, *, target: Any = None, higher_is_better: bool = True, href: str = "") -> dict[str, Any]:
    figure = FIGURES[key]
    hint = str(figure.definition)

    def with_unit(number: Any) -> str:
        # A tile stands alone (no column header to carry the unit): seconds say so.
        shown = format_value(number, figure.unit)
        return _("%(n)s s") % {"n": shown} if figure.unit == "seconds" and number is not None else shown

    if target is not None:
        hint = _("%(definition)s Target: %(target)s.") % {"definition": hint, "target": with_unit(target)}
    return {
        "key": key,
        "label": figure.label,
        "value": with_unit(value),
        "hint": hint,
        "kind": level(value, target, higher_is_better=higher_is_better),
        "href": href,
    }


def _as_number(value: Decimal | int | float | None) -> float | None:
    return None if value is None else float(value)


def today_tiles(totals: dict[str, Any], queues: list[dict[str, Any]], since, until) -> list[dict[str, Any]]:
    targets = kpi_settings()
    tiles = []
    for queue in queues:
        tile = _tile(
            "sl_percent",
            queue.get("sl_percent"),
            target=queue["sl_target_percent"],
            href=calls_url(since, until, queue=queue["key"]),
        )
        tile["label"] = _("Service level · %(queue)s") % {"queue": queue["label"]}
        tiles.append(tile)
    tiles += [
        _tile(
            "abandon_rate",
            totals.get("abandon_rate"),
            target=_as_number(targets.abandon_rate_target_percent),
            higher_is_better=False,
            href=calls_url(since, until, abandoned="true"),
        ),
        _tile("asa_seconds", totals.get("asa_seconds"), target=targets.asa_target_seconds, higher_is_better=False),
        _tile("aht_seconds", totals.get("aht_seconds")),
        _tile("fcr_percent", totals.get("fcr_percent"), target=_as_number(targets.fcr_target_percent)),
        _tile(
            "occupancy_percent", totals.get("occupancy_percent"), target=_as_number(targets.occupancy_target_percent)
        ),
    ]
    return tiles


def trend_charts(since, until) -> list[dict[str, Any]]:
    """Two line charts of the last days: service level and abandon rate (percent), calls offered."""
    rows = kpi_table(since=since, until=until, group_by="day")["rows"]
    if not rows:
        return []
    days = [str(row["label"]) for row in rows]
    title = _("Per day, up to yesterday")
    charts = [
        chart_spec(
            title,
            days,
            [(FIGURES[key].label, [row.get(key) for row in rows]) for key in ("sl_percent", "abandon_rate")],
            "percent",
            "line",
        ),
        chart_spec(title, days, [(FIGURES["offered"].label, [row.get("offered") for row in rows])], "count", "line"),
    ]
    for number, chart in enumerate(charts, start=1):
        chart["element_id"], chart["data_id"] = f"trend-{number}", f"trend-{number}-data"
    return charts


@role_required(*REPORT_ROLES)
def dashboard(request):
    today = timezone.localdate()
    since, until = day_start(today), day_start(today + timedelta(days=1))
    table = kpi_table(since=since, until=until, group_by="queue")
    targets = queue_targets()
    queues = [
        {**row, "sl_target_percent": targets.get(row.get("key"))} for row in table["rows"] if row.get("key") in targets
    ]
    queue_rows = [
        {
            "label": row["label"],
            "href": calls_url(since, until, queue=row["key"]),
            "cells": [
                {
                    "text": format_value(row.get(key), FIGURES[key].unit),
                    "sort": "" if row.get(key) is None else row[key],
                }
                for key in QUEUE_FIGURES
            ],
            "sl_kind": level(row.get("sl_percent"), row["sl_target_percent"], higher_is_better=True),
        }
        for row in queues
    ]
    trends = trend_charts(day_start(today - timedelta(days=TREND_DAYS)), since)
    context = {
        "tiles": today_tiles(table.get("totals") or {}, queues, since, until),
        "queue_columns": [FIGURES[key].label for key in QUEUE_FIGURES],
        "queue_rows": queue_rows,
        "trends": trends,
        "settings_lines": table.get("settings_lines") or [],
        "live_tiles": [(group, label, _("Agents in this state now.")) for group, label in LIVE_GROUPS],
        "live_config": {
            "ws": "/ws/wallboard/",
            "groups": {group: list(STATE_GROUPS[group]) for group, _label in LIVE_GROUPS},
            "labels": {"connected": str(_("Live")), "disconnected": str(_("Reconnecting…"))},
        },
        "today": today,
        "can_edit_settings": request.user.has_role(Role.TENANT_ADMIN),
    }
    return render(request, "reports/dashboard.html", context)
