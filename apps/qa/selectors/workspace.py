"""Reads of the QA analyst's home and the evaluation workspace: my assignments, my drafts, what I
submitted lately, and the calls one may pick to evaluate (through telephony's selectors: QA reads
the call core only there)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, QuerySet
from django.utils import timezone

from apps.accounts.models import Team
from apps.qa.choices import AssignmentStatus, EvaluationKind, EvaluationStatus
from apps.qa.models import Assignment, CalibrationSession, Evaluation, Scorecard
from apps.qa.services.evaluations import EVALUATOR_ROLES, REVISER_ROLES
from apps.telephony.models import Agent, Call
from apps.telephony.selectors.calls import calls_visible_to, with_parties
from apps.telephony.selectors.kpis import day_bounds

OPEN_ASSIGNMENT = (AssignmentStatus.PENDING, AssignmentStatus.IN_PROGRESS)
PICKER_LIMIT = 50
RECENT_LIMIT = 10
PARTIAL_UID_DAYS = 31


def assignments_of(user) -> QuerySet[Assignment]:
    """The open assignments given to ``user``, soonest due first (no due date last)."""
    return (
        Assignment.objects.filter(assignee=user, status__in=OPEN_ASSIGNMENT)
        .select_related("call__agent__user", "call__queue", "scorecard")
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )


def is_overdue(assignment: Assignment, now=None) -> bool:
    now = now or timezone.now()
    return assignment.status in OPEN_ASSIGNMENT and assignment.due_at is not None and assignment.due_at < now


def drafts_of(user) -> QuerySet[Evaluation]:
    """``user``'s evaluations not yet submitted, last touched first."""
    return (
        Evaluation.objects.filter(evaluator=user, status=EvaluationStatus.DRAFT)
        .select_related("call", "agent", "scorecard", "calibration")
        .order_by("-updated_at", "-id")
    )


def submitted_by(user, limit: int = RECENT_LIMIT) -> list[Evaluation]:
    """What ``user`` submitted lately (regular and calibration), newest first."""
    return list(
        Evaluation.objects.filter(evaluator=user)
        .exclude(status=EvaluationStatus.DRAFT)
        .select_related("call", "agent", "scorecard", "calibration")
        .order_by("-submitted_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class HomeFigures:
    open_assignments: int
    overdue: int
    drafts: int
    submitted_7_days: int


def home_figures(user) -> HomeFigures:
    now = timezone.now()
    open_rows = Assignment.objects.filter(assignee=user, status__in=OPEN_ASSIGNMENT)
    return HomeFigures(
        open_assignments=open_rows.count(),
        overdue=open_rows.filter(due_at__lt=now).count(),
        drafts=Evaluation.objects.filter(evaluator=user, status=EvaluationStatus.DRAFT).count(),
        submitted_7_days=Evaluation.objects.filter(evaluator=user, submitted_at__gte=now - timedelta(days=7))
        .exclude(status=EvaluationStatus.DRAFT)
        .count(),
    )


def calls_to_evaluate(
    *, user, uid: str = "", agent: Agent | None = None, day: date | None = None, limit: int = PICKER_LIMIT
) -> list[Call]:
    """Finished answered calls ``user`` may score, newest first, narrowed by the call ID, the agent
    and the (local) day; each with ``evaluation_count`` (regular evaluations, drafts included) and
    the other party set (``with_parties``).

    A whole call ID is found whenever the call was; part of one is looked for on the chosen day,
    or in the last :data:`PARTIAL_UID_DAYS` days (a substring search cannot use an index: bounded
    by the arrival index it stays quick on millions of calls)."""
    calls = calls_visible_to(user).filter(agent__isnull=False, answered_at__isnull=False, ended_at__isnull=False)
    if not user.has_role(*EVALUATOR_ROLES):
        # A supervisor scores the calls of their teams' members only (services/evaluations.py).
        calls = calls.filter(agent__user__in=Team.objects.filter(supervisors=user).values("members"))
    if agent is not None:
        calls = calls.filter(agent=agent)
    if day is not None:
        since, until = day_bounds(day)
        calls = calls.filter(arrived_at__gte=since, arrived_at__lt=until)
    uid = uid.strip()
    if uid:
        exact = calls.filter(uid=uid)
        if exact.exists():
            calls = exact
        else:
            if day is None:
                calls = calls.filter(arrived_at__gte=timezone.now() - timedelta(days=PARTIAL_UID_DAYS))
            calls = calls.filter(uid__icontains=uid)
    rows = with_parties(calls.order_by("-arrived_at", "-id")[:limit])
    counts = dict(
        Evaluation.objects.filter(call__in=[c.pk for c in rows], kind=EvaluationKind.REGULAR)
        .values("call")
        .annotate(n=Count("id"))
        .values_list("call", "n")
    )
    for call in rows:
        call.evaluation_count = counts.get(call.pk, 0)  # type: ignore[attr-defined]
    return rows


def assignment_for(*, user, pk: int, call: Call) -> Assignment | None:
    """The assignment ``pk`` of ``call`` if ``user`` may work on it: their own, or any for a lead
    or an administrator; None otherwise (the page then refuses it)."""
    assignment = Assignment.objects.select_related("scorecard").filter(pk=pk, call=call).first()
    if assignment is None:
        return None
    if assignment.assignee_id == user.pk or user.has_role(*REVISER_ROLES):
        return assignment
    return None


def calibration_for(*, user, pk: int, call: Call) -> CalibrationSession | None:
    """The calibration session ``pk`` on ``call`` if ``user`` takes part in it (or leads QA)."""
    session = CalibrationSession.objects.select_related("scorecard").filter(pk=pk, call=call).first()
    if session is None:
        return None
    if user.has_role(*REVISER_ROLES) or session.participants.filter(pk=user.pk).exists():
        return session
    return None


def existing_evaluation(
    *, user, call: Call, scorecard: Scorecard, calibration_id: int | None = None
) -> Evaluation | None:
    """``user``'s evaluation of the same work, whatever its state, so that opening a call again
    continues it rather than starting a second one (the service refuses a second one): in a
    calibration session, theirs in that session; otherwise their regular evaluation of this call
    on any version of this scorecard."""
    mine = Evaluation.objects.filter(evaluator=user, call=call)
    if calibration_id is not None:
        return mine.filter(calibration_id=calibration_id).order_by("-id").first()
    return mine.filter(kind=EvaluationKind.REGULAR, scorecard__family=scorecard.family).order_by("-id").first()
