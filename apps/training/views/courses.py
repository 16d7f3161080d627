"""Course pages (/training/courses/…): the catalogue, a course with its lessons, a lesson (text,
attachment, or a golden call played through the signed-link player), authoring, ordering and
assignment. Authors (trainers, administrators) see and edit every course; anyone else opens the
courses assigned to them; supervisors assign courses to their teams' members. GET never writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from csp.constants import NONCE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.accounts.views import role_required
from apps.core.clientip import client_ip
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from apps.core.forms import apply_error
from apps.core.http import stream_for
from apps.training.choices import LessonKind
from apps.training.forms.courses import AssignForm, CourseForm, LessonForm
from apps.training.models import Course, Lesson
from apps.training.selectors.courses import (
    AUTHOR_ROLES,
    course_for,
    course_progress,
    courses_visible_to,
    is_author,
    lesson_for,
    lesson_neighbours,
)
from apps.training.selectors.effectiveness import trainee_effectiveness
from apps.training.services import courses as course_services
from apps.training.services.golden_calls import (
    lesson_recording,
    lesson_recording_link,
    lesson_recording_open,
    recent_recorded_calls,
)

ASSIGN_ROLES = (*AUTHOR_ROLES, Role.SUPERVISOR)
# The golden call's waveform styles its shadow root with the page's nonce (decision 0022).
PLAYER_CSP = cast(Callable[[Callable[..., Any]], Callable[..., Any]], csp_update({"style-src": [NONCE]}))


@login_required
def courses(request):
    author = is_author(request.user)
    rows = courses_visible_to(request.user).order_by("position", "title")
    return render(request, "training/courses/list.html", {"courses": rows, "author": author})


@role_required(*AUTHOR_ROLES)
def course_new(request):
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = course_services.course_save(actor=request.user, data=form.as_data())
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Course created: now add its lessons."))
            return redirect("training:course", course.pk)
    return render(
        request, "training/courses/form.html", {"form": form, "course": None}, status=400 if form.errors else 200
    )


@role_required(*AUTHOR_ROLES)
def course_edit(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    initial = {
        "key": course.key,
        "title": course.title,
        "description": course.description,
        "status": course.status,
        "position": course.position,
        "prerequisites": list(course.prerequisites.all()),
    }
    form = CourseForm(request.POST or None, initial=initial, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            course_services.course_save(actor=request.user, data=form.as_data(), course=course)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Course saved."))
            return redirect("training:course", course.pk)
    return render(
        request, "training/courses/form.html", {"form": form, "course": course}, status=400 if form.errors else 200
    )


@login_required
def course(request, pk: int):
    row = course_for(request.user, pk)
    if row is None:
        raise Http404
    author = is_author(request.user)
    context = {
        "course": row,
        "author": author,
        "progress": course_progress(request.user, row),
        "prerequisites": list(row.prerequisites.order_by("position", "title")),
        "may_assign": request.user.has_role(*ASSIGN_ROLES),
        "trainees": trainee_effectiveness(row) if author else [],
    }
    return render(request, "training/courses/detail.html", context)


def _lesson_form_initial(lesson: Lesson) -> dict[str, Any]:
    return {
        "kind": lesson.kind,
        "title": lesson.title,
        "body": lesson.body,
        "call_uid": lesson.call_uid,
        "clip_start": lesson.clip_start,
        "clip_end": lesson.clip_end,
        "trainer_notes": lesson.trainer_notes,
    }


@role_required(*AUTHOR_ROLES)
def lesson_new(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    initial = {"kind": request.GET.get("kind", LessonKind.TEXT), "call_uid": request.GET.get("call", "")}
    form = LessonForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            lesson = course_services.lesson_save(
                actor=request.user, course=course, data=form.as_data(), attachment=form.cleaned_data.get("attachment")
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Lesson added."))
            return redirect("training:lesson", lesson.pk)
    context = {"form": form, "course": course, "lesson": None, "recent_calls": recent_recorded_calls()}
    return render(request, "training/courses/lesson_form.html", context, status=400 if form.errors else 200)


@role_required(*AUTHOR_ROLES)
def lesson_edit(request, pk: int):
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=pk)
    form = LessonForm(request.POST or None, request.FILES or None, initial=_lesson_form_initial(lesson))
    if request.method == "POST" and form.is_valid():
        try:
            course_services.lesson_save(
                actor=request.user,
                course=lesson.course,
                data={**form.as_data(), "position": lesson.position},
                lesson=lesson,
                attachment=form.cleaned_data.get("attachment"),
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Lesson saved."))
            return redirect("training:lesson", lesson.pk)
    context = {"form": form, "course": lesson.course, "lesson": lesson, "recent_calls": recent_recorded_calls()}
    return render(request, "training/courses/lesson_form.html", context, status=400 if form.errors else 200)


@require_POST
@role_required(*AUTHOR_ROLES)
def lesson_move(request, pk: int):
    lesson = get_object_or_404(Lesson, pk=pk)
    course_services.lesson_move(actor=request.user, lesson=lesson, offset=-1 if request.POST.get("to") == "up" else 1)
    return redirect("training:course", lesson.course_id)


@require_POST
@role_required(*AUTHOR_ROLES)
def lesson_delete(request, pk: int):
    lesson = get_object_or_404(Lesson, pk=pk)
    course_id = lesson.course_id
    course_services.lesson_delete(actor=request.user, lesson=lesson)
    messages.success(request, _("Lesson deleted."))
    return redirect("training:course", course_id)


@PLAYER_CSP
@login_required
def lesson(request, pk: int):
    row = lesson_for(request.user, pk)
    if row is None:
        raise Http404
    recording = lesson_recording(row)
    link = lesson_recording_link(lesson=row, user=request.user) if recording is not None else None
    wavesurfer = getattr(settings, "WAVESURFER_DIR", None)
    previous, following = lesson_neighbours(row)
    progress = course_progress(request.user, row.course)
    context = {
        "lesson": row,
        "course": row.course,
        "author": is_author(request.user),
        "progress": progress,
        "done": row.pk in progress["done_ids"],
        "previous": previous,
        "next": following,
        "recording": recording,
        "play_link": link,
        "player_available": bool(wavesurfer and wavesurfer.is_dir()),
    }
    return render(request, "training/courses/lesson.html", context)


@require_POST
@login_required
def lesson_complete(request, pk: int):
    row = lesson_for(request.user, pk)
    if row is None:
        raise Http404
    try:
        finished = course_services.lesson_complete(user=request.user, lesson=row)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("training:lesson", row.pk)
    if finished:
        messages.success(request, _("Course completed: %(title)s.") % {"title": row.course.title})
        return redirect("training:course", row.course_id)
    _previous, following = lesson_neighbours(row)
    return redirect("training:lesson", following.pk) if following else redirect("training:course", row.course_id)


@login_required
def lesson_audio(request, pk: int):
    """The golden call's recording for a valid signed link (one logged play per page view)."""
    try:
        opened = lesson_recording_open(
            lesson_id=pk, token=request.GET.get("token", ""), user=request.user, ip_address=client_ip(request) or None
        )
    except NotFoundError as error:
        raise Http404(str(error.message)) from error
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error.message)) from error
    response = FileResponse(opened.file, content_type=opened.recording.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return stream_for(request, response)


@login_required
def lesson_file(request, pk: int):
    """A lesson's attachment, for those who may read the lesson."""
    row = lesson_for(request.user, pk)
    name = row.attachment.name if row is not None else None
    if not name:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, as_attachment=True, filename=name.rsplit("/", 1)[-1].split("-", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    return response


def assignable_people(user: User):  # type: ignore[no-untyped-def]
    """Whom ``user`` may assign a course: anyone for authors, their teams' members for a supervisor."""
    people = User.objects.filter(is_active=True).order_by("name", "email")
    if is_author(user):
        return people, Team.objects.order_by("name")
    teams = Team.objects.filter(supervisors=user).order_by("name")
    return people.filter(teams__in=teams).distinct(), teams


@role_required(*ASSIGN_ROLES)
def course_assign(request, pk: int):
    row = get_object_or_404(Course, pk=pk)
    people, teams = assignable_people(request.user)
    form = AssignForm(request.POST or None, people=people, teams=teams)
    if request.method == "POST" and form.is_valid():
        users = course_services.assignees(users=form.cleaned_data["users"], teams=form.cleaned_data["teams"])
        if not is_author(request.user):
            allowed = set(people.values_list("pk", flat=True))
            users = [u for u in users if u.pk in allowed]
        try:
            made = course_services.course_assign(
                actor=request.user, course=row, users=users, due_date=form.cleaned_data.get("due_date")
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Assigned to %(n)d people.") % {"n": len(made)})
            return redirect("training:course", row.pk)
    context = {"form": form, "course": row}
    return render(request, "training/courses/assign.html", context, status=400 if form.errors else 200)
