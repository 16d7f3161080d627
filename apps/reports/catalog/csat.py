"""CSAT: the post-call survey scores given per queue and per agent: how many of each score, the
mean and the share in the top two boxes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.reports.catalog.common import calls_url, chart_spec, params_filters
from apps.reports.definitions import FIGURES
from apps.reports.registry import Column, Report, ReportParams, register
from apps.reports.selectors.details import agent_names, queue_names, survey_scores
from apps.reports.selectors.kpis import kpi_table

SCORES = (1, 2, 3, 4, 5)


@register
class Csat(Report):
    code = "csat"
    title = _("Customer satisfaction")
    description = _(
        "Post-call survey scores per queue and per agent: the count of each score, the mean and the top two boxes."
    )
    filters = ("since", "until", "queue", "agent")

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("by", _("By")),
            Column("label", _("Name")),
            Column("responses", _("Answers"), "count"),
            Column("csat_mean", FIGURES["csat_mean"].label, "score"),
            Column("csat_top2_percent", FIGURES["csat_top2_percent"].label, "percent"),
            *[Column(f"score_{score}", _("Score %(score)s") % {"score": score}, "count") for score in SCORES],
        ]

    def _group(self, params: ReportParams, by: str, label: Any, names: dict[int, str]) -> list[dict[str, Any]]:
        scores = survey_scores(
            since=params.since,
            until=params.until,
            by=by,
            queue_ids=params.queue_ids or None,
            agent_ids=params.agent_ids or None,
        )
        figures = {
            row["key"]: row
            for row in kpi_table(
                since=params.since,
                until=params.until,
                group_by=by,
                queue_ids=params.queue_ids or None,
                agent_ids=params.agent_ids or None,
            )["rows"]
        }
        rows = []
        for owner, counts in scores.items():
            kpi = figures.get(owner, {})
            row: dict[str, Any] = {
                "key": owner,
                "group": by,
                "by": str(label),
                "label": names.get(owner) or kpi.get("label") or "—",
                "responses": sum(counts.values()),
                "csat_mean": kpi.get("csat_mean"),
                "csat_top2_percent": kpi.get("csat_top2_percent"),
            }
            for score in SCORES:
                row[f"score_{score}"] = counts.get(score, 0)
            rows.append(row)
        return sorted(rows, key=lambda row: str(row["label"]))

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        return [
            *self._group(params, "queue", _("Queue"), queue_names()),
            *self._group(params, "agent", _("Agent"), agent_names()),
        ]

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        queues = [row for row in rows if row["group"] == "queue"]
        if not queues:
            return None
        return chart_spec(
            _("Scores per queue"),
            [str(row["label"]) for row in queues],
            [(_("Score %(score)s") % {"score": score}, [row[f"score_{score}"] for row in queues]) for score in SCORES],
            "count",
            "stacked_bar",
        )

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [
            (str(_("Answers")), str(_("Calls whose caller answered the post-call survey."))),
            (str(FIGURES["csat_mean"].label), str(FIGURES["csat_mean"].definition)),
            (str(FIGURES["csat_top2_percent"].label), str(FIGURES["csat_top2_percent"].definition)),
        ]

    def drill_url(self, params: ReportParams, row: dict[str, Any], column_key: str) -> str | None:
        """The calls of the queue or agent in the period (the calls list has no survey filter)."""
        if row.get("key") is None or column_key == "label":
            return None
        return calls_url(params.since, params.until, **{**params_filters(params), row["group"]: row["key"]})
