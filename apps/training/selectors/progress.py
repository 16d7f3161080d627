"""Progress pages: the agent's own (my training), a supervisor's team and a trainer's overview.

Visibility: an agent reads only their own; a supervisor the members of the teams they supervise;
trainers and administrators everybody. The figures: a course assignment is *overdue* when it is
open and its due date has passed; a course's *completion rate* is completed ÷ assigned.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.training.models import CourseAssignment, LessonCompletion, ProgrammeAssignment
from apps.training.selectors.certifications import certificate_state, certificates_of
from apps.training.selectors.courses import is_author
from apps.training.services.careers import career_standing
from apps.training.services.programmes import step_states


def people_visible_to(user: User) -> QuerySet[User]:
    """Whose training ``user`` may follow (themselves included)."""
    if is_author(user) or user.has_role(Role.HR):
        return User.objects.filter(is_active=True)
    visible = Q(pk=user.pk)
    if user.has_role(Role.SUPERVISOR):
        visible |= Q(pk__in=Team.objects.filter(supervisors=user).values("members"))
    return User.objects.filter(visible, is_active=True)


def assignments_of(user: User) -> list[dict[str, Any]]:
    today = timezone.localdate()
    rows = list(
        CourseAssignment.objects.filter(user=user)
        .select_related("course")
        .annotate(lesson_total=Count("course__lessons", distinct=True))
        .order_by("completed_at", "due_date", "-assigned_at")
    )
    done = dict(
        LessonCompletion.objects.filter(user=user)
        .values("lesson__course")
        .annotate(n=Count("id"))
        .values_list("lesson__course", "n")
    )
    out = []
    for row in rows:
        total = row.lesson_total  # type: ignore[attr-defined]
        count = total if row.completed_at else min(done.get(row.course_id, 0), total)
        out.append(
            {
                "assignment": row,
                "course": row.course,
                "done": count,
                "total": total,
                "percent": round(count * 100 / total) if total else 0,
                "overdue": row.completed_at is None and row.due_date is not None and row.due_date < today,
            }
        )
    return out


def programmes_of(user: User) -> list[dict[str, Any]]:
    out = []
    for assignment in ProgrammeAssignment.objects.filter(user=user).select_related("programme", "user"):
        steps = step_states(assignment)
        done = sum(1 for s in steps if s["done"])
        out.append(
            {
                "assignment": assignment,
                "steps": steps,
                "done": done,
                "total": len(steps),
                "percent": round(done * 100 / len(steps)) if steps else 0,
            }
        )
    return out


def my_training(user: User) -> dict[str, Any]:
    certificates = list(certificates_of(user).select_related("certification"))
    for certificate in certificates:
        certificate.state = certificate_state(certificate)  # type: ignore[attr-defined]
    return {
        "assignments": assignments_of(user),
        "programmes": programmes_of(user),
        "certificates": certificates,
        "career": career_standing(user),
    }


def people_progress(viewer: User, *, people: QuerySet[User] | None = None) -> list[dict[str, Any]]:
    """One row per person ``viewer`` may follow (other than themselves for a supervisor): courses
    assigned, completed, overdue, open programmes."""
    today = timezone.localdate()
    persons = people if people is not None else people_visible_to(viewer)
    if not is_author(viewer):
        persons = persons.exclude(pk=viewer.pk)
    rows = persons.annotate(
        assigned=Count("training_assignments", distinct=True),
        completed=Count(
            "training_assignments", filter=Q(training_assignments__completed_at__isnull=False), distinct=True
        ),
        overdue=Count(
            "training_assignments",
            filter=Q(training_assignments__completed_at__isnull=True, training_assignments__due_date__lt=today),
            distinct=True,
        ),
        programmes_open=Count(
            "training_programmes", filter=Q(training_programmes__completed_at__isnull=True), distinct=True
        ),
    ).order_by("name", "email")
    return [
        {
            "user": person,
            "assigned": person.assigned,  # type: ignore[attr-defined]
            "completed": person.completed,  # type: ignore[attr-defined]
            "overdue": person.overdue,  # type: ignore[attr-defined]
            "programmes_open": person.programmes_open,  # type: ignore[attr-defined]
        }
        for person in rows
        if person.assigned or person.programmes_open or person.has_role(Role.AGENT)  # type: ignore[attr-defined]
    ]
