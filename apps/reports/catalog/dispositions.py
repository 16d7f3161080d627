"""Disposition report: how calls ended, as the agents recorded it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.reports.catalog.common import KpiReport
from apps.reports.registry import ReportParams, register
from apps.reports.selectors.details import disposition_codes


@register
class DispositionReport(KpiReport):
    code = "dispositions"
    title = _("Dispositions")
    description = _("Handled calls per disposition, with their handle time, first-call resolution and satisfaction.")
    filters = ("since", "until", "queue", "agent", "campaign")
    group_by = "disposition"
    group_label = _("Disposition")
    figures = ("handled", "aht_seconds", "fcr_percent", "csat_mean")
    chart_figures = ("handled",)

    def decorate(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        codes = disposition_codes()
        for row in rows:
            key = row.get("key")
            row["disposition_code"] = codes.get(key) if isinstance(key, int) else None
        return rows

    def drill_filters(self, params: ReportParams, row: dict[str, Any]) -> dict[str, Any]:
        """The calls list filters dispositions by code; a row without a disposition has no filter
        there (it opens all the period's calls)."""
        filters = super().drill_filters(params, row)
        code = row.get("disposition_code")
        if code:
            filters["disposition"] = code
        return filters
