"""Supervisor monitoring for the ``sip`` driver: listen, whisper and barge on a live call.

``SipDriver.monitor(uid, supervisor_user_id, mode)`` lands here. The supervisor's seat (found
through ``Agent.user`` → ``Agent.seat``; the runner loads the map with :func:`load_user_seats`)
is invited through Kamailio like an agent's seat (``X-CC-Call``, ``X-CC-Monitor: <mode>``).

**Listen** is an rtpengine subscription: ``subscribe request`` on the call's rtpengine session
for both parties (the caller's tag and our side's, which carries the agent's media once a seat
answered) gives the SDP the seat is offered; its ``200`` becomes the ``subscribe answer``
(``allow transcoding``: a phone may take fewer codecs than offered). What rtpengine 10.5
(userspace) gives, as found against the daemon itself:

* two ``sendonly`` ``m=audio`` sections, the caller's first, then the agent's — not one mixed
  stream. The browser softphone plays every track it receives; a desk phone that takes only
  the first section (port 0 for the second) hears the caller only;
* one way only: what the supervisor's phone sends to its subscription ports is dropped.

**Whisper and barge** need the supervisor's voice mixed into what the agent (whisper) or both
parties (barge) hear, and rtpengine 10.5 cannot mix live streams (``publish``/``subscribe``
fork whole streams only). So the engine mixes, in :class:`Mixer`: the call's rtpengine session
is re-negotiated (re-``offer`` for the caller's side, re-``answer`` for the agent's, flag
``asymmetric`` so rtpengine does not re-latch onto the phones) to send each party's audio to a
socket of the engine instead of to the other party. Per packet, the engine forwards it to its
real destination (the media address of that party's SDP), with the supervisor's latest audio
added (G.711 decoded, summed, encoded again; the RTP header — sequence, timestamp, SSRC — kept),
and sends the supervisor the caller and the agent mixed into one stream, on the one
``m=audio`` section of a plain G.711 offer pointing at the engine. Phones are not re-INVITEd:
they keep sending to rtpengine; they now receive from the engine's address. When the leg ends
(and the call goes on) the session is re-negotiated back to the parties' own SDPs. Limits: the
supervisor is not in the call recording (rtpengine records what it receives from the parties);
G.711 only (PCMA/PCMU); the engine must reach the parties' media addresses directly (no NAT
traversal of its own); the audio is packet-clocked on the parties' streams (20 ms frames).

A supervisor has one monitor leg at a time: a new request for the same call switches between
whisper and barge on the same leg, between listen and the talking modes it replaces the leg
(other media), for another call it replaces the leg. The supervisor hanging up (BYE from the
seat) ends the subscription (``unsubscribe``) or the mixing; the call ending sends the
supervisor leg a BYE (or a CANCEL while it rings), through :func:`call_ended`, which the
driver's ``_release`` calls (``CallLifecycle._release``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import struct
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apps.telephony.engine.drivers.sip import media, recording
from apps.telephony.engine.drivers.sip.calls import Leg, SipCall
from apps.telephony.engine.drivers.sip.dialogs import ANSWERED, REFUSED
from apps.telephony.engine.drivers.sip.message import SipMessage, response
from apps.telephony.engine.drivers.sip.ng import NgError

if TYPE_CHECKING:
    from apps.telephony.engine.drivers.sip.dialogs import SipDialogs

logger = logging.getLogger(__name__)

LISTEN, WHISPER, BARGE = "listen", "whisper", "barge"
MODES = (LISTEN, WHISPER, BARGE)
TIMER_H = 32.0  # a finished leg stays reachable this long (late replies, retransmissions)
PCMU, PCMA = 0, 8
BACKLOG = 5  # frames of the supervisor's voice kept for mixing (100 ms): older ones are dropped


# --- G.711 ---------------------------------------------------------------------------------------
def _alaw_encode(sample: int) -> int:
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(sample if sample >= 0 else -sample - 1, 32767) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (code | sign) ^ 0x55


def _ulaw_encode(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sample < 0 else sample, 32635) + 0x84
    exponent = magnitude.bit_length() - 8
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


_DECODE = {PCMA: recording.ALAW, PCMU: recording.ULAW}
_ENCODE = {  # by sample >> 3 (13 bits, offset to index 0..8191)
    PCMA: bytes(_alaw_encode((index - 4096) << 3) for index in range(8192)),
    PCMU: bytes(_ulaw_encode((index - 4096) << 3) for index in range(8192)),
}


def decode(payload_type: int, payload: bytes) -> list[int]:
    table = _DECODE[payload_type]
    return [table[byte] for byte in payload]


def encode(payload_type: int, samples) -> bytes:
    table = _ENCODE[payload_type]
    return bytes(table[(max(-32768, min(32767, sample)) >> 3) + 4096] for sample in samples)


def mix(payload_type: int, payload: bytes, *others: list[int] | None) -> bytes:
    """``payload`` (G.711 of ``payload_type``) with the linear frames ``others`` added."""
    frames = [frame for frame in others if frame]
    if not frames:
        return payload
    samples = decode(payload_type, payload)
    for frame in frames:
        for index in range(min(len(samples), len(frame))):
            samples[index] += frame[index]
    return encode(payload_type, samples)


def _rtp_audio(data: bytes) -> tuple[int, int, bytes] | None:
    """(header length, payload type, payload) of a G.711 RTP packet, else None (DTMF events, RTCP)."""
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    payload_type = data[1] & 0x7F
    if payload_type not in (PCMA, PCMU):
        return None
    skip = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10 and len(data) >= skip + 4:
        skip += 4 + 4 * struct.unpack("!H", data[skip + 2 : skip + 4])[0]
    payload = data[skip:]
    if data[0] & 0x20 and payload:
        payload = payload[: -payload[-1]]
    return skip, payload_type, payload


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, handler) -> None:
        self.handler = handler

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        try:
            self.handler(data, addr)
        except Exception:
            logger.exception("sip monitor: mixing a packet failed")


class Mixer:
    """The engine's three-party mix for whisper and barge (see the module's docstring).

    ``from_caller``: rtpengine sends the caller's audio here (bound for the agent);
    ``from_agent``: the agent's audio (bound for the caller); ``supervisor``: the supervisor's
    phone sends here and gets the caller and the agent mixed from here.
    """

    def __init__(self, *, address: str, caller: tuple[str, int], agent: tuple[str, int], barge: bool) -> None:
        self.address = address
        self.caller = caller  # the parties' own media addresses (their SDPs)
        self.agent = agent
        self.barge = barge
        self.supervisor: tuple[str, int] | None = None
        self.supervisor_type = PCMA
        self.to_agent: deque[list[int]] = deque(maxlen=BACKLOG)  # the supervisor's voice, for the agent
        self.to_caller: deque[list[int]] = deque(maxlen=BACKLOG)  # and for the caller (barge)
        self.agent_voice: deque[list[int]] = deque(maxlen=BACKLOG)  # the agent's, for the supervisor
        self.sockets: dict[str, asyncio.DatagramTransport] = {}
        self.ports: dict[str, int] = {}
        self._sequence = 0
        self._ssrc = int.from_bytes(os.urandom(4), "big")

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for name, handler in (
            ("from_caller", self._from_caller),
            ("from_agent", self._from_agent),
            ("supervisor", self._from_supervisor),
        ):
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_Socket, handler), local_addr=(self.address, 0)
            )
            self.sockets[name] = transport
            self.ports[name] = transport.get_extra_info("sockname")[1]

    def close(self) -> None:
        for transport in self.sockets.values():
            transport.close()
        self.sockets.clear()

    def offer(self) -> str:
        """The supervisor phone's offer: one G.711 section on the engine's supervisor socket."""
        port = self.ports["supervisor"]
        return (
            f"v=0\r\no=engine 1 1 IN IP4 {self.address}\r\ns=monitor\r\nc=IN IP4 {self.address}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
        )

    def answered(self, sdp: str) -> None:
        self.supervisor = recording.sdp_media_address(sdp)
        for line in sdp.splitlines():
            if line.startswith("m=audio "):
                formats = [int(part) for part in line.split()[3:] if part.isdigit()]
                self.supervisor_type = next((pt for pt in formats if pt in (PCMA, PCMU)), PCMA)
                break

    def _send(self, name: str, data: bytes, target: tuple[str, int] | None) -> None:
        transport = self.sockets.get(name)
        if transport is not None and target is not None:
            transport.sendto(data, target)

    def _from_caller(self, data: bytes, addr: tuple) -> None:
        audio = _rtp_audio(data)
        if audio is None:
            self._send("from_caller", data, self.agent)  # DTMF events, comfort noise: as they are
            return
        skip, payload_type, payload = audio
        voice = self.to_agent.popleft() if self.to_agent else None
        self._send("from_caller", data[:skip] + mix(payload_type, payload, voice), self.agent)
        # The supervisor hears the caller and the agent; clocked by the caller's packets.
        caller = decode(payload_type, payload)
        agent = self.agent_voice.popleft() if self.agent_voice else None
        if self.supervisor is not None:
            self._sequence += 1
            header = struct.pack(
                "!BBHII",
                0x80,
                self.supervisor_type,
                self._sequence & 0xFFFF,
                (self._sequence * 160) & 0xFFFFFFFF,
                self._ssrc,
            )
            samples = [a + b for a, b in zip(caller, agent, strict=False)] + caller[len(agent) :] if agent else caller
            self._send("supervisor", header + encode(self.supervisor_type, samples), self.supervisor)

    def _from_agent(self, data: bytes, addr: tuple) -> None:
        audio = _rtp_audio(data)
        if audio is None:
            self._send("from_agent", data, self.caller)
            return
        skip, payload_type, payload = audio
        self.agent_voice.append(decode(payload_type, payload))
        voice = self.to_caller.popleft() if self.barge and self.to_caller else None
        self._send("from_agent", data[:skip] + mix(payload_type, payload, voice), self.caller)

    def _from_supervisor(self, data: bytes, addr: tuple) -> None:
        audio = _rtp_audio(data)
        if audio is None:
            return
        _skip, payload_type, payload = audio
        voice = decode(payload_type, payload)
        self.to_agent.append(voice)
        if self.barge:
            self.to_caller.append(voice)


@dataclass
class MonitorSession:
    """One supervisor's monitor leg on one call."""

    driver: SipDialogs
    call: SipCall
    supervisor_id: int  # the supervisor's user id
    mode: str
    leg: Leg
    subscription: str = ""  # listen: rtpengine's to-tag for the subscription
    mixer: Mixer | None = None  # whisper, barge: the engine's mix
    offer: str = ""  # what the seat is offered (rtpengine's subscription SDP, or the mixer's)
    answer: str = ""  # the seat's SDP
    subscribed: bool = False  # media flows (subscribe answer accepted, or the mix is on)
    ended: bool = False

    @property
    def talks(self) -> bool:
        return self.mixer is not None


class _Dispatch:
    """Stands in for the driver in ``SipStack.calls`` for monitor legs' Call-IDs: the stack hands
    their requests and replies to ``handle_request`` / ``handle_response`` (of the driver, for
    call legs), here with the :class:`MonitorSession` in place of the call."""

    @staticmethod
    def handle_request(session: MonitorSession, request: SipMessage, addr: tuple) -> None:
        _request(session, request, addr)

    @staticmethod
    def handle_response(session: MonitorSession, reply: SipMessage) -> None:
        _response(session, reply)


DISPATCH = _Dispatch()


# --- state on the driver ------------------------------------------------------------------------
def user_seats(driver: SipDialogs) -> dict[int, str]:
    """User id → seat extension (supervisors are users; their seat is their Agent's)."""
    return driver.monitor_user_seats


def set_user_seats(driver: SipDialogs, seats: dict[int, str]) -> None:
    driver.monitor_user_seats = dict(seats)


def sessions(driver: SipDialogs) -> dict[int, MonitorSession]:
    """Supervisor user id → that supervisor's live monitor leg (one at a time)."""
    return driver.monitor_sessions


def load_user_seats(tenant) -> dict[int, str]:
    """User id → seat extension of a tenant's users who have an agent with a seat (database;
    run it in a worker thread)."""
    # The driver loads without Django set up (bench, unit tests); this runs in the engine only.
    from django_tenants.utils import tenant_context  # noqa: PLC0415 -- Django only where it is set up

    from apps.telephony.models import Agent  # noqa: PLC0415 -- models need Django set up

    with tenant_context(tenant):
        return dict(Agent.objects.filter(seat__isnull=False).values_list("user_id", "seat__extension"))


# --- commands ------------------------------------------------------------------------------------
def monitor(driver: SipDialogs, uid: str, supervisor_id: int, mode: str) -> None:
    """The driver's ``monitor`` command: invite the supervisor's seat into the call."""
    call = driver.calls.get(uid)
    if call is None:
        return
    if mode not in MODES:
        logger.warning("sip %s: unknown monitor mode %r", uid, mode)
        return
    extension = user_seats(driver).get(supervisor_id)
    if extension is None:
        logger.warning("sip %s: supervisor (user %s) has no seat: nothing to monitor with", uid, supervisor_id)
        return

    async def work() -> None:
        if call.ended or not (call.answered or call.bridged is not None):
            logger.warning("sip %s: no media to monitor yet (the call is not answered)", uid)
            return
        current = sessions(driver).get(supervisor_id)
        if current is not None and not current.ended:
            if current.call is call and current.talks == (mode != LISTEN):
                current.mode = mode  # listen stays listen; whisper ↔ barge on the same mix
                if current.mixer is not None:
                    current.mixer.barge = mode == BARGE
                logger.info("sip %s: supervisor %s now in %s", uid, supervisor_id, mode)
                return
            end(current)  # other media, or another call: the old leg goes
        if mode == LISTEN:
            await _start_listen(driver, call, supervisor_id, extension)
        else:
            await _start_mix(driver, call, supervisor_id, mode, extension)

    driver.run(call, work)


def _parties(call: SipCall) -> tuple[str, str]:
    """rtpengine's two parties of the call: the outside party's tag, then our side's."""
    outside = call.x_tag or call.caller.remote_tag
    ours = call.y_tag or call.caller.local_tag
    return outside, ours


def _agent_sdp(call: SipCall) -> str:
    """What our side (the bridged seat) told rtpengine."""
    sdp = call.y_sdp
    if not sdp and call.bridged is not None and call.bridged in call.agents:
        sdp = call.agents[call.bridged].sdp
    return sdp


def _new_leg(driver: SipDialogs, extension: str) -> Leg:
    return driver.new_leg(local_user="monitor", local_host=driver.domain, remote_uri=f"sip:{extension}@{driver.domain}")


def _invite(session: MonitorSession, extension: str) -> None:
    driver, leg, call = session.driver, session.leg, session.call
    sessions(driver)[session.supervisor_id] = session
    driver.track(leg.call_id, DISPATCH, session)
    invite = driver.new_request(
        leg, "INVITE", body=session.offer, extra=[("X-CC-Call", call.uid), ("X-CC-Monitor", session.mode)]
    )
    leg.invite = invite
    driver.stack.send(invite)
    logger.info("sip %s: supervisor %s (%s) invited to %s", call.uid, session.supervisor_id, extension, session.mode)


async def _start_listen(driver: SipDialogs, call: SipCall, supervisor_id: int, extension: str) -> None:
    leg = _new_leg(driver, extension)
    session = MonitorSession(driver=driver, call=call, supervisor_id=supervisor_id, mode=LISTEN, leg=leg)
    reply = await driver.stack.ng.command(
        "subscribe request",
        call_id=call.media_id,
        from_tags=list(_parties(call)),  # the caller, then our side (the agent's media once bridged)
        to_tag=f"monitor-{leg.local_tag}",
        flags=["trust-address"],
        replace=["origin", "session-connection"],
    )
    session.subscription = reply.get("to-tag") or f"monitor-{leg.local_tag}"
    session.offer = reply["sdp"]
    if call.ended:
        return
    _invite(session, extension)


async def _start_mix(driver: SipDialogs, call: SipCall, supervisor_id: int, mode: str, extension: str) -> None:
    caller = recording.sdp_media_address(call.caller_sdp)
    agent = recording.sdp_media_address(_agent_sdp(call))
    if caller is None or agent is None or call.bridged is None:
        logger.warning("sip %s: %s needs a caller and an agent with media; nothing done", call.uid, mode)
        return
    mixer = Mixer(address=driver.stack.address, caller=caller, agent=agent, barge=mode == BARGE)
    await mixer.start()
    session = MonitorSession(
        driver=driver, call=call, supervisor_id=supervisor_id, mode=mode, leg=_new_leg(driver, extension), mixer=mixer
    )
    session.offer = mixer.offer()
    _invite(session, extension)


async def _route_through(session: MonitorSession, mixer: Mixer | None) -> None:
    """Re-negotiate the call's rtpengine session: each party's audio to the mixer's sockets
    (``asymmetric``: rtpengine must not re-latch onto the phones), or back to the parties."""
    call, ng = session.call, session.driver.stack.ng
    outside, ours = _parties(call)
    caller_sdp, agent_sdp = call.caller_sdp, _agent_sdp(call)
    if mixer is not None:
        caller_sdp = media.sdp_with_address(caller_sdp, mixer.address, mixer.ports["from_agent"])
        agent_sdp = media.sdp_with_address(agent_sdp, mixer.address, mixer.ports["from_caller"])
    flags = ["trust-address", "asymmetric" if mixer is not None else "symmetric"]
    replace = ["origin", "session-connection"]
    await ng.command(
        "offer", call_id=call.media_id, from_tag=outside, to_tag=ours, sdp=caller_sdp, flags=flags, replace=replace
    )
    await ng.command(
        "answer", call_id=call.media_id, from_tag=outside, to_tag=ours, sdp=agent_sdp, flags=flags, replace=replace
    )


def end(session: MonitorSession) -> None:
    """Hang the supervisor's leg up (BYE, or CANCEL while it rings) and stop its media."""
    if session.ended:
        return
    driver, leg = session.driver, session.leg
    session.ended = True
    if sessions(driver).get(session.supervisor_id) is session:
        del sessions(driver)[session.supervisor_id]
    driver.hang_up_leg(leg)  # nothing is sent when it ended already (the seat hung up, or refused)
    if session.call.ended:
        if session.mixer is not None:
            session.mixer.close()
        return
    driver.run(session.call, lambda: _stop_media(session))


def call_ended(driver: SipDialogs, call: SipCall) -> None:
    """The call is over (``_release``): its monitor legs end; rtpengine's delete takes the rest."""
    for session in list(sessions(driver).values()):
        if session.call is call:
            end(session)


async def _stop_media(session: MonitorSession) -> None:
    call = session.call
    try:
        if call.ended:
            return
        if session.subscription:
            with contextlib.suppress(NgError):
                await session.driver.stack.ng.command("unsubscribe", call_id=call.media_id, to_tag=session.subscription)
        elif session.mixer is not None and session.subscribed:
            await _route_through(session, None)  # the parties' media straight to each other again
    finally:
        if session.mixer is not None:
            session.mixer.close()


# --- SIP on the monitor leg --------------------------------------------------------------------
def _response(session: MonitorSession, reply: SipMessage) -> None:
    driver, leg, call = session.driver, session.leg, session.call
    progress = driver.invite_progress(leg, reply)
    if progress == REFUSED:
        if not session.ended:
            logger.info("sip %s: supervisor %s's seat answered %s", call.uid, session.supervisor_id, reply.status)
            end(session)
        return
    if progress != ANSWERED:
        return
    if session.ended or call.ended:
        # Answered after we gave up on it (the call ended, a CANCEL raced the 200): hang it up.
        driver.hang_up_answered(leg)
        return
    session.answer = reply.body.decode(errors="replace")

    async def connect() -> None:
        if session.ended or call.ended:
            return
        try:
            if session.mixer is not None:
                session.mixer.answered(session.answer)
                await _route_through(session, session.mixer)
            else:
                await driver.stack.ng.command(
                    "subscribe answer",
                    call_id=call.media_id,
                    to_tag=session.subscription,
                    sdp=session.answer,
                    # A phone may accept fewer codecs than offered; rtpengine transcodes then.
                    flags=["trust-address", "allow transcoding"],
                )
        except NgError as error:
            logger.warning("sip %s: rtpengine refused the monitor media: %s", call.uid, error)
            session.subscribed = True  # whatever half was done is undone by end()
            end(session)
            return
        session.subscribed = True
        logger.info("sip %s: supervisor %s is monitoring (%s)", call.uid, session.supervisor_id, session.mode)

    driver.run(call, connect)


def _request(session: MonitorSession, request: SipMessage, addr: tuple) -> None:
    driver = session.driver
    method = request.method
    if method == "BYE":
        driver.stack.send(response(request, 200, "OK"), addr)
        if session.leg.ended:
            return
        session.leg.ended = True  # the supervisor hung up: no BYE back
        end(session)
        return
    if method == "ACK":
        return
    if method in ("OPTIONS", "INFO", "UPDATE", "NOTIFY"):
        driver.stack.send(response(request, 200, "OK"), addr)
        return
    if method == "INVITE":
        # A re-INVITE (hold, session refresh): the monitor's media stays as it is.
        driver.stack.send(
            response(
                request,
                200,
                "OK",
                to_tag=session.leg.local_tag,
                extra=[("Contact", driver.stack.contact), ("Content-Type", "application/sdp")],
                body=session.offer.encode(),
            ),
            addr,
        )
        return
    driver.stack.send(response(request, 501, "Not Implemented"), addr)
