"""Reads of sampling rules and assignments: the rules page, the assignments board, the API.

Who sees what: QA leads and administrators see every rule and assignment; a quality analyst sees
the rules (read-only) and the assignments given to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.qa.choices import AssignmentStatus
from apps.qa.models import Assignment, SamplingRule
from apps.telephony.choices import CallAnalysisFlag
from apps.telephony.selectors import analysis as call_analysis

EVALUATOR_ROLES = (Role.QA, Role.QA_LEAD)
MANAGER_ROLES = (Role.QA_LEAD, Role.TENANT_ADMIN)
BOARD_ROLES = (*MANAGER_ROLES, Role.QA)
OPEN_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.IN_PROGRESS)


def analysis_flag_choices() -> list[tuple[str, Any]]:
    """The automatic-analysis flags a rule may name, with their labels (telephony's list)."""
    labels = dict(CallAnalysisFlag.choices)
    return [(code, labels.get(code, code)) for code in call_analysis.ANALYSIS_FLAGS]


def analysis_flagged_call_ids(flags: Iterable[str], since: datetime, until: datetime) -> tuple[str, tuple]:
    """SQL (and its parameters) selecting the ids of calls of ``[since, until)`` whose automatic
    analysis carries any of ``flags``: the sampling statement embeds it as ``id IN (…)``."""
    query = call_analysis.call_ids_with_flags(list(flags), since, until).query
    sql, params = query.sql_with_params()
    return sql, tuple(params)


def open_assignment_counts(user_ids: Iterable[int]) -> dict[int, int]:
    """Open assignments (to do or in progress) per evaluator: the workload sampling balances."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = (
        Assignment.objects.filter(assignee_id__in=ids, status__in=OPEN_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    return {row["assignee_id"]: row["n"] for row in rows}


def rule_list() -> QuerySet[SamplingRule]:
    return (
        SamplingRule.objects.select_related("scorecard")
        .prefetch_related("evaluators", "queues", "campaigns", "include_dispositions")
        .annotate(
            open_count=Count("assignments", filter=Q(assignments__status__in=OPEN_STATUSES)),
            total_count=Count("assignments"),
        )
        .order_by("name", "pk")
    )


def assignments_visible_to(user: User) -> QuerySet[Assignment]:
    rows = Assignment.objects.select_related(
        "rule", "scorecard", "assignee", "call", "call__agent__user", "call__queue"
    )
    if not (user and user.is_authenticated):
        return rows.none()
    if user.has_role(*MANAGER_ROLES):
        return rows
    if user.has_role(Role.QA):
        return rows.filter(assignee=user)
    return rows.none()


def assignment_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Assignment]:
    """Visible assignments, the soonest due first. ``filters``: ``assignee`` (a user id, or
    ``none`` for the unassigned), ``status`` (one status or ``open``), ``rule`` (id)."""
    rows = assignments_visible_to(user)
    filters = filters or {}
    assignee = filters.get("assignee")
    if assignee == "none":
        rows = rows.filter(assignee__isnull=True)
    elif assignee not in (None, ""):
        rows = rows.filter(assignee_id=assignee)
    status = filters.get("status")
    if status == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif status not in (None, ""):
        rows = rows.filter(status=status)
    rule = filters.get("rule")
    if rule not in (None, ""):
        rows = rows.filter(rule_id=rule)
    return rows.order_by("due_at", "pk")


def workload() -> list[dict[str, Any]]:
    """Per evaluator (every active QA analyst and lead, and anyone still holding assignments):
    open, overdue and done assignments — the QA lead's view of who has too much."""
    now_rows = (
        Assignment.objects.filter(assignee__isnull=False)
        .values("assignee_id")
        .annotate(
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_at__lt=timezone.now())),
            done=Count("id", filter=Q(status=AssignmentStatus.DONE)),
        )
    )
    counts: dict[int, dict[str, int]] = {
        row["assignee_id"]: {key: row[key] for key in ("open", "overdue", "done")} for row in now_rows
    }
    empty = {"open": 0, "overdue": 0, "done": 0}
    people = User.objects.filter(
        Q(is_active=True, roles__overlap=list(EVALUATOR_ROLES)) | Q(pk__in=list(counts))
    ).order_by("name", "email")
    return [{"user": person, **counts.get(person.pk, empty)} for person in people]


def unassigned_open_count() -> int:
    return Assignment.objects.filter(assignee__isnull=True, status__in=OPEN_STATUSES).count()
