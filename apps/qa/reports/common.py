"""What the QA reports share: their readers, filters, period column, definitions and charts.

The team and scorecard filters are registered with the framework here (``register_filters``,
called from QaConfig.ready): a scorecard chosen stands for every version of that form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.accounts.models import Team
from apps.qa.choices import EvaluationKind
from apps.qa.models import Evaluation, Scorecard
from apps.qa.selectors.reports import period_label, periods_between, regular_evaluations
from apps.reports.catalog.common import chart_spec
from apps.reports.periods import tenant_zone
from apps.reports.registry import Column, Report, ReportParams, register_filter

QA_REPORT_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR, Role.QA_LEAD, Role.QA)
# A chart over time draws at most this many lines (the largest groups); the table has them all.
CHART_SERIES = 8


def register_filters() -> None:
    register_filter("team", label=_("Team"), choices=lambda: Team.objects.order_by("name"))
    register_filter(
        "scorecard",
        label=_("Scorecard"),
        choices=lambda: Scorecard.objects.filter(is_current=True).order_by("name"),
    )


COMMON_DEFINITIONS: list[tuple[Promise, Promise]] = [
    (
        _("Evaluations"),
        _(
            "Evaluations submitted in the period (acknowledged, disputed and final ones too); drafts and "
            "calibration evaluations are never counted."
        ),
    ),
    (
        _("Period"),
        _(
            "The day, the week (from Monday) or the month, in the company's time zone, in which the "
            "evaluation was submitted."
        ),
    ),
    (
        _("Filters"),
        _(
            "Agent and queue are the evaluated call's; team is the agent's team (an agent in two teams counts "
            "in both); a scorecard stands for every version of that form."
        ),
    ),
]
SCORE_DEFINITIONS: list[tuple[Promise, Promise]] = [
    (
        _("Mean score"),
        _(
            "The mean of the evaluations' overall scores (0–100) as the scorecard computes them: Σ W·S ÷ Σ W over "
            "the sections, a section S = Σ e·w ÷ Σ p·w × 100 over its questions not N/A, a failed critical "
            "question setting its section or the whole form to 0. Evaluations with nothing scorable are left out."
        ),
    ),
    (_("Lowest score / Highest score"), _("The lowest and the highest overall score among those evaluations.")),
    (_("Critical failures"), _("Evaluations in which at least one critical question earned 0 points.")),
    (_("Critical failure rate"), _("Critical failures ÷ evaluations × 100.")),
]


class QaReport(Report):
    """A QA report: read by QA staff, supervisors and administrators; no links to calls."""

    roles = QA_REPORT_ROLES
    filters: ClassVar[tuple[str, ...]] = ("since", "until", "grain", "agent", "team", "queue", "scorecard")
    empty_text = _("No evaluations in this period.")
    drills_to_calls = False
    figure_definitions: ClassVar[list[tuple[Promise, Promise]]] = []

    def evaluations(self, params: ReportParams, kind: str = EvaluationKind.REGULAR) -> QuerySet[Evaluation]:
        return regular_evaluations(
            since=params.since,
            until=params.until,
            agent_ids=params.agent_ids,
            team_ids=params.chosen("team"),
            queue_ids=params.queue_ids,
            scorecard_ids=params.chosen("scorecard"),
            kind=kind,
        )

    def settings(self, params: ReportParams) -> dict[str, Any]:
        return {"time_zone": tenant_zone().key}

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        lines = [(str(term), str(text)) for term, text in [*COMMON_DEFINITIONS, *self.figure_definitions]]
        return [*lines, (str(_("Time zone")), tenant_zone().key)]


def period_column() -> Column:
    return Column("period", _("Period"))


def with_period(row: dict[str, Any], grain: str) -> dict[str, Any]:
    start = row.get("period_start")
    row["period"] = period_label(start, grain) if isinstance(start, dt.date) else ""
    return row


def lines_over_time(
    report: Report,
    params: ReportParams,
    rows: list[dict[str, Any]],
    value_key: str,
    unit: str,
    weight_key: str = "evaluations",
) -> dict[str, Any] | None:
    """A line per group (the ``CHART_SERIES`` largest by ``weight_key``) of ``value_key`` over every
    period of the range; a period without data is a gap, never a zero."""
    if not rows:
        return None
    zone = tenant_zone()
    starts = periods_between(params.since, params.until, params.grain, zone)
    weights: dict[Any, float] = {}
    labels: dict[Any, str] = {}
    for row in rows:
        weights[row["key"]] = weights.get(row["key"], 0) + (row.get(weight_key) or 0)
        labels[row["key"]] = str(row["label"])
    kept = sorted(weights, key=lambda key: (-weights[key], labels[key]))[:CHART_SERIES]
    values = {(row["period_start"], row["key"]): row.get(value_key) for row in rows}
    series: list[tuple[str | Promise, list[Any]]] = [
        (labels[key], [values.get((start, key)) for start in starts]) for key in kept
    ]
    return chart_spec(report.title, [period_label(start, params.grain) for start in starts], series, unit, "line")
