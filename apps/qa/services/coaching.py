"""Coaching sessions: planned from an evaluation (the agent and a topic prefilled) or from a trend
(an agent chosen on the form), followed up, acknowledged by the agent.

Who coaches: QA analysts, QA leads and administrators coach any agent; a supervisor coaches the
members of the teams they supervise. Nobody coaches themselves. The coach (or a QA lead or an
administrator) changes the notes, follow-up date and status; the agent acknowledges a session
(once). A session may name a course (``course_key``): training assigns it through the seam of
apps/qa/hooks.py — with no training registered the key is refused with a field message.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.qa import hooks
from apps.qa.choices import CoachingStatus, EvaluationKind, EvaluationStatus
from apps.qa.models import CoachingSession, Evaluation
from apps.qa.selectors.coaching import ALL_COACHING_ROLES, coachable_agents
from apps.qa.selectors.evaluations import evaluations_visible_to
from apps.qa.services.notices import notify_coaching_planned

COACH_ROLES = (*ALL_COACHING_ROLES, Role.SUPERVISOR)
# Who may change any session, whoever planned it.
COACHING_MANAGER_ROLES = (Role.QA_LEAD, Role.TENANT_ADMIN)
TOPIC_MAX = 200
NOTES_MAX = 10_000
COURSE_MAX = 100


def may_change_coaching(user, session: CoachingSession) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return session.coach_id == user.pk or user.has_role(*COACHING_MANAGER_ROLES)


def _snapshot(session: CoachingSession) -> dict[str, Any]:
    return {
        "agent": session.agent_id,
        "topic": session.topic,
        "notes": session.notes,
        "follow_up_on": session.follow_up_on.isoformat() if session.follow_up_on else None,
        "status": session.status,
        "course_key": session.course_key,
        "evaluation": session.evaluation_id,
    }


class _Fields:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            raise ApplicationError("invalid", next(iter(self.fields.values()))[0], fields=self.fields)


def _text(errors: _Fields, name: str, value: Any, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(name, _("Give a text."))
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


def _follow_up(errors: _Fields, value: Any, *, was: date | None = None) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            errors.add("follow_up_on", _("Give a date as YYYY-MM-DD."))
            return None
    if not isinstance(value, date):
        errors.add("follow_up_on", _("Give a date as YYYY-MM-DD."))
        return None
    if value != was and value < timezone.localdate():
        errors.add("follow_up_on", _("A follow-up date cannot be in the past."))
    return value


def _course(errors: _Fields, value: Any) -> str:
    key = _text(errors, "course_key", value, COURSE_MAX)
    if not key:
        return ""
    if not hooks.training_available():
        errors.add("course_key", _("Training is not available yet: no course can be assigned."))
    elif key not in {k for k, _title in hooks.course_choices()}:
        errors.add("course_key", _("No such course."))
    return key


@transaction.atomic
def coaching_create(
    *,
    actor,
    agent: User | None = None,
    evaluation: Evaluation | None = None,
    topic: Any,
    notes: Any = "",
    follow_up_on: Any = None,
    course_key: Any = "",
) -> CoachingSession:
    """Plan a coaching session. From an evaluation, ``agent`` defaults to the evaluation's agent
    (and must be that agent if given)."""
    if actor is None or not actor.has_role(*COACH_ROLES):
        raise PermissionDeniedError("forbidden", _("Only QA staff, QA leads, supervisors and administrators coach."))
    errors = _Fields()
    if evaluation is not None:
        visible = evaluations_visible_to(actor).filter(pk=evaluation.pk, kind=EvaluationKind.REGULAR)
        if not visible.exclude(status=EvaluationStatus.DRAFT).exists():
            errors.add("evaluation", _("No such evaluation."))
        elif agent is None:
            agent = evaluation.agent
        elif evaluation.agent_id != agent.pk:
            errors.add("agent", _("The evaluation is about another agent."))
    if agent is None:
        errors.add("agent", _("Choose the agent."))
    elif not coachable_agents(actor).filter(pk=agent.pk).exists():
        errors.add("agent", _("You may not coach this agent."))
    clean_topic = _text(errors, "topic", topic, TOPIC_MAX, required=True)
    clean_notes = _text(errors, "notes", notes, NOTES_MAX)
    follow = _follow_up(errors, follow_up_on)
    key = _course(errors, course_key)
    errors.raise_if_any()
    assert agent is not None  # noqa: S101 - checked above
    session = CoachingSession.objects.create(
        agent=agent,
        coach=actor,
        evaluation=evaluation,
        topic=clean_topic,
        notes=clean_notes,
        follow_up_on=follow,
        course_key=key,
        created_at=timezone.now(),
    )
    if key:
        hooks.assign_course(agent=agent, course_key=key, actor=actor, coaching=session)
    audit_record(action=AuditAction.COACHING_CREATED, actor=actor, target=session, after=_snapshot(session))
    notify_coaching_planned(session)
    return session


UNSET: Any = object()


@transaction.atomic
def coaching_update(
    *,
    session: CoachingSession,
    actor,
    topic: Any = UNSET,
    notes: Any = UNSET,
    follow_up_on: Any = UNSET,
    status: Any = UNSET,
) -> CoachingSession:
    """Change what is given (the rest is kept): the coach, a QA lead or an administrator."""
    session = CoachingSession.objects.select_for_update().get(pk=session.pk)
    if not may_change_coaching(actor, session):
        raise PermissionDeniedError("forbidden", _("Only the coach, a QA lead or an administrator changes a session."))
    errors = _Fields()
    before = _snapshot(session)
    if topic is not UNSET:
        session.topic = _text(errors, "topic", topic, TOPIC_MAX, required=True)
    if notes is not UNSET:
        session.notes = _text(errors, "notes", notes, NOTES_MAX)
    if follow_up_on is not UNSET:
        session.follow_up_on = _follow_up(errors, follow_up_on, was=session.follow_up_on)
    if status is not UNSET:
        if status not in CoachingStatus.values:
            errors.add("status", _("Choose planned, done or cancelled."))
        else:
            session.status = status
    errors.raise_if_any()
    after = _snapshot(session)
    if after != before:
        session.save()
        audit_record(action=AuditAction.COACHING_CHANGED, actor=actor, target=session, before=before, after=after)
    return session


@transaction.atomic
def coaching_acknowledge(*, session: CoachingSession, actor) -> CoachingSession:
    """The agent confirms the session (once; again: unchanged)."""
    session = CoachingSession.objects.select_for_update().get(pk=session.pk)
    if actor is None or session.agent_id != actor.pk:
        raise PermissionDeniedError("forbidden", _("Only the agent coached acknowledges a session."))
    if session.acknowledged_at is None:
        session.acknowledged_at = timezone.now()
        session.save(update_fields=["acknowledged_at"])
        audit_record(
            action=AuditAction.COACHING_CHANGED,
            actor=actor,
            target=session,
            before={"acknowledged_at": None},
            after={"acknowledged_at": session.acknowledged_at.isoformat()},
        )
    return session


@transaction.atomic
def coaching_delete(*, session: CoachingSession, actor) -> None:
    """Remove a session planned by mistake: only while it is planned and not yet acknowledged
    (afterwards cancel it: the agent has seen it)."""
    session = CoachingSession.objects.select_for_update().get(pk=session.pk)
    if not may_change_coaching(actor, session):
        raise PermissionDeniedError("forbidden", _("Only the coach, a QA lead or an administrator changes a session."))
    if session.status != CoachingStatus.PLANNED or session.acknowledged_at is not None:
        raise ApplicationError(
            "invalid_state", _("The agent has seen this session or it is over: cancel it instead of deleting it.")
        )
    audit_record(
        action=AuditAction.COACHING_CHANGED,
        actor=actor,
        target=session,
        before=_snapshot(session),
        after={"deleted": True},
    )
    session.delete()
