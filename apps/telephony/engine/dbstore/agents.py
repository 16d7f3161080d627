"""Agent-state writes of the DbStore, and the reservation calls the call writes share.

The module functions (``_reserve``, ``_release``, ``_set_agent_state``) run in the worker,
inside the tenant's schema; they go through the agent-state and reservation services, so the
engine writes no state a person's change could not.
"""

from __future__ import annotations

import logging

from apps.core.errors import ApplicationError
from apps.telephony.engine.dbstore.core import IN_CALL, StoreCore, _Batch
from apps.telephony.engine.state import (
    A_NOT_READY,
    A_READY,
    A_RESERVED,
    AgentRuntime,
    CallState,
)
from apps.telephony.models import Agent
from apps.telephony.services.agent_state import agent_set_state
from apps.telephony.services.reservation import release_reservation, reserve_agent_for_call

logger = logging.getLogger(__name__)

# --- the database side (runs in the worker thread, inside the tenant's schema) -------------------


def _reserve(agent_id: int, call_row, *, at, compare_and_set: bool) -> bool:
    """Make an offer durable: the agent goes Reserved on this call unless someone else got them.

    ``compare_and_set``: a queued inbound call offered to one agent takes the reservation
    service's compare-and-set (agent ready → reserved and call queued → offered, or nothing).
    Other offers (ring-all's extra agents, a transfer to an agent, a callback or click-to-dial)
    go through ``agent_set_state``, which refuses an agent who is not free."""
    if compare_and_set:
        return reserve_agent_for_call(agent_id=agent_id, call_id=call_row.pk, now=at)
    try:
        agent_set_state(agent=Agent(pk=agent_id), state=A_RESERVED, call=call_row, source="engine", now=at)
    except ApplicationError:
        return False
    return True


def _release(agent_id: int, call_row, state: str, reason: str | None, at) -> bool:
    """Undo a reservation (RONA, reject, withdrawn offer): the reservation service puts the call
    back in the queue without an agent. False if the agent was not reserved for this call."""
    return release_reservation(agent_id=agent_id, call_id=call_row.pk, to_state=state, reason_code=reason, now=at)


def _set_agent_state(agent_id: int, state: str, reason: str | None, call_row, at) -> None:
    try:
        agent_set_state(
            agent=Agent(pk=agent_id), state=state, reason_code=reason, call=call_row, source="engine", now=at
        )
    except ApplicationError as error:
        # The database moved on without us (a supervisor forced a state meanwhile): keep going.
        logger.warning("engine: agent %s -> %s refused: %s", agent_id, state, error.code)
    except Agent.DoesNotExist:
        logger.warning("engine: agent %s is gone", agent_id)


class AgentWrites(StoreCore):
    """Agent state transitions, written through ``agent_set_state`` like a person's change."""

    def agent_state(self, agent: AgentRuntime, previous: str, call: CallState | None = None) -> None:
        if agent.state == A_RESERVED:
            return  # written with the offer (call_offered), by the reservation
        self._durable(
            "agent_state",
            agent_id=agent.agent_id,
            previous=previous,
            state=agent.state,
            reason=agent.reason,
            uid=call.uid if call is not None else None,
            at=self._at(),
        )

    def _op_agent_state(self, batch: _Batch, *, agent_id, previous, state, reason, uid, at) -> None:
        row = self._row(uid) if uid else None
        released = (
            previous == A_RESERVED
            and state in (A_READY, A_NOT_READY)
            and row is not None
            and _release(agent_id, row, state, reason, at)
        )
        if not released:
            _set_agent_state(agent_id, state, reason, row if state in IN_CALL else None, at)
