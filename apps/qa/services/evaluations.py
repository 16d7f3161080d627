"""Scoring a call: saving an evaluation (draft or submitted) and the live preview of its score.

Who evaluates: QA analysts, QA leads and administrators score any finished call; a supervisor
(班组长) scores the calls of the members of the teams they supervise — team leaders score their
own people in most contact centres, and their scores are ordinary evaluations that the agent sees
and may dispute. Nobody scores a call they handled themselves.

Answers are ``{"question": id, "value": ...}`` or ``{"question": id, "na": true}``, optionally with
a ``"note"``: a ``yes_no`` question takes true/false (yes earns its points, no earns 0), a ``scale``
question a whole number from 0 to its points, a ``points`` question a number from 0 to its points
with at most 2 decimals; N/A only where the question allows it. Every problem is reported at once
with a dotted field name: ``answers.<index>.<field>`` for an answer given, ``questions.<id>`` for
a question left unanswered on submit, ``comments.<index>.<field>`` for a comment — and nothing is
written (the whole save is one transaction, validated before the first write).

Scores are computed by :func:`apps.qa.scoring.score` (the contract) and stored to 4 decimals;
``section_scores`` maps the section id (a string, JSON) to its score as a 4-decimal string, or
null for a section left out. A draft is scored too, so the workspace shows where it stands.

Once submitted, the evaluation is the agent's to see: every later change (by its evaluator while
it is only submitted, by a QA lead or an administrator at any time — a dispute's re-score
included) keeps the answers and score it had in an ``EvaluationRevision`` and is written to the
audit log, as is the submission itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.models import Team
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.domain_events import domain_event
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.qa import scoring
from apps.qa.choices import (
    AssignmentStatus,
    CalibrationStatus,
    EvaluationKind,
    EvaluationStatus,
    QuestionKind,
    ScorecardStatus,
)
from apps.qa.models import (
    Answer,
    Assignment,
    CalibrationSession,
    Evaluation,
    EvaluationComment,
    EvaluationRevision,
    Question,
    Scorecard,
)
from apps.qa.selectors.scorecards import scorecard_sections, scoring_specs
from apps.qa.services.notices import notify_evaluation_submitted

# Who may score any call; a supervisor scores only their teams' members' calls.
EVALUATOR_ROLES = (Role.QA, Role.QA_LEAD, Role.TENANT_ADMIN)
TEAM_EVALUATOR_ROLES = (Role.SUPERVISOR,)
# Who may change an evaluation after it was submitted, whoever made it.
REVISER_ROLES = (Role.QA_LEAD, Role.TENANT_ADMIN)

MAX_COMMENTS = 200
COMMENT_MAX = 2000
NOTE_MAX = 500
SUMMARY_MAX = 4000
MAX_AT_SECONDS = 24 * 3600
TWO_PLACES = Decimal("0.01")


# --- who ------------------------------------------------------------------------------------


def supervises(supervisor, agent_user) -> bool:
    """Whether ``supervisor`` supervises a team ``agent_user`` is a member of."""
    if supervisor is None or agent_user is None:
        return False
    return Team.objects.filter(supervisors=supervisor, members=agent_user).exists()


def may_evaluate(user, call) -> bool:
    """Whether ``user`` may score ``call`` (see the module docstring)."""
    if user is None or not user.is_authenticated:
        return False
    agent_user = call.agent.user if call.agent_id else None
    if agent_user is not None and agent_user.pk == user.pk:
        return False
    if user.has_role(*EVALUATOR_ROLES):
        return True
    return user.has_role(*TEAM_EVALUATOR_ROLES) and supervises(user, agent_user)


def may_change(user, evaluation: Evaluation) -> bool:
    """Whether ``user`` may change ``evaluation`` now (a draft: its evaluator; submitted: its
    evaluator until the agent acknowledges or disputes it; a QA lead or administrator: always; a
    calibration evaluation: nobody once its session is closed)."""
    if user is None or not user.is_authenticated:
        return False
    if (
        evaluation.calibration_id is not None
        and not CalibrationSession.objects.filter(pk=evaluation.calibration_id, status=CalibrationStatus.OPEN).exists()
    ):
        return False  # a closed session's results are final: changing an answer would change them
    if user.has_role(*REVISER_ROLES):
        return True
    if evaluation.evaluator_id != user.pk:
        return False
    return evaluation.status in (EvaluationStatus.DRAFT, EvaluationStatus.SUBMITTED)


# --- answers --------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(str(message))

    def raise_if_any(self, message: str | None = None) -> None:
        if self.fields:
            raise ApplicationError("invalid", message or next(iter(self.fields.values()))[0], fields=self.fields)


def _earned(errors: _Errors, name: str, question: Question, value: Any) -> Decimal | None:
    """The points ``value`` earns on ``question``; None (and a field message) when it is not valid."""
    points = Decimal(question.points)
    if question.kind == QuestionKind.YES_NO:
        if not isinstance(value, bool):
            errors.add(name, _("Answer yes (true) or no (false)."))
            return None
        return points if value else Decimal(0)
    message = (
        _("Give a whole number from 0 to %(n)d.")
        if question.kind == QuestionKind.SCALE
        else _("Give a number from 0 to %(n)d, with at most 2 decimals.")
    ) % {"n": question.points}
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        errors.add(name, message)
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.add(name, message)
        return None
    if not number.is_finite() or not 0 <= number <= points:
        errors.add(name, message)
        return None
    if question.kind == QuestionKind.SCALE and number != number.to_integral_value():
        errors.add(name, message)
        return None
    if number != number.quantize(TWO_PLACES):
        errors.add(name, message)
        return None
    return number.quantize(TWO_PLACES)


def _text_problem(value: Any, limit: int) -> str | None:
    """Why ``value`` cannot be stored as text of at most ``limit`` characters, or None."""
    if not isinstance(value, str):
        return _("Give text.")
    if "\x00" in value:  # PostgreSQL text cannot hold it
        return _("Remove the NUL character.")
    if len(value) > limit:
        return _("At most %(n)d characters.") % {"n": limit}
    return None


class CleanAnswer:
    __slots__ = ("earned", "na", "note", "question")

    def __init__(self, question: Question, earned: Decimal | None, na: bool, note: str) -> None:
        self.question, self.earned, self.na, self.note = question, earned, na, note


def clean_answers(
    *, questions: dict[int, Question], answers: Any, errors: _Errors | None = None
) -> dict[int, CleanAnswer]:
    """The answers checked against the scorecard's ``questions`` (by id), keyed by question id.

    Raises ApplicationError with every field message unless an ``errors`` collector is given."""
    own = errors is None
    errors = errors or _Errors()
    clean: dict[int, CleanAnswer] = {}
    if answers is None:
        answers = []
    if not isinstance(answers, list | tuple):
        errors.add("answers", _("Give a list of answers."))
        answers = []
    for index, item in enumerate(answers):
        prefix = f"answers.{index}"
        if not isinstance(item, dict):
            errors.add(prefix, _("Give an answer as an object with a question and a value."))
            continue
        raw_id = item.get("question")
        question = None
        if isinstance(raw_id, int) and not isinstance(raw_id, bool):
            question = questions.get(raw_id)
        if question is None:
            errors.add(f"{prefix}.question", _("This question is not on this scorecard."))
            continue
        if question.pk in clean:
            errors.add(f"{prefix}.question", _("This question is answered twice."))
            continue
        note = item.get("note") or ""
        if problem := _text_problem(note, NOTE_MAX):
            errors.add(f"{prefix}.note", problem)
            note = ""
        na = item.get("na", False)
        if na not in (True, False):
            errors.add(f"{prefix}.na", _("Give true or false."))
            continue
        if na:
            if not question.allow_na:
                errors.add(f"{prefix}.na", _("This question cannot be marked N/A."))
            elif item.get("value") is not None:
                errors.add(f"{prefix}.value", _("Give a value or N/A, not both."))
            else:
                clean[question.pk] = CleanAnswer(question, None, True, note.strip())
            continue
        if "value" not in item or item["value"] is None:
            errors.add(f"{prefix}.value", _("Give a value (or N/A where allowed)."))
            continue
        earned = _earned(errors, f"{prefix}.value", question, item["value"])
        if earned is not None:
            clean[question.pk] = CleanAnswer(question, earned, False, note.strip())
    if own:
        errors.raise_if_any()
    return clean


def _result(scorecard: Scorecard, clean: dict[int, CleanAnswer]) -> scoring.Result:
    sections, questions = scoring_specs(scorecard_sections(scorecard))
    earned: dict[int, Decimal | None] = {qid: answer.earned for qid, answer in clean.items()}
    return scoring.score(sections, questions, earned)


def evaluation_preview(*, scorecard: Scorecard, answers: Any) -> scoring.Result:
    """The score these answers would give, validated as :func:`evaluation_save` does; saves nothing.
    The workspace's live score asks for it (never a copy of the contract in JavaScript)."""
    questions = {q.pk: q for q in Question.objects.filter(section__scorecard=scorecard)}
    return _result(scorecard, clean_answers(questions=questions, answers=answers))


# --- comments -------------------------------------------------------------------------------


def _clean_comments(errors: _Errors, comments: Any) -> list[tuple[float | None, str]]:
    if not isinstance(comments, list | tuple):
        errors.add("comments", _("Give a list of comments."))
        return []
    if len(comments) > MAX_COMMENTS:
        errors.add("comments", _("At most %(n)d comments.") % {"n": MAX_COMMENTS})
        return []
    clean: list[tuple[float | None, str]] = []
    for index, item in enumerate(comments):
        prefix = f"comments.{index}"
        if not isinstance(item, dict):
            errors.add(prefix, _("Give a comment as an object with at_seconds and text."))
            continue
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            errors.add(f"{prefix}.text", _("This field is required."))
            continue
        if problem := _text_problem(text, COMMENT_MAX):
            errors.add(f"{prefix}.text", problem)
            continue
        at = item.get("at_seconds")
        if at is not None and (
            isinstance(at, bool) or not isinstance(at, int | float) or not 0 <= at <= MAX_AT_SECONDS or at != at
        ):
            errors.add(f"{prefix}.at_seconds", _("Give the moment in seconds from the start of the recording."))
            continue
        clean.append((None if at is None else round(float(at), 2), text.strip()))
    return clean


def _listed(items: Any) -> Any:
    """A generator becomes a list; anything not list-like is passed on for the field message."""
    if isinstance(items, list | tuple | dict | str | bytes):
        return items
    try:
        return list(items)
    except TypeError:
        return items


# --- saving ---------------------------------------------------------------------------------


def _snapshot(evaluation: Evaluation) -> dict:
    """What a revision and the audit log keep of an evaluation."""
    return {
        "status": evaluation.status,
        "score": None if evaluation.score is None else str(evaluation.score),
        "critical_failed": evaluation.critical_failed,
        "section_scores": dict(evaluation.section_scores or {}),
        "answers": {
            str(a.question_id): (None if a.na else str(a.earned))
            for a in Answer.objects.filter(evaluation=evaluation).order_by("question_id")
        },
        "summary": evaluation.summary,
        "comments": [[c.at_seconds, c.text] for c in evaluation.comments.order_by("at_seconds", "id")],
    }


def _check_new(*, actor, call, scorecard: Scorecard, calibration, assignment, errors: _Errors) -> None:
    if call.ended_at is None:
        errors.add("call", _("This call has not ended yet."))
    if not call.agent_id:
        errors.add("call", _("This call was not handled by an agent."))
    if not scorecard.is_current:
        errors.add("scorecard", _("This scorecard was replaced by a newer version; score on the current one."))
    elif scorecard.status != ScorecardStatus.PUBLISHED:
        errors.add("scorecard", _("This scorecard is not published."))
    if calibration is not None:
        if calibration.status != CalibrationStatus.OPEN:
            errors.add("calibration", _("This calibration session is closed."))
        if calibration.call_id != call.pk or calibration.scorecard_id != scorecard.pk:
            errors.add("calibration", _("This calibration session is about another call or scorecard."))
        if Evaluation.objects.filter(calibration=calibration, evaluator=actor).exists():
            raise ApplicationError(
                "exists", _("You have already scored this calibration session; edit your evaluation."), status=409
            )
    elif Evaluation.objects.filter(
        call=call, evaluator=actor, kind=EvaluationKind.REGULAR, scorecard__family=scorecard.family
    ).exists():
        raise ApplicationError(
            "exists", _("You have already evaluated this call on this scorecard; edit that evaluation."), status=409
        )
    if assignment is not None:
        if assignment.call_id != call.pk:
            errors.add("assignment", _("This assignment is for another call."))
        if assignment.assignee_id not in (None, actor.pk) and not actor.has_role(*REVISER_ROLES):
            errors.add("assignment", _("This assignment is someone else's."))


@transaction.atomic
def evaluation_save(  # noqa: PLR0913 -- the workspace, the API, calibration and disputes all save through here
    *,
    actor,
    call,
    scorecard: Scorecard,
    answers: Iterable[dict] | None,
    comments: Iterable[dict] | None = None,
    submit: bool = False,
    evaluation: Evaluation | None = None,
    assignment: Assignment | None = None,
    calibration: CalibrationSession | None = None,
    summary: str | None = None,
    reason: str = "",
) -> Evaluation:
    """Create (``evaluation=None``) or change an evaluation and return it.

    ``answers`` is the full set of answers (None keeps the stored ones); ``comments`` the full
    list of comments (None keeps them); ``summary`` None keeps it. ``submit`` turns a draft into
    a submitted evaluation, which needs every question answered or N/A. ``reason`` is kept on the
    revision when a submitted evaluation changes (a dispute accepted, a lead's correction)."""
    errors = _Errors()
    reason = str(reason or "")[:500].replace("\x00", "")
    if evaluation is None:
        if not may_evaluate(actor, call):
            raise PermissionDeniedError("forbidden", _("You may not evaluate this call."))
        _check_new(
            actor=actor, call=call, scorecard=scorecard, calibration=calibration, assignment=assignment, errors=errors
        )
    else:
        evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if not may_change(actor, evaluation):
            raise PermissionDeniedError("forbidden", _("You may not change this evaluation."))
        if evaluation.call_id != call.pk or evaluation.scorecard_id != scorecard.pk:
            errors.add("scorecard", _("An evaluation keeps its call and scorecard."))
            errors.raise_if_any()
    questions = {q.pk: q for q in Question.objects.filter(section__scorecard=scorecard).select_related("section")}
    clean: dict[int, CleanAnswer] | None = None
    if answers is not None:
        clean = clean_answers(questions=questions, answers=_listed(answers), errors=errors)
    clean_comments = None if comments is None else _clean_comments(errors, _listed(comments))
    if summary is not None and (problem := _text_problem(summary, SUMMARY_MAX)):
        errors.add("summary", problem)
    errors.raise_if_any()

    if clean is None:  # keep the stored answers
        clean = {}
        if evaluation is not None:
            for row in evaluation.answers.all():
                clean[row.question_id] = CleanAnswer(questions[row.question_id], row.earned, row.na, row.note)
    already_submitted = evaluation is not None and evaluation.status != EvaluationStatus.DRAFT
    if submit or already_submitted:
        missing = [q for q in questions.values() if q.pk not in clean]
        for question in missing:
            errors.add(
                f"questions.{question.pk}",
                _("Answer this question or mark it N/A.") if question.allow_na else _("Answer this question."),
            )
        errors.raise_if_any(_("Answer every question (or mark it N/A) before submitting."))

    result = _result(scorecard, clean)
    now = timezone.now()
    before = _snapshot(evaluation) if already_submitted and evaluation is not None else None
    if evaluation is None:
        evaluation = Evaluation(
            call=call,
            scorecard=scorecard,
            agent=call.agent.user if call.agent_id else None,
            evaluator=actor,
            kind=EvaluationKind.CALIBRATION if calibration is not None else EvaluationKind.REGULAR,
            calibration=calibration,
            assignment=assignment,
            created_at=now,
        )
    evaluation.score = scoring.stored(result.score)
    evaluation.section_scores = {
        str(sid): (None if value is None else str(scoring.stored(value))) for sid, value in result.sections.items()
    }
    evaluation.critical_failed = result.critical_failed
    if summary is not None:
        evaluation.summary = summary.strip()
    evaluation.updated_at = now
    submitting = submit and evaluation.status == EvaluationStatus.DRAFT
    if submitting:
        evaluation.status = EvaluationStatus.SUBMITTED
        evaluation.submitted_at = now
    evaluation.save()

    Answer.objects.filter(evaluation=evaluation).delete()
    Answer.objects.bulk_create(
        Answer(evaluation=evaluation, question_id=qid, earned=a.earned, na=a.na, note=a.note)
        for qid, a in clean.items()
    )
    if clean_comments is not None:
        _replace_comments(evaluation, clean_comments, actor)

    if evaluation.assignment_id:
        _advance_assignment(evaluation.assignment_id, done=evaluation.status != EvaluationStatus.DRAFT)
    if submitting:
        audit_record(
            action=AuditAction.EVALUATION_SUBMITTED,
            actor=actor,
            target=evaluation,
            after=_snapshot(evaluation),
            extra={"call": call.uid, "scorecard": scorecard.pk, "kind": evaluation.kind},
        )
        notify_evaluation_submitted(evaluation)  # the agent, after the commit (never a calibration one)
        domain_event("evaluation.submitted", evaluation)
    elif before is not None:
        after = _snapshot(evaluation)
        if after != before:
            EvaluationRevision.objects.create(
                evaluation=evaluation, changed_by=actor, changed_at=now, reason=reason, before=before, after=after
            )
            audit_record(
                action=AuditAction.EVALUATION_CHANGED,
                actor=actor,
                target=evaluation,
                before=before,
                after=after,
                extra={"call": call.uid, "reason": reason},
            )
    return evaluation


def _replace_comments(evaluation: Evaluation, comments: list[tuple[float | None, str]], actor) -> None:
    """The comments become ``comments``: an unchanged one keeps its author and time."""
    existing = list(evaluation.comments.all())
    keep: set[int] = set()
    new: list[EvaluationComment] = []
    for at, text in comments:
        match = next((c for c in existing if c.pk not in keep and c.at_seconds == at and c.text == text), None)
        if match is not None:
            keep.add(match.pk)
        else:
            new.append(EvaluationComment(evaluation=evaluation, at_seconds=at, text=text, author=actor))
    evaluation.comments.exclude(pk__in=keep).delete()
    EvaluationComment.objects.bulk_create(new)


def _advance_assignment(assignment_id: int, *, done: bool) -> None:
    assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
    if done and assignment.status != AssignmentStatus.DONE:
        assignment.status = AssignmentStatus.DONE
        assignment.save(update_fields=["status"])
    elif not done and assignment.status == AssignmentStatus.PENDING:
        assignment.status = AssignmentStatus.IN_PROGRESS
        assignment.save(update_fields=["status"])
