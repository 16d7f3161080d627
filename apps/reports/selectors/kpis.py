"""The KPI table every report, the dashboard and ``GET /api/v1/reports/kpis`` read.

Contract (docs/reports.md §KPIs): :func:`kpi_table` returns one row per group with every figure of
apps/reports/definitions.py, the totals, and the settings the figures were computed with.
"""

from __future__ import annotations

from datetime import datetime

from apps.reports.models import KpiSettings

GROUPINGS = ("queue", "agent", "team", "interval", "day", "week", "month", "campaign", "disposition", "trunk", "number")
INTERVALS = (15, 30, 60)


def kpi_settings() -> KpiSettings:
    """The tenant's KPI settings row, created with the defaults on first read."""
    settings, _created = KpiSettings.objects.get_or_create(pk=KpiSettings.SINGLETON_ID)
    return settings


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
    """``{"settings", "settings_lines", "group_by", "rows": [{"key", "label", <figures>}], "totals"}``."""
    raise NotImplementedError("the rollup engine lands in the next commit")
