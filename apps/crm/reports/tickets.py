"""Ticket reports: tickets by status, category, department, assignee and queue; SLA attainment
(within / warned / breached) per category and priority; the open backlog by age. The figures are
apps/crm/selectors/ticket_reports.py (stored flags of the business-minute SLA, never recomputed)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.crm.choices import TicketPriority, TicketStatus
from apps.crm.selectors.ticket_reports import AGE_BUCKETS, ticket_backlog, ticket_breakdown, ticket_sla
from apps.reports.catalog.common import chart_spec
from apps.reports.registry import DEFAULT_ROLES, Column, Report, ReportParams, register

ROLES = (*DEFAULT_ROLES, Role.QA, Role.QA_LEAD)

SLA_DEFINITIONS = (
    (_("Tickets"), _("Tickets received in the period.")),
    (_("Within target"), _("Tickets that met both targets (first response and resolution) without a warning.")),
    (_("Warned"), _("Tickets warned before a target (due soon) that still met both targets.")),
    (_("Missed"), _("Tickets that missed the first-response or the resolution target.")),
    (
        _("SLA attainment"),
        _(
            "Tickets that missed no target ÷ tickets × 100. Targets run in business minutes (the category's "
            "hours and the holiday calendar); open tickets count where they stand now."
        ),
    ),
)


def _sla_columns() -> list[Column]:
    return [
        Column("tickets", _("Tickets"), "count"),
        Column("open", _("Open"), "count"),
        Column("resolved", _("Resolved"), "count"),
        Column("within", _("Within target"), "count"),
        Column("warned", _("Warned"), "count"),
        Column("missed", _("Missed"), "count"),
        Column("attainment_percent", _("SLA attainment"), "percent"),
    ]


def _definitions() -> list[tuple[str, str]]:
    return [(str(name), str(text)) for name, text in SLA_DEFINITIONS]


@register
class TicketBreakdown(Report):
    code = "tickets_breakdown"
    title = _("Tickets by status, category, department, assignee and queue")
    description = _("Tickets received in the period, counted by each of their attributes, with their SLA attainment.")
    filters = ("since", "until")
    roles = ROLES
    empty_text = _("No tickets were received in this period.")
    drills_to_calls = False

    GROUPS = (
        ("status", _("Status")),
        ("category", _("Category")),
        ("department", _("Department")),
        ("assignee", _("Assignee")),
        ("queue", _("Queue")),
    )
    MISSING = {
        "department": _("No department"),
        "assignee": _("Nobody"),
        "queue": _("No call"),
        "category": "—",
        "status": "—",
    }

    def columns(self, params: ReportParams) -> list[Column]:
        return [Column("by", _("By")), Column("label", _("Name")), *_sla_columns()]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        statuses = dict(TicketStatus.choices)
        rows: list[dict[str, Any]] = []
        for by, label in self.GROUPS:
            for row in ticket_breakdown(since=params.since, until=params.until, by=by):
                key = row["key"]
                name = statuses.get(key, key) if by == "status" else key
                rows.append({**row, "group": by, "by": label, "label": name or self.MISSING[by]})
        return rows

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        statuses = [row for row in rows if row["group"] == "status"]
        if not statuses:
            return None
        return chart_spec(
            _("Tickets by status"),
            [str(row["label"]) for row in statuses],
            [(_("Tickets"), [row["tickets"] for row in statuses])],
            "count",
        )

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [
            *_definitions(),
            (str(_("Queue")), str(_("The queue of the ticket's linked calls; a ticket may count in two queues."))),
        ]


@register
class TicketSla(Report):
    code = "tickets_sla"
    title = _("Ticket SLA attainment")
    description = _("Tickets received in the period per category and priority: within target, warned and missed.")
    filters = ("since", "until")
    roles = ROLES
    empty_text = _("No tickets were received in this period.")
    drills_to_calls = False

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("category_name", _("Category")),
            Column("priority_label", _("Priority")),
            *_sla_columns(),
            Column("first_response_missed", _("First response missed"), "count"),
            Column("resolution_missed", _("Resolution missed"), "count"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        priorities = dict(TicketPriority.choices)
        return [
            {**row, "priority_label": priorities.get(row["priority"], row["priority"])}
            for row in ticket_sla(since=params.since, until=params.until)
        ]

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not rows:
            return None
        return chart_spec(
            _("Tickets by SLA result"),
            [f"{row['category_name']} · {row['priority_label']}" for row in rows],
            [
                (_("Within target"), [row["within"] for row in rows]),
                (_("Warned"), [row["warned"] for row in rows]),
                (_("Missed"), [row["missed"] for row in rows]),
            ],
            "count",
            "stacked_bar",
        )

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return _definitions()


@register
class TicketBacklog(Report):
    code = "tickets_backlog"
    title = _("Ticket backlog ageing")
    description = _("Open tickets now, per category, by how long ago they were received, and how many are overdue.")
    filters = ()
    roles = ROLES
    empty_text = _("No open tickets.")
    drills_to_calls = False

    AGE_LABELS = {
        "age_under_1d": _("Under 1 day"),
        "age_1_3d": _("1–3 days"),
        "age_3_7d": _("3–7 days"),
        "age_7_30d": _("7–30 days"),
        "age_over_30d": _("30 days or more"),
    }

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("category_name", _("Category")),
            Column("open", _("Open"), "count"),
            *[Column(key, self.AGE_LABELS[key], "count") for key, _low, _high in AGE_BUCKETS],
            Column("overdue", _("Overdue"), "count"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        return ticket_backlog()

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not rows:
            return None
        return chart_spec(
            _("Open tickets by age"),
            [str(row["category_name"]) for row in rows],
            [(self.AGE_LABELS[key], [row[key] for row in rows]) for key, _low, _high in AGE_BUCKETS],
            "count",
            "stacked_bar",
        )

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [
            (str(_("Open")), str(_("Tickets not resolved yet (received, assigned, supervised or in progress)."))),
            (str(_("Age")), str(_("Time since the ticket was received, in calendar days, as of the report's run."))),
            (str(_("Overdue")), str(_("Open tickets past their resolution due time (business minutes)."))),
        ]
