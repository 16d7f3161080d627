"""Who sees which course and lesson, and a person's progress through a course.

Trainers and administrators (authors) see every course; supervisors every published course (they
assign them to their teams, and follow their members' progress through
:mod:`apps.training.selectors.progress`); anyone else the published courses assigned to them
(open or completed). Another tenant's rows are never reachable (schemas).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.training.choices import CourseStatus
from apps.training.models import Course, CourseAssignment, Lesson, LessonCompletion

AUTHOR_ROLES = (Role.TRAINER, Role.TENANT_ADMIN)


def is_author(user: User) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*AUTHOR_ROLES))


def courses_visible_to(user: User) -> QuerySet[Course]:
    courses = Course.objects.annotate(lesson_count=Count("lessons", distinct=True))
    if not (user and user.is_authenticated):
        return courses.none()
    if is_author(user):
        return courses
    published = courses.filter(status=CourseStatus.PUBLISHED)
    if user.has_role(Role.SUPERVISOR):  # supervisors assign the catalogue to their teams
        return published
    return published.filter(pk__in=CourseAssignment.objects.filter(user=user).values("course"))


def course_for(user: User, pk: int) -> Course | None:
    return courses_visible_to(user).filter(pk=pk).first()


def lesson_for(user: User, pk: int) -> Lesson | None:
    lesson = Lesson.objects.select_related("course").filter(pk=pk).first()
    if lesson is None or course_for(user, lesson.course_id) is None:
        return None
    return lesson


def course_lessons(course: Course) -> list[Lesson]:
    return list(course.lessons.order_by("position", "id"))


def course_progress(user: User, course: Course) -> dict[str, Any]:
    """Lessons done of the total, the open (or last) assignment and whether it is complete."""
    # Imported here: the services import selectors elsewhere; this keeps the layers one-way.
    from apps.training.services.courses import missing_prerequisites  # noqa: PLC0415 -- one-way layers

    lessons = course_lessons(course)
    done = set(LessonCompletion.objects.filter(user=user, lesson__course=course).values_list("lesson_id", flat=True))
    assignment = (
        CourseAssignment.objects.filter(user=user, course=course).order_by("completed_at", "-assigned_at").first()
    )
    open_one = CourseAssignment.objects.filter(user=user, course=course, completed_at__isnull=True).first()
    total = len(lessons)
    count = sum(1 for lesson in lessons if lesson.pk in done)
    return {
        "lessons": lessons,
        "done_ids": done,
        "done": count,
        "total": total,
        "percent": round(count * 100 / total) if total else 0,
        "label": f"{count} / {total}",
        "assignment": open_one or assignment,
        "completed": open_one is None and assignment is not None and assignment.completed_at is not None,
        "missing_prerequisites": missing_prerequisites(user, course) if open_one is not None else [],
    }


def lesson_neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    lessons = course_lessons(lesson.course)
    index = next(i for i, row in enumerate(lessons) if row.pk == lesson.pk)
    return (lessons[index - 1] if index > 0 else None, lessons[index + 1] if index + 1 < len(lessons) else None)


def course_data(course: Course) -> dict[str, Any]:
    return {
        "id": course.pk,
        "key": course.key,
        "title": course.title,
        "description": course.description,
        "status": course.status,
        "position": course.position,
        "prerequisites": sorted(course.prerequisites.values_list("pk", flat=True)),
    }


def lesson_data(lesson: Lesson, *, author: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": lesson.pk,
        "course": lesson.course_id,
        "position": lesson.position,
        "kind": lesson.kind,
        "title": lesson.title,
        "body": lesson.body,
        "trainer_notes": lesson.trainer_notes,
        "clip_start": lesson.clip_start,
        "clip_end": lesson.clip_end,
        "has_attachment": bool(lesson.attachment),
    }
    if author:
        data["call_uid"] = lesson.call_uid
    return data


def assignment_data(row: CourseAssignment) -> dict[str, Any]:
    return {
        "id": row.pk,
        "user": row.user_id,
        "course": row.course_id,
        "source": row.source,
        "source_ref": row.source_ref,
        "assigned_at": row.assigned_at.isoformat(),
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
    }
