"""Coaching pages (/qa/coaching/): the list with filters, a new session (from an evaluation — the
agent and a topic prefilled — or from a trend: an agent picked, with their recent scores beside the
form), one session (the coach edits it, the agent acknowledges it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Avg, Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.qa import hooks, scoring
from apps.qa.forms.coaching import CoachingEditForm, CoachingFilterForm, CoachingForm
from apps.qa.models import CoachingSession, Evaluation
from apps.qa.selectors.coaching import COACHING_READ_ROLES, coachable_agents, coaching_for, coaching_list
from apps.qa.selectors.disputes import my_evaluations
from apps.qa.selectors.evaluations import evaluation_for
from apps.qa.services.coaching import (
    COACH_ROLES,
    coaching_acknowledge,
    coaching_create,
    coaching_delete,
    coaching_update,
    may_change_coaching,
)

PAGE_SIZE = 50
TREND_EVALUATIONS = 10


@role_required(*COACHING_READ_ROLES)
def coaching(request):
    user = request.user
    coach = user.has_role(*COACH_ROLES)
    form = CoachingFilterForm(request.GET or None, agents=coachable_agents(user) if coach else None)
    filters = form.cleaned_data if form.is_valid() else {}
    sessions = coaching_list(
        user=user,
        status=filters.get("status") or None,
        agent=filters["agent"].pk if filters.get("agent") else None,
        due_before=timezone.localdate() if filters.get("due") else None,
    )
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": form,
        "page": page,
        "can_create": coach,
        "today": timezone.localdate(),
        "query": query.urlencode(),
    }
    return render(request, "qa/coaching.html", context)


def _trend(agent) -> dict:
    """The agent's last evaluations and their mean: what a coach looks at before planning."""
    recent = list(my_evaluations(agent)[:TREND_EVALUATIONS])
    scored: list[Decimal] = [Decimal(e.score) for e in recent if e.score is not None]
    figures = my_evaluations(agent).aggregate(n=Count("id"), mean=Avg("score"))
    return {
        "recent": recent,
        "recent_mean": scoring.display(sum(scored, Decimal(0)) / len(scored)) if scored else None,
        "all_mean": scoring.display(figures["mean"]),
        "count": figures["n"],
        "critical": sum(1 for e in recent if e.critical_failed),
    }


@role_required(*COACH_ROLES)
def coaching_new(request):
    user = request.user
    agents = coachable_agents(user)
    evaluation: Evaluation | None = None
    raw_evaluation = request.GET.get("evaluation") or request.POST.get("evaluation") or ""
    if raw_evaluation.isdigit():
        evaluation = evaluation_for(user=user, pk=int(raw_evaluation))
    initial: dict = {}
    if evaluation is not None and evaluation.agent_id:
        initial["agent"] = evaluation.agent_id
        initial["topic"] = _("Evaluation of the call of %(when)s (score %(score)s)") % {
            "when": f"{timezone.localtime(evaluation.call.arrived_at):%Y-%m-%d %H:%M}",
            "score": scoring.display(evaluation.score) if evaluation.score is not None else "—",
        }
    elif (request.GET.get("agent") or "").isdigit():
        initial["agent"] = int(request.GET["agent"])
    form = CoachingForm(request.POST or None, initial=initial, agents=agents, courses=hooks.course_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = coaching_create(
                actor=user,
                agent=data["agent"],
                evaluation=evaluation,
                topic=data["topic"],
                notes=data["notes"],
                follow_up_on=data["follow_up_on"],
                course_key=data.get("course_key") or "",
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Coaching session planned; the agent is notified."))
            return redirect("qa:coaching_detail", pk=session.pk)
    chosen = form["agent"].value()
    trend_agent = agents.filter(pk=chosen).first() if str(chosen or "").isdigit() else None
    context = {
        "form": form,
        "evaluation": evaluation,
        "training_available": hooks.training_available(),
        "trend_agent": trend_agent,
        "agents": agents,
        "trend": _trend(trend_agent) if trend_agent is not None else None,
    }
    return render(request, "qa/coaching_new.html", context, status=400 if form.errors else 200)


def _session(request, pk: int) -> CoachingSession:
    session = coaching_for(user=request.user, pk=pk)
    if session is None:
        raise Http404
    return session


@role_required(*COACHING_READ_ROLES)
def coaching_detail(request, pk: int):
    session = _session(request, pk)
    editable = may_change_coaching(request.user, session)
    initial = {
        "topic": session.topic,
        "notes": session.notes,
        "follow_up_on": session.follow_up_on,
        "status": session.status,
    }
    form = CoachingEditForm(request.POST or None, initial=initial) if editable else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                coaching_update(session=session, actor=request.user, **form.cleaned_data)
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("qa:coaching_detail", pk=pk)
    follow: date | None = session.follow_up_on
    context = {
        "session": session,
        "form": form,
        "editable": editable,
        "is_agent": session.agent_id == request.user.pk,
        "overdue": follow is not None and follow < timezone.localdate() and session.status == "planned",
        "training_available": hooks.training_available(),
    }
    return render(request, "qa/coaching_detail.html", context, status=400 if form is not None and form.errors else 200)


@role_required(Role.AGENT)
@require_POST
def coaching_acknowledge_view(request, pk: int):
    session = _session(request, pk)
    try:
        coaching_acknowledge(session=session, actor=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Coaching session acknowledged."))
    return redirect("qa:coaching_detail", pk=pk)


@role_required(*COACH_ROLES)
@require_POST
def coaching_delete_view(request, pk: int):
    session = _session(request, pk)
    try:
        coaching_delete(session=session, actor=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("qa:coaching_detail", pk=pk)
    messages.success(request, _("Coaching session deleted."))
    return redirect("qa:coaching")
