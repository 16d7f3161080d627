"""The ``sip`` driver's call-state records: plain data, no behaviour.

A leaf module (it imports the wire format, nothing of the driver) so the driver, the stack and
the helpers (consult, monitor) can all name these types without importing one another.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from apps.telephony.engine.drivers.sip.message import SipMessage

OUTSIDE = -1  # the key of an outside party's leg in ``SipCall.agents`` (a transfer to a number)


@dataclass
class Leg:
    """One dialog (the caller's, or an agent seat's)."""

    call_id: str
    local_tag: str
    local_uri: str
    remote_uri: str
    remote_tag: str = ""
    remote_target: str = ""  # the peer's Contact
    route_set: list[str] = field(default_factory=list)
    cseq: int = 1
    invite: SipMessage | None = None  # the INVITE we received (caller) or sent (agent)
    provisional: bool = False
    ringing: bool = False
    confirmed: bool = False  # 2xx sent/received
    ended: bool = False
    cancel_pending: bool = False
    sdp: str = ""
    # Our re-INVITE in flight: (CSeq, request, future of the SDP answer).
    pending: tuple[int, SipMessage, asyncio.Future[str]] | None = None


@dataclass
class Consult:
    """An attended transfer being prepared (see ``consult.py``): rtpengine session C between the
    first agent (tag ``a``) and the consulted agent (tag ``b``)."""

    agent_id: int
    first_id: int
    media_id: str  # rtpengine session C
    a_tag: str
    b_tag: str
    leg: Leg | None = None
    answered: bool = False
    cancelled: bool = False
    completed: bool = False
    number: str = ""  # an outside number consulted (agent_id is OUTSIDE_PARTY, its leg goes to the trunk)


@dataclass
class SipCall:
    """One call as the driver sees it: the caller's leg, the seats' legs, rtpengine's session."""

    uid: str
    caller: Leg
    source: tuple[str, int]
    media_id: str
    caller_sdp: str
    our_sdp: str = ""  # rtpengine's SDP for our side (offered to seats)
    answer_sdp: str = ""  # rtpengine's SDP for the caller (in our 200)
    agents: dict[int, Leg] = field(default_factory=dict)  # seats ringing or talking
    legs: dict[str, tuple[int, Leg]] = field(default_factory=dict)  # every seat leg by Call-ID, ended too
    bridged: int | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    answered: bool = False
    ended: bool = False
    digits: str = ""
    gather: dict | None = None
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    retransmit: asyncio.TimerHandle | None = None
    recording: bool = False
    recorded: bool = False
    agent_media: list[tuple[str, int]] = field(default_factory=list)  # seats' media addresses (SDP)
    # rtpengine's two parties: X is the caller (inbound) or the dialled customer (outbound), Y our
    # side (the sink, then the bridged seat or outside party).
    x_tag: str = ""
    y_tag: str = ""
    y_sdp: str = ""  # what Y last told rtpengine (the sink's SDP, then the seat's answer)
    trunk_id: int | None = None
    outbound: bool = False  # we dialled: ``caller`` is then our UAC leg towards the trunk
    originate_agent: int | None = None  # click-to-dial / preview: this seat first, then the number
    amd: bool = False
    transferred: bool = False  # handed to an outside number: the controller no longer knows it
    held: bool = False  # hold music is playing to the caller
    consult: Consult | None = None  # while an attended transfer is being prepared
    conference: Any = None  # a three-way conference (conference.Conference), once joined
