"""Numbers and little helpers shared by the controller's parts.

They live in a leaf module so that every part (queueing, offers, campaigns …) can import them
without importing :mod:`.core`, which imports every part.
"""

from __future__ import annotations

from apps.telephony.engine.state import HOLD, TALKING, CallState

TICK_SECONDS = 1.0  # ACD re-match for expanding skills and sticky holds
OUTBOUND_WRAPUP_SECONDS = 30  # wrap-up after a click-to-dial or callback call without a queue setting
CALLBACK_ATTEMPTS = 3
CALLBACK_RETRY_SECONDS = 300
MAX_OVERFLOWS = 3  # a call overflowing between queues in a circle is hung up after this many hops
ANSWER_GAP_SMOOTHING = 0.2  # EWMA weight of the newest gap between answers (expected-wait announcements)
GATHER_IVR = "ivr"
GATHER_CALLBACK = "callback_offer"
LIVE = (TALKING, HOLD)
# Campaigns (apps.telephony.dialer). A live outbound answer outranks every call waiting in its
# queue (VIP callers get +10): it has 2 seconds to reach an agent, a waiting caller has minutes.
LIVE_ANSWER_PRIORITY = 1000
AUTO_ANSWER_SECONDS = 5.0  # an outbound live answer is connected at once; past this it is abandoned
ABANDON_MESSAGE = "abandon_message"  # marks a call whose abandon message is playing
# Dial outcomes (apps.telephony.dialer.contract); repeated here so the engine needs no dialer import.
OUTCOME_ANSWERED = "answered"
OUTCOME_ABANDONED = "abandoned"
OUTCOME_BUSY = "busy"
OUTCOME_NO_ANSWER = "no_answer"
OUTCOME_MACHINE = "machine"
OUTCOME_FAILED = "failed"
OUTCOME_BLOCKED = "blocked"
CONSULT_RING_SECONDS = 20  # a consultation rings this long when the call has no queue setting
CONSULT_NUMBER_RING_SECONDS = 30  # an outside number consulted rings this long (then: no_answer)
CONSULT_PROBE = "/consult"  # suffix of the ACD entry that picks a queue's agent for a consultation


def cancel_timer(call: CallState, name: str) -> None:
    """Cancel one of the call's timers (``ring_timer``, ``grace_timer`` …) if it is armed."""
    timer = getattr(call, name)
    if timer is not None:
        timer.cancel()
        setattr(call, name, None)
