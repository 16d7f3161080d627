"""Onboarding programmes: ordered courses, exams and on-the-job milestones with due dates.

Why a service: assigning a programme must also assign its courses (one open assignment per
course and person, dated from the programme's start), a milestone may be signed off only by a
trainer, an administrator or a supervisor of the new hire's team, and the programme completes
itself when every step is done — whichever step is done last (a lesson, a passed exam read at
the next refresh, a sign-off).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.notifications.services import notify
from apps.training.choices import AssignmentSource, CourseStatus, ProgrammeStepKind
from apps.training.models import (
    Attempt,
    Course,
    CourseAssignment,
    Exam,
    MilestoneSignoff,
    Programme,
    ProgrammeAssignment,
    ProgrammeStep,
)
from apps.training.services.courses import course_assign

KIND_PROGRAMME_ASSIGNED = "training.programme_assigned"
KIND_PROGRAMME_COMPLETED = "training.programme_completed"
SIGNOFF_ROLES = (Role.TRAINER, Role.TENANT_ADMIN)
MAX_STEPS = 100


def _step_clean(index: int, raw: Any, errors: dict[str, list[str]]) -> ProgrammeStep | None:
    where = f"steps.{index}"
    if not isinstance(raw, dict):
        errors[where] = [_("Each step is an object.")]
        return None
    kind = str(raw.get("kind") or "")
    step = ProgrammeStep(kind=kind, title=str(raw.get("title") or "").strip()[:200], position=index + 1)
    due = raw.get("due_days", 7)
    if isinstance(due, bool) or not isinstance(due, int) or not 0 <= due <= 3650:
        errors[f"{where}.due_days"] = [_("Enter a number of days from 0 to 3650.")]
    else:
        step.due_days = due
    if kind == ProgrammeStepKind.COURSE:
        course_id = raw.get("course")
        step.course = Course.objects.filter(pk=course_id).first() if isinstance(course_id, int) else None
        if step.course is None:
            errors[f"{where}.course"] = [_("Choose an existing course.")]
    elif kind == ProgrammeStepKind.EXAM:
        exam_id = raw.get("exam")
        step.exam = Exam.objects.filter(pk=exam_id).first() if isinstance(exam_id, int) else None
        if step.exam is None:
            errors[f"{where}.exam"] = [_("Choose an existing exam.")]
    elif kind == ProgrammeStepKind.MILESTONE:
        if not step.title:
            errors[f"{where}.title"] = [_("Name the milestone.")]
    else:
        errors[f"{where}.kind"] = [_("Choose course, exam or milestone.")]
    return step


@transaction.atomic
def programme_save(*, actor: User, data: Any, programme: Programme | None = None) -> Programme:
    """Create or change a programme ``{"name", "description", "is_active", "steps": [{"kind",
    "course"|"exam"|"title", "due_days"}]}``; steps are replaced as given, only while nobody has
    been assigned the programme (a running onboarding keeps the steps it started with)."""
    if not isinstance(data, dict):
        raise ApplicationError("invalid", _("Send a JSON object."))
    errors: dict[str, list[str]] = {}
    name = data.get("name", programme.name if programme else "")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 150 or "\x00" in name:
        errors["name"] = [_("Enter a name of at most 150 characters.")]
    elif (
        Programme.objects.filter(name__iexact=name.strip()).exclude(pk=(programme.pk or 0) if programme else 0).exists()
    ):
        errors["name"] = [_("A programme with this name exists.")]
    description = data.get("description", programme.description if programme else "")
    if not isinstance(description, str) or "\x00" in description or len(description) > 10_000:
        errors["description"] = [_("Enter text of at most 10000 characters.")]
    is_active = data.get("is_active", programme.is_active if programme else True)
    if not isinstance(is_active, bool):
        errors["is_active"] = [_("Enter true or false.")]
    steps: list[ProgrammeStep] | None = None
    if "steps" in data:
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, list) or not 1 <= len(raw_steps) <= MAX_STEPS:
            errors["steps"] = [_("Give from 1 to %(n)d steps.") % {"n": MAX_STEPS}]
        elif programme is not None and programme.assignments.exists():
            errors["steps"] = [_("People follow this programme: its steps can no longer change.")]
        else:
            steps = [s for i, raw in enumerate(raw_steps) if (s := _step_clean(i, raw, errors)) is not None]
    elif programme is None:
        errors["steps"] = [_("Give from 1 to %(n)d steps.") % {"n": MAX_STEPS}]
    if errors:
        raise ApplicationError("invalid", next(iter(errors.values()))[0], fields=errors)
    if programme is None:
        programme = Programme()
    programme.name, programme.description, programme.is_active = name.strip(), description.strip(), is_active
    programme.save()
    if steps is not None:
        programme.steps.all().delete()
        for step in steps:
            step.programme = programme
        ProgrammeStep.objects.bulk_create(steps)
    audit_record(
        action=AuditAction.TRAINING_PROGRAMME_CHANGED,
        actor=actor,
        target=programme,
        after={
            "name": programme.name,
            "steps": [f"{s.kind}:{s.title or s.course_id or s.exam_id}" for s in programme.steps.all()],
        },
    )
    return programme


def step_due(assignment: ProgrammeAssignment, step: ProgrammeStep) -> dt.date:
    return assignment.started_on + dt.timedelta(days=step.due_days)


@transaction.atomic
def programme_assign(
    *, actor: User, programme: Programme, users: Iterable[User], started_on: dt.date | None = None
) -> list[ProgrammeAssignment]:
    """Start the programme for each new hire (someone already following it keeps their run) and
    assign its courses, each due ``due_days`` after the start."""
    if not programme.is_active:
        raise ApplicationError("programme_inactive", _("This programme is no longer used."))
    start = started_on or timezone.localdate()
    steps = list(programme.steps.select_related("course").order_by("position", "id"))
    unpublished = [s.course.title for s in steps if s.course is not None and s.course.status != CourseStatus.PUBLISHED]
    if unpublished:
        raise ApplicationError(
            "course_not_published",
            _("Publish these courses first: %(names)s.") % {"names": ", ".join(unpublished)},
        )
    out: list[ProgrammeAssignment] = []
    created: list[ProgrammeAssignment] = []
    for user in users:
        try:
            with transaction.atomic():
                assignment = ProgrammeAssignment.objects.create(
                    programme=programme, user=user, assigned_by=actor, started_on=start
                )
        except IntegrityError:
            out.append(ProgrammeAssignment.objects.get(programme=programme, user=user, completed_at__isnull=True))
            continue
        for step in steps:
            if step.course is not None:
                due = step_due(assignment, step)
                course_assign(
                    actor=actor,
                    course=step.course,
                    users=[user],
                    due_date=due if due >= timezone.localdate() else None,
                    source=AssignmentSource.PROGRAMME,
                    source_ref=str(assignment.pk),
                )
        created.append(assignment)
        out.append(assignment)
    if created:
        audit_record(
            action=AuditAction.TRAINING_PROGRAMME_ASSIGNED,
            actor=actor,
            target=programme,
            after={"users": [a.user_id for a in created], "started_on": start.isoformat()},
        )
        notify(
            users=[a.user for a in created],
            kind=KIND_PROGRAMME_ASSIGNED,
            title=gettext_lazy("Onboarding programme: %(name)s"),
            body=gettext_lazy("Your programme starts on %(start)s. Follow its steps under My training."),
            params={"name": programme.name, "start": start.isoformat()},
            url=reverse("training:my_training"),
        )
    return out


def may_sign_off(actor: User, user: User) -> bool:
    """Trainers and administrators sign off anyone's milestone; a supervisor their teams' members'."""
    if actor.has_role(*SIGNOFF_ROLES):
        return True
    return actor.has_role(Role.SUPERVISOR) and Team.objects.filter(supervisors=actor, members=user).exists()


@transaction.atomic
def milestone_sign_off(
    *, actor: User, assignment: ProgrammeAssignment, step: ProgrammeStep, notes: str = ""
) -> MilestoneSignoff:
    if not may_sign_off(actor, assignment.user):
        raise PermissionDeniedError("forbidden", _("Only a trainer or the person's supervisor signs off a milestone."))
    if step.programme_id != assignment.programme_id or step.kind != ProgrammeStepKind.MILESTONE:
        raise ApplicationError(
            "invalid", _("This step is not a milestone of the programme."), fields={"step": [_("Choose a milestone.")]}
        )
    if not isinstance(notes, str) or "\x00" in notes or len(notes) > 2000:
        raise ApplicationError(
            "invalid", _("Notes of at most 2000 characters."), fields={"notes": [_("Shorten the notes.")]}
        )
    if MilestoneSignoff.objects.filter(assignment=assignment, step=step).exists():
        raise ApplicationError("already_signed", _("This milestone is already signed off."))
    signoff = MilestoneSignoff.objects.create(assignment=assignment, step=step, signed_by=actor, notes=notes.strip())
    audit_record(
        action=AuditAction.TRAINING_MILESTONE_SIGNED,
        actor=actor,
        target=assignment.programme,
        after={"user": assignment.user_id, "step": step.pk, "title": step.title},
    )
    programme_refresh(assignment)
    return signoff


def step_states(assignment: ProgrammeAssignment) -> list[dict[str, Any]]:
    """Each step of the programme with its due date and whether it is done (and when)."""
    user = assignment.user
    steps = list(assignment.programme.steps.select_related("course", "exam").order_by("position", "id"))
    courses_done = dict(
        CourseAssignment.objects.filter(user=user, completed_at__isnull=False)
        .order_by("completed_at")
        .values_list("course_id", "completed_at")
    )
    exams_passed = dict(
        Attempt.objects.filter(user=user, passed=True).order_by("submitted_at").values_list("exam_id", "submitted_at")
    )
    signoffs = {s.step_id: s for s in assignment.signoffs.select_related("signed_by")}
    today = timezone.localdate()
    rows = []
    for step in steps:
        done_at = None
        signoff = None
        if step.kind == ProgrammeStepKind.COURSE:
            done_at = courses_done.get(step.course_id or 0)
        elif step.kind == ProgrammeStepKind.EXAM:
            done_at = exams_passed.get(step.exam_id or 0)
        else:
            signoff = signoffs.get(step.pk)
            done_at = signoff.signed_at if signoff else None
        due = step_due(assignment, step)
        rows.append(
            {
                "step": step,
                "label": step.title or (step.course.title if step.course else step.exam.title if step.exam else ""),
                "due": due,
                "done": done_at is not None,
                "done_at": done_at,
                "overdue": done_at is None and due < today,
                "signoff": signoff,
            }
        )
    return rows


def programme_refresh(assignment: ProgrammeAssignment) -> bool:
    """Complete the assignment when every step is done; returns whether it is complete."""
    if assignment.completed_at is not None:
        return True
    states = step_states(assignment)
    if not states or not all(row["done"] for row in states):
        return False
    assignment.completed_at = timezone.now()
    assignment.save(update_fields=["completed_at"])
    notify(
        users=[assignment.user],
        kind=KIND_PROGRAMME_COMPLETED,
        title=gettext_lazy("Programme completed: %(name)s"),
        params={"name": assignment.programme.name},
        url=reverse("training:my_training"),
    )
    return True


def programmes_refresh_for(user: User) -> int:
    """Refresh every open programme of ``user`` (after a course or an exam step is done)."""
    done = 0
    for assignment in ProgrammeAssignment.objects.filter(user=user, completed_at__isnull=True).select_related(
        "programme", "user"
    ):
        done += programme_refresh(assignment)
    return done


def programmes_refresh_all() -> int:
    """The periodic pass: passed exams complete a programme's exam step without a page visit."""
    done = 0
    for assignment in ProgrammeAssignment.objects.filter(completed_at__isnull=True).select_related("programme", "user"):
        with transaction.atomic():
            done += programme_refresh(assignment)
    return done
