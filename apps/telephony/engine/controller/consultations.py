"""Attended (consultative) transfers: the Consultations collaborator.

The first agent (A, the call's agent) consults a colleague (B) while the caller is held::

    consult ─► B Reserved (their seat rings) ─► answered: B Talking with A, the caller still held
      ├► complete: the caller is bridged to B, B becomes the call's agent, A goes to wrap-up
      ├► cancel (A), B hangs up or rejects: B is free again, A is back with the held caller
      └► ring timeout (B NotReady "missed", like RONA), B unreachable or gone: A is told it failed

An outside number may be consulted instead (``number``; :data:`OUTSIDE_PARTY` stands for it where
an agent id would be): the switch dials it on the call's trunk; busy, no answer or a failure is a
failed consultation (the caller still held). Completing it hands the caller to the number and the
call leaves us as a blind transfer to a number does (``transferred`` with ``type: attended``, the
CDR ends ``transferred``); the first agent hanging up during an answered number consultation does
the same, during its ringing it only hangs the number up (the call ends as any call whose agent
hung up). The timeline names the number on every ``consult_*`` event.

The caller hanging up ends everything (B free, A wrap-up as usual). A hanging up during an
answered consultation completes the transfer (what most PBXs do); during the ringing it turns
into a blind transfer to B (the ringing seat is offered the call).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apps.telephony.acd import Assignment, WaitingCall
from apps.telephony.engine.clock import TimerHandle
from apps.telephony.engine.controller.common import (
    CONSULT_NUMBER_RING_SECONDS,
    CONSULT_PROBE,
    CONSULT_RING_SECONDS,
    LIVE,
    LIVE_ANSWER_PRIORITY,
)
from apps.telephony.engine.drivers.base import (
    BY_AGENT,
    CONSULT_DECLINED,
    CONSULT_NO_ANSWER,
    OUTSIDE_PARTY,
)
from apps.telephony.engine.state import (
    A_NOT_READY,
    A_READY,
    A_RESERVED,
    A_TALKING,
    A_WRAP_UP,
    END_TRANSFERRED,
    QUEUED,
    REASON_MISSED,
    TALKING,
    AgentRuntime,
    CallState,
)

if TYPE_CHECKING:
    from apps.telephony.engine.controller.core import CallController

logger = logging.getLogger(__name__)


@dataclass
class Consult:
    """An attended transfer in progress: ``from_agent_id`` (the call's agent) consults ``agent_id``
    while the caller is held. Engine-clock times."""

    call_uid: str
    from_agent_id: int
    agent_id: int
    queue_id: int | None
    started: float
    answered: float | None = None
    ring_timer: TimerHandle | None = None
    number: str = ""  # an outside number consulted (agent_id is OUTSIDE_PARTY then)


class Consultations:
    """Attended transfers in progress, one per call.

    The other parts ask it (``first_agent_hung_up``, ``call_ending``, ``target_lost`` …) instead of
    looking for a consultation themselves, so the rules above are read in one place.
    """

    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl
        self.consults: dict[str, Consult] = {}

    # --- hooks the other parts call -------------------------------------------------------
    def first_agent_hung_up(self, call: CallState) -> bool:
        """The call's agent hung up. True: a consultation carries the call on (do not end it)."""
        consult = self.consults.get(call.uid)
        return consult is not None and self.first_left(call, consult)

    def call_ending(self, call: CallState, by: str) -> None:
        """The caller left (or was released) during a consultation: it ends with the call."""
        consult = self.consults.get(call.uid)
        if consult is not None:
            self.release(call, consult, "consult_ended", by if by != BY_AGENT else "first_agent_left")

    def target_lost(self, call: CallState, agent_id: int) -> bool:
        """The database refused the consulted agent's reservation. True: it was a consultation's."""
        consult = self.consults.get(call.uid)
        if consult is None or consult.agent_id != agent_id:
            return False
        self.ctl.driver.consult_cancel(call.uid)
        self.release(call, consult, "consult_failed", "lost", target_state=A_NOT_READY, record=False)
        self.ctl.acd.agent_unavailable(agent_id)
        return True

    def target_withdrawn(self, agent: AgentRuntime, state: str, reason: str | None) -> bool:
        """A ringing agent went NotReady or Offline. True: they were being consulted."""
        call = agent.call
        consult = self.consults.get(call.uid) if call is not None else None
        if call is None or consult is None or consult.agent_id != agent.agent_id:
            return False
        self.ctl.driver.consult_cancel(consult.call_uid)
        self.release(call, consult, "consult_failed", "withdrawn", target_state=state, reason_code=reason, record=False)
        return True

    # --- the consultation itself ---------------------------------------------------------

    def of(self, message: dict, *, target: bool) -> Consult | None:
        uid = message.get("call_uid")
        consult = self.consults.get(uid) if isinstance(uid, str) else None
        if consult is None:
            return None
        agent_id = int(message["agent_id"])
        return consult if agent_id == (consult.agent_id if target else consult.from_agent_id) else None

    def start(
        self,
        call: CallState,
        agent: AgentRuntime,
        *,
        queue_id: int | None = None,
        target_agent_id: int | None = None,
        number: str = "",
    ) -> bool:
        """Start an attended transfer of ``agent``'s live call: consult a Ready agent, or the agent
        a queue would pick now (its strategy; nobody Ready: it fails at once, it never waits).
        On failure the first agent gets ``call.consult_failed`` and nothing else changes."""

        def refuse(reason: str) -> bool:
            self.ctl.agent_states.notify(agent, {"type": "call.consult_failed", "call_uid": call.uid, "reason": reason})
            return False

        if call.status not in LIVE or call.agent_id != agent.agent_id:
            return refuse("invalid_state")
        if call.uid in self.consults:
            return refuse("already_consulting")
        if call.uid in self.ctl.conferences.conferences:
            return refuse("in_conference")
        now = self.ctl.clock.now()
        if number:
            return self.start_number(call, agent, number, now)
        if target_agent_id is not None:
            target = self.ctl.agents.get(target_agent_id)
            if (
                target is None
                or target is agent
                or target.state != A_READY
                or target.call is not None
                or self.ctl.campaign_calls.previewing(target.agent_id)
            ):
                return refuse("agent_unavailable")
            self.ctl.acd.agent_unavailable(target.agent_id)
        elif queue_id is not None:
            if queue_id not in self.ctl.queues:
                return refuse("unknown_queue")
            target = self.pick(call, queue_id, now)
            if target is None:
                return refuse("no_agent_available")
        else:
            return refuse("invalid")
        if not self.ctl.driver.consult(call.uid, target.agent_id):
            for assignment in self.ctl.acd.release_agents((target.agent_id,), now):
                self.ctl.offers.assign(assignment)
            return refuse("not_supported")
        consult = self.consults[call.uid] = Consult(
            call_uid=call.uid, from_agent_id=agent.agent_id, agent_id=target.agent_id, queue_id=queue_id, started=now
        )
        target.call = call
        self.ctl.agent_states.change(target, A_RESERVED, call=call)
        queue = self.ctl.queues.get(queue_id) if queue_id is not None else self.ctl.queue_of(call)
        timeout = queue.ring_timeout_seconds if queue is not None else CONSULT_RING_SECONDS
        self.ctl.store.consult_started(call, agent, target, queue_id=queue_id, ring_timeout_seconds=timeout)
        consult.ring_timer = self.ctl.clock.call_later(timeout, self.ring_timeout, call.uid, target.agent_id)
        self.ctl.agent_states.notify(
            agent,
            {
                "type": "call.consult_started",
                "call_uid": call.uid,
                "agent_id": target.agent_id,
                "agent_name": target.name,
                "queue_id": queue_id,
            },
        )
        return True

    def start_number(self, call: CallState, agent: AgentRuntime, number: str, now: float) -> bool:
        """Consult an outside number (checked against the dialling policy by the service)."""
        if not self.ctl.driver.consult_number(call.uid, number):
            self.ctl.agent_states.notify(
                agent, {"type": "call.consult_failed", "call_uid": call.uid, "reason": "not_supported"}
            )
            return False
        consult = self.consults[call.uid] = Consult(
            call_uid=call.uid,
            from_agent_id=agent.agent_id,
            agent_id=OUTSIDE_PARTY,
            queue_id=None,
            started=now,
            number=number,
        )
        self.ctl.store.call_event(call, "consult_started", agent.agent_id, number=number)
        consult.ring_timer = self.ctl.clock.call_later(
            CONSULT_NUMBER_RING_SECONDS, self.ring_timeout, call.uid, OUTSIDE_PARTY
        )
        self.ctl.agent_states.notify(
            agent,
            {
                "type": "call.consult_started",
                "call_uid": call.uid,
                "agent_id": None,
                "agent_name": number,
                "queue_id": None,
            },
        )
        return True

    def pick(self, call: CallState, queue_id: int, now: float) -> AgentRuntime | None:
        """The agent ``queue_id`` would give a call now (the ACD's strategy and skills), reserved."""
        probe = WaitingCall(
            call_id=call.uid + CONSULT_PROBE, queue_id=queue_id, arrived=now, priority=LIVE_ANSWER_PRIORITY
        )
        assignment = self.ctl.acd.enqueue(probe, now)
        if assignment is None:
            self.ctl.acd.remove_call(probe.call_id)
            return None
        chosen, extra = assignment.agent_ids[0], assignment.agent_ids[1:]
        if extra:  # ring-all: one agent is consulted
            for follow_up in self.ctl.acd.release_agents(extra, now):
                self.ctl.offers.assign(follow_up)
        return self.ctl.agents.get(chosen)

    def answered(self, uid: str, agent_id: int) -> None:
        consult = self.consults.get(uid)
        call = self.ctl.calls.get(uid)
        if consult is not None and call is not None and consult.number and agent_id == OUTSIDE_PARTY:
            self.number_answered(call, consult)
            return
        target = self.ctl.agents.get(agent_id)
        if consult is None or call is None or target is None or consult.agent_id != agent_id:
            return
        if consult.answered is not None:
            return
        self.cancel_timer(consult)
        consult.answered = self.ctl.clock.now()
        self.ctl.agent_states.change(target, A_TALKING, call=call)
        self.ctl.store.consult_answered(call, consult.from_agent_id, agent_id)
        first = self.ctl.agents.get(consult.from_agent_id)
        if first is not None:
            self.ctl.agent_states.notify(
                first,
                {"type": "call.consult_answered", "call_uid": uid, "agent_id": agent_id, "agent_name": target.name},
            )
        self.ctl.agent_states.notify(
            target,
            {
                "type": "call.consult_answered",
                "call_uid": uid,
                "from_agent_id": consult.from_agent_id,
                "from_agent_name": first.name if first is not None else "",
            },
        )

    def number_answered(self, call: CallState, consult: Consult) -> None:
        if consult.answered is not None:
            return
        self.cancel_timer(consult)
        consult.answered = self.ctl.clock.now()
        self.ctl.store.call_event(call, "consult_answered", consult.from_agent_id, number=consult.number)
        first = self.ctl.agents.get(consult.from_agent_id)
        if first is not None:
            self.ctl.agent_states.notify(
                first, {"type": "call.consult_answered", "call_uid": call.uid, "agent_name": consult.number}
            )

    def failed(self, uid: str, agent_id: int, reason: str) -> None:
        consult = self.consults.get(uid)
        call = self.ctl.calls.get(uid)
        if consult is None or call is None or consult.agent_id != agent_id or consult.answered is not None:
            return
        # An unreachable or busy seat is a missed offer now (as on_bridge_failed): the ACD must not
        # offer the next caller to it in vain. Declined on the phone: the agent is there, Ready.
        missed = reason != CONSULT_DECLINED and not consult.number
        self.release(
            call, consult, "consult_failed", reason or "error", target_state=A_NOT_READY if missed else A_READY
        )

    def ended(self, uid: str, agent_id: int, by: str) -> None:
        consult = self.consults.get(uid)
        call = self.ctl.calls.get(uid)
        if consult is None or call is None or consult.agent_id != agent_id:
            return
        if consult.answered is None:
            self.release(call, consult, "consult_failed", "declined")
        elif consult.number:
            self.release(call, consult, "consult_ended", "number_hung_up")
        else:
            self.release(call, consult, "consult_ended", "target_hung_up" if by == BY_AGENT else by)

    def ring_timeout(self, uid: str, agent_id: int) -> None:
        consult = self.consults.get(uid)
        call = self.ctl.calls.get(uid)
        if consult is None or call is None or consult.agent_id != agent_id or consult.answered is not None:
            return
        consult.ring_timer = None
        self.ctl.driver.consult_cancel(uid)
        if consult.number:
            self.release(call, consult, "consult_failed", CONSULT_NO_ANSWER)
            return
        self.release(call, consult, "consult_failed", "rona", target_state=A_NOT_READY)

    def cancel(self, call: CallState, reason: str = "cancelled") -> bool:
        """End the consultation without transferring (the first agent cancelled, the consulted
        agent rejected or hung up): the caller stays held with the first agent."""
        consult = self.consults.get(call.uid)
        if consult is None:
            return False
        self.ctl.driver.consult_cancel(call.uid)
        kind = "consult_failed" if reason == "rejected" else "consult_cancelled"
        self.release(call, consult, kind, reason)
        return True

    def complete(self, call: CallState) -> bool:
        """The first agent completes the attended transfer: the consulted agent takes the caller."""
        consult = self.consults.get(call.uid)
        first = self.ctl.agents.get(consult.from_agent_id) if consult is not None else None
        if consult is None or first is None:
            return False
        if consult.answered is None or not self.ctl.driver.consult_complete(call.uid):
            self.ctl.agent_states.notify(
                first, {"type": "call.consult_failed", "call_uid": call.uid, "reason": "not_answered"}
            )
            return False
        if consult.number:
            self.handed_to_number(call, consult, first, how="complete")
        else:
            self.completed(call, consult, first, how="complete")
        return True

    def first_left(self, call: CallState, consult: Consult) -> bool:
        """The first agent hung up during a consultation. True: the call goes on (completed, or
        offered to the consulted agent); False: it ends as any call whose agent hung up."""
        first = self.ctl.agents.get(consult.from_agent_id)
        if consult.number and first is not None:
            if consult.answered is not None and self.ctl.driver.consult_complete(call.uid):
                self.handed_to_number(call, consult, first, how="first_agent_hung_up")
                return True
            self.ctl.driver.consult_cancel(call.uid)
            self.release(call, consult, "consult_ended", "first_agent_left")
            return False
        target = self.ctl.agents.get(consult.agent_id)
        if first is None or target is None:
            return False
        if consult.answered is not None:
            if self.ctl.driver.consult_complete(call.uid):
                self.completed(call, consult, first, how="first_agent_hung_up")
                return True
            self.release(call, consult, "consult_ended", "first_agent_left")
            return False
        # Still ringing: a blind transfer to the ringing agent, who keeps their reservation.
        self.ctl.driver.consult_cancel(call.uid)
        self.cancel_timer(consult)
        del self.consults[call.uid]
        self.ctl.store.consult_ended(
            call, consult.from_agent_id, consult.agent_id, "consult_cancelled", "first_agent_left"
        )
        self.ctl.wrapup.close_hold(call)
        self.ctl.driver.stop_recording(call.uid)
        self.ctl.store.call_transferred(
            call, first.agent_id, target_agent_id=target.agent_id, type="blind", reason="first_agent_left"
        )
        call.agent_id = None
        self.first_agent_done(call, first)
        queue = self.ctl.queue_of(call)
        if queue is not None and queue.max_wait_seconds > 0:
            call.overflow_at = self.ctl.clock.now() + queue.max_wait_seconds
        target.call = None
        call.status = QUEUED  # so that _assign accepts it
        self.ctl.offers.assign(
            Assignment(call_id=call.uid, queue_id=call.queue_id, agent_ids=(target.agent_id,), waited=0.0)
        )
        return True

    def completed(self, call: CallState, consult: Consult, first: AgentRuntime, *, how: str) -> None:
        """Bookkeeping of a completed attended transfer (the switch has bridged the caller to B)."""
        now = self.ctl.clock.now()
        self.cancel_timer(consult)
        self.consults.pop(call.uid, None)
        target = self.ctl.agents[consult.agent_id]
        self.ctl.wrapup.close_hold(call)
        call.status = TALKING
        call.agent_id = target.agent_id
        call.agents_served.append(target.agent_id)
        target.call = call
        if target.state != A_TALKING:
            self.ctl.agent_states.change(target, A_TALKING, call=call)
        self.ctl.store.consult_completed(
            call,
            first.agent_id,
            target.agent_id,
            type="attended",
            how=how,
            queue_id=consult.queue_id,
            consult_seconds=round(now - (consult.answered or now), 3),
        )
        if call.caller and not call.is_callback:
            self.ctl.last_agent[call.caller] = (target.agent_id, now)
        self.ctl.agent_states.notify(
            target,
            {"type": "call.consult_completed", "call_uid": call.uid, "role": "target", "from_agent_id": first.agent_id},
        )
        self.ctl.agent_states.notify(
            first,
            {"type": "call.consult_completed", "call_uid": call.uid, "role": "first", "agent_id": target.agent_id},
        )
        if first.call is call:
            self.first_agent_done(call, first)

    def handed_to_number(self, call: CallState, consult: Consult, first: AgentRuntime, *, how: str) -> None:
        """The caller and the consulted number talk on (the switch bridges them, as a blind
        transfer to a number): the call is over here, the first agent goes to wrap-up."""
        now = self.ctl.clock.now()
        self.cancel_timer(consult)
        self.consults.pop(call.uid, None)
        self.number_handover(
            call,
            first,
            consult.number,
            type="attended",
            how=how,
            consult_seconds=round(now - (consult.answered or now), 3),
        )

    def number_handover(self, call: CallState, first: AgentRuntime, number: str, **data: object) -> None:
        """The call leaves for ``number`` (an attended transfer or a conference its host left)."""
        self.ctl.wrapup.close_hold(call)
        self.ctl.driver.stop_recording(call.uid)
        self.ctl.store.call_transferred(call, first.agent_id, number=number, **data)
        self.ctl.agent_states.notify(first, {"type": "call.consult_completed", "call_uid": call.uid, "role": "first"})
        wrapup = self.ctl.wrapup.seconds(call)
        call.agent_id = None
        if first.call is call:
            if wrapup > 0:
                self.ctl.agent_states.change(first, A_WRAP_UP, call=call)
                call.wrapup_timer = self.ctl.clock.call_later(wrapup, self.ctl.wrapup.timeout, first, call)
            else:
                self.ctl.wrapup.after_call(first, call)
            self.ctl.agent_states.notify(first, {"type": "call.ended", "call_uid": call.uid, "by": "transfer"})
        self.ctl.wrapup.finish(call, END_TRANSFERRED)

    def first_agent_done(self, call: CallState, first: AgentRuntime) -> None:
        """The transferring agent's part is over: wrap-up (its own timer: the call's is the new agent's)."""
        self.ctl.agent_states.notify(first, {"type": "call.ended", "call_uid": call.uid, "by": "transfer"})
        wrapup = self.ctl.wrapup.seconds(call)
        if wrapup > 0:
            self.ctl.agent_states.change(first, A_WRAP_UP, call=call)
            self.ctl.agent_states.notify(first, {"type": "call.wrapup", "call_uid": call.uid, "wrapup_seconds": wrapup})
            self.ctl.clock.call_later(wrapup, self.ctl.wrapup.timeout, first, call)
        else:
            self.ctl.wrapup.after_call(first, call)

    def release(
        self,
        call: CallState,
        consult: Consult,
        kind: str,
        reason: str,
        *,
        target_state: str = A_READY,
        reason_code: str | None = None,
        record: bool = True,
    ) -> None:
        """A consultation ends without a transfer (``kind``: ``consult_cancelled``, ``consult_failed``,
        ``consult_ended``): both desks are told, the consulted agent is free again (``target_state``;
        NotReady takes ``reason_code``, "missed" by default)."""
        self.cancel_timer(consult)
        self.consults.pop(consult.call_uid, None)
        if consult.number:
            self.ctl.store.call_event(call, kind, consult.from_agent_id, number=consult.number, reason=reason)
            first = self.ctl.agents.get(consult.from_agent_id)
            if first is not None:
                failed = consult.answered is None and reason != "cancelled"
                self.ctl.agent_states.notify(
                    first,
                    {
                        "type": "call.consult_failed" if failed else "call.consult_ended",
                        "call_uid": call.uid,
                        "reason": reason,
                    },
                )
            return
        self.ctl.store.consult_ended(call, consult.from_agent_id, consult.agent_id, kind, reason)
        answered = consult.answered is not None
        first = self.ctl.agents.get(consult.from_agent_id)
        if first is not None:
            failed = not answered and reason != "cancelled"
            self.ctl.agent_states.notify(
                first,
                {
                    "type": "call.consult_failed" if failed else "call.consult_ended",
                    "call_uid": call.uid,
                    "agent_id": consult.agent_id,
                    "reason": reason,
                },
            )
        target = self.ctl.agents.get(consult.agent_id)
        if target is None or target.call is not call:
            return
        self.ctl.agent_states.notify(target, {"type": "call.consult_ended", "call_uid": call.uid, "reason": reason})
        target.call = None
        if target_state == A_READY:
            if record:
                self.ctl.agent_states.ready(target)
            else:
                self.ctl.agent_states.change(target, A_READY, record=False)
            return
        code = reason_code or REASON_MISSED if target_state == A_NOT_READY else None
        self.ctl.agent_states.change(target, target_state, reason=code, call=call, record=record)
        self.ctl.acd.agent_unavailable(target.agent_id)

    @staticmethod
    def cancel_timer(consult: Consult) -> None:
        if consult.ring_timer is not None:
            consult.ring_timer.cancel()
            consult.ring_timer = None
