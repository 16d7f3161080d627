"""The QA home (/qa/): the analyst's assignments with their due dates, drafts, what they submitted
lately, and a call picker to evaluate any call; a supervisor sees their teams' evaluations and
picks among their teams' calls. The workspace itself is apps/qa/views/workspace.py."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from apps.accounts.views import role_required
from apps.qa.choices import EvaluationStatus
from apps.qa.forms.evaluations import CallPickerForm
from apps.qa.selectors.evaluations import evaluations_visible_to
from apps.qa.selectors.scorecards import scorecards_to_score_on
from apps.qa.selectors.workspace import (
    RECENT_LIMIT,
    assignments_of,
    calls_to_evaluate,
    drafts_of,
    home_figures,
    is_overdue,
    submitted_by,
)
from apps.qa.services.evaluations import EVALUATOR_ROLES
from apps.qa.views.workspace import WORKSPACE_ROLES


@role_required(*WORKSPACE_ROLES)
def home(request):
    user = request.user
    picker = CallPickerForm(request.GET or None)
    filters = picker.cleaned_data if picker.is_valid() else {}
    now = timezone.now()
    assignments = list(assignments_of(user))
    for assignment in assignments:
        assignment.overdue = is_overdue(assignment, now)  # type: ignore[attr-defined]
    evaluator = user.has_role(*EVALUATOR_ROLES)
    context = {
        "figures": home_figures(user),
        "assignments": assignments,
        "drafts": list(drafts_of(user)),
        "submitted": submitted_by(user),
        "team_evaluations": (
            []
            if evaluator
            else list(evaluations_visible_to(user).exclude(status=EvaluationStatus.DRAFT)[:RECENT_LIMIT])
        ),
        "is_evaluator": evaluator,
        "picker": picker,
        "calls": calls_to_evaluate(
            user=user, uid=filters.get("uid") or "", agent=filters.get("agent"), day=filters.get("day")
        ),
        "searched": bool(filters and any(filters.values())),
        "scorecard_count": scorecards_to_score_on().count(),
    }
    return render(request, "qa/home.html", context)
