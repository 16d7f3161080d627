"""The engine inbox: commands from the desks and supervisors (web and API processes).

Each message type of docs/realtime.md ("engine inbox") has one handler here; a handler checks
the message against the live state (the web process may be a moment behind) and calls the part
that does the work. Blind transfer and supervisor release live here because they are only ever
commands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from apps.telephony.acd import Assignment
from apps.telephony.engine.controller.common import (
    LIVE,
    cancel_timer,
)
from apps.telephony.engine.drivers.base import (
    BY_AGENT,
    BY_SYSTEM,
)
from apps.telephony.engine.state import (
    A_READY,
    A_WRAP_UP,
    DIALING,
    END_FORCE_RELEASED,
    END_NO_ANSWER,
    END_TRANSFERRED,
    HOLD,
    OFFERED,
    QUEUED,
    TALKING,
    AgentRuntime,
    CallState,
)

if TYPE_CHECKING:
    from apps.telephony.engine.controller.conferences import Conference
    from apps.telephony.engine.controller.core import CallController

logger = logging.getLogger(__name__)


class Inbox:
    """Dispatches engine inbox messages to the parts."""

    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl

    def msg_preview_dial(self, message: dict) -> None:
        contact_id = message.get("contact_id")
        self.ctl.campaign_calls.preview_dial(
            int(message["agent_id"]), int(contact_id) if contact_id is not None else None
        )

    def msg_preview_skip(self, message: dict) -> None:
        contact_id = message.get("contact_id")
        self.ctl.campaign_calls.preview_skip(
            int(message["agent_id"]), int(contact_id) if contact_id is not None else None
        )

    def handle(self, message: dict[str, Any]) -> bool:
        """Apply one engine inbox message. Returns False when it names an agent the engine does
        not know (the caller may reload the configuration and retry)."""
        kind = message.get("type")
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return True
        try:
            return handler(self, message) is not False
        except (KeyError, TypeError, ValueError):
            logger.warning("engine: malformed %s message %r", kind, message, exc_info=True)
            return True

    def agent_call(self, message: dict, *statuses: str) -> tuple[AgentRuntime, CallState] | None:
        agent = self.ctl.agents.get(int(message["agent_id"]))
        call = self.ctl.calls.get(message["call_uid"])
        if agent is None or call is None:
            if agent is not None and agent.call is not None and agent.call.uid == message["call_uid"]:
                call = agent.call  # a call in wrap-up has left the live table
            else:
                return None
        if statuses and call.status not in statuses:
            return None
        return agent, call

    def msg_agent_state(self, message: dict) -> bool:
        if message.get("source") == "engine":
            return True  # our own change coming back
        return self.ctl.agent_states.changed_by_person(
            int(message["agent_id"]), message["state"], message.get("reason")
        )

    def msg_answer(self, message: dict) -> None:
        consult = self.ctl.consultations.of(message, target=True)
        if consult is not None:
            if consult.answered is None:
                self.ctl.driver.answer(consult.call_uid, consult.agent_id)
            return
        found = self.agent_call(message, OFFERED)
        if found and found[0].agent_id in found[1].ringing:
            self.ctl.driver.answer(found[1].uid, found[0].agent_id)

    def msg_reject(self, message: dict) -> None:
        consult = self.ctl.consultations.of(message, target=True)
        if consult is not None:
            if consult.answered is None:
                self.ctl.consultations.cancel(self.ctl.calls[consult.call_uid], "rejected")
            return
        found = self.agent_call(message, OFFERED, DIALING)
        if found:
            self.ctl.offers.declined(found[1], found[0].agent_id, "rejected", release=True)

    def msg_hangup(self, message: dict) -> None:
        conference = self.conference_of(message)
        if conference is not None:  # either agent hanging up leaves the conference
            self.ctl.conferences.leave(self.ctl.calls[conference.call_uid], int(message["agent_id"]))
            return
        consult = self.ctl.consultations.of(message, target=True)
        if consult is not None:  # the consulted agent leaves the consultation
            self.ctl.consultations.cancel(self.ctl.calls[consult.call_uid], "target_hung_up")
            return
        found = self.agent_call(message, TALKING, HOLD, DIALING)
        if not found:
            return
        agent, call = found
        if call.status == DIALING:
            self.ctl.driver.hangup(call.uid)
            self.ctl.callbacks.dial_failed(call, END_NO_ANSWER)
        elif call.agent_id == agent.agent_id:
            self.ctl.driver.hangup(call.uid, BY_AGENT)

    def msg_hold(self, message: dict) -> None:
        found = self.agent_call(message, TALKING)
        if found and found[1].uid in self.ctl.conferences.conferences:
            return  # nobody is put on hold in a conference: drop or leave first
        if found and found[1].agent_id == found[0].agent_id:
            self.ctl.driver.hold(found[1].uid)

    def msg_resume(self, message: dict) -> None:
        found = self.agent_call(message, HOLD)
        if found and found[1].uid in self.ctl.consults:
            return  # the caller stays held while the consultation lasts: cancel or complete it first
        if found and found[1].agent_id == found[0].agent_id:
            self.ctl.driver.unhold(found[1].uid)

    def msg_wrapup(self, message: dict) -> None:
        agent = self.ctl.agents.get(int(message["agent_id"]))
        if agent is None or agent.state != A_WRAP_UP or agent.call is None:
            return
        if agent.call.uid != message.get("call_uid"):
            return
        self.ctl.wrapup.end(agent, agent.call, disposition=message.get("disposition"), notes=message.get("notes") or "")

    def msg_transfer(self, message: dict) -> None:
        found = self.agent_call(message, TALKING, HOLD)
        if not found or found[1].agent_id != found[0].agent_id:
            return
        agent, call = found
        if call.uid in self.ctl.consults or call.uid in self.ctl.conferences.conferences:
            self.ctl.agent_states.notify(
                agent, {"type": "call.transfer_failed", "call_uid": call.uid, "reason": "consulting"}
            )
            return
        queue_id = message.get("queue_id")
        target_id = message.get("target_agent_id")
        number = str(message.get("number") or "")
        self.transfer(call, agent, queue_id=queue_id, target_agent_id=target_id, number=number)

    def transfer(
        self,
        call: CallState,
        agent: AgentRuntime,
        *,
        queue_id: int | None = None,
        target_agent_id: int | None = None,
        number: str = "",
    ) -> bool:
        """Blind transfer of a live call to a queue, a Ready agent or an outside number (checked
        against the dialling policy by the service that sent it). The first agent goes to wrap-up."""
        target = self.ctl.agents.get(int(target_agent_id)) if target_agent_id is not None else None
        if number:
            queue_id = None
        elif queue_id is not None:
            queue_id = int(queue_id)
            if queue_id not in self.ctl.queues:
                return False
        elif target is None or target.state != A_READY or target is agent:
            self.ctl.agent_states.notify(
                agent, {"type": "call.transfer_failed", "call_uid": call.uid, "reason": "agent_unavailable"}
            )
            return False
        self.ctl.wrapup.close_hold(call)
        self.ctl.driver.detach(call.uid)
        self.ctl.driver.stop_recording(call.uid)
        if number:
            self.ctl.store.call_transferred(call, agent.agent_id, number=number)
        else:
            self.ctl.store.call_transferred(call, agent.agent_id, queue_id=queue_id, target_agent_id=target_agent_id)
        # The first agent's part is over.
        wrapup = self.ctl.wrapup.seconds(call)
        call.agent_id = None
        if wrapup > 0:
            self.ctl.agent_states.change(agent, A_WRAP_UP, call=call)
            call.wrapup_timer = self.ctl.clock.call_later(wrapup, self.ctl.wrapup.timeout, agent, call)
        else:
            self.ctl.wrapup.after_call(agent, call)
        self.ctl.agent_states.notify(agent, {"type": "call.ended", "call_uid": call.uid, "by": "transfer"})
        if number:
            # Like an IVR transfer node: the switch carries the caller to the number, the call ends here.
            self.ctl.driver.transfer(call.uid, number)
            self.ctl.wrapup.finish(call, END_TRANSFERRED)
            return True
        if queue_id is not None:
            self.ctl.queueing.enqueue(call, queue_id)
            return True
        if target is None:  # neither a number nor a queue: a Ready agent, checked above
            return False
        self.ctl.acd.agent_unavailable(target.agent_id)
        queue = self.ctl.queue_of(call)
        if queue is not None and queue.max_wait_seconds > 0:
            call.overflow_at = self.ctl.clock.now() + queue.max_wait_seconds
        call.status = QUEUED  # so that _assign accepts it
        self.ctl.offers.assign(
            Assignment(call_id=call.uid, queue_id=call.queue_id, agent_ids=(target.agent_id,), waited=0.0)
        )
        return True

    def msg_consult(self, message: dict) -> None:
        found = self.agent_call(message, TALKING, HOLD)
        if not found or found[1].agent_id != found[0].agent_id:
            return
        queue_id = message.get("queue_id")
        target_id = message.get("target_agent_id")
        self.ctl.consultations.start(
            found[1],
            found[0],
            queue_id=int(queue_id) if queue_id is not None else None,
            target_agent_id=int(target_id) if target_id is not None else None,
            number=str(message.get("number") or ""),
        )

    def msg_consult_complete(self, message: dict) -> None:
        consult = self.ctl.consultations.of(message, target=False)
        if consult is not None:
            self.ctl.consultations.complete(self.ctl.calls[consult.call_uid])

    def msg_consult_cancel(self, message: dict) -> None:
        consult = self.ctl.consultations.of(message, target=False)
        if consult is not None:
            self.ctl.consultations.cancel(self.ctl.calls[consult.call_uid], "cancelled")

    # --- three-way conference (controller/conferences.py) --------------------------------------
    def conference_of(self, message: dict) -> Conference | None:
        """The conference ``message``'s agent is in (host or colleague), on ``message``'s call."""
        uid = message.get("call_uid")
        conference = self.ctl.conferences.conferences.get(uid) if isinstance(uid, str) else None
        if conference is None or uid not in self.ctl.calls:
            return None
        agent_id = int(message["agent_id"])
        return conference if agent_id in (conference.host_id, conference.member_id) else None

    def msg_conference(self, message: dict) -> None:
        agent = self.ctl.agents.get(int(message["agent_id"]))
        call = self.ctl.calls.get(message["call_uid"])
        if agent is None:
            return
        if call is None or call.status not in LIVE:
            self.ctl.agent_states.notify(
                agent, {"type": "call.conference_failed", "call_uid": message["call_uid"], "reason": "no_consultation"}
            )
            return
        self.ctl.conferences.start(call, agent)

    def msg_conference_leave(self, message: dict) -> None:
        conference = self.conference_of(message)
        if conference is not None:
            self.ctl.conferences.leave(self.ctl.calls[conference.call_uid], int(message["agent_id"]))

    def msg_conference_drop(self, message: dict) -> None:
        agent = self.ctl.agents.get(int(message["agent_id"]))
        call = self.ctl.calls.get(message["call_uid"])
        if agent is not None and call is not None:
            self.ctl.conferences.drop(call, agent)

    def msg_conference_end(self, message: dict) -> None:
        agent = self.ctl.agents.get(int(message["agent_id"]))
        call = self.ctl.calls.get(message["call_uid"])
        if agent is not None and call is not None:
            self.ctl.conferences.end(call, agent)

    def msg_dial(self, message: dict) -> None:
        customer_id = message.get("customer_id")
        self.ctl.callbacks.agent_dial(
            int(message["agent_id"]), str(message["number"]), int(customer_id) if customer_id is not None else None
        )

    def msg_monitor(self, message: dict) -> None:
        call = self.ctl.calls.get(message["call_uid"])
        mode = message.get("mode")
        if call is None or call.status not in LIVE or mode not in ("listen", "whisper", "barge"):
            return
        supervisor = int(message["supervisor_user_id"])
        self.ctl.driver.monitor(call.uid, supervisor, mode)
        self.ctl.store.monitor(call, supervisor, mode)

    def msg_release(self, message: dict) -> None:
        call = self.ctl.calls.get(message["call_uid"])
        if call is None:
            return
        self.force_release(call, int(message.get("supervisor_user_id") or 0))

    def force_release(self, call: CallState, supervisor_user_id: int = 0) -> None:
        """A supervisor ends the call wherever it is."""
        self.ctl.store.call_event(call, "force_release", supervisor_user_id=supervisor_user_id)
        status = call.status
        if status in LIVE:
            self.ctl.wrapup.end_talk(call, BY_SYSTEM, END_FORCE_RELEASED)
        elif status == QUEUED:
            self.ctl.acd.remove_call(call.uid)
            self.ctl.wrapup.finish(call, END_FORCE_RELEASED)
            self.ctl.queueing.changed(call.queue_id)
        elif status == OFFERED:
            cancel_timer(call, "ring_timer")
            ringing, call.ringing = call.ringing, ()
            self.ctl.offers.withdraw(call, ringing)
            self.ctl.wrapup.finish(call, END_FORCE_RELEASED)
        elif status == DIALING:
            self.ctl.callbacks.dial_failed(call, END_FORCE_RELEASED)
        else:
            self.ctl.wrapup.finish(call, END_FORCE_RELEASED)
        self.ctl.driver.hangup(call.uid)

    def msg_callback_cancel(self, message: dict) -> None:
        self.ctl.callbacks.cancel(str(message["request_uid"]))

    # The message types of docs/realtime.md ("engine inbox"), each with its handler.
    _handlers: ClassVar[dict[str, Callable[[Inbox, dict[str, Any]], bool | None]]] = {
        "agent.state": msg_agent_state,
        "call.answer": msg_answer,
        "call.reject": msg_reject,
        "call.hangup": msg_hangup,
        "call.hold": msg_hold,
        "call.resume": msg_resume,
        "call.wrapup": msg_wrapup,
        "call.transfer": msg_transfer,
        "call.consult": msg_consult,
        "call.consult_complete": msg_consult_complete,
        "call.consult_cancel": msg_consult_cancel,
        "call.conference": msg_conference,
        "call.conference_leave": msg_conference_leave,
        "call.conference_drop": msg_conference_drop,
        "call.conference_end": msg_conference_end,
        "call.dial": msg_dial,
        "call.monitor": msg_monitor,
        "call.release": msg_release,
        "callback.cancel": msg_callback_cancel,
        "campaign.preview_dial": msg_preview_dial,
        "campaign.preview_skip": msg_preview_skip,
    }
