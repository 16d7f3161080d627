"""``/api/v1/training/exams``, ``…/banks``, ``…/attempts``, ``…/grading``: authoring, taking, grading.

Contracts (issue 16 item 6): ``POST training/exams`` → 201 with the ids of the exam and its
questions; ``POST training/exams/{id}/attempts`` → 201 ``{"id", "questions", "deadline"}`` with no
answers in it (200 with the same shape when an attempt is already in progress);
``POST training/attempts/{id}/submit {"answers": [{"question", "choice", "text"}]}`` →
``{"score_percent", "passed", "status"}``, late → 400 ``attempt_expired``.
Trainers and administrators author and grade; everyone takes their own attempts only (another
person's attempt is a 404 for a taker).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError, NotFoundError
from apps.training.api.common import AUTHOR_ROLES, TAKER_ROLES, body, get_or_404
from apps.training.choices import AttemptStatus
from apps.training.models import Attempt, AttemptAnswer, Exam, Question, QuestionBank
from apps.training.selectors.attempts import (
    attempt_for,
    attempt_questions,
    attempt_result,
    attempts_remaining,
    grading_queue,
    is_author,
)
from apps.training.services import attempts as attempt_services
from apps.training.services import exams as exam_services


def question_data(question: Question) -> dict:
    """A question for its authors (answers included): never sent to a taker."""
    return {
        "id": question.pk,
        "bank": question.bank_id,
        "kind": question.kind,
        "text": question.text,
        "options": question.options,
        "answer": question.answer,
        "points": question.points,
        "tags": question.tags,
        "explanation": question.explanation,
        "is_active": question.is_active,
    }


def exam_summary(exam: Exam) -> dict:
    return {
        "id": exam.pk,
        "title": exam.title,
        "description": exam.description,
        "course": exam.course_id,
        "pass_percent": exam.pass_percent,
        "time_limit_minutes": exam.time_limit_minutes,
        "max_attempts": exam.max_attempts,
        "is_active": exam.is_active,
    }


def exam_full(exam: Exam) -> dict:
    data = exam_summary(exam)
    data["questions"] = [question_data(row.question) for row in exam.exam_questions.select_related("question")]
    data["draws"] = [{"id": d.pk, "bank": d.bank_id, "tag": d.tag, "count": d.count} for d in exam.draws.all()]
    return data


def open_attempt_data(attempt: Attempt) -> dict:
    return {
        "id": attempt.pk,
        "exam": attempt.exam_id,
        "status": attempt.status,
        "number": attempt.number,
        "started_at": attempt.started_at.isoformat(),
        "deadline": attempt.deadline.isoformat(),
        "questions": attempt_questions(attempt),
    }


class ExamListView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        """Open exams for takers; every exam for authors. Never any question's answer."""
        rows = Exam.objects.all() if is_author(request.user) else Exam.objects.filter(is_active=True)
        return Response({"results": [exam_summary(exam) for exam in rows.order_by("title", "id")]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        exam = exam_services.exam_create(actor=request.user, data=body(request))
        return Response(exam_full(exam), status=status.HTTP_201_CREATED)


class ExamDetailView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        if is_author(request.user):
            return Response(exam_full(get_or_404(Exam.objects, pk, _("No such exam."))))
        exam = get_or_404(Exam.objects.filter(is_active=True), pk, _("No such exam."))
        data = exam_summary(exam)
        data["attempts_remaining"] = attempts_remaining(exam, request.user)
        return Response(data)


class AttemptStartView(APIView):
    permission_classes = [HasRole.of(*TAKER_ROLES)]

    @extend_schema(request=None, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        exam = get_or_404(Exam.objects, pk, _("No such exam."))
        attempt, created = attempt_services.attempt_start(exam=exam, user=request.user)
        return Response(open_attempt_data(attempt), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AttemptDetailView(APIView):
    permission_classes = [HasRole.of(*TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        """In progress: the questions and deadline; afterwards: the result with per-question feedback."""
        attempt = attempt_for(user=request.user, pk=pk)
        if attempt is None:
            raise NotFoundError("not_found", _("No such attempt."))
        if attempt.status == AttemptStatus.IN_PROGRESS:
            if attempt.user_id != request.user.pk:  # an author sees the drawn questions, never a live view
                return Response({"id": attempt.pk, "status": attempt.status, "deadline": attempt.deadline.isoformat()})
            return Response(open_attempt_data(attempt))
        return Response(attempt_result(attempt))


class AttemptSubmitView(APIView):
    permission_classes = [HasRole.of(*TAKER_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        attempt = Attempt.objects.filter(pk=pk, user=request.user).first()  # one's own only
        if attempt is None:
            raise NotFoundError("not_found", _("No such attempt."))
        data = body(request)
        attempt = attempt_services.attempt_submit(attempt=attempt, answers=data.get("answers"))
        return Response(
            {
                "id": attempt.pk,
                "status": attempt.status,
                "score_percent": None if attempt.score_percent is None else float(attempt.score_percent),
                "passed": attempt.passed,
            }
        )


class BankListView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        rows = QuestionBank.objects.order_by("name")
        return Response({"results": [{"id": b.pk, "name": b.name, "description": b.description} for b in rows]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = body(request)
        bank = exam_services.bank_create(
            actor=request.user, name=data.get("name"), description=data.get("description", "")
        )
        return Response({"id": bank.pk, "name": bank.name, "description": bank.description}, status=201)


class BankQuestionsView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        bank = get_or_404(QuestionBank.objects, pk, _("No such question bank."))
        return Response({"results": [question_data(q) for q in bank.questions.order_by("id")]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        bank = get_or_404(QuestionBank.objects, pk, _("No such question bank."))
        question = exam_services.question_create(actor=request.user, bank=bank, data=body(request))
        return Response(question_data(question), status=status.HTTP_201_CREATED)


class GradingQueueView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(
            {
                "results": [
                    {
                        "id": answer.pk,
                        "attempt": answer.attempt_id,
                        "exam": answer.attempt.exam.title,
                        "user": answer.attempt.user_id,
                        "question": answer.question.text,
                        "points": answer.question.points,
                        "text": answer.text,
                        "submitted_at": answer.attempt.submitted_at.isoformat()
                        if answer.attempt.submitted_at
                        else None,
                    }
                    for answer in grading_queue()[:500]
                ]
            }
        )


class AnswerGradeView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        """``{"points", "feedback"}`` for a short answer waiting in the queue."""
        answer = get_or_404(AttemptAnswer.objects, pk, _("No such answer."))
        if answer.attempt.user_id == request.user.pk:
            raise ApplicationError("own_attempt", _("Nobody grades their own attempt."))
        data = body(request)
        graded = attempt_services.answer_grade(
            actor=request.user, answer=answer, points=data.get("points"), feedback=data.get("feedback", "")
        )
        attempt = Attempt.objects.get(pk=graded.attempt_id)
        return Response(
            {
                "id": graded.pk,
                "points_awarded": str(graded.points_awarded),
                "attempt": {
                    "id": attempt.pk,
                    "status": attempt.status,
                    "passed": attempt.passed,
                    "score_percent": None if attempt.score_percent is None else float(attempt.score_percent),
                },
            }
        )
