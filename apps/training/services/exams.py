"""Authoring exams and question banks (trainers and administrators).

``exam_create`` takes the issue's contract: ``{"title", "pass_percent", "time_limit_minutes",
"max_attempts", "questions": [{"kind", "text", "options", "answer", "points", "tags",
"explanation"}], "draws": [{"bank", "tag", "count"}]}``; every question is checked by
apps/training/grading.py ``question_errors`` and a single bad one refuses the whole exam (400, with
``fields`` naming ``questions[i].<field>``), so nothing half-made is saved.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.training import grading
from apps.training.models import Course, Exam, ExamDraw, ExamQuestion, Question, QuestionBank

TITLE_MAX = 200
TEXT_MAX = 5_000
TAG_MAX = 50
MAX_TAGS = 20
MAX_QUESTIONS = 200
MAX_TIME_LIMIT_MINUTES = 24 * 60


def _messages() -> dict[str, str]:
    return {
        "kind": _("Choose single, multiple, true_false or short_answer."),
        "points": _("Points are a whole number from 1 to %(max)s.") % {"max": grading.MAX_POINTS},
        "no_options": _("A short-answer question has no options."),
        "no_answer": _("A short-answer question is graded by a trainer: leave the answer empty."),
        "options": _("Options are a list of non-empty texts."),
        "options_count": _("A choice question needs at least two options (true/false: exactly two)."),
        "answer": _("The answer lists the indexes of the correct options (one for single choice and true/false)."),
    }


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _tags(value: Any) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        return None
    tags = []
    for tag in value:
        if not isinstance(tag, str) or not tag.strip() or len(tag.strip()) > TAG_MAX:
            return None
        if tag.strip() not in tags:
            tags.append(tag.strip())
    return tags


def question_clean(data: Any, prefix: str, errors: dict[str, list[str]]) -> dict[str, Any] | None:
    """A question's fields checked and normalised, or None with ``errors`` filled."""
    if not isinstance(data, dict):
        errors[prefix] = [_("Each question is an object.")]
        return None
    kind = data.get("kind", grading.SINGLE)
    options = data.get("options")
    if kind == grading.TRUE_FALSE and options in (None, []):
        options = [_("True"), _("False")]
    if kind == grading.SHORT_ANSWER and options is None:
        options = []
    answer = data.get("answer", [] if kind == grading.SHORT_ANSWER else None)
    points = data.get("points", 1)
    before = len(errors)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > TEXT_MAX:
        errors[f"{prefix}.text"] = [_("Write the question (at most %(max)s characters).") % {"max": TEXT_MAX}]
    messages = _messages()
    for name, code in grading.question_errors(kind, options, answer, points).items():
        errors[f"{prefix}.{name}"] = [messages[code]]
    tags = _tags(data.get("tags"))
    if tags is None:
        errors[f"{prefix}.tags"] = [_("Tags are a list of short texts.")]
    explanation = data.get("explanation", "")
    if not isinstance(explanation, str) or len(explanation) > TEXT_MAX:
        errors[f"{prefix}.explanation"] = [_("The explanation is a text.")]
    if len(errors) > before:
        return None
    return {
        "kind": kind,
        "text": str(text).strip(),
        "options": [str(option).strip() for option in options or []],
        "answer": sorted(answer or []),
        "points": points,
        "tags": tags,
        "explanation": explanation,
    }


@transaction.atomic
def question_create(*, actor: User, bank: QuestionBank | None, data: Any) -> Question:
    errors: dict[str, list[str]] = {}
    fields = question_clean(data, "question", errors)
    if fields is None:
        raise ApplicationError("invalid", _("The question is not valid."), fields=errors)
    question = Question.objects.create(bank=bank, **fields)
    audit_record(
        action=AuditAction.TRAINING_QUESTION_CREATED, actor=actor, target=question, after={"bank": bank and bank.pk}
    )
    return question


@transaction.atomic
def question_update(*, actor: User, question: Question, data: Any) -> Question:
    """Change a question. Attempts already graded keep their points (grading read the answer then)."""
    errors: dict[str, list[str]] = {}
    fields = question_clean(data, "question", errors)
    if fields is None:
        raise ApplicationError("invalid", _("The question is not valid."), fields=errors)
    before = {"text": question.text, "answer": question.answer, "points": question.points}
    for name, value in fields.items():
        setattr(question, name, value)
    question.save()
    audit_record(
        action=AuditAction.TRAINING_QUESTION_CHANGED,
        actor=actor,
        target=question,
        before=before,
        after={"text": question.text, "answer": question.answer, "points": question.points},
    )
    return question


@transaction.atomic
def question_retire(*, actor: User, question: Question) -> Question:
    """Questions are never deleted (attempts refer to them): a retired one is no longer drawn."""
    question.is_active = False
    question.save(update_fields=["is_active"])
    audit_record(action=AuditAction.TRAINING_QUESTION_CHANGED, actor=actor, target=question, after={"is_active": False})
    return question


@transaction.atomic
def bank_create(*, actor: User, name: Any, description: Any = "") -> QuestionBank:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 150:
        raise ApplicationError(
            "invalid", _("Name the bank."), fields={"name": [_("Name the bank (at most 150 characters).")]}
        )
    if QuestionBank.objects.filter(name=name.strip()).exists():
        raise ApplicationError(
            "duplicate", _("A bank of that name exists."), fields={"name": [_("A bank of that name exists.")]}
        )
    bank = QuestionBank.objects.create(
        name=name.strip(), description=description if isinstance(description, str) else ""
    )
    audit_record(action=AuditAction.TRAINING_QUESTION_CREATED, actor=actor, target=bank, after={"name": bank.name})
    return bank


def _draws_clean(raw: Any, errors: dict[str, list[str]]) -> list[tuple[QuestionBank, str, int]]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        errors["draws"] = [_("Draw rules are a list.")]
        return []
    draws = []
    for i, row in enumerate(raw):
        prefix = f"draws[{i}]"
        if not isinstance(row, dict):
            errors[prefix] = [_("Each draw rule is an object.")]
            continue
        bank_id = _int(row.get("bank"), 1, 2**31 - 1)
        bank = QuestionBank.objects.filter(pk=bank_id).first() if bank_id else None
        if bank is None:
            errors[f"{prefix}.bank"] = [_("No such question bank.")]
            continue
        tag = row.get("tag") or ""
        if not isinstance(tag, str) or len(tag) > TAG_MAX:
            errors[f"{prefix}.tag"] = [_("The tag is a short text.")]
            continue
        count = _int(row.get("count"), 1, MAX_QUESTIONS)
        available = Question.objects.filter(bank=bank, is_active=True)
        if tag:
            available = available.filter(tags__contains=[tag])
        if count is None:
            errors[f"{prefix}.count"] = [_("Draw between 1 and %(max)s questions.") % {"max": MAX_QUESTIONS}]
        elif available.count() < count:
            errors[f"{prefix}.count"] = [
                _("The bank has only %(n)s active questions with this tag.") % {"n": available.count()}
            ]
        else:
            draws.append((bank, tag, count))
    return draws


@transaction.atomic
def exam_create(*, actor: User, data: Any, require_questions: bool = True) -> Exam:
    """A new exam with its own questions (created in no bank) and draw rules; all or nothing.

    The API requires at least one question or draw rule; the editor page creates the exam first
    (``require_questions=False``) and adds questions after (an exam without any cannot be started)."""
    if not isinstance(data, dict):
        raise ApplicationError("invalid", _("Send an object."))
    errors: dict[str, list[str]] = {}
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > TITLE_MAX:
        errors["title"] = [_("Give the exam a title (at most %(max)s characters).") % {"max": TITLE_MAX}]
    pass_percent = _int(data.get("pass_percent", 80), 0, 100)
    if pass_percent is None:
        errors["pass_percent"] = [_("The pass mark is a whole percentage from 0 to 100.")]
    limit = _int(data.get("time_limit_minutes", 30), 1, MAX_TIME_LIMIT_MINUTES)
    if limit is None:
        errors["time_limit_minutes"] = [_("The time limit is a whole number of minutes, at least 1.")]
    max_attempts = data.get("max_attempts", 3)
    if max_attempts is not None and _int(max_attempts, 1, 100) is None:
        errors["max_attempts"] = [_("Allow from 1 to 100 attempts, or null for no limit.")]
    course = None
    if data.get("course") is not None:
        course_id = _int(data.get("course"), 1, 2**31 - 1)
        course = Course.objects.filter(pk=course_id).first() if course_id else None
        if course is None:
            errors["course"] = [_("No such course.")]
    raw_questions = data.get("questions", [])
    if not isinstance(raw_questions, list) or len(raw_questions) > MAX_QUESTIONS:
        errors["questions"] = [_("Questions are a list of at most %(max)s.") % {"max": MAX_QUESTIONS}]
        raw_questions = []
    cleaned = [question_clean(row, f"questions[{i}]", errors) for i, row in enumerate(raw_questions)]
    draws = _draws_clean(data.get("draws"), errors)
    if require_questions and not errors and not raw_questions and not draws:
        errors["questions"] = [_("Add at least one question or draw rule.")]
    if errors:
        raise ApplicationError("invalid", _("The exam is not valid."), fields=errors)
    description = data.get("description")
    exam = Exam.objects.create(
        title=str(title).strip(),
        description=description if isinstance(description, str) else "",
        pass_percent=int(pass_percent or 0),
        time_limit_minutes=int(limit or 1),
        max_attempts=max_attempts,
        course=course,
        created_by=actor,
    )
    for position, fields in enumerate(cleaned):
        if fields is None:  # pragma: no cover -- errors were raised above
            continue
        question = Question.objects.create(**fields)
        ExamQuestion.objects.create(exam=exam, question=question, position=position)
    for bank, tag, count in draws:
        ExamDraw.objects.create(exam=exam, bank=bank, tag=tag, count=count)
    audit_record(
        action=AuditAction.TRAINING_EXAM_CREATED,
        actor=actor,
        target=exam,
        after={"title": exam.title, "pass_percent": pass_percent, "questions": len(cleaned), "draws": len(draws)},
    )
    return exam


@transaction.atomic
def exam_add_question(*, actor: User, exam: Exam, question: Question) -> ExamQuestion:
    if ExamQuestion.objects.filter(exam=exam, question=question).exists():
        raise ApplicationError("duplicate", _("The exam has this question already."))
    position = ExamQuestion.objects.filter(exam=exam).count()
    row = ExamQuestion.objects.create(exam=exam, question=question, position=position)
    audit_record(
        action=AuditAction.TRAINING_EXAM_CHANGED, actor=actor, target=exam, after={"question_added": question.pk}
    )
    return row


@transaction.atomic
def exam_set_active(*, actor: User, exam: Exam, active: bool) -> Exam:
    exam.is_active = active
    exam.save(update_fields=["is_active"])
    audit_record(action=AuditAction.TRAINING_EXAM_CHANGED, actor=actor, target=exam, after={"is_active": active})
    return exam


@transaction.atomic
def exam_add_new_question(*, actor: User, exam: Exam, data: Any) -> ExamQuestion:
    """Write a question into the exam itself (no bank), at the end."""
    errors: dict[str, list[str]] = {}
    fields = question_clean(data, "question", errors)
    if fields is None:
        raise ApplicationError("invalid", _("The question is not valid."), fields=errors)
    question = Question.objects.create(**fields)
    return exam_add_question(actor=actor, exam=exam, question=question)


@transaction.atomic
def exam_add_draw(*, actor: User, exam: Exam, bank: QuestionBank, tag: Any, count: Any) -> ExamDraw:
    errors: dict[str, list[str]] = {}
    draws = _draws_clean([{"bank": bank.pk, "tag": tag, "count": count}], errors)
    if errors:
        raise ApplicationError(
            "invalid",
            _("The draw rule is not valid."),
            fields={key.split(".", 1)[-1]: value for key, value in errors.items()},
        )
    _bank, clean_tag, clean_count = draws[0]
    draw = ExamDraw.objects.create(exam=exam, bank=bank, tag=clean_tag, count=clean_count)
    audit_record(
        action=AuditAction.TRAINING_EXAM_CHANGED,
        actor=actor,
        target=exam,
        after={"draw_added": {"bank": bank.pk, "tag": clean_tag, "count": clean_count}},
    )
    return draw
