"""The agent's answer to an evaluation — acknowledge it, or dispute questions — and the lead's decision.

Rules (docs/qa.md "For agents and leads"):

- Only the agent the evaluation is about acknowledges or disputes it, and only a submitted,
  regular evaluation (never a draft, never a calibration one; anyone else: 404 for an agent who
  cannot see it, 403 for a reader who can).
- **Acknowledge**: a submitted evaluation becomes ``acknowledged``; acknowledging means accepting
  it, so an acknowledged evaluation can no longer be disputed. After a decided dispute (``final``)
  the agent may still acknowledge that they read the decision (the status stays ``final``).
- **Dispute**: within ``QaSettings.dispute_window_days`` days of the submission (to the second), with
  an overall reason and, per disputed question, its own reason. One dispute per evaluation: while
  one is open the evaluation is ``disputed``; once decided it is ``final`` and cannot be disputed
  again.
- **Decide** (QA leads and administrators): *accept* re-scores — the lead gives new answers for
  disputed questions only, at least one different from the stored one; the score is recomputed
  through the scoring contract by ``evaluation_save`` (the evaluation service), which keeps the
  earlier answers and score in an ``EvaluationRevision`` and audits the change — or *reject* with a
  note (required). Either way the evaluation becomes ``final``.
- **Who decides**: a QA lead or an administrator who neither scored the evaluation nor is its agent
  (a lead does not judge their own scoring: another lead, or an administrator, decides).

Raising and deciding are written to the audit log; the leads are told of a new dispute and the
agent of the decision (apps/qa/services/notices.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from apps.qa.choices import DisputeStatus, EvaluationKind, EvaluationStatus, QuestionKind
from apps.qa.models import Dispute, DisputeItem, Evaluation, QaSettings, Question
from apps.qa.services.evaluations import clean_answers, evaluation_save
from apps.qa.services.notices import notify_dispute_decided, notify_dispute_raised

ARBITRATOR_ROLES = (Role.QA_LEAD, Role.TENANT_ADMIN)
REASON_MAX = 2000
ITEM_REASON_MAX = 1000
NOTE_MAX = 2000


# --- who and when ---------------------------------------------------------------------------------


def dispute_deadline(evaluation: Evaluation) -> datetime | None:
    """The last moment the agent may dispute ``evaluation`` (None before it is submitted)."""
    if evaluation.submitted_at is None:
        return None
    return evaluation.submitted_at + timedelta(days=QaSettings.load().dispute_window_days)


def may_arbitrate(user, evaluation: Evaluation) -> bool:
    """A QA lead or administrator who neither scored ``evaluation`` nor is its agent."""
    if user is None or not user.is_authenticated or not user.has_role(*ARBITRATOR_ROLES):
        return False
    return user.pk not in (evaluation.evaluator_id, evaluation.agent_id)


def agent_actions(evaluation: Evaluation, user, *, now: datetime | None = None) -> dict[str, Any]:
    """What the agent may do with ``evaluation`` now, for the pages: acknowledge, dispute (and until when)."""
    now = now or timezone.now()
    own = user is not None and evaluation.agent_id == user.pk and evaluation.kind == EvaluationKind.REGULAR
    deadline = dispute_deadline(evaluation)
    in_window = deadline is not None and now <= deadline
    return {
        "own": own,
        "can_acknowledge": own
        and (
            evaluation.status == EvaluationStatus.SUBMITTED
            or (evaluation.status == EvaluationStatus.FINAL and evaluation.acknowledged_at is None)
        ),
        "can_dispute": own and evaluation.status == EvaluationStatus.SUBMITTED and in_window,
        "deadline": deadline,
        "window_closed": own and evaluation.status == EvaluationStatus.SUBMITTED and not in_window,
    }


def _locked_own(evaluation: Evaluation, actor) -> Evaluation:
    """``evaluation`` locked, if it is ``actor``'s to answer (404 for anything not theirs)."""
    locked = Evaluation.objects.select_for_update().select_related("call", "scorecard").get(pk=evaluation.pk)
    visible = locked.kind == EvaluationKind.REGULAR and locked.status != EvaluationStatus.DRAFT
    if not visible:
        raise NotFoundError("not_found", _("No such evaluation."))
    if actor is None or locked.agent_id != actor.pk:
        raise PermissionDeniedError(
            "forbidden", _("Only the agent the evaluation is about may acknowledge or dispute it.")
        )
    return locked


def _state_error(evaluation: Evaluation) -> ApplicationError:
    messages: dict[str, str] = {
        EvaluationStatus.ACKNOWLEDGED: _("You acknowledged this evaluation; it can no longer be disputed."),
        EvaluationStatus.DISPUTED: _("This evaluation is already disputed; a QA lead will decide."),
        EvaluationStatus.FINAL: _("This evaluation is final: its dispute was decided."),
    }
    return ApplicationError(
        "invalid_state", messages.get(str(evaluation.status), _("This evaluation cannot be disputed now."))
    )


# --- the agent ---------------------------------------------------------------------------------------


@transaction.atomic
def evaluation_acknowledge(*, evaluation: Evaluation, actor) -> Evaluation:
    """The agent has read ``evaluation`` (and, while it is only submitted, accepts it)."""
    evaluation = _locked_own(evaluation, actor)
    if evaluation.status == EvaluationStatus.ACKNOWLEDGED or (
        evaluation.status == EvaluationStatus.FINAL and evaluation.acknowledged_at is not None
    ):
        return evaluation  # already: nothing changes
    if evaluation.status not in (EvaluationStatus.SUBMITTED, EvaluationStatus.FINAL):
        raise ApplicationError(
            "invalid_state", _("This evaluation is disputed: wait for the decision, then acknowledge it.")
        )
    before = {"status": evaluation.status, "acknowledged_at": None}
    evaluation.acknowledged_at = timezone.now()
    if evaluation.status == EvaluationStatus.SUBMITTED:
        evaluation.status = EvaluationStatus.ACKNOWLEDGED
    evaluation.save(update_fields=["status", "acknowledged_at"])
    audit_record(
        action=AuditAction.EVALUATION_ACKNOWLEDGED,
        actor=actor,
        target=evaluation,
        before=before,
        after={"status": evaluation.status, "acknowledged_at": evaluation.acknowledged_at.isoformat()},
        extra={"call": evaluation.call.uid},
    )
    return evaluation


def _text(fields: dict[str, list[str]], name: str, value: Any, limit: int, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        fields.setdefault(name, []).append(_("Give a text."))
        return ""
    value = value.strip()
    if "\x00" in value:  # PostgreSQL text cannot hold it
        fields.setdefault(name, []).append(_("Remove the NUL character."))
        return ""
    if required and not value:
        fields.setdefault(name, []).append(_("This field is required."))
    elif len(value) > limit:
        fields.setdefault(name, []).append(_("At most %(n)d characters.") % {"n": limit})
    return value


def _clean_items(
    fields: dict[str, list[str]], items: Any, questions: dict[int, Question]
) -> list[tuple[Question, str]]:
    if not isinstance(items, list | tuple) or not items:
        fields.setdefault("items", []).append(_("Choose at least one question to dispute."))
        return []
    clean: list[tuple[Question, str]] = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        prefix = f"items.{index}"
        if not isinstance(item, dict):
            fields.setdefault(prefix, []).append(_("Give a question and a reason."))
            continue
        raw = item.get("question")
        question = questions.get(raw) if isinstance(raw, int) and not isinstance(raw, bool) else None
        if question is None:
            fields.setdefault(f"{prefix}.question", []).append(_("This question is not on this evaluation."))
        elif question.pk in seen:
            fields.setdefault(f"{prefix}.question", []).append(_("This question is disputed twice."))
            question = None
        reason = _text(fields, f"{prefix}.reason", item.get("reason"), ITEM_REASON_MAX, required=True)
        if question is not None and reason:
            seen.add(question.pk)
            clean.append((question, reason))
    return clean


@transaction.atomic
def dispute_raise(*, evaluation: Evaluation, actor, reason: Any, items: Any, now: datetime | None = None) -> Dispute:
    """The agent disputes questions of ``evaluation``: ``reason`` overall, ``items`` a list of
    ``{"question": id, "reason": text}``. Every problem is reported at once; nothing is written."""
    evaluation = _locked_own(evaluation, actor)
    if evaluation.status != EvaluationStatus.SUBMITTED:
        raise _state_error(evaluation)
    now = now or timezone.now()
    deadline = dispute_deadline(evaluation)
    if deadline is None or now > deadline:
        raise ApplicationError(
            "dispute_window_closed",
            _(
                "The time to dispute this evaluation ended on %(deadline)s (%(days)d days after it was submitted); "
                "acknowledge it, or talk to your supervisor."
            )
            % {
                "deadline": formats.date_format(timezone.localtime(deadline), "DATETIME_FORMAT") if deadline else "—",
                "days": QaSettings.load().dispute_window_days,
            },
        )
    fields: dict[str, list[str]] = {}
    clean_reason = _text(fields, "reason", reason, REASON_MAX, required=True)
    questions = {q.pk: q for q in Question.objects.filter(section__scorecard_id=evaluation.scorecard_id)}
    clean_items = _clean_items(fields, items, questions)
    if fields:
        raise ApplicationError("invalid", next(iter(fields.values()))[0], fields=fields)
    dispute = Dispute.objects.create(evaluation=evaluation, raised_by=actor, reason=clean_reason, raised_at=now)
    DisputeItem.objects.bulk_create(
        DisputeItem(dispute=dispute, question=question, reason=text) for question, text in clean_items
    )
    evaluation.status = EvaluationStatus.DISPUTED
    evaluation.save(update_fields=["status"])
    audit_record(
        action=AuditAction.DISPUTE_RAISED,
        actor=actor,
        target=evaluation,
        before={"status": EvaluationStatus.SUBMITTED},
        after={
            "status": EvaluationStatus.DISPUTED,
            "dispute": dispute.pk,
            "reason": clean_reason,
            "questions": {str(q.pk): text for q, text in clean_items},
        },
        extra={"call": evaluation.call.uid},
    )
    notify_dispute_raised(dispute)
    return dispute


# --- the lead -----------------------------------------------------------------------------------------


def _locked_open(dispute: Dispute, actor) -> tuple[Dispute, Evaluation]:
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    evaluation = (
        Evaluation.objects.select_for_update().select_related("call", "scorecard").get(pk=dispute.evaluation_id)
    )
    if actor is None or not actor.has_role(*ARBITRATOR_ROLES):
        raise PermissionDeniedError("forbidden", _("Only a QA lead or an administrator decides a dispute."))
    if not may_arbitrate(actor, evaluation):
        raise PermissionDeniedError(
            "own_evaluation",
            _("You scored this evaluation (or it is about you): another QA lead or an administrator decides."),
        )
    if dispute.status != DisputeStatus.OPEN:
        raise ApplicationError("invalid_state", _("This dispute was already decided."))
    return dispute, evaluation


def _answer_entry(question: Question, *, na: bool, earned, note: str) -> dict[str, Any]:
    """An answer as ``evaluation_save`` takes it (yes/no questions as booleans)."""
    entry: dict[str, Any] = {"question": question.pk}
    if na:
        entry["na"] = True
    elif question.kind == QuestionKind.YES_NO:
        entry["value"] = earned > 0
    else:
        entry["value"] = earned
    if note:
        entry["note"] = note
    return entry


def _decide(dispute: Dispute, evaluation: Evaluation, actor, status: str, note: str) -> None:
    dispute.status = status
    dispute.decided_by = actor
    dispute.decided_at = timezone.now()
    dispute.decision_note = note
    dispute.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    Evaluation.objects.filter(pk=evaluation.pk).update(status=EvaluationStatus.FINAL)
    evaluation.status = EvaluationStatus.FINAL


@transaction.atomic
def dispute_accept(*, dispute: Dispute, actor, answers: Any, note: Any = "") -> Dispute:
    """Accept ``dispute``: ``answers`` (the evaluation API's answer objects) change disputed
    questions only, at least one of them; the evaluation is re-scored and becomes final."""
    dispute, evaluation = _locked_open(dispute, actor)
    fields: dict[str, list[str]] = {}
    clean_note = _text(fields, "note", note, NOTE_MAX, required=False)
    disputed = {item.question_id for item in dispute.items.all()}
    questions = {q.pk: q for q in Question.objects.filter(section__scorecard_id=evaluation.scorecard_id)}
    if not isinstance(answers, list | tuple) or not answers:
        fields.setdefault("answers", []).append(_("Give the new answer of at least one disputed question."))
        answers = []
    for index, item in enumerate(answers):
        raw = item.get("question") if isinstance(item, dict) else None
        if isinstance(raw, int) and not isinstance(raw, bool) and raw in questions and raw not in disputed:
            fields.setdefault(f"answers.{index}.question", []).append(
                _("This question was not disputed; only disputed answers change.")
            )
    clean = {}
    if answers and not any(name.startswith("answers.") for name in fields):
        try:
            clean = clean_answers(questions={pk: questions[pk] for pk in disputed if pk in questions}, answers=answers)
        except ApplicationError as error:
            for name, messages in error.fields.items():
                fields.setdefault(name, []).extend(str(m) for m in messages)
    stored = {answer.question_id: answer for answer in evaluation.answers.all()}
    if clean and not fields:
        changed = [
            pk
            for pk, new in clean.items()
            if pk not in stored or stored[pk].na != new.na or (not new.na and stored[pk].earned != new.earned)
        ]
        if not changed:
            fields.setdefault("answers", []).append(
                _("These are the answers the evaluation already has: change one, or reject the dispute.")
            )
    if fields:
        raise ApplicationError("invalid", next(iter(fields.values()))[0], fields=fields)

    merged = {
        pk: _answer_entry(questions[pk], na=answer.na, earned=answer.earned, note=answer.note)
        for pk, answer in stored.items()
    }
    for pk, new in clean.items():
        note = new.note or (stored[pk].note if pk in stored else "")
        merged[pk] = _answer_entry(questions[pk], na=new.na, earned=new.earned, note=note)
    before_score = evaluation.score
    reason = _("Dispute #%(id)d accepted") % {"id": dispute.pk}
    evaluation = evaluation_save(
        actor=actor,
        call=evaluation.call,
        scorecard=evaluation.scorecard,
        answers=list(merged.values()),
        evaluation=evaluation,
        reason=f"{reason}: {clean_note}" if clean_note else reason,
    )
    _decide(dispute, evaluation, actor, DisputeStatus.ACCEPTED, clean_note)
    audit_record(
        action=AuditAction.DISPUTE_ACCEPTED,
        actor=actor,
        target=evaluation,
        before={"status": EvaluationStatus.DISPUTED, "score": None if before_score is None else str(before_score)},
        after={
            "status": EvaluationStatus.FINAL,
            "score": None if evaluation.score is None else str(evaluation.score),
            "dispute": dispute.pk,
            "note": clean_note,
        },
        extra={"call": evaluation.call.uid},
    )
    notify_dispute_decided(dispute)
    return dispute


@transaction.atomic
def dispute_reject(*, dispute: Dispute, actor, note: Any) -> Dispute:
    """Reject ``dispute`` with a note (required); the score stands and the evaluation becomes final."""
    dispute, evaluation = _locked_open(dispute, actor)
    fields: dict[str, list[str]] = {}
    clean_note = _text(fields, "note", note, NOTE_MAX, required=True)
    if fields:
        raise ApplicationError("invalid", next(iter(fields.values()))[0], fields=fields)
    _decide(dispute, evaluation, actor, DisputeStatus.REJECTED, clean_note)
    audit_record(
        action=AuditAction.DISPUTE_REJECTED,
        actor=actor,
        target=evaluation,
        before={"status": EvaluationStatus.DISPUTED},
        after={"status": EvaluationStatus.FINAL, "dispute": dispute.pk, "note": clean_note},
        extra={"call": evaluation.call.uid},
    )
    notify_dispute_decided(dispute)
    return dispute
