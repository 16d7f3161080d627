"""Taking an exam: start (draw and deadline), submit (grade), expire, and a trainer's grading.

The server's clock is the only one that counts. ``attempt_start`` fixes ``deadline`` =
now + the exam's time limit; ``attempt_submit`` after the deadline (plus ``GRACE_SECONDS`` for the
request in flight) refuses with ``attempt_expired`` and marks the attempt expired (0 %, failed), in
a transaction of its own so that the refusal does not undo it. The questions are drawn once, at the
start, with a recorded seed: the fixed questions in order, then each draw rule's random pick from its
bank (by tag), never the same question twice.

Attempt limits count every attempt (expired ones too); one attempt at a time per exam and person
(a unique constraint on in-progress attempts settles two racing starts).
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.training import grading
from apps.training.choices import AttemptStatus
from apps.training.models import Attempt, AttemptAnswer, Exam, ExamQuestion, Question
from apps.training.services.certifications import certificates_issue_for_attempt

GRACE_SECONDS = 5  # a submission sent at the deadline still arrives a moment later
TEXT_MAX = 5_000


def draw_questions(exam: Exam, seed: int) -> list[int]:
    """The exam's question ids for one attempt: fixed ones in order, then each rule's seeded pick."""
    chosen = list(
        ExamQuestion.objects.filter(exam=exam, question__is_active=True)
        .order_by("position", "id")
        .values_list("question_id", flat=True)
    )
    rng = random.Random(seed)  # noqa: S311 -- a reproducible draw, not a secret
    for draw in exam.draws.order_by("id"):
        candidates = Question.objects.filter(bank_id=draw.bank_id, is_active=True).exclude(pk__in=chosen)
        if draw.tag:
            candidates = candidates.filter(tags__contains=[draw.tag])
        pool = sorted(candidates.values_list("pk", flat=True))
        chosen.extend(rng.sample(pool, min(draw.count, len(pool))))
    return chosen


def _expire(attempt: Attempt, now: datetime) -> None:
    attempt.status = AttemptStatus.EXPIRED
    attempt.score_percent = Decimal("0.00")
    attempt.points_awarded = Decimal(0)
    attempt.passed = False
    attempt.save(update_fields=["status", "score_percent", "points_awarded", "passed"])


def attempts_expire_overdue(*, now: datetime | None = None) -> int:
    """Expire in-progress attempts past their deadline (the beat task; a start or submit does it too)."""
    moment = now or timezone.now()
    count = 0
    for attempt in Attempt.objects.filter(
        status=AttemptStatus.IN_PROGRESS, deadline__lt=moment - timedelta(seconds=GRACE_SECONDS)
    ):
        with transaction.atomic():
            locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
            if locked.status == AttemptStatus.IN_PROGRESS:
                _expire(locked, moment)
                count += 1
    return count


@transaction.atomic
def attempt_start(*, exam: Exam, user: User, now: datetime | None = None) -> tuple[Attempt, bool]:
    """Start an attempt (or return the one in progress, with ``False``)."""
    moment = now or timezone.now()
    if not exam.is_active:
        raise ApplicationError("exam_closed", _("This exam is not open."))
    open_attempt = (
        Attempt.objects.select_for_update().filter(exam=exam, user=user, status=AttemptStatus.IN_PROGRESS).first()
    )
    if open_attempt is not None:
        if moment <= open_attempt.deadline + timedelta(seconds=GRACE_SECONDS):
            return open_attempt, False
        _expire(open_attempt, moment)
    taken = Attempt.objects.filter(exam=exam, user=user).count()
    if exam.max_attempts is not None and taken >= exam.max_attempts:
        raise ApplicationError(
            "attempt_limit",
            _("You have used all %(n)s attempts at this exam.") % {"n": exam.max_attempts},
        )
    seed = secrets.randbits(62)
    question_ids = draw_questions(exam, seed)
    if not question_ids:
        raise ApplicationError("exam_empty", _("This exam has no questions yet."))
    possible = sum(Question.objects.filter(pk__in=question_ids).values_list("points", flat=True))
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                exam=exam,
                user=user,
                number=taken + 1,
                started_at=moment,
                deadline=moment + timedelta(minutes=exam.time_limit_minutes),
                question_ids=question_ids,
                seed=seed,
                points_possible=possible,
            )
    except IntegrityError:
        raise ApplicationError("attempt_in_progress", _("An attempt at this exam has just been started.")) from None
    return attempt, True


def _answers_clean(attempt: Attempt, answers: Any) -> dict[int, tuple[list[int], str]]:
    if answers is None:
        answers = []
    if not isinstance(answers, list):
        raise ApplicationError("invalid", _("Answers are a list."), fields={"answers": [_("Answers are a list.")]})
    questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_ids)}
    errors: dict[str, list[str]] = {}
    cleaned: dict[int, tuple[list[int], str]] = {}
    for i, row in enumerate(answers):
        prefix = f"answers[{i}]"
        question_id = row.get("question") if isinstance(row, dict) else None
        question = (
            questions.get(question_id) if isinstance(question_id, int) and not isinstance(question_id, bool) else None
        )
        if question is None:
            errors[f"{prefix}.question"] = [_("This question is not part of the attempt.")]
            continue
        if question.pk in cleaned:
            errors[f"{prefix}.question"] = [_("This question is answered twice.")]
            continue
        choice = row.get("choice", [])
        problem = grading.choice_errors(question.kind, len(question.options), [] if choice is None else choice)
        if problem is not None:
            errors[f"{prefix}.choice"] = [
                _("Choose one option.") if problem == "one_choice" else _("Choose among the question's options.")
            ]
            continue
        text = row.get("text", "")
        if text is None:
            text = ""
        if not isinstance(text, str) or len(text) > TEXT_MAX:
            errors[f"{prefix}.text"] = [_("The answer is a text of at most %(max)s characters.") % {"max": TEXT_MAX}]
            continue
        cleaned[question.pk] = (list(choice or []), text.strip() if question.kind == grading.SHORT_ANSWER else "")
    if errors:
        raise ApplicationError("invalid", _("Some answers are not valid."), fields=errors)
    return cleaned


def _finish(attempt: Attempt) -> None:
    """Score an attempt whose answers are all graded, and issue what passing it earns."""
    awarded = sum((a.points_awarded or Decimal(0) for a in attempt.answers.all()), Decimal(0))
    attempt.points_awarded = awarded
    attempt.score_percent = grading.score_percent(awarded, attempt.points_possible)
    attempt.passed = grading.is_pass(attempt.score_percent, attempt.exam.pass_percent)
    attempt.status = AttemptStatus.SUBMITTED
    attempt.save(update_fields=["points_awarded", "score_percent", "passed", "status", "submitted_at"])
    if attempt.passed:
        certificates_issue_for_attempt(attempt=attempt)


def attempt_submit(*, attempt: Attempt, answers: Any, now: datetime | None = None) -> Attempt:
    """Grade the answers. Late: the attempt expires and ``attempt_expired`` is raised (after commit)."""
    moment = now or timezone.now()
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().select_related("exam").get(pk=attempt.pk)
        if locked.status != AttemptStatus.IN_PROGRESS:
            if locked.status == AttemptStatus.EXPIRED:
                raise ApplicationError("attempt_expired", _("The time for this attempt ran out."))
            raise ApplicationError("attempt_closed", _("This attempt has been submitted already."))
        late = moment > locked.deadline + timedelta(seconds=GRACE_SECONDS)
        if late:
            _expire(locked, moment)
        else:
            cleaned = _answers_clean(locked, answers)
            questions = {q.pk: q for q in Question.objects.filter(pk__in=locked.question_ids)}
            rows = []
            for question_id in locked.question_ids:
                question = questions[question_id]
                choice, text = cleaned.get(question_id, ([], ""))
                graded = grading.grade(question.kind, question.answer, question.points, choice)
                if question.kind == grading.SHORT_ANSWER and not text:
                    graded = grading.Graded(points=Decimal(0), correct=False)  # nothing to grade
                rows.append(
                    AttemptAnswer(
                        attempt=locked,
                        question=question,
                        choice=choice,
                        text=text,
                        points_awarded=graded.points,
                        is_correct=graded.correct,
                        graded_at=None if graded.awaiting else moment,
                    )
                )
            AttemptAnswer.objects.bulk_create(rows)
            locked.submitted_at = moment
            if any(row.points_awarded is None for row in rows):
                locked.status = AttemptStatus.AWAITING_GRADING
                locked.save(update_fields=["status", "submitted_at"])
            else:
                _finish(locked)
    if late:
        raise ApplicationError("attempt_expired", _("The time for this attempt ran out."))
    return locked


@transaction.atomic
def answer_grade(*, actor: User, answer: AttemptAnswer, points: Any, feedback: Any = "") -> AttemptAnswer:
    """A trainer grades a short answer (0 to the question's points); the last one scores the attempt."""
    locked = AttemptAnswer.objects.select_for_update().select_related("question", "attempt").get(pk=answer.pk)
    attempt = Attempt.objects.select_for_update().select_related("exam").get(pk=locked.attempt_id)
    if attempt.status != AttemptStatus.AWAITING_GRADING or locked.question.kind != grading.SHORT_ANSWER:
        raise ApplicationError("not_gradable", _("This answer is not waiting for a grade."))
    try:
        value = Decimal(str(points))
    except (ArithmeticError, ValueError, TypeError):
        value = Decimal(-1)
    if isinstance(points, bool) or not value.is_finite() or not 0 <= value <= locked.question.points:
        message = _("Give from 0 to %(max)s points.") % {"max": locked.question.points}
        raise ApplicationError("invalid", message, fields={"points": [message]})
    if not isinstance(feedback, str) or len(feedback) > TEXT_MAX:
        raise ApplicationError("invalid", _("Feedback is a text."), fields={"feedback": [_("Feedback is a text.")]})
    before = {"points": None if locked.points_awarded is None else str(locked.points_awarded)}
    locked.points_awarded = value.quantize(Decimal("0.01"))
    locked.is_correct = value == locked.question.points
    locked.graded_by = actor
    locked.graded_at = timezone.now()
    locked.feedback = feedback
    locked.save(update_fields=["points_awarded", "is_correct", "graded_by", "graded_at", "feedback"])
    audit_record(
        action=AuditAction.TRAINING_ANSWER_GRADED,
        actor=actor,
        target=attempt,
        before=before,
        after={"question": locked.question_id, "points": str(locked.points_awarded)},
    )
    if not attempt.answers.filter(points_awarded__isnull=True).exists():
        _finish(attempt)
    return locked
