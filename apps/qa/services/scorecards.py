"""Writing scorecards: create, edit (in place or as a new version), publish, retire.

A scorecard that nobody has scored on yet is edited in place. Once one evaluation (a draft
included) points at it, its questions are that evaluation's meaning, so an edit makes a new
version of the same family instead: version + 1, ``is_current`` moves to it, and the earlier
evaluations keep the version they were scored on. An edit that changes nothing makes nothing.

The whole spec is validated before anything is written, and every problem is reported at once
with a dotted field name (``sections.0.questions.2.points``), the way the IVR editor does, so the
API answers 400 with every field message and the editor page can put each next to its input.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.qa.choices import Critical, QuestionKind, ScorecardStatus
from apps.qa.models import Question, Scorecard, Section

# Who designs forms. Analysts score on them; a form is the QA lead's (or the administrator's).
SCORECARD_ADMIN_ROLES = (Role.TENANT_ADMIN, Role.QA_LEAD)

MAX_SECTIONS = 30
MAX_QUESTIONS = 200
MAX_POINTS = 1000
MAX_WEIGHT = Decimal("10000")
NAME_MAX, TITLE_MAX, TEXT_MAX, GUIDANCE_MAX, DESCRIPTION_MAX = 150, 150, 300, 4000, 4000


def _check_actor(actor) -> None:
    """``actor=None`` is the system (demo data, migrations of data); a person needs the role."""
    if actor is not None and not actor.has_role(*SCORECARD_ADMIN_ROLES):
        raise PermissionDeniedError("forbidden", _("Only a QA lead or an administrator may change scorecards."))


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ApplicationError("invalid", first, fields=self.fields)


def _text(errors: _Errors, name: str, value: Any, *, limit: int, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(name, _("Give text."))
        return ""
    value = value.strip()
    if "\x00" in value:  # PostgreSQL text cannot hold it
        errors.add(name, _("Remove the NUL character."))
        return ""
    if required and not value:
        errors.add(name, _("This field is required."))
    elif len(value) > limit:
        errors.add(name, _("At most %(n)d characters.") % {"n": limit})
    return value


def _weight(errors: _Errors, name: str, value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(1)
    if isinstance(value, bool):
        errors.add(name, _("Give a number of 0 or more."))
        return Decimal(1)
    try:
        weight = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.add(name, _("Give a number of 0 or more."))
        return Decimal(1)
    if not weight.is_finite() or weight < 0:
        errors.add(name, _("Give a number of 0 or more."))
    elif weight > MAX_WEIGHT:
        errors.add(name, _("At most %(n)s.") % {"n": MAX_WEIGHT})
    elif weight != weight.quantize(Decimal("0.01")):
        errors.add(name, _("At most 2 decimals."))
    else:
        return weight.quantize(Decimal("0.01"))
    return Decimal(1)


def _points(errors: _Errors, name: str, value: Any, kind: str) -> int:
    if value is None or value == "":
        if kind == QuestionKind.YES_NO:
            return 1
        errors.add(name, _("This field is required."))
        return 1
    if isinstance(value, bool):
        errors.add(name, _("Give a whole number from 1 to %(n)d.") % {"n": MAX_POINTS})
        return 1
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value() or not 1 <= number <= MAX_POINTS:
        errors.add(name, _("Give a whole number from 1 to %(n)d.") % {"n": MAX_POINTS})
        return 1
    return int(number)


def _flag(errors: _Errors, name: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        errors.add(name, _("Give true or false."))
        return False
    return value


def _choice(errors: _Errors, name: str, value: Any, choices: type[models.TextChoices], default: str) -> str:
    if value is None or value == "":
        return default
    if value not in choices.values:
        errors.add(name, _("Choose one of: %(choices)s.") % {"choices": ", ".join(str(v) for v in choices.values)})
        return default
    return str(value)


def clean_spec(*, name: Any, description: Any, sections: Any) -> dict:
    """The scorecard spec checked and normalised, or ApplicationError with every field message.

    Public so that the editor page can validate a form before saving, with the same words."""
    errors = _Errors()
    clean: dict[str, Any] = {
        "name": _text(errors, "name", name, limit=NAME_MAX, required=True),
        "description": _text(errors, "description", description, limit=DESCRIPTION_MAX, required=False),
        "sections": [],
    }
    if not isinstance(sections, list) or not sections:
        errors.add("sections", _("Add at least one section."))
        errors.raise_if_any()
        return clean
    if len(sections) > MAX_SECTIONS:
        errors.add("sections", _("At most %(n)d sections.") % {"n": MAX_SECTIONS})
    question_count = 0
    for s_index, section in enumerate(sections):
        prefix = f"sections.{s_index}"
        if not isinstance(section, dict):
            errors.add(prefix, _("Give a section as an object with a title, a weight and questions."))
            continue
        clean_section: dict[str, Any] = {
            "title": _text(errors, f"{prefix}.title", section.get("title"), limit=TITLE_MAX, required=True),
            "weight": _weight(errors, f"{prefix}.weight", section.get("weight")),
            "questions": [],
        }
        questions = section.get("questions")
        if not isinstance(questions, list) or not questions:
            errors.add(f"{prefix}.questions", _("Add at least one question to this section."))
            questions = []
        for q_index, question in enumerate(questions):
            q_prefix = f"{prefix}.questions.{q_index}"
            question_count += 1
            if not isinstance(question, dict):
                errors.add(q_prefix, _("Give a question as an object with a text, a kind and points."))
                continue
            kind = _choice(errors, f"{q_prefix}.kind", question.get("kind"), QuestionKind, QuestionKind.YES_NO)
            clean_section["questions"].append(
                {
                    "text": _text(errors, f"{q_prefix}.text", question.get("text"), limit=TEXT_MAX, required=True),
                    "kind": kind,
                    "points": _points(errors, f"{q_prefix}.points", question.get("points"), kind),
                    "weight": _weight(errors, f"{q_prefix}.weight", question.get("weight")),
                    "critical": _choice(
                        errors, f"{q_prefix}.critical", question.get("critical"), Critical, Critical.NONE
                    ),
                    "allow_na": _flag(errors, f"{q_prefix}.allow_na", question.get("allow_na")),
                    "guidance": _text(
                        errors, f"{q_prefix}.guidance", question.get("guidance"), limit=GUIDANCE_MAX, required=False
                    ),
                }
            )
        clean["sections"].append(clean_section)
    if question_count > MAX_QUESTIONS:
        errors.add("sections", _("At most %(n)d questions in all.") % {"n": MAX_QUESTIONS})
    errors.raise_if_any()
    return clean


def scorecard_spec(scorecard: Scorecard) -> dict:
    """A stored scorecard in the shape :func:`clean_spec` returns (to compare an edit with it,
    and to fill the editor)."""
    return {
        "name": scorecard.name,
        "description": scorecard.description,
        "sections": [
            {
                "title": section.title,
                "weight": section.weight,
                "questions": [
                    {
                        "text": q.text,
                        "kind": q.kind,
                        "points": q.points,
                        "weight": q.weight,
                        "critical": q.critical,
                        "allow_na": q.allow_na,
                        "guidance": q.guidance,
                    }
                    for q in section.questions.all()
                ],
            }
            for section in scorecard.sections.prefetch_related("questions")
        ],
    }


def _write_structure(scorecard: Scorecard, sections: list[dict]) -> None:
    for s_position, section in enumerate(sections):
        row = Section.objects.create(
            scorecard=scorecard, title=section["title"], weight=section["weight"], position=s_position
        )
        Question.objects.bulk_create(
            Question(section=row, position=q_position, **question)
            for q_position, question in enumerate(section["questions"])
        )


def _audit_summary(scorecard: Scorecard) -> dict:
    return {"name": scorecard.name, "version": scorecard.version, "status": scorecard.status}


@transaction.atomic
def scorecard_create(
    *,
    actor,
    name: str,
    description: str = "",
    sections: list[dict],
    status: str = ScorecardStatus.PUBLISHED,
) -> Scorecard:
    """A new scorecard family at version 1. ``status`` is ``published`` (ready to score on) or
    ``draft`` (kept out of the analysts' choice until published)."""
    _check_actor(actor)
    spec = clean_spec(name=name, description=description, sections=sections)
    if status not in (ScorecardStatus.PUBLISHED, ScorecardStatus.DRAFT):
        raise ApplicationError(
            "invalid",
            _("A new scorecard is a draft or published."),
            fields={"status": [_("Choose draft or published.")]},
        )
    scorecard = Scorecard.objects.create(
        name=spec["name"], description=spec["description"], status=status, created_by=actor
    )
    _write_structure(scorecard, spec["sections"])
    audit_record(action=AuditAction.SCORECARD_CREATED, actor=actor, target=scorecard, after=_audit_summary(scorecard))
    return scorecard


def scorecard_is_scored(scorecard: Scorecard) -> bool:
    """Whether an evaluation (drafts and calibration ones included) was made on this version."""
    return scorecard.evaluations.exists()


@transaction.atomic
def scorecard_update(
    *,
    actor,
    scorecard: Scorecard,
    name: str | None = None,
    description: str | None = None,
    sections: list[dict] | None = None,
) -> Scorecard:
    """Edit the current version; ``None`` keeps that part. Returns the scorecard as it now is:
    the same row when edited in place, a new version when this one has evaluations, the same row
    unchanged when the edit changes nothing."""
    _check_actor(actor)
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    if not scorecard.is_current:
        raise ApplicationError(
            "not_current",
            _("This is an earlier version; edit the current one."),
            status=409,
        )
    before = scorecard_spec(scorecard)
    spec = clean_spec(
        name=before["name"] if name is None else name,
        description=before["description"] if description is None else description,
        sections=before["sections"] if sections is None else sections,
    )
    if spec == before:
        return scorecard
    old = _audit_summary(scorecard)
    if not scorecard_is_scored(scorecard):
        scorecard.name, scorecard.description = spec["name"], spec["description"]
        scorecard.save(update_fields=["name", "description"])
        if spec["sections"] != before["sections"]:
            scorecard.sections.all().delete()
            _write_structure(scorecard, spec["sections"])
        audit_record(
            action=AuditAction.SCORECARD_CHANGED,
            actor=actor,
            target=scorecard,
            before=old,
            after=_audit_summary(scorecard),
            extra={"new_version": False},
        )
        return scorecard
    # Scored on: the old version stays as it is for its evaluations, a new one becomes current.
    latest = Scorecard.objects.filter(family=scorecard.family).aggregate(v=Max("version"))["v"] or 0
    Scorecard.objects.filter(family=scorecard.family, is_current=True).update(is_current=False)
    new = Scorecard.objects.create(
        family=scorecard.family,
        version=latest + 1,
        is_current=True,
        name=spec["name"],
        description=spec["description"],
        status=scorecard.status,
        created_by=actor,
    )
    _write_structure(new, spec["sections"])
    audit_record(
        action=AuditAction.SCORECARD_CHANGED,
        actor=actor,
        target=new,
        before=old,
        after=_audit_summary(new),
        extra={"new_version": True, "previous_id": scorecard.pk},
    )
    return new


def _set_status(*, actor, scorecard: Scorecard, status: str, action: str) -> Scorecard:
    _check_actor(actor)
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    if not scorecard.is_current:
        raise ApplicationError("not_current", _("This is an earlier version; change the current one."), status=409)
    if scorecard.status == status:
        return scorecard
    old = _audit_summary(scorecard)
    scorecard.status = status
    scorecard.save(update_fields=["status"])
    audit_record(action=action, actor=actor, target=scorecard, before=old, after=_audit_summary(scorecard))
    return scorecard


@transaction.atomic
def scorecard_publish(*, actor, scorecard: Scorecard) -> Scorecard:
    """Offer the form to the evaluators (from draft, or back from retired)."""
    return _set_status(
        actor=actor, scorecard=scorecard, status=ScorecardStatus.PUBLISHED, action=AuditAction.SCORECARD_PUBLISHED
    )


@transaction.atomic
def scorecard_retire(*, actor, scorecard: Scorecard) -> Scorecard:
    """No new evaluations on this form; the ones made keep it, drafts on it may still be finished."""
    return _set_status(
        actor=actor, scorecard=scorecard, status=ScorecardStatus.RETIRED, action=AuditAction.SCORECARD_RETIRED
    )
