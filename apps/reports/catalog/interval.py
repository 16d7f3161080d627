"""Interval report: the queue KPIs per 15, 30 or 60 minutes, for staffing against the traffic."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from apps.reports.catalog.common import KpiReport
from apps.reports.registry import register


@register
class IntervalReport(KpiReport):
    code = "interval"
    title = _("Interval")
    description = _("Calls offered, answered and abandoned, service level and handle time per 15, 30 or 60 minutes.")
    filters = ("since", "until", "queue", "interval")
    group_by = "interval"
    group_label = _("Interval")
    figures = (
        "offered",
        "answered",
        "abandoned",
        "sl_percent",
        "asa_seconds",
        "abandon_rate",
        "handled",
        "aht_seconds",
    )
    chart_figures = ("offered", "answered", "abandoned")
    chart_type = "line"

    def _row(self, row: dict[str, Any]) -> dict[str, Any]:
        out = super()._row(row)
        start = parse_datetime(str(row.get("key") or ""))
        if start is not None:  # "2026-12-01 09:30" in the tenant's zone, whatever the selector's label
            out["label"] = timezone.localtime(start).strftime("%Y-%m-%d %H:%M")
        return out
