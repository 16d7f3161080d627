"""QA scores over time by agent, team, queue and question (issue 14 item 9)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.qa.reports.common import SCORE_DEFINITIONS, QaReport, lines_over_time, period_column, with_period
from apps.qa.selectors.reports import question_rows, score_rows, score_totals, team_names, user_names
from apps.reports.periods import tenant_zone
from apps.reports.registry import Column, ReportParams, register
from apps.reports.selectors.details import queue_names


class QaScoreReport(QaReport):
    """One row per period and group; a Total line over the whole range."""

    by: ClassVar[str] = "agent"
    group_label: ClassVar[Promise] = _("Agent")
    none_label: ClassVar[Promise] = _("(none)")
    figure_definitions = SCORE_DEFINITIONS

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            period_column(),
            Column("label", self.group_label),
            Column("evaluations", _("Evaluations"), "count"),
            Column("score_mean", _("Mean score"), "score"),
            Column("score_min", _("Lowest score"), "score"),
            Column("score_max", _("Highest score"), "score"),
            Column("critical_failed", _("Critical failures"), "count"),
            Column("critical_failed_percent", _("Critical failure rate"), "percent"),
        ]

    def names(self, keys: set[Any]) -> dict[Any, str]:
        raise NotImplementedError

    def rows_and_totals(self, params: ReportParams) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        evaluations = self.evaluations(params)
        rows = score_rows(
            evaluations, by=self.by, grain=params.grain, zone=tenant_zone(), team_ids=params.chosen("team")
        )
        names = self.names({row["key"] for row in rows if row["key"] is not None})
        for row in rows:
            row["label"] = names.get(row["key"], str(self.none_label)) if row["key"] is not None else self.none_label
            with_period(row, params.grain)
        rows.sort(key=lambda row: (row["period_start"], str(row["label"]).lower()))
        if not rows:
            return rows, None
        return rows, {"period": "", "label": _("Total"), **score_totals(evaluations)}

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        return self.rows_and_totals(params)[0]

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        return lines_over_time(self, params, rows, "score_mean", "score")


@register
class QaScoreByAgent(QaScoreReport):
    code = "qa_score_agent"
    title = _("QA score by agent")
    description = _("Each agent's evaluations, mean, lowest and highest score and critical failures, per period.")
    by = "agent"
    group_label = _("Agent")

    def names(self, keys: set[Any]) -> dict[Any, str]:
        return user_names(keys)


@register
class QaScoreByTeam(QaScoreReport):
    code = "qa_score_team"
    title = _("QA score by team")
    description = _("The evaluations of each team's agents: mean, lowest and highest score and critical failures.")
    by = "team"
    group_label = _("Team")
    none_label = _("(no team)")

    def names(self, keys: set[Any]) -> dict[Any, str]:
        return team_names()


@register
class QaScoreByQueue(QaScoreReport):
    code = "qa_score_queue"
    title = _("QA score by queue")
    description = _("The evaluations of each queue's calls: mean, lowest and highest score and critical failures.")
    by = "queue"
    group_label = _("Queue")
    none_label = _("(no queue)")

    def names(self, keys: set[Any]) -> dict[Any, str]:
        return queue_names()


QUESTION_DEFINITIONS: list[tuple[Promise, Promise]] = [
    (
        _("Question"),
        _(
            "One question text in one section of one scorecard, across the versions of the form "
            "(a reworded question is a new one)."
        ),
    ),
    (_("Answered"), _("Answers other than N/A.")),
    (_("N/A"), _("Answers marked not applicable: they count neither for nor against.")),
    (_("Missed"), _("Answers that earned less than the question's points (a “no”, or less than full marks).")),
    (_("Points earned"), _("Points earned ÷ points possible × 100 over the answers other than N/A.")),
    (_("Miss rate"), _("Missed ÷ answered × 100.")),
]


def question_columns(*, with_period: bool) -> list[Column]:
    return [
        *([period_column()] if with_period else []),
        Column("scorecard", _("Scorecard")),
        Column("section", _("Section")),
        Column("question", _("Question")),
        Column("answered", _("Answered"), "count"),
        Column("not_applicable", _("N/A"), "count"),
        Column("missed", _("Missed"), "count"),
        Column("points_percent", _("Points earned"), "percent"),
        Column("miss_rate", _("Miss rate"), "percent"),
    ]


@register
class QaScoreByQuestion(QaReport):
    code = "qa_score_question"
    title = _("QA score by question")
    description = _("How each question was answered per period: answered, N/A, missed and the share of points earned.")
    figure_definitions = QUESTION_DEFINITIONS

    def columns(self, params: ReportParams) -> list[Column]:
        return question_columns(with_period=True)

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        rows = question_rows(self.evaluations(params), grain=params.grain, zone=tenant_zone())
        for row in rows:
            with_period(row, params.grain)
            row["key"] = (row["scorecard"], row["section"], row["question"])
            row["label"] = row["question"]
        rows.sort(key=lambda row: (row["period_start"], row["scorecard"], row["order"], row["question"]))
        return rows

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        return lines_over_time(self, params, rows, "points_percent", "percent", weight_key="answered")
