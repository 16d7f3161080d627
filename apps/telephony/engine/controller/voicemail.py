"""Leaving a message: after the greeting (and its tone) the switch records the caller; the message
ends when the caller hangs up, presses ``#``, or reaches the maximum length, whichever comes
first. The Voicemail row is written when the call ends (``store.voicemail_left``); over SIP the
audio follows from rtpengine's recording (apps/telephony/services/voicemail.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.telephony.engine.drivers.base import BY_SYSTEM
from apps.telephony.engine.state import VOICEMAIL, CallState

if TYPE_CHECKING:
    from apps.telephony.engine.controller.core import CallController

VOICEMAIL_MAX_SECONDS = 180.0  # a message longer than this is cut off (the caller is hung up on)
END_KEY = "#"


class VoicemailSteps:
    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl
        self.max_seconds = VOICEMAIL_MAX_SECONDS

    def record(self, call: CallState) -> None:
        """The greeting has played: the message starts now."""
        call.queue_entered = self.ctl.clock.now()
        self.ctl.driver.start_recording(call.uid)
        # Not kept on the call: it checks, when it fires, that this very message is still going on.
        self.ctl.clock.call_later(self.max_seconds, self._limit, call.uid, call)

    def digits(self, call: CallState, digits: str) -> bool:
        """``#`` ends the message (True: the digits were the message's)."""
        if call.status != VOICEMAIL or call.queue_entered is None:
            return False
        if END_KEY in digits:
            self.finish(call, "key")
        return True

    def _limit(self, uid: str, call: CallState) -> None:
        if self.ctl.calls.get(uid) is call and call.status == VOICEMAIL:
            self.finish(call, "max_length")

    def finish(self, call: CallState, why: str) -> None:
        self.ctl.store.call_event(call, "voicemail_ended", reason=why)
        self.ctl.driver.stop_recording(call.uid)
        self.ctl.driver.hangup(call.uid, BY_SYSTEM)
