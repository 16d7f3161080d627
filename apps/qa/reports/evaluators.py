"""The evaluators' side: throughput and calibration alignment over time (issue 14 item 9)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.qa.choices import EvaluationKind
from apps.qa.reports.common import QaReport, lines_over_time, period_column, with_period
from apps.qa.selectors.reports import alignment_rows, period_label, periods_between, throughput_rows, user_names
from apps.reports.catalog.common import chart_spec
from apps.reports.periods import tenant_zone
from apps.reports.registry import Column, ReportParams, register


def _named(rows: list[dict[str, Any]], grain: str) -> list[dict[str, Any]]:
    names = user_names({row["key"] for row in rows if row["key"] is not None})
    for row in rows:
        row["label"] = names.get(row["key"], "—")
        with_period(row, grain)
    rows.sort(key=lambda row: (row["period_start"], str(row["label"]).lower()))
    return rows


@register
class QaEvaluatorThroughput(QaReport):
    code = "qa_evaluator_throughput"
    title = _("QA evaluator throughput")
    description = _("Evaluations each evaluator submitted per period, the time they took and the mean score given.")
    figure_definitions = [
        (_("Evaluator"), _("The person who submitted the evaluation.")),
        (
            _("Average time"),
            _(
                "Mean seconds from an evaluation's first save (its draft) to its submission; work spread over "
                "several sittings counts whole."
            ),
        ),
        (
            _("Mean score given"),
            _("The mean overall score of the evaluator's evaluations (nothing scorable: left out)."),
        ),
        (
            _("Calibrations"),
            _("Calibration evaluations the evaluator submitted in the period: work, but never in a score."),
        ),
    ]

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            period_column(),
            Column("label", _("Evaluator")),
            Column("evaluations", _("Evaluations"), "count"),
            Column("seconds_mean", _("Average time"), "seconds"),
            Column("score_mean", _("Mean score given"), "score"),
            Column("calibrations", _("Calibrations"), "count"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        rows = throughput_rows(
            self.evaluations(params),
            self.evaluations(params, kind=EvaluationKind.CALIBRATION),
            grain=params.grain,
            zone=tenant_zone(),
        )
        return _named(rows, params.grain)

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not rows:
            return None
        starts = periods_between(params.since, params.until, params.grain, tenant_zone())
        evaluators = sorted({row["key"]: str(row["label"]) for row in rows}.items(), key=lambda item: item[1].lower())
        counts = {(row["period_start"], row["key"]): row["evaluations"] for row in rows}
        return chart_spec(
            self.title,
            [period_label(start, params.grain) for start in starts],
            [(label, [counts.get((start, key), 0) for start in starts]) for key, label in evaluators],
            "count",
            "stacked_bar",
        )


@register
class QaEvaluatorAlignment(QaReport):
    code = "qa_evaluator_alignment"
    title = _("QA evaluator alignment")
    description = _("How closely each evaluator's answers matched the benchmark in the calibration sessions closed.")
    filters = ("since", "until", "grain", "scorecard")
    empty_text = _("No calibration session was closed in this period.")
    figure_definitions = [
        (
            _("Period"),
            _("The day, week (from Monday) or month, in the company's time zone, in which the session was closed."),
        ),
        (_("Sessions"), _("Closed calibration sessions in which the evaluator's submitted evaluation was compared.")),
        (
            _("Alignment"),
            _(
                "Per question 1 − |e − e_benchmark| ÷ points (both N/A: 1; N/A on one side only: 0); per "
                "session the mean over the questions weighted by question weight; here the mean over the "
                "period's sessions, × 100. The benchmark is the lead's evaluation or the median answer."
            ),
        ),
    ]

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        lines = [(str(term), str(text)) for term, text in self.figure_definitions]
        return [*lines, (str(_("Time zone")), tenant_zone().key)]

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            period_column(),
            Column("label", _("Evaluator")),
            Column("sessions", _("Sessions"), "count"),
            Column("alignment_percent", _("Alignment"), "percent"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        rows = alignment_rows(
            since=params.since,
            until=params.until,
            grain=params.grain,
            zone=tenant_zone(),
            scorecard_ids=params.chosen("scorecard"),
        )
        return _named(rows, params.grain)

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        return lines_over_time(self, params, rows, "alignment_percent", "percent", weight_key="sessions")
