"""Callbacks and agent-originated calls.

A caller who asks to be called back keeps their place: the request waits in the queue like a
call (``CALLBACK_WAITING``) and, when an agent is matched, the engine dials the customer with
that agent on the line, retrying a few times. Click-to-dial (``call.dial``) shares the dialling
and the "nobody answered" path.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from apps.telephony.acd import Assignment, WaitingCall
from apps.telephony.dialer import dialling
from apps.telephony.engine.controller.common import (
    CALLBACK_ATTEMPTS,
    CALLBACK_RETRY_SECONDS,
)
from apps.telephony.engine.state import (
    A_NOT_READY,
    A_READY,
    A_RESERVED,
    CALLBACK_WAITING,
    DIALING,
    END_CALLBACK,
    END_IVR_END,
    OUTBOUND,
    QUEUED,
    AgentRuntime,
    CallState,
)

if TYPE_CHECKING:
    from apps.telephony.engine.controller.core import CallController

logger = logging.getLogger(__name__)


class Callbacks:
    """Callback requests, their dials and retries, and click-to-dial."""

    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl
        self.cancelled: set[str] = set()  # requests cancelled while no callback of theirs waited

    def cancel(self, request_uid: str) -> bool:
        """A supervisor cancelled a request (its row says so already): a callback waiting in the
        queue leaves it; one waiting to be retried is not; one being dialled goes on (False)."""
        for uid, call in list(self.ctl.calls.items()):
            if call.is_callback and call.callback_for == request_uid:
                if call.status != CALLBACK_WAITING:
                    return False
                self.ctl.acd.remove_call(uid)
                self.ctl.calls.pop(uid, None)
                self.ctl.queueing.changed(call.queue_id)
                return True
        self.cancelled.add(request_uid)
        return True

    def request(self, call: CallState, queue_id: int | None, *, original: float) -> None:
        """The caller asked to be called back: they hang up, and a callback keeps their place."""
        if not dialling.check_number(call.caller, self.ctl.dialling_rules).allowed:
            # Toll fraud: a caller presenting a premium or far-away number asks to be called back
            # and the company pays. The dialling policy refuses it; a queued caller keeps waiting,
            # one in the IVR is queued instead.
            self.ctl.store.call_event(call, "callback_refused", number=call.caller)
            if call.status != QUEUED:
                if queue_id is not None and queue_id in self.ctl.queues:
                    self.ctl.queueing.enqueue(call, queue_id)
                else:
                    self.ctl.wrapup.finish(call, END_IVR_END)
                    self.ctl.driver.hangup(call.uid)
            return
        if call.status == QUEUED:
            self.ctl.acd.remove_call(call.uid)
            self.ctl.queueing.changed(call.queue_id)
        if queue_id is None or queue_id not in self.ctl.queues:
            self.ctl.wrapup.finish(call, END_IVR_END)
            self.ctl.driver.hangup(call.uid)
            return
        if call.queue_id is None:
            call.queue_id = queue_id
        self.ctl.store.callback_requested(call, queue_id, original)
        self.ctl.wrapup.finish(call, END_CALLBACK)
        self.ctl.driver.hangup(call.uid)
        self.enqueue(call.uid, call, queue_id, original, attempts=0)

    def enqueue(self, request_uid: str, origin: CallState, queue_id: int, original: float, *, attempts: int) -> None:
        if request_uid in self.cancelled:
            self.cancelled.discard(request_uid)
            return
        number = self.ctl.numbers.get(origin.number_id)
        callback = CallState(
            f"{request_uid}-cb{attempts + 1}",
            caller=(number.caller_id or number.number) if number else self.ctl.default_caller_id,
            callee=origin.caller,
            arrived=self.ctl.clock.now(),
            direction=OUTBOUND,
            number_id=origin.number_id,
            trunk_id=origin.trunk_id,
        )
        callback.is_callback = True
        callback.callback_for = request_uid
        callback.callback_attempts = attempts
        callback.customer_id = origin.customer_id
        callback.customer_name = origin.customer_name
        callback.is_vip = origin.is_vip
        callback.priority = origin.priority
        callback.queue_id = queue_id
        callback.status = CALLBACK_WAITING
        callback.waiting = WaitingCall(
            call_id=callback.uid, queue_id=queue_id, arrived=original, priority=origin.priority
        )
        self.ctl.calls[callback.uid] = callback
        assignment = self.ctl.acd.enqueue(callback.waiting, self.ctl.clock.now())
        if assignment is not None:
            self.ctl.offers.assign(assignment)
        else:
            self.ctl.queueing.changed(queue_id)

    def dial(self, call: CallState, agent: AgentRuntime, assignment: Assignment) -> None:
        extra = assignment.agent_ids[1:]  # ring-all: one agent makes the callback
        call.status = DIALING
        call.arrived = self.ctl.clock.now()
        call.callback_attempts += 1
        call.agent_id = agent.agent_id
        agent.call = call
        self.ctl.store.call_arrived(call)
        self.ctl.agent_states.change(agent, A_RESERVED, call=call)
        self.ctl.store.call_offered(call, [agent], self.ctl.queue_of(call))
        self.ctl.driver.originate(call.uid, call.callee, agent.agent_id, caller_id=call.caller)
        self.ctl.queueing.changed(call.queue_id)
        if extra:
            for follow_up in self.ctl.acd.release_agents(extra, self.ctl.clock.now()):
                self.ctl.offers.assign(follow_up)

    def dial_failed(self, call: CallState, reason: str) -> None:
        agent = self.ctl.agent_of(call)
        self.ctl.wrapup.finish(call, reason)
        if agent is not None and agent.call is call:
            self.ctl.agent_states.notify(agent, {"type": "call.ended", "call_uid": call.uid, "by": "network"})
            self.return_after_dial(agent, call)
        request_uid = call.callback_for  # set with is_callback by enqueue
        if call.is_callback and request_uid is not None:
            if call.callback_attempts < CALLBACK_ATTEMPTS and call.queue_id in self.ctl.queues:
                # The clock passes positional arguments only: the attempt count rides in a partial.
                retry = functools.partial(
                    self.enqueue,
                    request_uid,
                    call,
                    call.queue_id,
                    call.waiting.arrived,
                    attempts=call.callback_attempts,
                )
                self.ctl.clock.call_later(CALLBACK_RETRY_SECONDS, retry)
            else:
                self.ctl.store.callback_finished(request_uid, call, "failed")

    def return_after_dial(self, agent: AgentRuntime, call: CallState) -> None:
        agent.call = None
        if call.return_state == A_NOT_READY:
            self.ctl.agent_states.change(agent, A_NOT_READY, reason=agent.reason)
            self.ctl.acd.agent_unavailable(agent.agent_id)
        else:
            self.ctl.agent_states.ready(agent)

    def agent_dial(self, agent_id: int, number: str, customer_id: int | None = None) -> CallState | None:
        """Click-to-dial: the agent (Ready or NotReady, not in a call) calls ``number``."""
        agent = self.ctl.agents.get(agent_id)
        if agent is None or agent.call is not None or agent.state not in (A_READY, A_NOT_READY):
            return None
        self.ctl.acd.agent_unavailable(agent_id)
        call = CallState(
            self.ctl.new_uid("out"),
            caller=self.ctl.default_caller_id,
            callee=number,
            arrived=self.ctl.clock.now(),
            direction=OUTBOUND,
        )
        call.customer_id = customer_id
        call.status = DIALING
        call.agent_id = agent_id
        call.return_state = agent.state  # restored if nobody answers
        agent.call = call
        self.ctl.calls[call.uid] = call
        self.ctl.store.call_arrived(call)
        self.ctl.agent_states.change(agent, A_RESERVED, call=call)
        self.ctl.store.call_offered(call, [agent], None)
        self.ctl.driver.originate(call.uid, number, agent_id, caller_id=self.ctl.default_caller_id)
        return call
