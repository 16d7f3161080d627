"""Agent state inside the engine: the changes call control makes and the ones people make.

Every engine-made change goes through :meth:`AgentStates.change` (so the store records it, with
the allowed transitions of :mod:`apps.telephony.agent_states`); changes made by a person in the
database (agent, supervisor) arrive as ``agent.state`` messages and are reconciled here with
the call the agent may be in (an offer withdrawn, wrap-up ended, a consultation cancelled).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apps.telephony.engine.state import (
    A_HOLD,
    A_NOT_READY,
    A_OFFLINE,
    A_READY,
    A_RESERVED,
    A_TALKING,
    A_WRAP_UP,
    AgentRuntime,
    CallState,
)

if TYPE_CHECKING:
    from apps.telephony.engine.controller.core import CallController

logger = logging.getLogger(__name__)


class AgentStates:
    """Agent state changes and the desk notifications that go with them."""

    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl

    def ready(self, agent: AgentRuntime, *, record: bool = True, idle_seconds: float = 0.0) -> None:
        now = self.ctl.clock.now()
        agent.idle_since = now - idle_seconds
        self.change(agent, A_READY, record=record)
        assignment = self.ctl.acd.agent_available(agent.agent_id, agent.idle_since, now)
        if assignment is not None:
            self.ctl.offers.assign(assignment)

    def notify(self, agent: AgentRuntime, message: dict) -> None:
        """A message for a human agent's desktop (virtual agents have none)."""
        if not agent.is_virtual:
            self.ctl.store.notify_agent(agent.agent_id, message)

    def change(  # ``call``: the call the change is about (for the store), even when leaving it
        self,
        agent: AgentRuntime,
        state: str,
        *,
        reason: str | None = None,
        call: CallState | None = None,
        record: bool = True,
    ) -> None:
        previous = agent.state
        agent.state = state
        agent.reason = reason if state == A_NOT_READY else None
        if record:
            self.ctl.store.agent_state(agent, previous, call)

    def reservation_lost(self, uid: str, agent_id: int) -> None:
        """The database refused an offer's reservation (another engine process took the agent):
        the call goes on without this agent, who stays out of routing until their next state change."""
        agent = self.ctl.agents.get(agent_id)
        call = self.ctl.calls.get(uid)
        if agent is None or call is None or agent.call is not call or agent.state != A_RESERVED:
            return
        if self.ctl.consultations.target_lost(call, agent_id):
            return
        agent.call = None
        self.change(agent, A_NOT_READY, record=False)
        self.ctl.acd.agent_unavailable(agent_id)
        self.ctl.offers.declined(call, agent_id, "lost", release=False)

    def changed_by_person(self, agent_id: int, state: str, reason: str | None = None) -> bool:
        """A person (the agent or a supervisor) changed the agent's state in the database.

        Returns False for an agent the engine does not know yet (the runner reloads the
        configuration and calls again)."""
        agent = self.ctl.agents.get(agent_id)
        if agent is None:
            return False
        if state != A_READY:
            self.ctl.campaign_calls.drop_preview(agent_id)
        current = agent.state
        if state == A_READY:
            if current in (A_READY, A_RESERVED, A_TALKING, A_HOLD):
                return True  # already routable or busy: a stale message
            if current == A_WRAP_UP and agent.call is not None:
                self.ctl.wrapup.end(agent, agent.call, next_state=A_READY, record=False)
            agent.call = None
            self.ready(agent, record=False)
            return True
        if state in (A_NOT_READY, A_OFFLINE):
            if current in (A_TALKING, A_HOLD):
                return True  # nobody leaves a live call this way
            if current == A_RESERVED and self.ctl.consultations.target_withdrawn(agent, state, reason):
                return True  # the consulted agent logged out or paused while their seat rang
            if current == A_RESERVED and agent.call is not None:
                call = agent.call
                agent.call = None
                self.change(agent, state, reason=reason, record=False)
                self.ctl.acd.agent_unavailable(agent_id)
                self.ctl.offers.declined(call, agent_id, "withdrawn", release=False)
                return True
            if current == A_WRAP_UP and agent.call is not None:
                agent.reason = reason
                self.ctl.wrapup.end(agent, agent.call, next_state=state, record=False)
                agent.reason = reason if state == A_NOT_READY else None
                return True
            self.change(agent, state, reason=reason, record=False)
            self.ctl.acd.agent_unavailable(agent_id)
        return True
