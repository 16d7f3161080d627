"""``/api/v1/training/courses``, ``…/lessons``, ``…/assignments``, ``…/effectiveness``,
``…/item-analysis``, ``…/qa-rules``: courses and lessons, assignment and completion, and the
figures that link training to QA.

Trainers and administrators author; supervisors assign courses to their teams' members; everyone
reads and completes the courses assigned to them (another course is a 404, never a 403 that would
reveal it). Bad input → 400 ``{"code", "message", "fields"}`` and nothing changed.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError, NotFoundError
from apps.training.api.common import AUTHOR_ROLES, TAKER_ROLES, body, get_or_404
from apps.training.models import Course, CourseAssignment, Exam, Lesson, QaTrainingRule
from apps.training.selectors.courses import (
    assignment_data,
    course_data,
    course_for,
    course_lessons,
    course_progress,
    courses_visible_to,
    is_author,
    lesson_data,
    lesson_for,
)
from apps.training.selectors.effectiveness import DEFAULT_N, course_effectiveness
from apps.training.selectors.item_analysis import exam_item_analysis
from apps.training.selectors.progress import people_visible_to
from apps.training.services import courses as services
from apps.training.services.qa_link import qa_rule_save

ASSIGN_ROLES = (*AUTHOR_ROLES, Role.SUPERVISOR)


def _ids(data: dict, name: str, errors: dict[str, list[str]]) -> list[int]:
    raw = data.get(name, [])
    if not isinstance(raw, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in raw):
        errors[name] = [_("Give a list of ids.")]
        return []
    return list(dict.fromkeys(raw))


def _due(data: dict, errors: dict[str, list[str]]) -> dt.date | None:
    raw = data.get("due_date")
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        errors["due_date"] = [_("Enter a date (YYYY-MM-DD).")]
        return None


class CourseListView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """Every course for authors; published ones for supervisors; one's assigned ones otherwise."""
        rows = courses_visible_to(request.user).order_by("position", "title")
        return Response({"results": [course_data(course) for course in rows]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        course = services.course_save(actor=request.user, data=body(request))
        return Response(course_data(course), status=status.HTTP_201_CREATED)


class CourseDetailView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        course = course_for(request.user, pk)
        if course is None:
            raise NotFoundError("not_found", _("No such course."))
        progress = course_progress(request.user, course)
        data = course_data(course)
        author = is_author(request.user)
        data["lessons"] = [
            {**lesson_data(lesson, author=author), "done": lesson.pk in progress["done_ids"]}
            for lesson in progress["lessons"]
        ]
        data["progress"] = {
            "done": progress["done"],
            "total": progress["total"],
            "completed": progress["completed"],
            "missing_prerequisites": [c.pk for c in progress["missing_prerequisites"]],
        }
        return Response(data)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        course = get_or_404(Course.objects, pk, _("No such course."))
        return Response(course_data(services.course_save(actor=request.user, data=body(request), course=course)))


class LessonListView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        course = course_for(request.user, pk)
        if course is None:
            raise NotFoundError("not_found", _("No such course."))
        author = is_author(request.user)
        return Response({"results": [lesson_data(lesson, author=author) for lesson in course_lessons(course)]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """Text, HTML (shown as text) or golden-call lessons as JSON; attachments through the pages."""
        course = get_or_404(Course.objects, pk, _("No such course."))
        lesson = services.lesson_save(actor=request.user, course=course, data=body(request))
        return Response(lesson_data(lesson, author=True), status=status.HTTP_201_CREATED)


class LessonDetailView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        lesson = lesson_for(request.user, pk)
        if lesson is None:
            raise NotFoundError("not_found", _("No such lesson."))
        return Response(lesson_data(lesson, author=is_author(request.user)))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        lesson = get_or_404(Lesson.objects.select_related("course"), pk, _("No such lesson."))
        saved = services.lesson_save(actor=request.user, course=lesson.course, data=body(request), lesson=lesson)
        return Response(lesson_data(saved, author=True))

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        lesson = get_or_404(Lesson.objects.select_related("course"), pk, _("No such lesson."))
        services.lesson_delete(actor=request.user, lesson=lesson)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LessonCompleteView(APIView):
    permission_classes = [HasRole.of(*TAKER_ROLES)]

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """Mark one's own lesson done → ``{"lesson", "course_completed"}``."""
        lesson = lesson_for(request.user, pk)
        if lesson is None:
            raise NotFoundError("not_found", _("No such lesson."))
        finished = services.lesson_complete(user=request.user, lesson=lesson)
        return Response({"lesson": lesson.pk, "course_completed": finished})


class CourseAssignView(APIView):
    permission_classes = [HasRole.of(*ASSIGN_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """``{"users": [ids], "teams": [ids], "due_date"}``; a supervisor only their teams' members."""
        course = course_for(request.user, pk)
        if course is None:
            raise NotFoundError("not_found", _("No such course."))
        data = body(request)
        errors: dict[str, list[str]] = {}
        user_ids, team_ids = _ids(data, "users", errors), _ids(data, "teams", errors)
        due = _due(data, errors)
        allowed_people = User.objects.filter(is_active=True)
        allowed_teams = Team.objects.all()
        if not is_author(request.user):
            allowed_teams = Team.objects.filter(supervisors=request.user)
            allowed_people = allowed_people.filter(teams__in=allowed_teams).distinct()
        users = list(allowed_people.filter(pk__in=user_ids))
        teams = list(allowed_teams.filter(pk__in=team_ids))
        if len(users) != len(user_ids):
            errors["users"] = [_("Choose people you may assign courses to.")]
        if len(teams) != len(team_ids):
            errors["teams"] = [_("Choose teams you may assign courses to.")]
        if not errors and not user_ids and not team_ids:
            errors["users"] = [_("Choose people or teams.")]
        if errors:
            raise ApplicationError("invalid", next(iter(errors.values()))[0], fields=errors)
        made = services.course_assign(
            actor=request.user, course=course, users=services.assignees(users=users, teams=teams), due_date=due
        )
        return Response({"results": [assignment_data(row) for row in made]}, status=status.HTTP_201_CREATED)


class AssignmentListView(APIView):
    permission_classes = [HasRole.of(*TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """One's own assignments; ``?user=<id>`` someone one may follow (a supervisor's team member)."""
        user = request.user
        raw = request.query_params.get("user")
        if raw:
            if not raw.isdigit():
                raise ApplicationError("invalid", _("Give a user id."), fields={"user": [_("Give a user id.")]})
            user = people_visible_to(request.user).filter(pk=int(raw)).first()
            if user is None:
                raise NotFoundError("not_found", _("No such person."))
        rows = CourseAssignment.objects.filter(user=user).order_by("-assigned_at")
        return Response({"results": [assignment_data(row) for row in rows]})


class EffectivenessView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """Per course: QA means before and after completion with their counts (``?n=``, 1–50)."""
        raw = request.query_params.get("n", str(DEFAULT_N))
        if not raw.isdigit() or not 1 <= int(raw) <= 50:
            raise ApplicationError("invalid", _("n is from 1 to 50."), fields={"n": [_("Enter 1 to 50.")]})
        rows = course_effectiveness(n=int(raw))
        return Response(
            {
                "results": [
                    {**{k: v for k, v in row.items() if k != "course"}, "course": row["course"].pk} for row in rows
                ]
            }
        )


class ItemAnalysisView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        exam = get_or_404(Exam.objects, pk, _("No such exam."))
        return Response({"exam": exam.pk, "results": exam_item_analysis(exam)})


def _rule_data(rule: QaTrainingRule) -> dict:
    return {
        "id": rule.pk,
        "name": rule.name,
        "question_text": rule.question_text,
        "misses": rule.misses,
        "course": rule.course_id,
        "due_days": rule.due_days,
        "is_active": rule.is_active,
    }


class QaRuleListView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"results": [_rule_data(rule) for rule in QaTrainingRule.objects.order_by("name")]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        return Response(
            _rule_data(qa_rule_save(actor=request.user, data=body(request))), status=status.HTTP_201_CREATED
        )


class QaRuleDetailView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, pk: int):
        rule = get_or_404(QaTrainingRule.objects, pk, _("No such rule."))
        return Response(_rule_data(qa_rule_save(actor=request.user, data=body(request), rule=rule)))
