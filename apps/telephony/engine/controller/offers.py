"""Offers: a matched call ringing agents, until one answers or the offer fails.

RONA (ring, no answer: the agent goes NotReady "missed" and the call goes back to its place),
seats that cannot ring, ring-all losers withdrawn, and the connection of caller and agent
(recording, the sticky agent, the answer gap behind expected-wait announcements).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apps.telephony.acd import Assignment
from apps.telephony.engine.controller.common import (
    ANSWER_GAP_SMOOTHING,
    GATHER_CALLBACK,
    TICK_SECONDS,
    cancel_timer,
)
from apps.telephony.engine.state import (
    A_NOT_READY,
    A_READY,
    A_RESERVED,
    A_TALKING,
    CALLBACK_WAITING,
    DIALING,
    END_FAILED,
    END_NO_ANSWER,
    OFFERED,
    QUEUED,
    REASON_MISSED,
    TALKING,
    AgentRuntime,
    CallState,
)

if TYPE_CHECKING:
    from apps.telephony.engine.controller.core import CallController

logger = logging.getLogger(__name__)


class Offers:
    """From an ACD assignment to a connected call (or back to the queue)."""

    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl
        self.last_answer: dict[int, float] = {}

    def assign(self, assignment: Assignment) -> None:
        call = self.ctl.calls.get(assignment.call_id)
        now = self.ctl.clock.now()
        if call is None or call.status not in (QUEUED, CALLBACK_WAITING):
            # The ACD matched a call we no longer hold: hand the agents back.
            for follow_up in self.ctl.acd.release_agents(assignment.agent_ids, now):
                self.assign(follow_up)
            return
        self.ctl.queueing.cancel_timers(call)
        if call.pending_gather == GATHER_CALLBACK:
            call.pending_gather = None
        agents = [self.ctl.agents[agent_id] for agent_id in assignment.agent_ids]
        if call.status == CALLBACK_WAITING:
            self.ctl.callbacks.dial(call, agents[0], assignment)
            return
        if self.ctl.campaign_calls.owns(call):
            self.ctl.campaign_calls.assign(call, agents)
            return
        call.status = OFFERED
        call.offer_count += 1
        call.offer_seq += 1
        if call.offered is None:
            call.offered = now
        call.ringing = assignment.agent_ids
        call.acd_ring = assignment.ring
        for agent in agents:
            agent.call = call
            self.ctl.agent_states.change(agent, A_RESERVED, call=call)
        self.ctl.store.call_offered(call, agents, self.ctl.queue_of(call))
        for agent_id in assignment.agent_ids:
            self.ctl.driver.bridge(call.uid, agent_id)
        queue = self.ctl.queue_of(call)
        timeout = queue.ring_timeout_seconds if queue is not None else 15
        call.ring_timer = self.ctl.clock.call_later(timeout, self.ring_timeout, call, call.offer_seq)
        self.ctl.queueing.changed(call.queue_id)

    def ring_timeout(self, call: CallState, offer_seq: int) -> None:
        if call.status != OFFERED or call.offer_seq != offer_seq:
            return
        call.ring_timer = None
        missed, call.ringing = call.ringing, ()
        for agent_id in missed:
            self.ctl.driver.cancel_bridge(call.uid, agent_id)
            self.ctl.store.call_offer_ended(call, agent_id, "rona")
            agent = self.ctl.agents.get(agent_id)
            if agent is not None:
                agent.call = None
                self.ctl.acd.agent_unavailable(agent_id)
                self.ctl.agent_states.change(agent, A_NOT_READY, reason=REASON_MISSED, call=call)
                self.ctl.agent_states.notify(
                    agent, {"type": "call.offer_withdrawn", "call_uid": call.uid, "reason": "rona"}
                )
        self.back_to_queue(call, exclude=missed)

    def bridge_failed(self, uid: str, agent_id: int, reason: str) -> None:
        """A seat that cannot ring (unregistered, busy, declined on the phone) is a missed offer
        now, not after the ring timeout: otherwise the ACD would keep offering the next caller to
        the same unreachable agent."""
        call = self.ctl.calls.get(uid)
        if call is None or call.status != OFFERED or agent_id not in call.ringing:
            return
        if call.ringing == (agent_id,):
            cancel_timer(call, "ring_timer")
            self.ring_timeout(call, call.offer_seq)
            return
        # Ring-all: only this agent drops out; the others keep ringing.
        call.ringing = tuple(other for other in call.ringing if other != agent_id)
        self.ctl.store.call_offer_ended(call, agent_id, "rona")
        agent = self.ctl.agents.get(agent_id)
        if agent is not None:
            agent.call = None
            self.ctl.acd.agent_unavailable(agent_id)
            self.ctl.agent_states.change(agent, A_NOT_READY, reason=REASON_MISSED, call=call)
            self.ctl.agent_states.notify(
                agent, {"type": "call.offer_withdrawn", "call_uid": call.uid, "reason": "rona"}
            )

    def back_to_queue(self, call: CallState, *, exclude: tuple[int, ...] = ()) -> None:
        """A failed offer: the call goes back to its place in its queue (or overflows if it is due)."""
        now = self.ctl.clock.now()
        if self.ctl.campaign_calls.owns(call):
            self.ctl.campaign_calls.abandon(call)  # a live outbound answer cannot wait for a second agent
            return
        call.status = QUEUED
        if call.waiting is None or call.queue_id not in self.ctl.queues:
            # Never queued (a direct transfer of an outbound call): nowhere to go back to.
            self.ctl.wrapup.finish(call, END_NO_ANSWER)
            self.ctl.driver.hangup(call.uid)
            return
        if call.overflow_at is not None and now >= call.overflow_at:
            self.ctl.queueing.overflow(call)
            return
        self.ctl.store.call_requeued(call)
        assignment = self.ctl.acd.requeue(call.waiting, now, exclude_agent_ids=exclude)
        if assignment is not None:
            self.assign(assignment)
            return
        queue = self.ctl.queues[call.queue_id]
        self.ctl.queueing.arm_timers(call, queue)
        self.ctl.queueing.changed(call.queue_id)
        if call.queue_id in self.ctl.queueing.tick_queues:
            self.ctl.queueing.schedule_tick(TICK_SECONDS)

    def withdraw(self, call: CallState, agent_ids: tuple[int, ...], reason: str = "withdrawn") -> None:
        """Stop ringing these agents (the caller left, or another agent answered) and give them back."""
        if not agent_ids:
            return
        for agent_id in agent_ids:
            self.ctl.driver.cancel_bridge(call.uid, agent_id)
            self.ctl.store.call_offer_ended(call, agent_id, reason)
            agent = self.ctl.agents.get(agent_id)
            if agent is not None and agent.state == A_RESERVED:
                agent.call = None
                self.ctl.agent_states.change(agent, A_READY, call=call)
                self.ctl.agent_states.notify(
                    agent, {"type": "call.offer_withdrawn", "call_uid": call.uid, "reason": reason}
                )
        for assignment in self.ctl.acd.release_agents(agent_ids, self.ctl.clock.now()):
            self.assign(assignment)

    def connect(self, call: CallState, agent: AgentRuntime) -> None:
        now = self.ctl.clock.now()
        first_answer = call.answered is None
        call.status = TALKING
        if first_answer:
            call.answered = now
        call.agent_id = agent.agent_id
        call.agents_served.append(agent.agent_id)
        agent.call = call
        self.ctl.agent_states.change(agent, A_TALKING, call=call)
        self.ctl.store.call_answered(call)
        self.ctl.agent_states.notify(agent, {"type": "call.answered", "call_uid": call.uid})
        if not self.ctl.campaign_calls.records(call):
            call.record = False  # the campaign is set not to record its calls
        if call.record:
            self.ctl.driver.start_recording(call.uid)
        if call.caller and not call.is_callback:
            self.ctl.last_agent[call.caller] = (agent.agent_id, now)
        queue_id = call.queue_id
        if queue_id is not None and first_answer:
            last = self.last_answer.get(queue_id)
            if last is not None:
                gap = now - last
                previous = self.ctl.answer_gap.get(queue_id)
                self.ctl.answer_gap[queue_id] = (
                    gap if previous is None else previous + ANSWER_GAP_SMOOTHING * (gap - previous)
                )
            self.last_answer[queue_id] = now

    def declined(self, call: CallState, agent_id: int, reason: str, *, release: bool) -> None:
        """One ringing agent drops out of an offer (reject, logout while ringing)."""
        if call.status == DIALING:
            self.ctl.driver.hangup(call.uid)
            self.ctl.callbacks.dial_failed(call, END_FAILED)
            return
        if call.status != OFFERED or agent_id not in call.ringing:
            return
        self.ctl.driver.cancel_bridge(call.uid, agent_id)
        self.ctl.store.call_offer_ended(call, agent_id, reason)
        call.ringing = tuple(other for other in call.ringing if other != agent_id)
        if not call.ringing:
            cancel_timer(call, "ring_timer")
            self.back_to_queue(call, exclude=(agent_id,))
        if release:
            agent = self.ctl.agents.get(agent_id)
            if agent is not None:
                agent.call = None
                self.ctl.agent_states.change(agent, A_READY, call=call)
            for assignment in self.ctl.acd.release_agents((agent_id,), self.ctl.clock.now()):
                self.assign(assignment)
