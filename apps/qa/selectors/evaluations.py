"""Reading evaluations: who sees which, and one evaluation with everything its page shows.

Visibility (issue 14 item 8): QA analysts, QA leads and administrators see every evaluation;
a supervisor sees the submitted (non-draft) evaluations of the members of the teams they
supervise, calibration ones excluded (those grade the evaluator, not the agent); an agent sees
only their own regular evaluations once submitted — never a draft, never a calibration one.
A user with several roles sees the union. Another tenant's rows are never reachable (schemas).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from apps.accounts.choices import Role
from apps.accounts.models import Team
from apps.qa.choices import EvaluationKind, EvaluationStatus
from apps.qa.models import Evaluation

ALL_EVALUATIONS_ROLES = (Role.QA, Role.QA_LEAD, Role.TENANT_ADMIN)
# Everyone who may read some evaluations through the list API.
EVALUATION_READ_ROLES = (*ALL_EVALUATIONS_ROLES, Role.SUPERVISOR, Role.AGENT)


def _base() -> QuerySet[Evaluation]:
    return Evaluation.objects.select_related("call", "scorecard", "agent", "evaluator")


def evaluations_visible_to(user) -> QuerySet[Evaluation]:
    """The evaluations ``user`` may read (see the module docstring)."""
    evaluations = _base()
    if not (user and user.is_authenticated):
        return evaluations.none()
    if user.has_role(*ALL_EVALUATIONS_ROLES):
        return evaluations
    shared = Q(kind=EvaluationKind.REGULAR) & ~Q(status=EvaluationStatus.DRAFT)
    visible = Q(pk__in=[])
    if user.has_role(Role.SUPERVISOR):
        members = Team.objects.filter(supervisors=user).values("members")
        visible |= shared & Q(agent__in=members)
    if user.has_role(Role.AGENT):
        visible |= shared & Q(agent=user)
    # An evaluator keeps seeing what they wrote (a supervisor's own drafts of their team's calls).
    visible |= Q(evaluator=user)
    return evaluations.filter(visible)


def evaluation_list(
    *,
    user,
    agent: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
    kind: str | None = None,
    evaluator: int | None = None,
) -> QuerySet[Evaluation]:
    """Visible evaluations, newest first. ``since``/``until`` bound the time the evaluation was
    submitted (drafts: created), ``until`` exclusive."""
    evaluations = evaluations_visible_to(user)
    if agent is not None:
        evaluations = evaluations.filter(agent_id=agent)
    if evaluator is not None:
        evaluations = evaluations.filter(evaluator_id=evaluator)
    if status:
        evaluations = evaluations.filter(status=status)
    if kind:
        evaluations = evaluations.filter(kind=kind)
    if since is not None:
        evaluations = evaluations.filter(
            Q(submitted_at__gte=since) | Q(submitted_at__isnull=True, created_at__gte=since)
        )
    if until is not None:
        evaluations = evaluations.filter(Q(submitted_at__lt=until) | Q(submitted_at__isnull=True, created_at__lt=until))
    return evaluations.order_by("-submitted_at", "-created_at", "-id")


def evaluation_for(*, user, pk: int) -> Evaluation | None:
    """One evaluation if ``user`` may read it (None otherwise: callers answer 404, never 403)."""
    return evaluations_visible_to(user).filter(pk=pk).first()


def evaluation_detail(evaluation: Evaluation) -> dict:
    """Answers by question id, comments in recording order, and the revisions, for the pages."""
    return {
        "answers": {a.question_id: a for a in evaluation.answers.all()},
        "comments": list(evaluation.comments.select_related("author").order_by("at_seconds", "id")),
        "revisions": list(evaluation.revisions.select_related("changed_by").order_by("changed_at", "id")),
    }
