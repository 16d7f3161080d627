"""The end of a call: talk ended, wrap-up, and calls that end without talk.

Kept apart because every other part ends calls here: the CDR is closed once, the agent's
wrap-up time is decided once (campaign, queue, outbound default) and the agent comes back to
Ready through one path.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apps.telephony.engine.controller.common import (
    OUTBOUND_WRAPUP_SECONDS,
    cancel_timer,
)
from apps.telephony.engine.drivers.base import (
    BY_AGENT,
    InboundCall,
)
from apps.telephony.engine.state import (
    A_WRAP_UP,
    END_BLOCKED,
    END_COMPLETED,
    ENDED,
    OUTBOUND,
    WRAP_UP,
    AgentRuntime,
    CallState,
)

if TYPE_CHECKING:
    from apps.telephony.engine.controller.core import CallController

logger = logging.getLogger(__name__)


class Wrapup:
    """Ends calls and agents' wrap-up."""

    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl

    def close_hold(self, call: CallState) -> None:
        if call.hold_started is not None:
            call.hold_seconds += self.ctl.clock.now() - call.hold_started
            call.hold_started = None

    def end_talk(self, call: CallState, by: str, reason: str = END_COMPLETED) -> None:
        now = self.ctl.clock.now()
        self.ctl.consultations.call_ending(call, by)
        self.ctl.conferences.call_ending(call, by)
        self.close_hold(call)
        call.ended = now
        call.ended_by = by
        call.end_reason = reason
        self.ctl.driver.stop_recording(call.uid)
        agent = self.ctl.agent_of(call)
        wrapup = self.seconds(call)
        if agent is not None and wrapup > 0:
            call.status = WRAP_UP
        else:
            call.status = ENDED
            call.wrapup_ended = now
        self.ctl.store.call_ended(call, self.ctl.queue_of(call))
        self.ctl.campaign_calls.talk_ended(call)
        if agent is not None:
            self.ctl.agent_states.notify(agent, {"type": "call.ended", "call_uid": call.uid, "by": by})
            if wrapup > 0:
                self.ctl.agent_states.change(agent, A_WRAP_UP, call=call)
                self.ctl.agent_states.notify(
                    agent, {"type": "call.wrapup", "call_uid": call.uid, "wrapup_seconds": wrapup}
                )
                call.wrapup_timer = self.ctl.clock.call_later(wrapup, self.timeout, agent, call)
            else:
                self.after_call(agent, call)
        # The caller is still on the line when the agent hung up: a post-call survey, or hang up.
        if by == BY_AGENT and call.after_call and call.ivr is not None and reason == END_COMPLETED:
            self.ctl.ivr.do(call, call.ivr.after_call())
            return
        self.ctl.calls.pop(call.uid, None)
        if by == BY_AGENT:
            self.ctl.driver.hangup(call.uid)

    def seconds(self, call: CallState) -> float:
        campaign_seconds = self.ctl.campaign_calls.wrapup_seconds(call)
        if campaign_seconds is not None:
            return campaign_seconds
        queue = self.ctl.queue_of(call)
        if queue is not None:
            return queue.wrapup_seconds
        return OUTBOUND_WRAPUP_SECONDS if call.direction == OUTBOUND else 0

    def timeout(self, agent: AgentRuntime, call: CallState) -> None:
        call.wrapup_timer = None
        if agent.call is call and agent.state == A_WRAP_UP:
            self.end(agent, call)

    def end(
        self,
        agent: AgentRuntime,
        call: CallState,
        *,
        disposition: str | None = None,
        notes: str = "",
        next_state: str | None = None,
        record: bool = True,
    ) -> None:
        if call.agent_id == agent.agent_id:  # a transferring agent's wrap-up leaves the call's timer alone
            cancel_timer(call, "wrapup_timer")
        if call.status == WRAP_UP and call.agent_id == agent.agent_id:
            call.status = ENDED
            call.wrapup_ended = self.ctl.clock.now()
            if disposition:
                call.disposition = disposition
            if notes:
                call.notes = notes
            self.ctl.store.call_wrapup_ended(call)
            self.ctl.campaign_calls.wrapup_ended(call)
        if next_state is None:
            self.after_call(agent, call)
        else:
            agent.call = None
            self.ctl.agent_states.change(agent, next_state, reason=agent.reason, record=record)
            self.ctl.acd.agent_unavailable(agent.agent_id)

    def after_call(self, agent: AgentRuntime, call: CallState) -> None:
        """The agent is free again: Ready (and maybe a new offer at once)."""
        agent.call = None
        self.ctl.agent_states.ready(agent)

    def finish(self, call: CallState, reason: str) -> None:
        """A call that ends without (more) talk: abandoned, IVR end, voicemail, overflow, callback…"""
        now = self.ctl.clock.now()
        self.ctl.queueing.cancel_timers(call)
        cancel_timer(call, "ring_timer")
        call.pending_gather = None
        if call.ended is None:
            call.ended = now
        call.end_reason = reason
        call.status = ENDED
        call.wrapup_ended = call.ended
        self.ctl.store.call_ended(call, self.ctl.queue_of(call))
        self.ctl.calls.pop(call.uid, None)

    def blocked(self, inbound: InboundCall) -> None:
        now = self.ctl.clock.now()
        call = CallState(
            inbound.uid,
            caller=inbound.caller,
            callee=inbound.callee,
            arrived=now,
            number_id=inbound.number_id,
            trunk_id=inbound.trunk_id,
        )
        self.ctl.identify(call)
        call.blocked = True
        call.status = ENDED
        call.ended = call.wrapup_ended = now
        call.end_reason = END_BLOCKED
        self.ctl.store.call_blocked(call)
