"""Survey results: CSAT of the recorded survey responses per period, queue and agent.

The figures are the framework's (``csat_mean``, ``csat_top2_percent`` of
apps/reports/definitions.py); this report reads the CRM's responses, which unlike the CDR-based
"Customer satisfaction" report (apps/reports/catalog/csat.py) also hold the follow-up of low scores.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.crm.selectors.survey_reports import survey_figures
from apps.crm.surveys.scoring import LOW_SCORE_MAX
from apps.reports.catalog.common import chart_spec
from apps.reports.definitions import FIGURES
from apps.reports.periods import tenant_zone
from apps.reports.registry import DEFAULT_ROLES, Column, Report, ReportParams, register
from apps.reports.selectors.details import agent_names, queue_names


def period_label(key: Any, grain: str) -> str:
    if not isinstance(key, dt.datetime):
        return "—"
    local = timezone.localtime(key, tenant_zone())
    return f"{local:%Y-%m}" if grain == "month" else f"{local:%Y-%m-%d}"


@register
class SurveyCsat(Report):
    code = "survey_csat"
    title = _("Survey results")
    description = _(
        "Survey responses per period, queue and agent: CSAT, the top two boxes, low scores and their open follow-ups."
    )
    filters = ("since", "until", "queue", "agent", "grain")
    roles = (*DEFAULT_ROLES, Role.QA, Role.QA_LEAD)
    empty_text = _("No survey responses in this period.")
    drills_to_calls = False

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("by", _("By")),
            Column("label", _("Name")),
            Column("responses", _("Responses"), "count"),
            Column("csat_mean", FIGURES["csat_mean"].label, "score"),
            Column("csat_top2_percent", FIGURES["csat_top2_percent"].label, "percent"),
            Column("low", _("Low scores"), "count"),
            Column("follow_ups_open", _("Follow-ups open"), "count"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        zone = tenant_zone()
        common: dict[str, Any] = {
            "since": params.since,
            "until": params.until,
            "zone": zone,
            "grain": params.grain,
            "queue_ids": params.queue_ids or None,
            "agent_ids": params.agent_ids or None,
        }
        rows: list[dict[str, Any]] = []
        for row in survey_figures(by="period", **common):
            rows.append({**row, "group": "period", "by": _("Period"), "label": period_label(row["key"], params.grain)})
        groups = (
            ("queue", _("Queue"), queue_names(), _("No queue")),
            ("agent", _("Agent"), agent_names(), _("No agent")),
        )
        for by, label, names, missing in groups:
            group = [
                {**row, "group": by, "by": label, "label": names.get(row["key"]) or missing}
                for row in survey_figures(by=by, **common)
            ]
            rows += sorted(group, key=lambda row: str(row["label"]))
        for row in rows:
            row["key"] = row["key"].isoformat() if isinstance(row["key"], dt.datetime) else row["key"]
        return rows

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        periods = [row for row in rows if row["group"] == "period"]
        if not periods:
            return None
        return chart_spec(
            FIGURES["csat_top2_percent"].label,
            [row["label"] for row in periods],
            [(FIGURES["csat_top2_percent"].label, [row["csat_top2_percent"] for row in periods])],
            "percent",
            "line",
        )

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [
            (str(_("Responses")), str(_("Survey answers recorded in the period (post-call IVR and callback visits)."))),
            (str(FIGURES["csat_mean"].label), str(FIGURES["csat_mean"].definition)),
            (str(FIGURES["csat_top2_percent"].label), str(FIGURES["csat_top2_percent"].definition)),
            (
                str(_("Low scores")),
                str(_("Answers scoring %(max)s or less; each opens a follow-up by the agent's supervisor."))
                % {"max": LOW_SCORE_MAX},
            ),
            (str(_("Follow-ups open")), str(_("Low scores whose follow-up is not closed yet."))),
        ]
