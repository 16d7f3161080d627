"""Courses and lessons: authoring, ordering, prerequisites, assignment and completion.

Why the rules sit here: a course is assigned from several places (a trainer, a coaching session,
a QA rule, a programme) and completed from two interfaces (pages and API); each path must apply
the same checks — a course cannot be started before its prerequisites are complete, a golden
call names a call that has a recording and a clip inside it, lesson text is stored as plain text
(no HTML sanitiser is a requirement of the project, so HTML lessons are shown escaped with their
line breaks) — and the same side effects: the audit log, notifications, certificates a course
earns, and the programme the course belongs to.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from typing import Any

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import Team, User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.tenancy import current_schema
from apps.notifications.services import notify
from apps.telephony.models import Call
from apps.telephony.selectors.calls import recording_of
from apps.training.choices import AssignmentSource, CourseStatus, LessonKind
from apps.training.models import Certification, Course, CourseAssignment, Lesson, LessonCompletion
from apps.training.services.certifications import certificate_issue

KIND_COURSE_ASSIGNED = "training.course_assigned"
KIND_COURSE_COMPLETED = "training.course_completed"
TITLE_MAX = 200
BODY_MAX = 100_000
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENT_EXTENSIONS = (".pdf", ".docx", ".xlsx", ".pptx", ".txt", ".png", ".jpg", ".jpeg", ".mp3", ".wav")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def _fail(fields: dict[str, list[str]]) -> None:
    if fields:
        raise ApplicationError("invalid", next(iter(fields.values()))[0], fields=fields)


def _text(data: dict, name: str, errors: dict[str, list[str]], *, required: bool, limit: int) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = [_("Enter text.")]
        return ""
    value = value.strip()
    if "\x00" in value:
        errors[name] = [_("Remove the NUL character.")]
    elif required and not value:
        errors[name] = [_("This field is required.")]
    elif len(value) > limit:
        errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
    return value


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _snapshot(course: Course) -> dict:
    return {
        "key": course.key,
        "title": course.title,
        "status": course.status,
        "prerequisites": sorted(course.prerequisites.values_list("key", flat=True)),
        "lessons": [f"{lesson.kind}:{lesson.title}" for lesson in course.lessons.order_by("position", "id")],
    }


def _reaches(start: Course, target_ids: set[int]) -> bool:
    """Whether ``start``'s prerequisite chain reaches one of ``target_ids`` (a cycle otherwise)."""
    seen: set[int] = set()
    frontier = {start.pk}
    while frontier:
        if frontier & target_ids:
            return True
        seen |= frontier
        frontier = (
            set(
                Course.prerequisites.through.objects.filter(from_course_id__in=frontier).values_list(
                    "to_course_id", flat=True
                )
            )
            - seen
        )
    return False


@transaction.atomic
def course_save(*, actor: User, data: Any, course: Course | None = None) -> Course:
    """Create (``course=None``) or change a course: ``{"key", "title", "description", "status",
    "position", "prerequisites": [course ids]}``; on a change, absent keys keep their value."""
    if not isinstance(data, dict):
        raise ApplicationError("invalid", _("Send a JSON object."))
    creating = course is None
    errors: dict[str, list[str]] = {}
    merged = {} if course is None else {"key": course.key, "title": course.title, "description": course.description}
    merged.update({k: v for k, v in data.items() if k in ("key", "title", "description")})
    key = _text(merged, "key", errors, required=True, limit=100).lower()
    if key and "key" not in errors:
        if not KEY_RE.match(key):
            errors["key"] = [_("Use lower-case letters, digits, - and _.")]
        elif Course.objects.filter(key=key).exclude(pk=(course.pk or 0) if course else 0).exists():
            errors["key"] = [_("A course with this key exists.")]
    title = _text(merged, "title", errors, required=True, limit=TITLE_MAX)
    description = _text(merged, "description", errors, required=False, limit=10_000)
    status = data.get("status", course.status if course else CourseStatus.DRAFT)
    if status not in CourseStatus.values:
        errors["status"] = [_("Choose draft or published.")]
    position = data.get("position", course.position if course else 0)
    if _int(position, 0, 100_000) is None:
        errors["position"] = [_("Enter a whole number from 0.")]
    prerequisites: list[Course] | None = None
    if "prerequisites" in data:
        raw = data.get("prerequisites")
        ids = [_int(v, 1, 2**31 - 1) for v in raw] if isinstance(raw, list) else [None]
        rows = list(Course.objects.filter(pk__in=[i for i in ids if i]))
        if None in ids or len(rows) != len(set(ids)):
            errors["prerequisites"] = [_("Choose existing courses.")]
        elif course is not None and any(r.pk == course.pk or _reaches(r, {course.pk}) for r in rows):
            errors["prerequisites"] = [_("A course cannot require itself, even through other courses.")]
        else:
            prerequisites = rows
    _fail(errors)
    before = None if course is None else _snapshot(course)
    if course is None:
        course = Course(created_by=actor)
    course.key, course.title, course.description = key, title, description
    course.status, course.position = status, int(position)
    course.save()
    if prerequisites is not None:
        course.prerequisites.set(prerequisites)
    audit_record(
        action=AuditAction.TRAINING_COURSE_CREATED if creating else AuditAction.TRAINING_COURSE_CHANGED,
        actor=actor,
        target=course,
        before=before,
        after=_snapshot(course),
    )
    return course


def _clean_attachment(upload: Any, errors: dict[str, list[str]]) -> None:
    name = getattr(upload, "name", "") or ""
    if os.path.splitext(name.lower())[1] not in ATTACHMENT_EXTENSIONS:
        errors["attachment"] = [
            _("Attach one of these kinds of file: %(kinds)s.") % {"kinds": ", ".join(ATTACHMENT_EXTENSIONS)}
        ]
    elif (getattr(upload, "size", 0) or 0) > ATTACHMENT_MAX_BYTES:
        errors["attachment"] = [_("A file of at most 20 MB.")]


def attachment_path(course: Course, filename: str) -> str:
    """Where a lesson's file is stored: under the tenant's own prefix, like every tenant file."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(filename))[-100:] or "file"
    return f"tenants/{current_schema()}/training/courses/{course.pk}/{timezone.now():%Y%m%d%H%M%S%f}-{base}"


def _golden_call(data: dict, errors: dict[str, list[str]]) -> tuple[str, int | None, int | None]:
    uid = _text(data, "call_uid", errors, required=True, limit=64)
    start = _int(data.get("clip_start", 0), 0, 86_400)
    end = _int(data.get("clip_end"), 1, 86_400) if data.get("clip_end") not in (None, "") else None
    if data.get("clip_start") not in (None, "") and start is None:
        errors["clip_start"] = [_("Enter a number of seconds from 0.")]
    if data.get("clip_end") not in (None, "") and end is None:
        errors["clip_end"] = [_("Enter a number of seconds.")]
    if "call_uid" in errors:
        return uid, start, end
    call = Call.objects.filter(uid=uid).first()
    recording = recording_of(call) if call is not None else None
    if recording is None:
        errors["call_uid"] = [_("No recorded call has this ID.")]
        return uid, start, end
    length = int(recording.duration_seconds)
    if end is None and "clip_end" not in errors:
        end = length
    if start is not None and end is not None and end <= start:
        errors["clip_end"] = [_("The clip ends after it starts.")]
    elif end is not None and end > length + 1:
        errors["clip_end"] = [_("The recording lasts %(n)d seconds.") % {"n": length}]
    return uid, start, end


@transaction.atomic
def lesson_save(
    *, actor: User, course: Course, data: Any, lesson: Lesson | None = None, attachment: Any = None
) -> Lesson:
    """Add (``lesson=None``) or change a lesson: ``{"kind", "title", "body", "position"}``; a
    golden call adds ``{"call_uid", "clip_start", "clip_end", "trainer_notes"}``; an attachment
    lesson takes an uploaded file (kept under the tenant's prefix)."""
    if not isinstance(data, dict):
        raise ApplicationError("invalid", _("Send a JSON object."))
    errors: dict[str, list[str]] = {}
    kind = data.get("kind", lesson.kind if lesson else LessonKind.TEXT)
    if kind not in LessonKind.values:
        errors["kind"] = [_("Choose text, HTML, golden call or attachment.")]
    merged: dict[str, Any] = {} if lesson is None else {"title": lesson.title, "body": lesson.body}
    merged.update(data)
    title = _text(merged, "title", errors, required=True, limit=TITLE_MAX)
    body = _text(merged, "body", errors, required=kind in (LessonKind.TEXT, LessonKind.HTML), limit=BODY_MAX)
    notes = _text(merged, "trainer_notes", errors, required=False, limit=BODY_MAX)
    default_position = lesson.position if lesson else (course.lessons.count() + 1)
    position = _int(data.get("position", default_position), 0, 100_000)
    if position is None:
        errors["position"] = [_("Enter a whole number from 0.")]
    uid, start, end = "", None, None
    if kind == LessonKind.GOLDEN_CALL:
        uid, start, end = _golden_call(merged if lesson is None else {**_golden_of(lesson), **data}, errors)
    if kind == LessonKind.ATTACHMENT:
        if attachment is not None:
            _clean_attachment(attachment, errors)
        elif lesson is None or not lesson.attachment:
            errors["attachment"] = [_("Choose a file.")]
    _fail(errors)
    before = None if lesson is None else {"kind": lesson.kind, "title": lesson.title}
    if lesson is None:
        lesson = Lesson(course=course)
    lesson.kind, lesson.title, lesson.body, lesson.trainer_notes = kind, title, body, notes
    lesson.position = int(position or 0)
    lesson.call_uid, lesson.clip_start, lesson.clip_end = uid, start, end
    if attachment is not None:
        lesson.attachment.name = default_storage.save(attachment_path(course, attachment.name), attachment)
    lesson.save()
    audit_record(
        action=AuditAction.TRAINING_COURSE_CHANGED,
        actor=actor,
        target=course,
        before=before,
        after={"lesson": lesson.pk, "kind": lesson.kind, "title": lesson.title, "call": uid or None},
    )
    return lesson


def _golden_of(lesson: Lesson) -> dict:
    return {"call_uid": lesson.call_uid, "clip_start": lesson.clip_start, "clip_end": lesson.clip_end}


@transaction.atomic
def lesson_delete(*, actor: User, lesson: Lesson) -> None:
    course = lesson.course
    audit_record(
        action=AuditAction.TRAINING_COURSE_CHANGED,
        actor=actor,
        target=course,
        before={"lesson": lesson.pk, "title": lesson.title},
        after={"lesson": None},
    )
    lesson.delete()


@transaction.atomic
def lesson_move(*, actor: User, lesson: Lesson, offset: int) -> None:
    """Move a lesson up (-1) or down (+1) among its course's lessons, renumbering them 1..n."""
    lessons = list(Lesson.objects.select_for_update().filter(course_id=lesson.course_id).order_by("position", "id"))
    index = next(i for i, row in enumerate(lessons) if row.pk == lesson.pk)
    target = min(max(index + offset, 0), len(lessons) - 1)
    lessons.insert(target, lessons.pop(index))
    for number, row in enumerate(lessons, start=1):
        if row.position != number:
            Lesson.objects.filter(pk=row.pk).update(position=number)


# --- assignment and completion --------------------------------------------------------------


def course_completed(user: User, course: Course) -> bool:
    return CourseAssignment.objects.filter(user=user, course=course, completed_at__isnull=False).exists()


def missing_prerequisites(user: User, course: Course) -> list[Course]:
    """The prerequisites of ``course`` that ``user`` has not completed (empty: may start)."""
    done = set(
        CourseAssignment.objects.filter(user=user, completed_at__isnull=False).values_list("course_id", flat=True)
    )
    return [row for row in course.prerequisites.order_by("position", "title") if row.pk not in done]


def assignees(*, users: Iterable[User] = (), teams: Iterable[Team] = ()) -> list[User]:
    """The people named and the members of the teams named, once each, active only."""
    people: dict[int, User] = {u.pk: u for u in users if u.is_active}
    for member in User.objects.filter(teams__in=list(teams), is_active=True).distinct():
        people.setdefault(member.pk, member)
    return list(people.values())


@transaction.atomic
def course_assign(
    *,
    actor: User | None,
    course: Course,
    users: Iterable[User],
    due_date: dt.date | None = None,
    source: str = AssignmentSource.MANUAL,
    source_ref: str = "",
) -> list[CourseAssignment]:
    """Assign a published course to each of ``users`` and tell them; someone who already has it
    open keeps that assignment (returned as is, not told again)."""
    if course.status != CourseStatus.PUBLISHED:
        raise ApplicationError("course_not_published", _("Publish the course before assigning it."))
    if due_date is not None and due_date < timezone.localdate():
        raise ApplicationError(
            "invalid", _("The due date is in the past."), fields={"due_date": [_("Choose a later day.")]}
        )
    result: list[CourseAssignment] = []
    created: list[CourseAssignment] = []
    for user in users:
        existing = CourseAssignment.objects.filter(user=user, course=course, completed_at__isnull=True).first()
        if existing is not None:
            result.append(existing)
            continue
        try:
            with transaction.atomic():
                row = CourseAssignment.objects.create(
                    user=user,
                    course=course,
                    assigned_by=actor,
                    source=source,
                    source_ref=source_ref,
                    due_date=due_date,
                )
        except IntegrityError:  # assigned at the same moment by another request
            row = CourseAssignment.objects.get(user=user, course=course, completed_at__isnull=True)
            result.append(row)
            continue
        created.append(row)
        result.append(row)
    if created:
        audit_record(
            action=AuditAction.TRAINING_COURSE_ASSIGNED,
            actor=actor,
            target=course,
            after={
                "users": [row.user_id for row in created],
                "due_date": due_date.isoformat() if due_date else None,
                "source": source,
                "source_ref": source_ref,
            },
        )
        notify(
            users=[row.user for row in created],
            kind=KIND_COURSE_ASSIGNED,
            title=gettext_lazy("Course assigned: %(title)s"),
            body=gettext_lazy("Due: %(due)s. Open it under My training."),
            params={"title": course.title, "due": due_date.isoformat() if due_date else "—"},
            url=reverse("training:course", args=[course.pk]),
        )
    return result


def _course_lessons_done(user: User, course: Course) -> bool:
    total = course.lessons.count()
    done = LessonCompletion.objects.filter(user=user, lesson__course=course).count()
    return total > 0 and done >= total


@transaction.atomic
def lesson_complete(*, user: User, lesson: Lesson) -> bool:
    """Mark ``lesson`` done for ``user`` (idempotent); when it was the course's last one, the open
    assignment is completed, the certificates the course earns are issued and the programme it
    belongs to moves on. Returns whether the course is now complete."""
    course = lesson.course
    assignment = (
        CourseAssignment.objects.select_for_update().filter(user=user, course=course, completed_at__isnull=True).first()
    )
    if assignment is None:
        if course_completed(user, course):
            LessonCompletion.objects.get_or_create(user=user, lesson=lesson)
            return True
        raise ApplicationError("not_assigned", _("This course is not assigned to you."))
    missing = missing_prerequisites(user, course)
    if missing:
        raise ApplicationError(
            "prerequisites_incomplete",
            _("Complete these courses first: %(names)s.") % {"names": ", ".join(c.title for c in missing)},
        )
    LessonCompletion.objects.get_or_create(user=user, lesson=lesson)
    if not _course_lessons_done(user, course):
        return False
    assignment.completed_at = timezone.now()
    assignment.save(update_fields=["completed_at"])
    _on_course_completed(user, course, assignment)
    return True


def _on_course_completed(user: User, course: Course, assignment: CourseAssignment) -> None:
    # Imported here: the programmes service assigns courses through this module.
    from apps.training.services.programmes import programmes_refresh_for  # noqa: PLC0415 -- import cycle

    for certification in Certification.objects.filter(course=course, is_active=True):
        certificate_issue(user=user, certification=certification)
    programmes_refresh_for(user)
    if assignment.assigned_by is not None and assignment.assigned_by_id != user.pk:
        notify(
            users=[assignment.assigned_by],
            kind=KIND_COURSE_COMPLETED,
            title=gettext_lazy("%(name)s completed the course %(title)s"),
            params={"name": user.get_full_name() or user.email, "title": course.title},
            url=reverse("training:course", args=[course.pk]),
        )
