"""Agent performance: calls answered and handled, handle time and its parts, and occupancy, per agent."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.reports.catalog.common import KpiReport
from apps.reports.registry import register


@register
class AgentPerformance(KpiReport):
    code = "agent_performance"
    title = _("Agent performance")
    description = _("Calls answered and handled, handle time (talk, hold, wrap-up) and occupancy per agent.")
    filters = ("since", "until", "queue", "agent")
    group_by = "agent"
    group_label = _("Agent")
    figures = (
        "answered",
        "handled",
        "aht_seconds",
        "talk_seconds_mean",
        "hold_seconds_mean",
        "wrapup_seconds_mean",
        "occupancy_percent",
        "transfers",
        "rona",
        "fcr_percent",
        "csat_mean",
    )
    chart_figures = ("occupancy_percent",)
    chart_unit = "percent"
