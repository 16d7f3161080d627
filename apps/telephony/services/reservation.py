"""Offer reservation in the database: the final word when several engine processes route.

The in-memory ACD (:mod:`apps.telephony.acd`) already reserves under its lock inside one
process. Across processes, an agent is reserved for a call only if, in one transaction, a
conditional UPDATE moves the agent from ``ready`` to ``reserved`` and another moves the call
from ``queued`` to ``offered``; if either matches no row, both are rolled back. PostgreSQL
re-checks a conditional UPDATE's WHERE clause after waiting for a concurrent writer of the
same row, so of two racing reservations of one agent (or one call) exactly one wins, and the
fixed order (agent row, then call row) rules out deadlocks.

These functions bypass :func:`apps.telephony.services.agent_state.agent_set_state` on purpose:
routing is the hot path, so there is no SELECT ... FOR UPDATE and no transition-table lookup
(the WHERE clause *is* the transition check). They still write the ``AgentStateEvent`` so
the state history stays complete, and they publish nothing: the engine announces the offer
(or its withdrawal) itself.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.telephony import agent_states
from apps.telephony.choices import CallStatus
from apps.telephony.models import Agent, AgentStateEvent, Call, PauseReason
from apps.telephony.services.agent_state import SYSTEM_REASON_NAMES, agent_state_publish


def reserve_agent_for_call(*, agent_id: int, call_id: int, now: datetime | None = None) -> bool:
    """Reserve a Ready agent for a queued call; True if both were won, else nothing changes.

    The agent row is compared on ``state_since`` as well as ``state``, so the event's
    ``seconds_in_previous`` comes from the very Ready period that was ended. ``now`` lets a
    virtual-clock engine stamp its own time.
    """
    now = now or timezone.now()
    with transaction.atomic():
        since = (
            Agent.objects.filter(pk=agent_id, state=agent_states.READY).values_list("state_since", flat=True).first()
        )
        if since is None:
            return False
        agent_won = Agent.objects.filter(pk=agent_id, state=agent_states.READY, state_since=since).update(
            state=agent_states.RESERVED, current_call_id=call_id, state_since=now, reason=None
        )
        if agent_won != 1:
            return False
        call_won = Call.objects.filter(pk=call_id, status=CallStatus.QUEUED).update(
            status=CallStatus.OFFERED,
            agent_id=agent_id,
            offered_at=Coalesce(F("offered_at"), Value(now)),
            offer_count=F("offer_count") + 1,
        )
        if call_won != 1:
            transaction.set_rollback(True)  # give the agent back: the call is gone or taken
            return False
        AgentStateEvent.objects.create(
            agent_id=agent_id,
            at=now,
            from_state=agent_states.READY,
            to_state=agent_states.RESERVED,
            call_id=call_id,
            seconds_in_previous=max(0.0, (now - since).total_seconds()),
        )
        # Every state change reaches the wallboard and the desktop, this one included.
        agent_state_publish(agent=Agent.objects.select_related("reason", "seat").get(pk=agent_id))
    return True


def release_reservation(
    *,
    agent_id: int,
    call_id: int,
    to_state: str = agent_states.READY,
    reason_code: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Undo a reservation: the agent goes ``to_state`` and, if the call is still offered to
    this agent, the call goes back to ``queued`` without an agent.

    ``ready`` is for a withdrawn offer or a ring-all loser: ``idle_since`` is kept, so the
    agent keeps their place in longest-idle order. ``not_ready`` is for RONA; the reason
    defaults to the system reason "missed". Returns False (changing nothing) if the agent is
    not reserved for this call.
    """
    if to_state not in (agent_states.READY, agent_states.NOT_READY):
        raise ValueError(f"a reservation is released to ready or not_ready, not {to_state!r}")
    now = now or timezone.now()
    with transaction.atomic():
        reason = (
            _pause_reason(reason_code or agent_states.REASON_MISSED) if to_state == agent_states.NOT_READY else None
        )
        row = (
            Agent.objects.filter(pk=agent_id, state=agent_states.RESERVED, current_call_id=call_id)
            .values_list("state_since", "idle_since")
            .first()
        )
        if row is None:
            return False
        since, idle_since = row
        changes = {"state": to_state, "reason": reason, "current_call": None, "state_since": now}
        if to_state == agent_states.READY and idle_since is None:
            changes["idle_since"] = now
        released = Agent.objects.filter(
            pk=agent_id, state=agent_states.RESERVED, current_call_id=call_id, state_since=since
        ).update(**changes)
        if released != 1:
            return False
        Call.objects.filter(pk=call_id, status=CallStatus.OFFERED, agent_id=agent_id).update(
            status=CallStatus.QUEUED, agent=None
        )
        AgentStateEvent.objects.create(
            agent_id=agent_id,
            at=now,
            from_state=agent_states.RESERVED,
            to_state=to_state,
            reason=reason,
            call_id=call_id,
            seconds_in_previous=max(0.0, (now - since).total_seconds()),
        )
        agent_state_publish(agent=Agent.objects.select_related("reason", "seat").get(pk=agent_id))
    return True


def _pause_reason(code: str) -> PauseReason:
    reason = PauseReason.objects.filter(code=code).first()
    if reason is not None:
        return reason
    if code in agent_states.SYSTEM_REASONS:
        reason, _created = PauseReason.objects.get_or_create(
            code=code, defaults={"name": SYSTEM_REASON_NAMES[code], "is_system": True}
        )
        return reason
    raise ApplicationError(
        "unknown_reason",
        _("Unknown pause reason."),
        fields={"reason": [_("“%(code)s” is not one of this company's pause reasons.") % {"code": code}]},
    )
