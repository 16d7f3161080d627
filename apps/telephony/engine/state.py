"""The engine's in-memory view of calls and agents (plain Python, no Django).

The call string values are the same as :mod:`apps.telephony.choices` (``CallStatus``,
``CallEndReason``); a test keeps them in step. The agent states are
:mod:`apps.telephony.agent_states`'s own constants under the engine's ``A_`` names.
"""

from __future__ import annotations

from typing import Any

from apps.telephony import agent_states
from apps.telephony.engine.clock import TimerHandle

# Call status
IVR = "ivr"
QUEUED = "queued"
OFFERED = "offered"
TALKING = "talking"
HOLD = "hold"
WRAP_UP = "wrap_up"
ENDED = "ended"
# Engine-only phases of a call (stored as one of the statuses above)
DIALING = "dialing"  # an originated call ringing the far end (stored as "offered")
VOICEMAIL = "voicemail"  # leaving a message (stored as "ivr")
SURVEY = "survey"  # post-call survey after the agent left (stored as "ivr")
CALLBACK_WAITING = "callback_waiting"  # a callback request keeping the caller's place (no CDR yet)

STORED_STATUS = {DIALING: OFFERED, VOICEMAIL: IVR, SURVEY: IVR, CALLBACK_WAITING: QUEUED}

# End reasons
END_COMPLETED = "completed"
END_ABANDONED = "abandoned"
END_IVR_HANGUP = "ivr_hangup"
END_IVR_END = "ivr_end"
END_BLOCKED = "blocked"
END_VOICEMAIL = "voicemail"
END_CALLBACK = "callback"
END_TRANSFERRED = "transferred"
END_OVERFLOW = "overflow"
END_FORCE_RELEASED = "force_released"
END_FAILED = "failed"
END_NO_ANSWER = "no_answer"

# Kinds of call
INBOUND = "inbound"
OUTBOUND = "outbound"

# Agent states: the one definition is apps.telephony.agent_states; the engine's names for them.
A_OFFLINE = agent_states.OFFLINE
A_READY = agent_states.READY
A_NOT_READY = agent_states.NOT_READY
A_RESERVED = agent_states.RESERVED
A_TALKING = agent_states.TALKING
A_HOLD = agent_states.HOLD
A_WRAP_UP = agent_states.WRAP_UP
REASON_MISSED = agent_states.REASON_MISSED


class CallState:
    """One call as the controller sees it. Times are engine-clock floats (``None``: not yet)."""

    __slots__ = (
        "acd_ring",
        "after_call",
        "agent_id",
        "agents_served",
        "amd_actual",
        "amd_result",
        "announce_timer",
        "answered",
        "arrived",
        "blocked",
        "callback_attempts",
        "callback_for",
        "callback_timer",
        "caller",
        "callee",
        "campaign_id",
        "campaign_offer",
        "campaign_outcome",
        "contact",
        "customer_id",
        "customer_name",
        "direction",
        "disposition",
        "end_reason",
        "ended",
        "ended_by",
        "far_answered",
        "grace_timer",
        "hold_seconds",
        "hold_started",
        "is_callback",
        "is_vip",
        "ivr",
        "ivr_exited",
        "ivr_version_id",
        "live_at",
        "number_id",
        "offer_count",
        "offer_seq",
        "offered",
        "overflow_at",
        "overflow_timer",
        "overflows",
        "pending_gather",
        "priority",
        "queue_entered",
        "queue_id",
        "queued",
        "record",
        "return_state",
        "ringing",
        "ring_timer",
        "status",
        "store_ref",
        "survey_score",
        "trunk_id",
        "uid",
        "waiting",
        "wrapup_ended",
        "wrapup_timer",
        "notes",
    )

    def __init__(
        self,
        uid: str,
        *,
        caller: str,
        callee: str,
        arrived: float,
        direction: str = INBOUND,
        number_id: int | None = None,
        trunk_id: int | None = None,
    ) -> None:
        self.uid = uid
        self.caller = caller
        self.callee = callee
        self.arrived = arrived
        self.direction = direction
        self.number_id = number_id
        self.trunk_id = trunk_id
        self.status = IVR
        self.record = True  # False: a campaign set not to record; the switch is never asked to
        self.customer_id: int | None = None
        self.customer_name = ""
        self.is_vip = False
        self.priority = 0
        self.ivr: Any = None
        self.ivr_version_id: int | None = None
        self.ivr_exited: float | None = None
        self.queue_id: int | None = None
        self.queued: float | None = None  # first entered a queue (the CDR's queued_at)
        self.queue_entered: float | None = None  # entered the current queue
        self.waiting: Any = None  # the acd WaitingCall while queued
        self.offered: float | None = None
        self.offer_count = 0
        self.offer_seq = 0
        self.acd_ring: int | None = None  # bullseye: the ring (1 = innermost) of the current offer
        self.ringing: tuple[int, ...] = ()
        self.answered: float | None = None
        self.agent_id: int | None = None
        self.agents_served: list[int] = []
        self.hold_started: float | None = None
        self.hold_seconds = 0.0
        self.ended: float | None = None
        self.ended_by: str | None = None
        self.end_reason = ""
        self.blocked = False
        self.wrapup_ended: float | None = None
        self.disposition: str | None = None
        self.notes = ""
        self.survey_score: int | None = None
        self.after_call = False
        self.pending_gather: str | None = None
        self.is_callback = False
        self.callback_for: str | None = None  # a callback call: the uid of the call that asked for it
        self.callback_attempts = 0
        self.ring_timer: TimerHandle | None = None
        self.overflow_timer: TimerHandle | None = None
        self.overflow_at: float | None = None
        self.overflows = 0
        self.return_state: str | None = None  # click-to-dial: the agent's state before dialling
        self.announce_timer: TimerHandle | None = None
        self.callback_timer: TimerHandle | None = None
        self.wrapup_timer: TimerHandle | None = None
        self.store_ref: Any = None  # the store's handle (the DbStore keeps the Call row here)
        # Campaign calls (apps.telephony.dialer): the campaign, the contact dialled (a DialTarget),
        # when the far end answered, when it turned out to be a live person, what AMD said.
        self.campaign_id: int | None = None
        self.contact: Any = None
        self.far_answered: float | None = None
        self.live_at: float | None = None
        self.amd_result: str | None = None
        self.amd_actual: str | None = None  # simulated switches only: who really answered
        self.grace_timer: TimerHandle | None = None
        self.campaign_offer: dict | None = None  # contact card and script for the agent's offer
        self.campaign_outcome: str | None = None  # reported once per attempt

    # --- derived figures (the same definitions as apps.telephony.services.cdr) ------------------
    @property
    def wait_seconds(self) -> float | None:
        if self.queued is None:
            return None
        end = self.answered if self.answered is not None else self.ended
        return max(0.0, (end if end is not None else self.queued) - self.queued)

    @property
    def talk_seconds(self) -> float:
        if self.answered is None or self.ended is None:
            return 0.0
        return max(0.0, self.ended - self.answered - self.hold_seconds)

    @property
    def wrapup_seconds(self) -> float:
        if self.ended is None or self.wrapup_ended is None:
            return 0.0
        return max(0.0, self.wrapup_ended - self.ended)

    @property
    def contact_id(self) -> int | None:
        return self.contact.contact_id if self.contact is not None else None

    @property
    def abandoned(self) -> bool:
        return self.end_reason == END_ABANDONED

    def __repr__(self) -> str:
        return f"<CallState {self.uid} {self.status}>"


class AgentRuntime:
    __slots__ = ("agent_id", "call", "idle_since", "is_virtual", "name", "reason", "settings", "state")

    def __init__(self, agent_id: int, *, state: str = A_OFFLINE, is_virtual: bool = False, name: str = "") -> None:
        self.agent_id = agent_id
        self.state = state
        self.reason: str | None = None
        self.call: CallState | None = None
        self.idle_since: float | None = None
        self.is_virtual = is_virtual
        self.name = name
        self.settings: Any = None

    def __repr__(self) -> str:
        return f"<AgentRuntime {self.agent_id} {self.state}>"
