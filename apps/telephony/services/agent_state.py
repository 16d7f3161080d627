"""Agent state changes: the only writer of ``Agent.state`` (table: apps.telephony.agent_states).

Every change locks the agent row, is checked against the transition table, is stored as an
``AgentStateEvent`` and, once the transaction commits, is published to the wallboard, to the
agent's own desktop and to the engine (message types: docs/realtime.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.domain_events import domain_event
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.core.events import publish_on_commit
from apps.telephony import agent_states
from apps.telephony.choices import AgentState
from apps.telephony.models import Agent, AgentSkill, AgentStateEvent, Call, PauseReason, Seat, Skill
from apps.telephony.services.defaults import DEFAULT_SKILL, DEFAULT_SKILL_LEVEL
from apps.telephony.services.seat_credentials import agent_may_use_seat, seat_credential_issue, seat_credential_revoke

# Names of the system reasons when they must be created on the fly (a tenant provisioned
# before the seeder knew them); translated when shown.
SYSTEM_REASON_NAMES = {
    agent_states.REASON_LOGIN: gettext_noop("Logged in"),
    agent_states.REASON_MISSED: gettext_noop("Missed call"),
}


def iso_ms(value: datetime) -> str:
    """The realtime layer's timestamp format: ISO 8601, milliseconds, UTC."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def agent_group_topic(agent_id: int) -> str:
    return f"agent.{agent_id}"


def agent_state_payload(agent: Agent) -> dict[str, Any]:
    """``{"agent_id", "state", "reason", "since", "seat"}``: the API's answer and the realtime message body."""
    return {
        "agent_id": agent.pk,
        "state": agent.state,
        "reason": agent.reason.code if agent.reason is not None else None,
        "since": iso_ms(agent.state_since),
        "seat": agent.seat.extension if agent.seat is not None else None,
    }


def agent_ensure(*, user: User) -> Agent:
    """The user's Agent row, created on first use. Only users with the agent role have one."""
    try:
        return Agent.objects.select_related("reason", "seat").get(user=user)
    except Agent.DoesNotExist:
        pass
    if not user.has_role(Role.AGENT):
        raise PermissionDeniedError("not_an_agent", _("Only users with the agent role can take calls."))
    try:
        with transaction.atomic():
            agent = Agent.objects.create(user=user)
            _default_skill_give([agent])
            return agent
    except IntegrityError:
        # Two first requests of the same user raced; the other one created the row.
        return Agent.objects.select_related("reason", "seat").get(user=user)


def agents_sync() -> int:
    """Create the missing Agent rows of users with the agent role (so admins can give them skills
    before their first login). Returns how many were created."""
    missing = list(User.objects.filter(roles__contains=[Role.AGENT], agent__isnull=True).values_list("pk", flat=True))
    if not missing:
        return 0
    with transaction.atomic():
        Agent.objects.bulk_create([Agent(user_id=pk) for pk in missing], ignore_conflicts=True)
        # ignore_conflicts leaves the pks unset: read back the rows, skipping any a racing request made.
        created = list(Agent.objects.filter(user_id__in=missing, agent_skills__isnull=True))
        _default_skill_give(created)
    return len(created)


def _default_skill_give(agents: list[Agent]) -> None:
    """A new agent gets the company's default skill, so that the default queue can route calls to
    them from their first login: without a skill an invited agent would sit Ready and receive nothing.
    A company that removed the default skill gives skills by hand."""
    skill = Skill.objects.filter(code=DEFAULT_SKILL).first()
    if skill is None or not agents:
        return
    AgentSkill.objects.bulk_create(
        [AgentSkill(agent=agent, skill=skill, level=DEFAULT_SKILL_LEVEL) for agent in agents], ignore_conflicts=True
    )


def _reason_for(code: str | None, *, source: str) -> PauseReason:
    if not code:
        raise ApplicationError(
            "reason_required",
            _("Choose a reason for not being ready."),
            fields={"reason": [_("A pause reason is required for Not ready.")]},
        )
    if code in agent_states.SYSTEM_REASONS:
        # People pick from the tenant's reasons; "missed" and "login" are set by the system.
        if source == agent_states.ENGINE or code == agent_states.REASON_LOGIN:
            reason, _created = PauseReason.objects.get_or_create(
                code=code, defaults={"name": SYSTEM_REASON_NAMES[code], "is_system": True}
            )
            return reason
    else:
        active = PauseReason.objects.filter(code=code, is_active=True).first()
        if active is not None:
            return active
    raise ApplicationError(
        "unknown_reason",
        _("Unknown pause reason."),
        fields={"reason": [_("“%(code)s” is not one of this company's pause reasons.") % {"code": code}]},
    )


def _refuse_transition(agent: Agent, state: str, source: str) -> ApplicationError:
    labels = dict(AgentState.choices)
    return ApplicationError(
        "invalid_transition",
        _("An agent who is %(current)s cannot be set to %(target)s.")
        % {"current": labels.get(agent.state, agent.state), "target": labels.get(state, state)},
        fields={"state": [_("Not allowed now.")]},
    )


@transaction.atomic
def agent_set_state(
    *,
    agent: Agent,
    state: str,
    reason_code: str | None = None,
    call: Call | None = None,
    actor: User | None = None,
    source: str = agent_states.AGENT,
    now: datetime | None = None,
) -> Agent:
    """Move ``agent`` to ``state`` if the transition table allows ``source`` to.

    ``reason_code`` is required for NotReady and ignored otherwise. Asking for the state and
    reason the agent already has changes nothing (no event, no message). Going Offline frees
    the seat; going Ready stamps ``idle_since`` (longest-idle routing); leaving the call states
    clears ``current_call``.
    """
    if source not in agent_states.SOURCES:
        raise ValueError(f"unknown source {source!r}")
    if state not in agent_states.STATES:
        raise ApplicationError("invalid", _("The request has invalid fields."), fields={"state": [_("Unknown state.")]})
    locked = Agent.objects.select_for_update(of=("self",)).select_related("reason", "seat").get(pk=agent.pk)
    reason = _reason_for(reason_code, source=source) if agent_states.needs_reason(state) else None
    unchanged = locked.state == state and locked.reason_id == (reason.pk if reason else None)
    if unchanged and (call is None or locked.current_call_id == call.pk):
        _copy_state(locked, agent)
        return agent
    try:
        agent_states.validate_transition(locked.state, state, source)
    except agent_states.TransitionRefused:
        raise _refuse_transition(locked, state, source) from None
    if state in (agent_states.READY, agent_states.NOT_READY) and locked.seat_id is None and not locked.is_virtual:
        raise ApplicationError("not_logged_in", _("Log into a seat first."), fields={"seat": [_("No seat.")]})

    now = now or timezone.now()
    previous = locked.state
    fields = ["state", "reason", "state_since"]
    locked.state = state
    locked.reason = reason
    locked.state_since, since_before = now, locked.state_since
    if state == agent_states.READY:
        locked.idle_since = now
        fields.append("idle_since")
    if call is not None:
        locked.current_call = call
        fields.append("current_call")
    elif state in (agent_states.READY, agent_states.NOT_READY, agent_states.OFFLINE):
        locked.current_call = None
        fields.append("current_call")
    left_seat = None
    if state == agent_states.OFFLINE and locked.seat_id is not None:
        left_seat, locked.seat = locked.seat, None
        fields.append("seat")
    locked.save(update_fields=fields)
    if left_seat is not None:
        seat_credential_revoke(seat=left_seat)
    AgentStateEvent.objects.create(
        agent=locked,
        at=now,
        from_state=previous,
        to_state=state,
        reason=reason,
        call=call,
        actor=actor,
        seconds_in_previous=max(0.0, (now - since_before).total_seconds()),
    )
    agent_state_publish(agent=locked, source=source)
    _copy_state(locked, agent)
    return agent


def _copy_state(source: Agent, target: Agent) -> None:
    """Let the caller's instance see the new state (the locked copy is a different object)."""
    if source is target:
        return
    for name in ("state", "reason", "state_since", "idle_since", "current_call_id", "seat_id"):
        setattr(target, name, getattr(source, name))
    if source.seat_id is None:
        target.seat = None


def agent_state_publish(*, agent: Agent, source: str = agent_states.ENGINE) -> None:
    """Announce ``agent``'s current state on commit (wallboard, the agent's desktop, the engine).

    ``agent_set_state`` does this itself; code that changes ``Agent.state`` another way (the
    reservation compare-and-set) calls it so that every change still reaches the wallboard.
    """
    message = {"type": "agent.state", **agent_state_payload(agent)}
    publish_on_commit("wallboard", message)
    publish_on_commit(agent_group_topic(agent.pk), message)
    # The engine also hears its own changes; ``source`` lets it skip those.
    publish_on_commit("engine", {**message, "source": source})
    domain_event("agent.state", agent)


@transaction.atomic
def agent_login(
    *, seat_extension: str, user: User | None = None, agent_user: User | None = None, now: datetime | None = None
) -> Agent:
    """Log the user's agent into a seat; a first login leaves the agent NotReady (reason "login").

    ``agent_user`` is the name used in the issue 3 contract; ``user`` is the same thing.
    Logging into the seat one already holds changes nothing; moving to another seat is allowed
    while not in a call.
    """
    user = user or agent_user
    if user is None:
        raise TypeError("agent_login() needs user=")
    agent = agent_ensure(user=user)
    seat = Seat.objects.select_for_update().filter(extension=(seat_extension or "").strip()).first()
    if seat is None:
        raise ApplicationError(
            "unknown_seat", _("There is no such seat."), fields={"seat": [_("Enter one of your seat extensions.")]}
        )
    # Lock order: the seat, then the agent (every login takes them in this order).
    locked = Agent.objects.select_for_update(of=("self",)).select_related("seat").get(pk=agent.pk)
    if not agent_may_use_seat(locked, seat):
        raise ApplicationError(
            "seat_not_allowed",
            _("You may not use seat %(extension)s; ask an administrator for one of your seats.")
            % {"extension": seat.extension},
            fields={"seat": [_("Not one of your seats.")]},
        )
    holder = Agent.objects.filter(seat=seat).exclude(pk=locked.pk).first()
    if holder is not None and holder.state != agent_states.OFFLINE:
        raise ApplicationError(
            "seat_taken",
            _("Seat %(extension)s is in use by another agent.") % {"extension": seat.extension},
            fields={"seat": [_("In use.")]},
        )
    if holder is not None:
        # An offline agent should hold no seat; free it rather than refuse.
        Agent.objects.filter(pk=holder.pk).update(seat=None)
    if locked.state != agent_states.OFFLINE:
        if locked.seat_id == seat.pk:
            _copy_state(locked, agent)
            return agent
        if agent_states.is_in_call(locked.state):
            raise ApplicationError("busy", _("Finish the current call before changing seats."))
        left_seat = locked.seat
        locked.seat = seat
        locked.save(update_fields=["seat"])
        if left_seat is not None:
            seat_credential_revoke(seat=left_seat)
        seat_credential_issue(seat=seat)
        message = {"type": "agent.seat", "agent_id": locked.pk, "seat": seat.extension}
        publish_on_commit("wallboard", message)
        publish_on_commit(agent_group_topic(locked.pk), message)
        agent.seat = seat
        return agent
    stale_seat = locked.seat if locked.seat_id not in (None, seat.pk) else None
    locked.seat = seat
    locked.save(update_fields=["seat"])
    if stale_seat is not None:
        seat_credential_revoke(seat=stale_seat)
    seat_credential_issue(seat=seat)
    agent.seat = seat
    return agent_set_state(
        agent=agent,
        state=agent_states.NOT_READY,
        reason_code=agent_states.REASON_LOGIN,
        actor=user,
        source=agent_states.AGENT,
        now=now,
    )


def agent_logout(*, agent: Agent, actor: User | None = None, source: str = agent_states.AGENT) -> Agent:
    """Offline, and the seat is free again. Refused during a live call."""
    return agent_set_state(agent=agent, state=agent_states.OFFLINE, actor=actor, source=source)


@transaction.atomic
def agent_access_revoke(*, user: User) -> None:
    """``user`` may no longer take calls (deactivated, agent role removed, deleted): the credential
    of their seat goes at once, and they are logged out of it unless a live call must end first
    (the seat is then freed when they leave it, like any log-out)."""
    agent = Agent.objects.select_related("seat").filter(user=user).first()
    if agent is None or agent.seat is None:
        return
    if agent.state != agent_states.OFFLINE and agent_states.is_allowed(
        agent.state, agent_states.OFFLINE, agent_states.SUPERVISOR
    ):
        agent_set_state(agent=agent, state=agent_states.OFFLINE, source=agent_states.SUPERVISOR)
    else:
        seat_credential_revoke(seat=agent.seat)
