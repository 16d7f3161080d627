"""What the standard reports share: the KPI report built on ``kpi_table``, the links from a figure
to the calls behind it (the calls list at /calls/ and its filters, apps/telephony/filtersets.py),
and the chart spec helpers (the one chart format of apps/reports/registry.py, for the page's
ECharts and the PDF's SVG alike)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.reports.definitions import FIGURES
from apps.reports.registry import Column, Report, ReportParams
from apps.reports.selectors.kpis import kpi_table

# The calls list's since/until fields read local time to the minute, as its date-time box shows it.
_LOCAL_MINUTES = "%Y-%m-%d %H:%M"

# Figures whose calls the calls list can narrow to (the extra filter to add); any other figure
# links to all the calls of its row, the set it was computed from.
DRILL_EXTRA: dict[str, dict[str, str]] = {
    "abandoned": {"abandoned": "true"},
    "short_abandons": {"abandoned": "true"},
    "abandon_rate": {"abandoned": "true"},
}


def local_minutes(moment: datetime) -> str:
    return timezone.localtime(moment).strftime(_LOCAL_MINUTES)


def calls_url(since: datetime, until: datetime, **filters: Any) -> str:
    """/calls/?since=…&until=…&queue=… — the calls list filtered to the calls behind a figure."""
    query = {"since": local_minutes(since), "until": local_minutes(until)}
    query.update({key: str(value) for key, value in filters.items() if value not in (None, "")})
    return f"{reverse('calls:list')}?{urlencode(query)}"


def single(ids: list[int]) -> int | None:
    """The one id of a filter, when exactly one was chosen (the calls list takes one of each)."""
    return ids[0] if len(ids) == 1 else None


def params_filters(params: ReportParams) -> dict[str, Any]:
    return {
        "queue": single(params.queue_ids),
        "agent": single(params.agent_ids),
        "campaign": single(params.campaign_ids),
    }


def row_period(params: ReportParams, group_by: str, key: Any) -> tuple[datetime, datetime]:
    """The period a row covers: the report's, or the interval / day / week / month of the row."""
    if group_by not in ("interval", "day", "week", "month") or key in (None, ""):
        return params.since, params.until
    start = parse_datetime(str(key))
    if start is None:
        day = parse_date(str(key)[:10])
        if day is None:
            return params.since, params.until
        start = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    if group_by == "interval":
        end = start + timedelta(minutes=params.interval_minutes)
    elif group_by == "day":
        end = start + timedelta(days=1)
    elif group_by == "week":
        end = start + timedelta(days=7)
    else:
        end = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    return max(start, params.since), min(end, params.until)


def chart_spec(
    title: str | Promise,
    categories: list[str],
    series: list[tuple[str | Promise, list[Any]]],
    unit: str,
    kind: str = "bar",
) -> dict[str, Any]:
    return {
        "type": kind,
        "title": str(title),
        "categories": [str(category) for category in categories],
        "series": [{"name": str(name), "data": list(data)} for name, data in series],
        "unit": unit,
    }


def figure_columns(keys: tuple[str, ...]) -> list[Column]:
    return [Column(key, FIGURES[key].label, FIGURES[key].unit) for key in keys]


class KpiReport(Report):
    """A report whose rows are :func:`kpi_table` groups: one figure per column, the group's label
    first. Subclasses name the grouping, the figures and what the chart shows."""

    group_by: str = "queue"
    group_label: Promise = _("Queue")
    figures: tuple[str, ...] = ()
    chart_figures: tuple[str, ...] = ()
    chart_type: str = "bar"
    chart_unit: str = "count"
    # The group of calls outside any queue/campaign/…: "keep", "drop_empty" or "drop".
    ungrouped: str = "keep"
    # A Total line (the kpi_table totals: every call of the period within the filters).
    totals_line: bool = True

    def table(self, params: ReportParams) -> dict[str, Any]:
        return kpi_table(
            since=params.since,
            until=params.until,
            group_by=self.group_by,
            interval_minutes=params.interval_minutes,
            queue_ids=params.queue_ids or None,
            agent_ids=params.agent_ids or None,
            campaign_ids=params.campaign_ids or None,
        )

    def columns(self, params: ReportParams) -> list[Column]:
        return [Column("label", self.group_label), *figure_columns(self.figures)]

    def _row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"key": row.get("key"), "label": row.get("label"), **{key: row.get(key) for key in self.figures}}

    def decorate(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add what the drill-down links need to the rows (one query for all of them)."""
        return rows

    def _kept(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows to print: the "(none)" group (calls outside any queue, campaign…) goes when
        the report says so, always ("drop") or when it has no figure ("drop_empty")."""
        if self.ungrouped == "keep":
            return rows
        return [
            row
            for row in rows
            if row.get("key") is not None
            or (self.ungrouped == "drop_empty" and any(row.get(key) for key in self.figures))
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        return self.decorate(self._kept([self._row(row) for row in self.table(params)["rows"]]))

    def rows_and_totals(self, params: ReportParams) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """The rows and the totals line in one query (the page prints both)."""
        table = self.table(params)
        totals = (table.get("totals") or None) if self.totals_line else None
        if totals is not None:
            totals = {"key": None, "label": _("Total"), **{key: totals.get(key) for key in self.figures}}
        return self.decorate(self._kept([self._row(row) for row in table["rows"]])), totals

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not rows or not self.chart_figures:
            return None
        return chart_spec(
            self.title,
            [str(row["label"]) for row in rows],
            [(FIGURES[key].label, [row.get(key) for row in rows]) for key in self.chart_figures],
            self.chart_unit,
            self.chart_type,
        )

    def drill_filters(self, params: ReportParams, row: dict[str, Any]) -> dict[str, Any]:
        """The calls-list filters of a row: the report's own, and the row's group where the
        calls list can filter by it."""
        filters = params_filters(params)
        if self.group_by in ("queue", "agent", "campaign") and row.get("key") is not None:
            filters[self.group_by] = row["key"]
        return filters

    def drill_url(self, params: ReportParams, row: dict[str, Any], column_key: str) -> str | None:
        if column_key not in self.figures:
            return None
        since, until = row_period(params, self.group_by, row.get("key"))
        return calls_url(since, until, **self.drill_filters(params, row), **DRILL_EXTRA.get(column_key, {}))
