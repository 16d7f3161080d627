"""The IVR step: a caller walked through the number's graph before any queue.

The graph itself is interpreted by :mod:`apps.telephony.ivr.runner` (plain Python); this part
turns its actions into switch commands (play, gather, transfer …) and routes the caller to a
queue, voicemail, a callback request or the end. The post-call survey comes back here.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from apps.telephony.engine.config import NumberSettings
from apps.telephony.engine.controller.common import (
    GATHER_IVR,
)
from apps.telephony.engine.controller.ivr_http import IvrHttp
from apps.telephony.engine.drivers.base import (
    PROMPT_SAY,
    PROMPT_VOICEMAIL,
)
from apps.telephony.engine.state import (
    END_IVR_END,
    END_TRANSFERRED,
    VOICEMAIL,
    CallState,
)
from apps.telephony.ivr import runner as ivr_runner

if TYPE_CHECKING:
    from apps.telephony.engine.controller.core import CallController

logger = logging.getLogger(__name__)

IVR_VARIABLES_EVENT = "ivr_variables"


class IvrSteps:
    """Feeds the IVR session the caller's input and carries out its actions."""

    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl
        # The tenant's language: say nodes without their own, and the queue announcements.
        self.language = "zh-Hans"
        self.http = IvrHttp(ctl, self.http_result)

    def local_now(self) -> datetime:
        return self.ctl.clock.wall().astimezone(self.ctl.time_zone)

    def start(self, call: CallState, number: NumberSettings) -> None:
        """Answer the caller with the number's IVR graph (the core calls this only when it has one)."""
        call.ivr = ivr_runner.IvrSession(
            number.ivr_graph or {},
            now_local=self.local_now(),
            hours_lookup=self.ctl.hours.get,
            queue_lookup=self.ctl.queues.__contains__,
            language=self.language,
        )
        self.do(call, call.ivr.start())

    def feed(self, call: CallState, received: Any) -> None:
        session = call.ivr
        session.now_local = self.local_now()
        try:
            action = session.feed(received)
        except ivr_runner.IvrSessionError:
            logger.warning("call %s: IVR input %r while nothing waited for it", call.uid, received)
            return
        if session.survey_score is not None and call.survey_score is None:
            call.survey_score = session.survey_score
            self.ctl.store.survey_scored(call, session.survey_score)
        self.do(call, action)

    def http_result(self, call: CallState, seq: int, result: ivr_runner.HttpResult) -> None:
        """The outcome of an http node's request (or its time-out), back on the engine's loop."""
        session = call.ivr
        if session is None or call.ended is not None or not isinstance(session.current, ivr_runner.HttpRequest):
            return
        self.ctl.store.call_event(
            call,
            "ivr_http_result",
            node=session.current.node,
            ok=result.ok,
            status=result.status,
            error=result.error,
        )
        self.feed(call, result)

    def do(self, call: CallState, action: Any) -> None:
        kind = action.kind
        uid = call.uid
        if kind == "play":
            call.pending_gather = GATHER_IVR
            self.ctl.driver.play(uid, action.audio or action.prompt)
        elif kind == "say":
            # The word prompts one after another (the sip driver joins them into one file).
            call.pending_gather = GATHER_IVR
            words = ([action.audio] if action.audio else []) + list(action.words)
            self.ctl.driver.play(uid, PROMPT_SAY, {"words": words, "text": action.text, "node": action.node})
        elif kind == "http":
            call.pending_gather = None
            self.http.request(call, action)
        elif kind == "gather":
            call.pending_gather = GATHER_IVR
            self.ctl.driver.gather(
                uid,
                action.audio or action.prompt,
                max_digits=action.max_digits,
                timeout=action.timeout,
                options=list(action.options),
                key=action.node,
            )
        elif kind == "survey":
            call.pending_gather = GATHER_IVR
            self.ctl.driver.gather(
                uid,
                action.audio or action.prompt,
                max_digits=1,
                timeout=action.timeout,
                options=list("12345"),
                key="survey",
            )
        elif kind == "queue":
            self.leave(call)
            call.after_call = bool(action.after_call_node)
            self.ctl.queueing.enqueue(call, action.queue_id)
        elif kind == "voicemail":
            self.leave(call)
            call.status = VOICEMAIL
            call.queue_id = action.queue_id
            self.ctl.store.call_event(call, "voicemail", queue_id=action.queue_id)
            self.ctl.driver.play(
                uid, action.audio or PROMPT_VOICEMAIL, {"prompt": action.prompt} if action.prompt else None
            )
        elif kind == "callback":
            self.leave(call)
            self.ctl.callbacks.request(call, action.queue_id, original=self.ctl.clock.now())
        elif kind == "transfer":
            self.leave(call)
            if action.queue_id is not None and action.queue_id in self.ctl.queues:
                self.ctl.queueing.enqueue(call, action.queue_id)
            elif action.number:
                self.ctl.store.call_event(call, "transferred", number=action.number)
                self.ctl.driver.transfer(uid, action.number)
                self.ctl.wrapup.finish(call, END_TRANSFERRED)
            else:
                self.ctl.wrapup.finish(call, END_IVR_END)
                self.ctl.driver.hangup(uid)
        else:  # hangup
            if call.ended is None:
                self.leave(call)
                self.ctl.wrapup.finish(call, END_IVR_END)
            else:
                self.ctl.calls.pop(uid, None)  # the end of a post-call survey
            self.ctl.driver.hangup(uid)

    def leave(self, call: CallState) -> None:
        if call.ivr_exited is None:
            call.ivr_exited = self.ctl.clock.now()
            self.ctl.store.call_ivr_exited(call)
            if call.ivr is not None and call.ivr.variables:
                # Kept on the call's timeline: the desk's snapshot (a reload mid-call) and the call
                # page read them back (apps/telephony/selectors/queue_scripts.py call_ivr_variables).
                self.ctl.store.call_event(call, IVR_VARIABLES_EVENT, variables=dict(call.ivr.variables))
