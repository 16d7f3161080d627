"""Programme and career pages (/training/programmes/…, /training/careers/).

Trainers and administrators build programmes (ordered courses, exams and milestones with due
days) and assign them to new hires; a new hire's run shows each step's due date and state, and a
trainer, an administrator or the new hire's supervisor signs off milestones. The career page lists
the ladder's levels with their requirements and, for those who may follow people, who meets each.
GET never writes.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.training.forms.programmes import CareerLevelForm, ProgrammeAssignForm, ProgrammeForm, SignoffForm, StepForm
from apps.training.models import CareerLevel, Programme, ProgrammeAssignment, ProgrammeStep
from apps.training.selectors.courses import AUTHOR_ROLES, is_author
from apps.training.selectors.progress import people_visible_to
from apps.training.services import careers as career_services
from apps.training.services import programmes as programme_services

FOLLOW_ROLES = (*AUTHOR_ROLES, Role.SUPERVISOR)


@role_required(*FOLLOW_ROLES)
def programmes(request):
    rows = Programme.objects.prefetch_related("steps").order_by("name")
    runs = (
        ProgrammeAssignment.objects.filter(user__in=people_visible_to(request.user))
        .select_related("programme", "user")
        .order_by("completed_at", "-assigned_at")[:200]
    )
    form = ProgrammeForm(request.POST or None) if is_author(request.user) else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                programme = programme_services.programme_save(actor=request.user, data=_first_step(form))
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Programme created: now add its steps."))
                return redirect("training:programme", programme.pk)
    context = {"programmes": rows, "runs": runs, "form": form, "author": is_author(request.user)}
    return render(request, "training/programmes/list.html", context, status=400 if form and form.errors else 200)


def _first_step(form: ProgrammeForm) -> dict:
    """A new programme starts with one milestone (an orientation day) that the trainer can keep or
    replace: the service wants at least one step."""
    return {**form.cleaned_data, "steps": [{"kind": "milestone", "title": _("Orientation"), "due_days": 1}]}


@role_required(*FOLLOW_ROLES)
def programme(request, pk: int):
    row = get_object_or_404(Programme, pk=pk)
    author = is_author(request.user)
    steps = list(row.steps.select_related("course", "exam").order_by("position", "id"))
    step_form = StepForm(request.POST if request.POST.get("form") == "step" else None, prefix="s") if author else None
    if (
        request.method == "POST"
        and step_form is not None
        and request.POST.get("form") == "step"
        and step_form.is_valid()
    ):
        existing = [
            {"kind": s.kind, "course": s.course_id, "exam": s.exam_id, "title": s.title, "due_days": s.due_days}
            for s in steps
        ]
        try:
            programme_services.programme_save(
                actor=request.user, programme=row, data={"steps": [*existing, step_form.as_step()]}
            )
        except ApplicationError as error:
            apply_error(step_form, error)
        else:
            messages.success(request, _("Step added."))
            return redirect("training:programme", row.pk)
    runs = ProgrammeAssignment.objects.filter(programme=row, user__in=people_visible_to(request.user)).select_related(
        "user"
    )
    context = {
        "programme": row,
        "steps": steps,
        "step_form": step_form,
        "author": author,
        "runs": runs,
        "locked": row.assignments.exists(),
    }
    return render(
        request, "training/programmes/detail.html", context, status=400 if step_form and step_form.errors else 200
    )


@role_required(*AUTHOR_ROLES)
def programme_assign(request, pk: int):
    row = get_object_or_404(Programme, pk=pk)
    form = ProgrammeAssignForm(request.POST or None, people=people_visible_to(request.user).order_by("name", "email"))
    if request.method == "POST" and form.is_valid():
        try:
            made = programme_services.programme_assign(
                actor=request.user,
                programme=row,
                users=form.cleaned_data["users"],
                started_on=form.cleaned_data.get("started_on"),
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Programme assigned to %(n)d people.") % {"n": len(made)})
            return redirect("training:programme", row.pk)
    context = {"form": form, "programme": row}
    return render(request, "training/programmes/assign.html", context, status=400 if form.errors else 200)


def _run_for(request, pk: int) -> ProgrammeAssignment:
    run = (
        ProgrammeAssignment.objects.select_related("programme", "user")
        .filter(pk=pk, user__in=people_visible_to(request.user))
        .first()
    )
    if run is None:
        raise Http404
    return run


@login_required
def programme_run(request, pk: int):
    run = _run_for(request, pk)
    context = {
        "run": run,
        "steps": programme_services.step_states(run),
        "may_sign": programme_services.may_sign_off(request.user, run.user) and run.user_id != request.user.pk,
        "form": SignoffForm(),
    }
    return render(request, "training/programmes/run.html", context)


@require_POST
@login_required
def milestone_sign(request, pk: int, step_id: int):
    run = _run_for(request, pk)
    step = get_object_or_404(ProgrammeStep, pk=step_id, programme_id=run.programme_id)
    form = SignoffForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError("invalid", _("Notes of at most 2000 characters."))
        programme_services.milestone_sign_off(
            actor=request.user, assignment=run, step=step, notes=form.cleaned_data.get("notes") or ""
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Milestone signed off."))
    return redirect("training:programme_run", run.pk)


@login_required
def careers(request):
    levels = list(CareerLevel.objects.prefetch_related("required_certifications").order_by("rank"))
    author = is_author(request.user)
    follows = request.user.has_role(*FOLLOW_ROLES)
    form = CareerLevelForm(request.POST or None) if author else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                career_services.career_level_save(actor=request.user, data=form.as_data())
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Level added."))
                return redirect("training:careers")
    meeting = {}
    if follows:
        people = list(people_visible_to(request.user).filter(roles__overlap=[Role.AGENT, Role.SUPERVISOR]))
        for level in levels:
            meeting[level.pk] = career_services.people_meeting(level, people)
    rows = [{"level": level, "meeting": meeting.get(level.pk)} for level in levels]
    context = {
        "rows": rows,
        "form": form,
        "follows": follows,
        "standing": career_services.career_standing(request.user),
    }
    return render(request, "training/programmes/careers.html", context, status=400 if form and form.errors else 200)
