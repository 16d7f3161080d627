"""Critical failure rate, most-missed questions and the dispute rate (issue 14 item 9)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.qa.choices import Critical
from apps.qa.reports.common import QaReport, period_column, with_period
from apps.qa.reports.scores import QUESTION_DEFINITIONS, question_columns
from apps.qa.selectors.reports import critical_rows, dispute_rows, period_label, periods_between, question_rows
from apps.reports.catalog.common import chart_spec
from apps.reports.periods import tenant_zone
from apps.reports.registry import Column, ReportParams, register

# The most-missed chart shows this many questions (the table lists every question).
TOP_QUESTIONS = 10


def _period_chart(
    report: QaReport, params: ReportParams, rows: list[dict[str, Any]], keys: list[tuple[str, Any]]
) -> dict[str, Any] | None:
    """Percentages per period as lines, every period of the range on the axis."""
    if not rows:
        return None
    starts = periods_between(params.since, params.until, params.grain, tenant_zone())
    by_start = {row["period_start"]: row for row in rows}
    return chart_spec(
        report.title,
        [period_label(start, params.grain) for start in starts],
        [(label, [by_start.get(start, {}).get(key) for start in starts]) for key, label in keys],
        "percent",
        "line",
    )


@register
class QaCriticalFailures(QaReport):
    code = "qa_critical_failures"
    title = _("QA critical failure rate")
    description = _("Evaluations with a failed critical question per period, whole-form and section failures apart.")
    figure_definitions = [
        (_("Critical failures"), _("Evaluations in which at least one critical question earned 0 points.")),
        (_("Critical failure rate"), _("Critical failures ÷ evaluations × 100.")),
        (
            _("Whole-form failures"),
            _("Evaluations with a failed question critical to the whole form (their score is 0)."),
        ),
        (
            _("Section failures"),
            _("Evaluations with a failed question critical to its section (that section scores 0)."),
        ),
    ]

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            period_column(),
            Column("evaluations", _("Evaluations"), "count"),
            Column("critical_failed", _("Critical failures"), "count"),
            Column("critical_failed_percent", _("Critical failure rate"), "percent"),
            Column("form_failed", _("Whole-form failures"), "count"),
            Column("section_failed", _("Section failures"), "count"),
        ]

    def rows_and_totals(self, params: ReportParams) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        evaluations = self.evaluations(params)
        zone = tenant_zone()
        rows = [with_period(row, params.grain) for row in critical_rows(evaluations, grain=params.grain, zone=zone)]
        if not rows:
            return rows, None
        totals = critical_rows(evaluations, grain=None, zone=zone)[0]
        return rows, {**totals, "period": _("Total")}

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        return self.rows_and_totals(params)[0]

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        return _period_chart(self, params, rows, [("critical_failed_percent", _("Critical failure rate"))])


@register
class QaMissedQuestions(QaReport):
    code = "qa_missed_questions"
    title = _("Most-missed QA questions")
    description = _("Every question of the period by miss rate, the most missed first, with its critical level.")
    filters = ("since", "until", "agent", "team", "queue", "scorecard")
    figure_definitions = [
        *QUESTION_DEFINITIONS,
        (_("Critical"), _("Whether failing the question zeroes its section or the whole form.")),
    ]

    def columns(self, params: ReportParams) -> list[Column]:
        columns = question_columns(with_period=False)
        return [*columns[:3], Column("critical_label", _("Critical")), *columns[3:]]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        rows = question_rows(self.evaluations(params), grain=None, zone=tenant_zone())
        for row in rows:
            row["critical_label"] = Critical(row["critical"]).label if row["critical"] else ""
            row["label"] = row["question"]
        rows.sort(key=lambda row: (-(row["miss_rate"] or 0), -row["missed"], row["scorecard"], row["order"]))
        return rows

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        top = [row for row in rows if row["miss_rate"] is not None][:TOP_QUESTIONS]
        if not top:
            return None
        return chart_spec(
            self.title,
            [row["question"] for row in top],
            [(_("Miss rate"), [row["miss_rate"] for row in top])],
            "percent",
        )


@register
class QaDisputes(QaReport):
    code = "qa_disputes"
    title = _("QA dispute rate")
    description = _("Disputes raised against the period's evaluations and how the QA leads decided them.")
    figure_definitions = [
        (
            _("Disputes"),
            _("Disputes agents raised against the evaluations submitted in the period, whenever they raised them."),
        ),
        (_("Disputed evaluations"), _("Evaluations with at least one dispute.")),
        (_("Dispute rate"), _("Disputes ÷ evaluations × 100.")),
        (
            pgettext_lazy("disputes", "Accepted / Rejected / Open"),
            _("The disputes by the QA lead's decision; an open one awaits it."),
        ),
        (_("Accepted share"), _("Accepted ÷ (accepted + rejected) × 100: open disputes are not counted.")),
    ]

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            period_column(),
            Column("evaluations", _("Evaluations"), "count"),
            Column("disputes", _("Disputes"), "count"),
            Column("disputed", _("Disputed evaluations"), "count"),
            Column("dispute_rate", _("Dispute rate"), "percent"),
            Column("accepted", pgettext_lazy("disputes", "Accepted"), "count"),
            Column("rejected", pgettext_lazy("disputes", "Rejected"), "count"),
            Column("open", pgettext_lazy("disputes", "Open"), "count"),
            Column("accepted_percent", _("Accepted share"), "percent"),
        ]

    def rows_and_totals(self, params: ReportParams) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        evaluations = self.evaluations(params)
        zone = tenant_zone()
        rows = [with_period(row, params.grain) for row in dispute_rows(evaluations, grain=params.grain, zone=zone)]
        if not rows:
            return rows, None
        return rows, {**dispute_rows(evaluations, grain=None, zone=zone)[0], "period": _("Total")}

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        return self.rows_and_totals(params)[0]

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        return _period_chart(
            self, params, rows, [("dispute_rate", _("Dispute rate")), ("accepted_percent", _("Accepted share"))]
        )
