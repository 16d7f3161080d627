"""Three-way conference on the ``sip`` driver: the caller, the call's agent and the consulted
colleague all hear one another.

rtpengine 10.5 (userspace, as we run it) cannot mix live streams: ``publish``/``subscribe`` fork
whole streams and ``play media`` plays files (docs/sip.md, "Supervisor monitoring"). So, as for
whisper and barge (``monitor.py``), the engine mixes — but here the engine's mixer *is* our side
of the caller's rtpengine session:

* The caller's session ``M`` keeps its caller side (X) untouched; its Y side (the seat's, until
  now) is re-answered with the mixer's ``trunk`` socket. rtpengine sends the caller's audio there
  and takes from there what the caller hears — and records it: the recording's agent channel
  (pcap → stereo WAV, ``recording.py``) is the mix of both agents, so a QA listener hears all
  three (the caller on the left, the two agents on the right).
* Both agents' phones are re-INVITEd onto sockets of the mixer (``a``: the call's agent, ``b``:
  the colleague); the consultation's own rtpengine session ``C`` is deleted.
* Per packet (G.711, 20 ms): each party gets the sum of the other two — the caller's packets
  clock what the agents get, the call's agent's packets what the caller gets; a party whose
  stream stops (a phone that sends nothing in silence) does not silence the others (a full
  backlog of the quiet clock is flushed alone). RTP headers are the mixer's own per stream.

Leaving (``conference_drop``, or the colleague's BYE): the one who leaves is hung up (unless
they hung up), the one who stays is re-INVITEd with ``M``'s SDP for our side and ``M``'s Y side
is re-answered with their SDP: an ordinary two-party call again, the mixer closed. The call's
agent's own BYE goes the usual way (``on_hung_up(uid, "agent")``); the controller then drops them
from the conference, which hands the caller to the colleague. The call ending closes the mixer.

Limits: G.711 (PCMA/PCMU) only, DTMF from the caller is not passed to the agents during the
conference, and the engine must reach the phones' media addresses directly (as monitor.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import struct
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from apps.telephony.engine.drivers.base import BY_AGENT, BY_SYSTEM, OUTSIDE_PARTY
from apps.telephony.engine.drivers.sip import recording
from apps.telephony.engine.drivers.sip.calls import Leg, SipCall
from apps.telephony.engine.drivers.sip.consult import FLAGS, ReinviteFailed, hand_to_number, reinvite
from apps.telephony.engine.drivers.sip.message import SipMessage
from apps.telephony.engine.drivers.sip.message import response as sip_response
from apps.telephony.engine.drivers.sip.monitor import PCMA, PCMU, _rtp_audio, decode, encode
from apps.telephony.engine.drivers.sip.ng import NgError

if TYPE_CHECKING:
    from apps.telephony.engine.drivers.sip.dialogs import SipDialogs

logger = logging.getLogger(__name__)

BACKLOG = 5  # frames (100 ms) a party's voice waits for the stream that clocks its mix
TRUNK, A, B = "trunk", "a", "b"
PARTIES = (TRUNK, A, B)
# Who clocks what each party gets: the caller's packets clock both agents' mixes, the call's
# agent's packets clock the caller's.
CLOCK = {A: TRUNK, B: TRUNK, TRUNK: A}


def payload_type(sdp: str) -> int:
    """The first G.711 format of ``sdp``'s audio section (PCMA when none is named)."""
    for line in sdp.splitlines():
        if line.startswith("m=audio "):
            formats = [int(part) for part in line.split()[3:] if part.isdigit()]
            return next((pt for pt in formats if pt in (PCMA, PCMU)), PCMA)
    return PCMA


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, handler) -> None:
        self.handler = handler

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        try:
            self.handler(data)
        except Exception:
            logger.exception("sip conference: mixing a packet failed")


class ConferenceMixer:
    """Three G.711 parties, each hearing the other two (see the module's docstring)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.targets: dict[str, tuple[str, int] | None] = dict.fromkeys(PARTIES)
        self.types: dict[str, int] = dict.fromkeys(PARTIES, PCMA)
        # (from, to) -> the sender's recent frames waiting for the receiver's clock
        self.waiting: dict[tuple[str, str], deque[list[int]]] = {
            (source, target): deque(maxlen=BACKLOG) for source in PARTIES for target in PARTIES if source != target
        }
        self.sockets: dict[str, asyncio.DatagramTransport] = {}
        self.ports: dict[str, int] = {}
        self.sequence: dict[str, int] = dict.fromkeys(PARTIES, 0)
        self.ssrc = {party: int.from_bytes(os.urandom(4), "big") for party in PARTIES}
        self.sent: dict[str, int] = dict.fromkeys(PARTIES, 0)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for party in PARTIES:
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_Socket, functools.partial(self.received, party)), local_addr=(self.address, 0)
            )
            self.sockets[party] = transport
            self.ports[party] = transport.get_extra_info("sockname")[1]

    def close(self) -> None:
        for transport in self.sockets.values():
            transport.close()
        self.sockets.clear()

    def sdp(self, party: str) -> str:
        """Our SDP for ``party``: one G.711 section on its socket of the engine."""
        port = self.ports[party]
        return (
            f"v=0\r\no=engine 1 1 IN IP4 {self.address}\r\ns=conference\r\nc=IN IP4 {self.address}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
        )

    def connect(self, party: str, sdp: str) -> None:
        """``party``'s media address and codec, from its SDP."""
        self.targets[party] = recording.sdp_media_address(sdp)
        self.types[party] = payload_type(sdp)

    def received(self, source: str, data: bytes) -> None:
        audio = _rtp_audio(data)
        if audio is None:
            return  # DTMF events, comfort noise: not mixed
        _skip, pt, payload = audio
        frame = decode(pt, payload)
        for target in PARTIES:
            if target == source:
                continue
            if CLOCK[target] == source:
                others = [self._pop(other, target) for other in PARTIES if other not in (source, target)]
                self._send(target, [frame, *others])
            else:
                queue = self.waiting[(source, target)]
                if len(queue) == queue.maxlen:
                    # The clock of ``target``'s mix is quiet: this voice goes on alone.
                    self._send(target, [queue.popleft()])
                queue.append(frame)

    def _pop(self, source: str, target: str) -> list[int] | None:
        queue = self.waiting[(source, target)]
        return queue.popleft() if queue else None

    def _send(self, target: str, frames: list[list[int] | None]) -> None:
        transport, address = self.sockets.get(target), self.targets[target]
        present = [frame for frame in frames if frame]
        if transport is None or address is None or not present:
            return
        length = max(len(frame) for frame in present)
        samples = [0] * length
        for frame in present:
            for index, sample in enumerate(frame):
                samples[index] += sample
        self.sequence[target] += 1
        number = self.sequence[target]
        pt = self.types[target]
        header = struct.pack("!BBHII", 0x80, pt, number & 0xFFFF, (number * 160) & 0xFFFFFFFF, self.ssrc[target])
        transport.sendto(header + encode(pt, samples), address)
        self.sent[target] += 1


@dataclass
class Conference:
    """The conference on one call: the call's agent (``host_id``) and the colleague (``member_id``)."""

    host_id: int
    member_id: int
    mixer: ConferenceMixer
    legs: dict[int, Leg] = field(default_factory=dict)  # agent id -> their seat leg
    ready: bool = False  # the mix is on (both phones moved, the caller's session points at it)
    ended: bool = False


def _of(call: SipCall) -> Conference | None:
    return call.conference


# --- commands ------------------------------------------------------------------------------------
def conference(driver: SipDialogs, uid: str) -> bool:
    """Join the answered consultation and the held caller (see the module's docstring)."""
    call = driver.calls.get(uid)
    state = call.consult if call is not None else None
    if call is None or call.ended or state is None or not state.answered or state.cancelled:
        return False
    member_leg, host_leg = state.leg, call.agents.get(state.first_id)
    if member_leg is None or member_leg.ended or host_leg is None or host_leg.ended or _of(call) is not None:
        return False
    state.completed = True  # the consultation is over: its session goes, its legs stay
    mixer = ConferenceMixer(driver.stack.address)
    joined = Conference(host_id=state.first_id, member_id=state.agent_id, mixer=mixer, legs={state.first_id: host_leg})
    joined.legs[state.agent_id] = member_leg
    call.conference = joined
    call.consult = None
    call.agents[state.agent_id] = member_leg

    async def work() -> None:
        await mixer.start()
        if call.ended or joined.ended:
            mixer.close()
            return
        mixer.connect(TRUNK, call.our_sdp)  # rtpengine's side of M for our party
        for party, leg in ((A, host_leg), (B, member_leg)):
            if joined.ended or call.ended:
                return  # someone left meanwhile: the queued _two_party puts the call right
            try:
                leg.sdp = await reinvite(driver, leg, mixer.sdp(party))
            except ReinviteFailed as error:
                logger.warning("sip %s: a phone refused to join the conference (%s)", uid, error)
                await _delete(driver, state.media_id)
                await _two_party(driver, call, joined, stays=joined.host_id, leaves=joined.member_id)
                if not call.ended:
                    driver.emit("on_conference_left", uid, joined.member_id, BY_SYSTEM)
                return
            mixer.connect(party, leg.sdp)
        if joined.ended or call.ended:
            return
        await driver.stop_media(call)  # the hold music
        call.held = False
        trunk_sdp = mixer.sdp(TRUNK)
        await driver.stack.ng.command(
            "answer", call_id=call.media_id, from_tag=call.x_tag, to_tag=call.y_tag, sdp=trunk_sdp, **FLAGS
        )
        call.y_sdp = trunk_sdp
        # The recording's agent channel: what the mixer sends rtpengine (both agents).
        call.agent_media.append((mixer.address, mixer.ports[TRUNK]))
        joined.ready = True
        await _delete(driver, state.media_id)
        logger.info("sip %s: conference of the caller, agent %s and agent %s", uid, joined.host_id, joined.member_id)

    driver.run(call, work)
    return True


def drop(driver: SipDialogs, uid: str, agent_id: int) -> bool:
    """``agent_id`` leaves the conference; the other agent stays with the caller."""
    call = driver.calls.get(uid)
    joined = _of(call) if call is not None else None
    if call is None or joined is None or joined.ended or agent_id not in (joined.host_id, joined.member_id):
        return False
    stays = joined.member_id if agent_id == joined.host_id else joined.host_id
    joined.ended = True

    async def work() -> None:
        await _two_party(driver, call, joined, stays=stays, leaves=agent_id)
        staying = joined.legs.get(stays)
        if stays == OUTSIDE_PARTY and staying is not None and not call.ended and not staying.ended:
            hand_to_number(call, staying)  # the host left an outside number with the caller: a transfer

    driver.run(call, work)
    return True


# --- hooks called by the driver ------------------------------------------------------------------
def request(driver: SipDialogs, call: SipCall, leg: Leg, message: SipMessage, addr: tuple) -> bool:
    """A request on the colleague's leg during a conference: their BYE leaves it."""
    joined = _of(call)
    if joined is None or joined.legs.get(joined.member_id) is not leg or message.method != "BYE":
        return False
    driver.stack.send(sip_response(message, 200, "OK"), addr)
    if leg.ended:
        return True
    leg.ended = True
    if call.agents.get(joined.member_id) is leg:
        call.agents.pop(joined.member_id)
    if joined.ended or call.ended:
        return True
    joined.ended = True

    async def work() -> None:
        await _two_party(driver, call, joined, stays=joined.host_id, leaves=joined.member_id)
        if not call.ended:
            driver.emit("on_conference_left", call.uid, joined.member_id, BY_AGENT)

    driver.run(call, work)
    return True


def call_ended(driver: SipDialogs, call: SipCall) -> None:
    """The whole call is over (``_release``: every seat leg is hung up there): the mixer closes."""
    joined = _of(call)
    if joined is None:
        return
    joined.ended = True
    call.conference = None
    joined.mixer.close()


# --- helpers -------------------------------------------------------------------------------------
async def _two_party(driver: SipDialogs, call: SipCall, joined: Conference, *, stays: int, leaves: int) -> None:
    """Back to a call of two: ``leaves`` is hung up, ``stays`` talks with the caller through M."""
    joined.ended = True
    leaving = joined.legs.get(leaves)
    if call.agents.get(leaves) is leaving:
        call.agents.pop(leaves)
    if leaving is not None:
        driver.hang_up_leg(leaving)  # nothing is sent when it ended already
    staying = joined.legs.get(stays)
    try:
        if call.ended or staying is None or staying.ended:
            return
        if call.held:  # left before the mix was on: the caller still hears hold music
            await driver.stop_media(call)
            call.held = False
        try:
            staying.sdp = await reinvite(driver, staying, call.our_sdp)
        except ReinviteFailed as error:
            logger.warning("sip %s: agent %s's phone refused to come back to the caller (%s)", call.uid, stays, error)
        if call.ended:
            return
        await driver.stack.ng.command(
            "answer", call_id=call.media_id, from_tag=call.x_tag, to_tag=call.y_tag, sdp=staying.sdp, **FLAGS
        )
        call.y_sdp = staying.sdp
        address = recording.sdp_media_address(staying.sdp)
        if address is not None:
            call.agent_media.append(address)
        call.agents[stays] = staying
        call.bridged = stays
    finally:
        if call.conference is joined:
            call.conference = None
        joined.mixer.close()


async def _delete(driver: SipDialogs, media_id: str) -> None:
    with contextlib.suppress(NgError):
        await driver.stack.ng.command("delete", call_id=media_id, delete_delay=0)
