"""What the taker and the trainer see of exams and attempts.

``attempt_questions`` is the only shape of a question that leaves the server while an attempt is in
progress: id, kind, text, options and points — never ``answer``, ``explanation`` or tags (a test
checks every response and page for them). ``attempt_result`` adds the correct options and the
per-question feedback, and only once the attempt is no longer in progress.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.training.choices import AttemptStatus
from apps.training.models import Attempt, AttemptAnswer, Exam, Question

AUTHOR_ROLES = (Role.TRAINER, Role.TENANT_ADMIN)


def is_author(user: User) -> bool:
    return user.is_authenticated and user.has_role(*AUTHOR_ROLES)


def attempt_questions(attempt: Attempt) -> list[dict[str, Any]]:
    questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_ids)}
    return [
        {
            "id": q.pk,
            "kind": q.kind,
            "text": q.text,
            "options": list(q.options),
            "points": q.points,
        }
        for q in (questions[pk] for pk in attempt.question_ids if pk in questions)
    ]


def attempt_for(*, user: User, pk: int) -> Attempt | None:
    """An attempt its taker may read (their own), or any attempt for a trainer or administrator."""
    rows = Attempt.objects.select_related("exam", "user")
    if not is_author(user):
        rows = rows.filter(user=user)
    return rows.filter(pk=pk).first()


def attempt_result(attempt: Attempt) -> dict[str, Any]:
    """The submitted attempt with per-question feedback (correct options, points, explanation)."""
    if attempt.status == AttemptStatus.IN_PROGRESS:
        raise ValueError("the answers stay secret until submission")
    answers = {a.question_id: a for a in AttemptAnswer.objects.filter(attempt=attempt)}
    questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_ids)}
    rows = []
    for pk in attempt.question_ids:
        question = questions.get(pk)
        if question is None:
            continue
        answer = answers.get(pk)
        rows.append(
            {
                "id": question.pk,
                "kind": question.kind,
                "text": question.text,
                "options": list(question.options),
                "points": question.points,
                "correct": list(question.answer),
                "explanation": question.explanation,
                "choice": list(answer.choice) if answer else [],
                "text_answer": answer.text if answer else "",
                "points_awarded": None
                if answer is None or answer.points_awarded is None
                else str(answer.points_awarded),
                "is_correct": answer.is_correct if answer else False,
                "feedback": answer.feedback if answer else "",
            }
        )
    return {
        "id": attempt.pk,
        "exam": attempt.exam_id,
        "status": attempt.status,
        "score_percent": None if attempt.score_percent is None else str(attempt.score_percent),
        "passed": attempt.passed,
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "questions": rows,
    }


def attempts_remaining(exam: Exam, user: User) -> int | None:
    if exam.max_attempts is None:
        return None
    return max(0, exam.max_attempts - Attempt.objects.filter(exam=exam, user=user).count())


def grading_queue() -> QuerySet[AttemptAnswer]:
    """Short answers waiting for a trainer, oldest submission first."""
    return (
        AttemptAnswer.objects.filter(attempt__status=AttemptStatus.AWAITING_GRADING, points_awarded__isnull=True)
        .select_related("attempt__exam", "attempt__user", "question")
        .order_by("attempt__submitted_at", "id")
    )


def exams_open_to(user: User) -> QuerySet[Exam]:
    return Exam.objects.filter(is_active=True).order_by("title")
