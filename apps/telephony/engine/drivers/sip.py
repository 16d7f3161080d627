"""The ``sip`` switch driver: a B2BUA behind Kamailio, with media anchored by rtpengine.

One :class:`SipStack` per engine process owns the UDP socket Kamailio relays routed calls to
(``SIP_ENGINE_ADDRESS:SIP_ENGINE_PORT``), the rtpengine ng client and the socket rtpengine
sends DTMF events to. Each tenant's :class:`SipDriver` registers with the stack under its
schema; an INVITE is handed to the driver named by Kamailio's ``X-CC-Tenant`` header, which
is trusted only when the INVITE comes from Kamailio's own address.

Media model, per inbound call, one rtpengine call (id = the caller's Call-ID) with two
parties: the caller (their From-tag) and our side (the To-tag we answer with). Until an agent
answers, our side's media goes to a local sink socket; prompts and hold music are played *to
the caller* with ``play media``; the caller's RFC 2833 digits come back as rtpengine DTMF log
events (JSON datagrams rtpengine sends to the engine's SIP port, ``dtmf-log-dest``). The agent's seat is invited through Kamailio with rtpengine's SDP for our side, and
its answer is given to rtpengine as the new ``answer``: caller and agent then talk through
rtpengine, with no re-INVITE towards the carrier.

Every event reaches the controller through ``loop.call_soon`` — never from inside a command —
and all SIP and ng work of one call runs in order under that call's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from apps.telephony.engine.drivers.base import (
    AMD_HUMAN,
    BY_AGENT,
    BY_CALLER,
    BY_SYSTEM,
    FAILED_BLOCKED,
    FAILED_BUSY,
    FAILED_ERROR,
    FAILED_NO_ANSWER,
    PROMPT_HOLD_MUSIC,
    InboundCall,
    SwitchDriver,
)
from apps.telephony.engine.drivers.sipstack import consult as consulting
from apps.telephony.engine.drivers.sipstack import media, recording
from apps.telephony.engine.drivers.sipstack.message import (
    SipMessage,
    SipParseError,
    header_uri,
    new_branch,
    new_tag,
    parse,
    response,
    uri_host_port,
    uri_user,
)
from apps.telephony.engine.drivers.sipstack.ng import NgClient, NgError

logger = logging.getLogger(__name__)

T1 = 0.5  # SIP timer T1: 2xx retransmission starts here and doubles
T2 = 4.0
TIMER_H = 32.0  # give up on a 2xx never acknowledged
HOLD_REPEAT = 10000  # hold music loops until stopped
# What a response to one of our INVITEs was (SipDriver._invite_progress).
PROVISIONAL, REFUSED, ANSWERED, REPEATED, OTHER = "provisional", "refused", "answered", "repeated", "other"
OUTSIDE = -1  # the key of an outside party's leg in ``SipCall.agents`` (a transfer to a number)
ORIGINATE_RING_SECONDS = 45.0  # click-to-dial and callbacks: how long the number may ring
UNCAPPED = 100000  # X-CC-Channels for a trunk without a known cap
# Final answers of a dialled number → the interface's failure reasons.
BUSY_CODES = {486, 600, 603}
NO_ANSWER_CODES = {404, 408, 410, 480, 484, 487}


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
    pending: tuple | None = None  # our re-INVITE in flight: (CSeq, request, future of the SDP answer)


@dataclass
class SipCall:
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
    consult: Any = None  # sipstack.consult.Consult while an attended transfer is being prepared


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, handler: Callable[[bytes, tuple], None]) -> None:
        self.handler = handler

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.handler(data, addr)


class SipStack:
    """The engine process's SIP side: one socket, one rtpengine client, many tenants' drivers."""

    def __init__(
        self,
        *,
        address: str,
        port: int,
        proxy: tuple[str, int],
        ng: tuple[str, int],
        platform_domain: str,
        prompts_dir: Path,
        recording_dir: Path | None = None,
    ) -> None:
        self.address = address
        self.port = port
        self.proxy = proxy
        self.platform_domain = platform_domain
        self.prompts_dir = Path(prompts_dir)
        self.recording_dir = Path(recording_dir) if recording_dir else None  # rtpengine's recording-dir
        self.ng = NgClient(*ng)
        self.drivers: dict[str, SipDriver] = {}  # tenant slug (Kamailio's X-CC-Tenant) -> driver
        self.calls: dict[str, tuple[SipDriver, SipCall]] = {}  # any leg's Call-ID -> call
        self.media: dict[str, tuple[SipDriver, SipCall]] = {}  # rtpengine call id -> call
        self.transport: asyncio.DatagramTransport | None = None
        self._sink: asyncio.DatagramTransport | None = None
        self.sink_port = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        media.ensure_default_prompts(self.prompts_dir)
        await self.ng.start()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self._received), local_addr=(self.address, self.port)
        )
        self._sink, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(lambda data, addr: None), local_addr=(self.address, 0)
        )
        self.sink_port = self._sink.get_extra_info("sockname")[1]

    def close(self) -> None:
        for transport in (self.transport, self._sink):
            if transport is not None:
                transport.close()
        self.ng.close()

    def register(self, driver: SipDriver) -> None:
        self.drivers[driver.slug] = driver

    def unregister(self, driver: SipDriver) -> None:
        if self.drivers.get(driver.slug) is driver:
            del self.drivers[driver.slug]

    # --- SIP transport ------------------------------------------------------------------
    def send(self, message: SipMessage, target: tuple[str, int] | None = None) -> None:
        if self.transport is not None:
            self.transport.sendto(message.encode(), target or self.proxy)

    def via(self, branch: str) -> str:
        return f"SIP/2.0/UDP {self.address}:{self.port};branch={branch};rport"

    @property
    def contact(self) -> str:
        return f"<sip:engine@{self.address}:{self.port}>"

    def _received(self, data: bytes, addr: tuple) -> None:
        if not data.strip():
            return  # keep-alive
        if data[:1] == b"{":
            # rtpengine's DTMF events (dtmf-log-dest) share this port: JSON, never SIP.
            if addr[0] == self.ng.target[0]:
                self._dtmf_received(data)
            return
        try:
            message = parse(data)
            if message.is_request:
                self._request(message, addr)
            else:
                self._response(message)
        except (SipParseError, ValueError) as error:
            logger.warning("sip: dropped a malformed message from %s: %s", addr, error)
        except Exception:
            logger.exception("sip: handling a message from %s failed", addr)

    def _request(self, request: SipMessage, addr: tuple) -> None:
        found = self.calls.get(request.call_id)
        if found is not None:
            found[0]._in_dialog(found[1], request, addr)
            return
        if request.method == "INVITE" and not request.to_tag:
            self._new_invite(request, addr)
        elif request.method == "OPTIONS":
            self.send(response(request, 200, "OK"), addr)
        elif request.method != "ACK":
            self.send(response(request, 481, "Call/Transaction Does Not Exist"), addr)

    def _new_invite(self, request: SipMessage, addr: tuple) -> None:
        if (addr[0], addr[1]) != self.proxy:
            logger.warning("sip: INVITE from %s:%s, not from Kamailio: refused", *addr)
            self.send(response(request, 403, "Forbidden", to_tag=new_tag()), addr)
            return
        driver = self.drivers.get(request.get("x-cc-tenant"))
        if driver is None:
            self.send(response(request, 480, "Temporarily Unavailable", to_tag=new_tag()), addr)
            return
        self.send(response(request, 100, "Trying"), addr)
        driver._arrived(request, addr)

    def _response(self, reply: SipMessage) -> None:
        found = self.calls.get(reply.call_id)
        if found is not None:
            found[0]._agent_response(found[1], reply)

    def _dtmf_received(self, data: bytes) -> None:
        try:
            event = json.loads(data)
            found = self.media.get(event["callid"])
            digit = event["event"]
        except (ValueError, KeyError, TypeError):
            return
        if found is not None and event.get("source_tag") == found[1].x_tag:
            found[0]._digit(found[1], "0123456789*#ABCD"[digit] if 0 <= digit < 16 else "")


class SipDriver(SwitchDriver):
    """One tenant's calls on the shared :class:`SipStack`."""

    def __init__(self, stack: SipStack, *, schema: str, slug: str, uid_prefix: str = "sip-") -> None:
        self.stack = stack
        self.schema = schema
        self.slug = slug
        self.domain = f"{slug}.{stack.platform_domain}"
        self.uid_prefix = uid_prefix
        self.seats: dict[int, str] = {}  # agent id -> extension
        self.calls: dict[str, SipCall] = {}
        self.recordings: dict[str, str] = {}  # uid -> the stereo WAV made from its pcap
        self.trunks: dict[int, int | None] = {}  # trunk id -> channel cap
        self.default_trunk_id: int | None = None
        self.gateways: dict[int, tuple[str, int]] = {}  # trunk id -> outbound carrier address
        self._tasks: set[asyncio.Task] = set()
        stack.register(self)

    def set_seats(self, seats: dict[int, str]) -> None:
        self.seats = dict(seats)

    def set_seat(self, agent_id: int, extension: str | None) -> None:
        if extension:
            self.seats[agent_id] = extension
        else:
            self.seats.pop(agent_id, None)

    def stop(self) -> None:
        """Hang up what is still up (engine shutdown) and leave the stack."""
        for uid in list(self.calls):
            self.hangup(uid, BY_SYSTEM)
        self.stack.unregister(self)

    # --- plumbing ------------------------------------------------------------------------
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def _emit(self, event: str, *args: Any) -> None:
        def deliver() -> None:
            if self.listener is not None:
                try:
                    getattr(self.listener, event)(*args)
                except Exception:
                    logger.exception("sip: %s%r failed in the controller", event, args)

        self.loop.call_soon(deliver)

    def _run(self, call: SipCall, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``work`` under the call's lock, after whatever the call is already doing."""

        async def guarded() -> None:
            async with call.lock:
                try:
                    await work()
                except NgError as error:
                    logger.warning("sip %s: rtpengine: %s", call.uid, error)
                except Exception:
                    logger.exception("sip %s: command failed", call.uid)

        task = self.loop.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _later(self, call: SipCall, delay: float, callback: Callable[..., None], *args: Any) -> asyncio.TimerHandle:
        handle = self.loop.call_later(delay, callback, *args)
        call.timers.append(handle)
        return handle

    def _cancel_timers(self, call: SipCall) -> None:
        for handle in call.timers:
            handle.cancel()
        call.timers.clear()

    def _request(self, leg: Leg, method: str, *, body: str = "", extra=(), cseq: int | None = None) -> SipMessage:
        """An in-dialog request (or the INVITE that starts an agent leg) on ``leg``."""
        if cseq is None:
            leg.cseq += 1
            cseq = leg.cseq
        message = SipMessage(method=method, uri=leg.remote_target or leg.remote_uri)
        remote_tag = f";tag={leg.remote_tag}" if leg.remote_tag else ""
        message.headers += [
            ("Via", self.stack.via(new_branch())),
            ("Max-Forwards", "70"),
            ("From", f"<{leg.local_uri}>;tag={leg.local_tag}"),
            ("To", f"<{leg.remote_uri}>{remote_tag}"),
            ("Call-ID", leg.call_id),
            ("CSeq", f"{cseq} {method}"),
        ]
        message.headers += [("Route", route) for route in leg.route_set]
        if method in ("INVITE",):
            message.headers.append(("Contact", self.stack.contact))
        message.headers += list(extra)
        if body:
            message.headers.append(("Content-Type", "application/sdp"))
            message.body = body.encode()
        return message

    def _send_in_dialog(self, leg: Leg, message: SipMessage) -> None:
        target = leg.route_set[0] if leg.route_set else (leg.remote_target or leg.remote_uri)
        host, port = uri_host_port(header_uri(target))
        self.stack.send(message, (host, port))

    # --- inbound calls ---------------------------------------------------------------------
    def _arrived(self, invite: SipMessage, addr: tuple) -> None:
        uid = f"{self.uid_prefix}{os.urandom(6).hex()}"
        leg = Leg(
            call_id=invite.call_id,
            local_tag=new_tag(),
            local_uri=header_uri(invite.get("to")),
            remote_uri=header_uri(invite.get("from")),
            remote_tag=invite.from_tag,
            remote_target=header_uri(invite.get("contact")),
            route_set=invite.get_all("record-route"),
            cseq=0,
            invite=invite,
        )
        call = SipCall(
            uid=uid,
            caller=leg,
            source=addr,
            media_id=invite.call_id,
            caller_sdp=invite.body.decode(errors="replace"),
            x_tag=invite.from_tag,
            y_tag=leg.local_tag,
        )
        self.calls[uid] = call
        self.stack.calls[invite.call_id] = (self, call)
        self.stack.media[call.media_id] = (self, call)

        def number(header: str) -> int | None:
            value = invite.get(header)
            return int(value) if value.isdigit() else None

        call.trunk_id = number("x-cc-trunk")
        inbound = InboundCall(
            uid=uid,
            caller=uri_user(leg.remote_uri),
            callee=uri_user(invite.uri) or uri_user(leg.local_uri),
            number_id=number("x-cc-number"),
            trunk_id=number("x-cc-trunk"),
            extra={"sip_call_id": invite.call_id},
        )
        self._emit("on_arrived", inbound)

    async def _answer_caller(self, call: SipCall) -> None:
        """Anchor the caller's media in rtpengine and send our 200 OK (once)."""
        if call.answered or call.ended or call.outbound:
            return
        offer = await self.stack.ng.command(
            "offer",
            call_id=call.media_id,
            from_tag=call.x_tag,
            sdp=call.caller_sdp,
            flags=["trust-address"],
            replace=["origin", "session-connection"],
        )
        call.our_sdp = offer["sdp"]
        sink = media.sdp_with_address(call.our_sdp, self.stack.address, self.stack.sink_port)
        answer = await self.stack.ng.command(
            "answer",
            call_id=call.media_id,
            from_tag=call.x_tag,
            to_tag=call.y_tag,
            sdp=sink,
            flags=["trust-address"],
            replace=["origin", "session-connection"],
        )
        if call.ended:
            return
        call.answer_sdp = answer["sdp"]
        call.answered = True
        call.caller.confirmed = True
        self._send_ok(call, T1)

    def _send_ok(self, call: SipCall, interval: float, elapsed: float = 0.0) -> None:
        """Our 200 OK to the caller's INVITE, retransmitted until the ACK (RFC 3261 §13.3.1.4)."""
        if call.ended or call.caller.invite is None:
            return
        if elapsed >= TIMER_H:
            logger.warning("sip %s: the caller never acknowledged our 200 OK", call.uid)
            self._caller_gone(call, BY_CALLER, send_bye=True)
            return
        ok = response(
            call.caller.invite,
            200,
            "OK",
            to_tag=call.caller.local_tag,
            extra=[("Contact", self.stack.contact), ("Content-Type", "application/sdp")],
            body=call.answer_sdp.encode(),
        )
        self.stack.send(ok, call.source)
        call.retransmit = self.loop.call_later(interval, self._send_ok, call, min(interval * 2, T2), elapsed + interval)

    def _in_dialog(self, call: SipCall, request: SipMessage, addr: tuple) -> None:
        found = call.legs.get(request.call_id)
        if found is not None:
            self._agent_request(call, found[0], found[1], request, addr)
            return
        method = request.method
        if method == "ACK":
            if call.retransmit is not None:
                call.retransmit.cancel()
                call.retransmit = None
            return
        if method == "INVITE" and request.to_tag == "":
            # A retransmission of the first INVITE.
            self.stack.send(response(request, 100, "Trying"), addr)
            return
        if method == "CANCEL":
            self.stack.send(response(request, 200, "OK"), addr)
            if not call.answered and not call.ended and call.caller.invite is not None:
                self.stack.send(
                    response(call.caller.invite, 487, "Request Terminated", to_tag=call.caller.local_tag), call.source
                )
                self._caller_gone(call, BY_CALLER)
            return
        if method == "BYE":
            self.stack.send(response(request, 200, "OK"), addr)
            if not call.ended:
                self._caller_gone(call, BY_CALLER)
            return
        if method == "INVITE":
            # A re-INVITE (session refresh, hold from the carrier): keep our media as it is.
            self.stack.send(
                response(
                    request,
                    200,
                    "OK",
                    to_tag=call.caller.local_tag,
                    extra=[("Contact", self.stack.contact), ("Content-Type", "application/sdp")],
                    body=call.answer_sdp.encode(),
                ),
                addr,
            )
            return
        if method in ("OPTIONS", "INFO", "UPDATE", "NOTIFY"):
            self.stack.send(response(request, 200, "OK"), addr)
            return
        self.stack.send(response(request, 501, "Not Implemented"), addr)

    def _caller_gone(self, call: SipCall, by: str, *, send_bye: bool = False) -> None:
        """The call is over: agent legs end, media is released, the controller hears ``by``."""
        if call.ended:
            return
        if send_bye and call.answered:
            self._send_in_dialog(call.caller, self._request(call.caller, "BYE"))
        self._release(call)
        self._emit("on_hung_up", call.uid, by)

    def _release(self, call: SipCall) -> None:
        call.ended = True
        call.caller.ended = True
        self._cancel_timers(call)
        if call.retransmit is not None:
            call.retransmit.cancel()
            call.retransmit = None
        consulting.call_ended(self, call)
        for agent_id in list(call.agents):
            self._end_agent_leg(call, agent_id)
        from apps.telephony.engine.drivers.sipstack import monitor as monitoring

        monitoring.call_ended(self, call)  # supervisors' monitor legs
        self.calls.pop(call.uid, None)
        self.stack.media.pop(call.media_id, None)
        self.loop.call_later(TIMER_H, self.stack.calls.pop, call.caller.call_id, None)

        async def delete() -> None:
            with contextlib.suppress(NgError):
                await self.stack.ng.command("delete", call_id=call.media_id, delete_delay=0)
            if call.recorded and self.stack.recording_dir is not None:
                await self._convert_recording(call)

        self._run(call, delete)

    async def _convert_recording(self, call: SipCall) -> None:
        """Hand the call's pcap over to ``recording_convert_task`` (Celery): the conversion's CPU is
        spent in a worker, not on this loop next to call setup. ``recordings[uid]`` says where the
        task writes the stereo WAV (from there it moves into tenant storage once the CDR exists)."""
        caller = recording.sdp_media_address(call.caller_sdp)
        directory = self.stack.recording_dir
        if caller is None or directory is None:
            logger.warning("sip %s: no caller media address, the recording cannot be converted", call.uid)
            return
        out = directory / "wav" / f"{call.uid}.wav"
        if await asyncio.to_thread(self._hand_over_recording, call, caller):
            self.recordings[call.uid] = str(out)

    def _hand_over_recording(self, call: SipCall, caller: tuple[str, int]) -> bool:
        """Queue the conversion (from a worker thread: publishing may block). It is sent from the
        public schema with the tenant's as an argument: the worker needs no tenant lookup for it."""
        from django.db import connections
        from django_tenants.utils import get_public_schema_name, schema_context

        from apps.telephony.tasks import recording_convert_task

        try:
            with schema_context(get_public_schema_name()):
                recording_convert_task.delay(
                    call.uid,
                    self.schema,
                    str(self.stack.recording_dir),
                    call.media_id,
                    list(caller),
                    call.agent_media,
                )
        except Exception:
            logger.exception("sip %s: handing the recording over failed", call.uid)
            return False
        finally:
            connections.close_all()  # this worker thread's, if the task ran eagerly
        return True

    # --- agent legs ------------------------------------------------------------------------
    def _new_leg(self, *, local_user: str, local_host: str, remote_uri: str) -> Leg:
        """A dialog the engine starts (it is the UAC): towards a seat, a carrier or a supervisor."""
        return Leg(
            call_id=f"{os.urandom(10).hex()}@{self.stack.address}",
            local_tag=new_tag(),
            local_uri=f"sip:{quote(local_user or 'anonymous', safe='+')}@{local_host}",
            remote_uri=remote_uri,
            cseq=0,
        )

    def _seat_leg(self, call: SipCall, extension: str, *, local_user: str | None = None) -> Leg:
        """Towards a seat of the tenant's domain, showing the caller's number (or ``local_user``)."""
        user = local_user if local_user is not None else uri_user(call.caller.remote_uri)
        return self._new_leg(local_user=user, local_host=self.domain, remote_uri=f"sip:{extension}@{self.domain}")

    def _number_leg(self, caller: str, digits: str, gateway: tuple[str, int]) -> Leg:
        """Towards a number at the trunk's carrier address, with ``caller`` as caller ID."""
        host, port = gateway
        remote = f"sip:{quote(digits, safe='+*#')}@{host}:{port}"
        return self._new_leg(local_user=caller, local_host=self.stack.address, remote_uri=remote)

    def _invite_seat(self, call: SipCall, agent_id: int, extension: str) -> None:
        leg = self._seat_leg(call, extension)
        call.agents[agent_id] = leg
        call.legs[leg.call_id] = (agent_id, leg)
        self.stack.calls[leg.call_id] = (self, call)
        extra = [("X-CC-Call", call.uid)]
        if call.outbound:
            # The agent asked for this call (click-to-dial, preview) or the contact is already
            # talking (a dialer's live answer): phones that honour the hint pick up by themselves.
            extra += [("X-CC-Direction", "outbound"), ("Call-Info", f"<sip:{self.domain}>;answer-after=0")]
        invite = self._request(leg, "INVITE", body=call.our_sdp, extra=extra)
        leg.invite = invite
        self.stack.send(invite)

    def _agent_response(self, call: SipCall, reply: SipMessage) -> None:
        if call.outbound and reply.call_id == call.caller.call_id:
            self._customer_response(call, reply)
            return
        found = call.legs.get(reply.call_id)
        if found is None:
            return
        agent_id, leg = found
        if consulting.response(self, call, agent_id, leg, reply):
            return  # a re-INVITE's answer, or the consult leg's
        progress = self._invite_progress(leg, reply)
        status = reply.status
        if progress == PROVISIONAL:
            if status in (180, 183) and not leg.ringing and not leg.cancel_pending:
                leg.ringing = True
                self._emit("on_ringing", call.uid, agent_id)
            return
        if progress == REFUSED:
            if call.agents.get(agent_id) is leg:
                call.agents.pop(agent_id)
            logger.info("sip %s: seat of agent %s answered %s", call.uid, agent_id, status)
            if leg.cancel_pending or status == 487 or call.ended:  # 487: the answer to our own CANCEL
                return
            if agent_id == OUTSIDE:
                logger.info("sip %s: the transfer to an outside number failed (%s): hanging up", call.uid, status)
                self._hangup_now(call, notify=False)
            elif call.outbound and agent_id == call.originate_agent and not call.answered:
                self._fail(call, FAILED_ERROR)  # the agent's own phone refused the click-to-dial
            else:
                self._emit("on_bridge_failed", call.uid, agent_id, str(status))
            return
        if progress != ANSWERED:
            return
        if leg.cancel_pending or leg.ended or call.ended or call.bridged is not None:
            self._hang_up_answered(leg)  # answered after we gave up on it (a race with CANCEL or RONA)
            return
        leg.sdp = reply.body.decode(errors="replace")
        address = recording.sdp_media_address(leg.sdp)
        if address is not None:
            call.agent_media.append(address)

        async def bridge() -> None:
            if call.ended or leg.ended:
                return
            await self._answer_caller(call)
            await self._stop_media(call)
            await self.stack.ng.command(
                "answer",
                call_id=call.media_id,
                from_tag=call.x_tag,
                to_tag=call.y_tag,
                sdp=leg.sdp,
                flags=["trust-address"],
                replace=["origin", "session-connection"],
            )
            call.bridged = agent_id
            call.y_sdp = leg.sdp
            if agent_id == OUTSIDE:
                return  # the controller let this call go (a transfer to a number)
            if call.outbound and not call.answered:
                if agent_id == call.originate_agent:
                    self._invite_customer(call)  # the agent is on: now the number rings
                return
            self._emit("on_answered", call.uid, agent_id)

        self._run(call, bridge)

    def _invite_progress(self, leg: Leg, reply: SipMessage) -> str:
        """The transaction side of a response to an INVITE the engine sent (a seat, a number, a
        consulted agent, a supervisor), shared by every leg: a provisional reply lets a pending
        CANCEL go; a refusal is ACKed hop by hop and ends the leg; a 2xx sets up the dialog
        (target, route set) and is ACKed end to end, again for each retransmission. Returns
        ``PROVISIONAL``, ``REFUSED``, ``ANSWERED`` (the first 2xx) or ``REPEATED`` (or ``OTHER``: a
        reply to our BYE or CANCEL). What it means for the call is the caller's business."""
        _number, method = reply.cseq
        if method != "INVITE":
            return OTHER
        if reply.status < 200:
            if not leg.provisional:
                leg.provisional = True
                if leg.cancel_pending:
                    self._send_cancel(leg)
            return PROVISIONAL
        leg.remote_tag = reply.to_tag
        if reply.status >= 300:
            self._ack_failure(leg, reply)
            leg.ended = True
            return REFUSED
        first = not leg.confirmed
        leg.confirmed = True
        leg.remote_target = header_uri(reply.get("contact")) or leg.remote_uri
        leg.route_set = list(reversed(reply.get_all("record-route")))
        self._send_in_dialog(leg, self._request(leg, "ACK", cseq=leg.invite.cseq[0] if leg.invite else 1))
        return ANSWERED if first else REPEATED

    def _hang_up_answered(self, leg: Leg) -> None:
        """BYE to a leg that answered after we had given up on it."""
        leg.ended = True
        self._send_in_dialog(leg, self._request(leg, "BYE"))

    def _ack_failure(self, leg: Leg, reply: SipMessage) -> None:
        """The hop-by-hop ACK of a failure reply: same branch as the INVITE."""
        if leg.invite is None:
            return
        ack = SipMessage(method="ACK", uri=leg.invite.uri)
        ack.headers += [
            ("Via", leg.invite.get("via")),
            ("Max-Forwards", "70"),
            ("From", leg.invite.get("from")),
            ("To", reply.get("to")),
            ("Call-ID", leg.call_id),
            ("CSeq", f"{leg.invite.cseq[0]} ACK"),
        ]
        self.stack.send(ack)

    def _send_cancel(self, leg: Leg) -> None:
        if leg.invite is None:
            return
        cancel = SipMessage(method="CANCEL", uri=leg.invite.uri)
        cancel.headers += [
            ("Via", leg.invite.get("via")),
            ("Max-Forwards", "70"),
            ("From", leg.invite.get("from")),
            ("To", leg.invite.get("to")),
            ("Call-ID", leg.call_id),
            ("CSeq", f"{leg.invite.cseq[0]} CANCEL"),
        ]
        self.stack.send(cancel)

    def _end_agent_leg(self, call: SipCall, agent_id: int) -> None:
        """CANCEL a ringing seat, BYE an answered one."""
        leg = call.agents.pop(agent_id, None)
        if call.bridged == agent_id:
            call.bridged = None
        if leg is not None:
            self._hang_up_leg(leg)

    def _hang_up_leg(self, leg: Leg) -> None:
        """End a leg the engine started: BYE once answered, CANCEL while it rings — after its first
        provisional reply (RFC 3261 §9.1), so until then the CANCEL waits (``cancel_pending``)."""
        if not leg.ended:
            if leg.confirmed:
                self._send_in_dialog(leg, self._request(leg, "BYE"))
            else:
                if leg.provisional:
                    self._send_cancel(leg)
                leg.cancel_pending = True
        leg.ended = True
        # The leg stays reachable a while: its 487 (or a 200 racing the CANCEL) still comes.
        with contextlib.suppress(RuntimeError):  # no running loop (shutdown): nothing left to match
            self.loop.call_later(TIMER_H, self.stack.calls.pop, leg.call_id, None)

    def _agent_request(self, call: SipCall, agent_id: int, leg: Leg, request: SipMessage, addr: tuple) -> None:
        if consulting.request(self, call, leg, request, addr):
            return
        method = request.method
        if method == "BYE":
            self.stack.send(response(request, 200, "OK"), addr)
            if leg.ended:
                return
            leg.ended = True
            if call.agents.get(agent_id) is leg:
                call.agents.pop(agent_id)
            if agent_id == OUTSIDE or (call.outbound and not call.answered and agent_id == call.originate_agent):
                # The outside party left a transferred call, or the agent gave up a dial that
                # was still ringing: the whole call ends.
                outside = agent_id == OUTSIDE
                self._hangup_now(call, notify=False)
                if not outside:
                    self._emit("on_failed", call.uid, FAILED_NO_ANSWER, None)
                return
            if call.bridged == agent_id:
                call.bridged = None
                self._emit("on_hung_up", call.uid, BY_AGENT)
            return
        if method == "ACK":
            return
        if method in ("OPTIONS", "INFO", "UPDATE", "NOTIFY"):
            self.stack.send(response(request, 200, "OK"), addr)
            return
        self.stack.send(response(request, 501, "Not Implemented"), addr)

    # --- media -----------------------------------------------------------------------------
    async def _play(self, call: SipCall, prompt: str, *, repeat: int | None = None) -> float:
        """Play a prompt to the caller; return its length in seconds."""
        path = media.prompt_path(self.stack.prompts_dir, prompt, tenant=self.schema)
        reply = await self.stack.ng.command(
            "play media",
            call_id=call.media_id,
            from_tag=call.x_tag,
            file=str(path),
            repeat_times=repeat,
        )
        duration = reply.get("duration")
        return duration / 1000.0 if isinstance(duration, int) and duration > 0 else media.wav_seconds(path)

    async def _stop_media(self, call: SipCall) -> None:
        with contextlib.suppress(NgError):
            await self.stack.ng.command("stop media", call_id=call.media_id, from_tag=call.x_tag)

    def _digit(self, call: SipCall, digit: str) -> None:
        gather = call.gather
        if gather is None or call.ended or not digit:
            return
        if not call.digits:
            self._run(call, lambda: self._stop_media(call))
        if digit == "#" and call.digits:
            self._gather_done(call, gather["seq"])
            return
        call.digits += digit
        if len(call.digits) >= gather["max_digits"] or call.digits in gather["options"]:
            self._gather_done(call, gather["seq"])

    def _gather_done(self, call: SipCall, seq: int) -> None:
        gather = call.gather
        if gather is None or gather["seq"] != seq or call.ended:
            return
        call.gather = None
        if gather["timer"] is not None:
            gather["timer"].cancel()
        digits, call.digits = call.digits, ""
        if digits:
            self._emit("on_digits", call.uid, digits)
        else:
            self._emit("on_no_input", call.uid)

    # --- commands --------------------------------------------------------------------------
    def answer(self, uid: str, agent_id: int | None = None) -> None:
        call = self.calls.get(uid)
        if call is None or agent_id is not None:
            return  # a seat answers on the phone itself, not from the desktop's button
        self._run(call, lambda: self._answer_caller(call))

    def play(self, uid: str, prompt: str, data: dict | None = None) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            await self._answer_caller(call)
            if call.ended:
                return
            if prompt == PROMPT_HOLD_MUSIC:
                await self._play(call, prompt, repeat=HOLD_REPEAT)
                return
            seconds = await self._play(call, prompt)
            self._later(call, seconds, self._play_done, call)

        self._run(call, work)

    def _play_done(self, call: SipCall) -> None:
        if not call.ended:
            self._emit("on_play_done", call.uid)

    def gather(
        self, uid: str, prompt: str, *, max_digits: int, timeout: float, options: list[str], key: str = ""
    ) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        seq = (call.gather or {}).get("seq", 0) + 1
        call.digits = ""
        call.gather = {"seq": seq, "max_digits": max(1, max_digits), "options": set(options), "timer": None}

        async def work() -> None:
            await self._answer_caller(call)
            if call.ended or call.gather is None or call.gather["seq"] != seq:
                return
            seconds = await self._play(call, prompt)
            if call.gather is not None and call.gather["seq"] == seq:
                call.gather["timer"] = self._later(call, seconds + timeout, self._gather_done, call, seq)

        self._run(call, work)

    def bridge(self, uid: str, agent_id: int) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        extension = self.seats.get(agent_id)
        if extension is None:
            logger.warning("sip %s: agent %s has no seat: the offer rings nowhere", uid, agent_id)
            return

        async def work() -> None:
            await self._answer_caller(call)  # the seat is offered rtpengine's SDP for our side
            if not call.ended and agent_id not in call.agents:
                self._invite_seat(call, agent_id, extension)

        self._run(call, work)

    def cancel_bridge(self, uid: str, agent_id: int) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        self._run(call, self._async(lambda: self._end_agent_leg(call, agent_id)))

    @staticmethod
    def _async(function: Callable[[], None]) -> Callable[[], Coroutine[Any, Any, None]]:
        async def work() -> None:
            function()

        return work

    def detach(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is not None and call.bridged is not None:
            agent_id = call.bridged
            self._run(call, self._async(lambda: self._end_agent_leg(call, agent_id)))

    def originate(self, uid: str, number: str, agent_id: int, *, caller_id: str = "") -> None:
        """Click-to-dial and callbacks: the agent's seat rings first (auto-answer hint), then the
        number; ``on_answered(uid, agent_id)`` when the number answers."""
        self._place(uid, number, agent_id=agent_id, caller_id=caller_id, ring_timeout=ORIGINATE_RING_SECONDS)

    def dial(
        self,
        uid: str,
        number: str,
        *,
        agent_id: int | None = None,
        caller_id: str = "",
        trunk_id: int | None = None,
        ring_timeout: float = 25.0,
        amd: bool = True,
    ) -> None:
        """A campaign dial. Without an agent the number rings with our side on the sink; a live
        answer is reported at once as ``human``: there is no answering-machine detection over
        SIP (docs/sip.md), so the controller bridges every answer."""
        self._place(
            uid, number, agent_id=agent_id, caller_id=caller_id, trunk_id=trunk_id, ring_timeout=ring_timeout, amd=amd
        )

    def set_trunks(self, trunks: dict[int | None, int | None], default_trunk_id: int | None) -> None:
        """Trunk id → channel cap (``None``: uncapped), from the tenant's configuration."""
        self.trunks = {trunk_id: channels for trunk_id, channels in trunks.items() if trunk_id is not None}
        self.default_trunk_id = default_trunk_id

    def set_gateways(self, gateways: dict[int, tuple[str, int]]) -> None:
        """Trunk id → the carrier address its outbound calls go to (``TrunkAddress.outbound``)."""
        self.gateways = dict(gateways)

    def channels_free(self, trunk_id: int | None) -> int | None:
        """A trunk without an outbound address has nothing to dial with (0). The count is this
        engine's calls on the trunk, both directions; Kamailio enforces the same cap on the same
        calls (dialog profile ``<schema>:<trunk>``), so a race between the two only ever refuses."""
        trunk_id = trunk_id if trunk_id is not None else self.default_trunk_id
        if trunk_id not in self.gateways:
            return 0
        cap = self.trunks.get(trunk_id)
        if cap is None:
            return None
        return max(0, cap - self._trunk_busy(trunk_id))

    def _trunk_busy(self, trunk_id: int) -> int:
        busy = 0
        for call in self.calls.values():
            if call.trunk_id == trunk_id:
                busy += 1 + (OUTSIDE in call.agents)
        return busy

    # --- outbound calls --------------------------------------------------------------------
    def _place(
        self,
        uid: str,
        number: str,
        *,
        agent_id: int | None,
        caller_id: str,
        trunk_id: int | None = None,
        ring_timeout: float,
        amd: bool = False,
    ) -> None:
        trunk_id = trunk_id if trunk_id is not None else self.default_trunk_id
        gateway = self.gateways.get(trunk_id) if trunk_id is not None else None
        digits = "".join(ch for ch in number if ch.isdigit() or ch in "+*#")
        if gateway is None or not digits:
            logger.warning("sip %s: cannot dial %r: trunk %s has no outbound address", uid, number, trunk_id)
            self._emit("on_failed", uid, FAILED_ERROR, None)
            return
        free = self.channels_free(trunk_id)
        if free is not None and free <= 0:
            logger.info("sip %s: trunk %s has no free channel: %s not dialled", uid, trunk_id, number)
            self._emit("on_failed", uid, FAILED_BLOCKED, None)
            return
        extension = self.seats.get(agent_id) if agent_id is not None else None
        if agent_id is not None and extension is None:
            logger.warning("sip %s: agent %s has no seat to dial from", uid, agent_id)
            self._emit("on_failed", uid, FAILED_ERROR, None)
            return
        leg = self._number_leg(caller_id, digits, gateway)
        call = SipCall(
            uid=uid,
            caller=leg,
            source=self.stack.proxy,
            media_id=leg.call_id,
            caller_sdp="",
            x_tag=f"{leg.local_tag}-x",
            y_tag=leg.local_tag,
            trunk_id=trunk_id,
            outbound=True,
            originate_agent=agent_id,
            amd=amd,
        )
        self.calls[uid] = call
        self.stack.calls[leg.call_id] = (self, call)
        self.stack.media[call.media_id] = (self, call)

        async def work() -> None:
            sink = self._sink_sdp()
            flags = {"flags": ["trust-address"], "replace": ["origin", "session-connection"]}
            offer = await self.stack.ng.command("offer", call_id=call.media_id, from_tag=call.x_tag, sdp=sink, **flags)
            call.our_sdp = offer["sdp"]  # Y's view: what a seat or outside party is offered
            answer = await self.stack.ng.command(
                "answer", call_id=call.media_id, from_tag=call.x_tag, to_tag=call.y_tag, sdp=sink, **flags
            )
            call.answer_sdp = answer["sdp"]  # X's view: what the dialled number is offered
            call.y_sdp = sink
            if call.ended:
                return
            if agent_id is not None and extension is not None:
                self._invite_seat(call, agent_id, extension)
            else:
                self._invite_customer(call)
            self._later(call, ring_timeout + (30.0 if agent_id is not None else 0.0), self._dial_timeout, call)

        self._run(call, work)

    def _sink_sdp(self) -> str:
        address, port = self.stack.address, self.stack.sink_port
        return (
            f"v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
        )

    def _trunk_headers(self, trunk_id: int | None) -> list[tuple[str, str]]:
        """Kamailio counts the call on the trunk's channel profile and refuses it when full."""
        cap = self.trunks.get(trunk_id) if trunk_id is not None else None
        return [
            ("X-CC-Tenant", self.slug),
            ("X-CC-Outbound", f"{self.schema}:{trunk_id}"),
            ("X-CC-Channels", str(cap if cap is not None else UNCAPPED)),
        ]

    def _invite_customer(self, call: SipCall) -> None:
        leg = call.caller
        if call.ended or leg.invite is not None:
            return
        caller = uri_user(leg.local_uri)
        extra = [*self._trunk_headers(call.trunk_id), ("P-Asserted-Identity", f"<{leg.local_uri}>")]
        invite = self._request(leg, "INVITE", body=call.answer_sdp, extra=extra)
        leg.invite = invite
        logger.info("sip %s: dialling %s as %s", call.uid, uri_user(leg.remote_uri), caller)
        self.stack.send(invite)

    def _dial_timeout(self, call: SipCall) -> None:
        if call.answered or call.ended:
            return
        logger.info("sip %s: %s did not answer in time", call.uid, uri_user(call.caller.remote_uri))
        self._fail(call, FAILED_NO_ANSWER)

    def _fail(self, call: SipCall, reason: str) -> None:
        """The dial is over before anyone answered: one ``on_failed``, every leg ended."""
        if call.ended:
            return
        self._cancel_customer(call)
        self._release(call)
        self._emit("on_failed", call.uid, reason, None)

    def _cancel_customer(self, call: SipCall) -> None:
        leg = call.caller
        if leg.ended:
            return
        leg.ended = True
        if leg.confirmed:
            self._send_in_dialog(leg, self._request(leg, "BYE"))
        elif leg.invite is not None:
            if leg.provisional:
                self._send_cancel(leg)
            leg.cancel_pending = True

    def _customer_response(self, call: SipCall, reply: SipMessage) -> None:
        leg = call.caller
        progress = self._invite_progress(leg, reply)
        status = reply.status
        if progress == PROVISIONAL:
            if reply.body and not call.ended and not leg.cancel_pending:
                sdp = reply.body.decode(errors="replace")
                self._run(call, lambda: self._customer_media(call, sdp))  # early media: ringback
            return
        if progress == REFUSED:
            if call.ended:
                return
            if status == 503 and reply.get("x-cc-blocked"):
                reason = FAILED_BLOCKED  # Kamailio: the trunk's channels are all in use
            elif status in BUSY_CODES:
                reason = FAILED_BUSY
            elif status in NO_ANSWER_CODES:
                reason = FAILED_NO_ANSWER
            else:
                reason = FAILED_ERROR
            logger.info("sip %s: %s answered %s (%s)", call.uid, uri_user(leg.remote_uri), status, reason)
            self._fail(call, reason)
            return
        if progress != ANSWERED:
            return
        if call.ended or leg.ended:
            self._hang_up_answered(leg)  # answered after we gave up (ring timeout, hang-up)
            return
        call.answered = True
        sdp = reply.body.decode(errors="replace")

        async def answered() -> None:
            await self._customer_media(call, sdp)
            if call.ended:
                return
            if call.originate_agent is not None:
                self._emit("on_answered", call.uid, call.originate_agent)
            else:
                self._emit("on_answered", call.uid, None)
                if call.amd:
                    self._emit("on_machine_detected", call.uid, AMD_HUMAN, None)

        self._run(call, answered)

    async def _customer_media(self, call: SipCall, sdp: str) -> None:
        """The dialled number's SDP (early or final) becomes X's side in rtpengine: a re-offer from
        X, answered again by whoever is on Y. rtpengine keeps its ports, so nothing is re-INVITEd."""
        if not sdp.strip() or sdp == call.caller_sdp or call.ended:
            return
        call.caller_sdp = sdp
        flags = {"flags": ["trust-address"], "replace": ["origin", "session-connection"]}
        offer = await self.stack.ng.command(
            "offer", call_id=call.media_id, from_tag=call.x_tag, to_tag=call.y_tag, sdp=sdp, **flags
        )
        call.our_sdp = offer["sdp"]
        await self.stack.ng.command(
            "answer", call_id=call.media_id, from_tag=call.x_tag, to_tag=call.y_tag, sdp=call.y_sdp, **flags
        )

    def hold(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            await self._play(call, PROMPT_HOLD_MUSIC, repeat=HOLD_REPEAT)
            call.held = True
            self._emit("on_held", uid)

        self._run(call, work)

    def unhold(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            await self._stop_media(call)
            call.held = False
            self._emit("on_resumed", uid)

        self._run(call, work)

    def transfer(self, uid: str, number: str) -> None:
        """Blind transfer to an outside number: the engine stays in the middle as a B2BUA (carriers
        rarely honour REFER), dials the number on the call's trunk and bridges it to the caller,
        who hears hold music meanwhile. The controller forgets the call (no events); either side
        hanging up, or the number failing, ends it."""
        call = self.calls.get(uid)
        if call is None:
            return
        call.transferred = True
        trunk_id = call.trunk_id if call.trunk_id in self.gateways else self.default_trunk_id
        gateway = self.gateways.get(trunk_id) if trunk_id is not None else None
        digits = "".join(ch for ch in number if ch.isdigit() or ch in "+*#")

        async def work() -> None:
            for agent_id in list(call.agents):
                self._end_agent_leg(call, agent_id)
            if call.ended:
                return
            free = self.channels_free(trunk_id)
            if gateway is None or not digits or (free is not None and free <= 0):
                logger.warning("sip %s: cannot transfer to %r (trunk %s): hanging up", uid, number, trunk_id)
                self._hangup_now(call, notify=False)
                return
            await self._answer_caller(call)
            await self._play(call, PROMPT_HOLD_MUSIC, repeat=HOLD_REPEAT)
            caller = uri_user(call.caller.remote_uri if not call.outbound else call.caller.local_uri)
            leg = self._number_leg(caller, digits, gateway)
            call.agents[OUTSIDE] = leg
            call.legs[leg.call_id] = (OUTSIDE, leg)
            self.stack.calls[leg.call_id] = (self, call)
            invite = self._request(leg, "INVITE", body=call.our_sdp, extra=self._trunk_headers(trunk_id))
            leg.invite = invite
            logger.info("sip %s: transferring to %s", uid, digits)
            self.stack.send(invite)

        self._run(call, work)

    def consult(self, uid: str, agent_id: int) -> bool:
        """Attended transfer, step 1 (sipstack/consult.py): caller on hold, the two agents talk."""
        return consulting.consult(self, uid, agent_id)

    def consult_complete(self, uid: str) -> bool:
        return consulting.complete(self, uid)

    def consult_cancel(self, uid: str) -> bool:
        return consulting.cancel(self, uid)

    def monitor(self, uid: str, supervisor_id: int, mode: str) -> None:
        """A supervisor's seat joins the call: listen, whisper or barge (sipstack/monitor.py)."""
        from apps.telephony.engine.drivers.sipstack import monitor as monitoring

        monitoring.monitor(self, uid, supervisor_id, mode)

    def start_recording(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            if call.answered and not call.ended and not call.recording:
                await self.stack.ng.command("start recording", call_id=call.media_id)
                call.recording = call.recorded = True

        self._run(call, work)

    def stop_recording(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            if call.recording and not call.ended:
                await self.stack.ng.command("stop recording", call_id=call.media_id)
                call.recording = False

        self._run(call, work)

    def hangup(self, uid: str, by: str = BY_SYSTEM) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        if by == BY_AGENT:
            agent_id = call.bridged
            if agent_id is None:
                return

            def agent_leaves() -> None:
                self._end_agent_leg(call, agent_id)
                self._emit("on_hung_up", uid, BY_AGENT)

            self._run(call, self._async(agent_leaves))
            return
        self._run(call, self._async(lambda: self._hangup_now(call, by=by)))

    def _hangup_now(self, call: SipCall, *, by: str = BY_SYSTEM, notify: bool = True) -> None:
        if call.ended:
            return
        if call.answered:
            self._send_in_dialog(call.caller, self._request(call.caller, "BYE"))
        elif call.outbound:
            self._cancel_customer(call)
        elif call.caller.invite is not None:
            self.stack.send(
                response(call.caller.invite, 480, "Temporarily Unavailable", to_tag=call.caller.local_tag), call.source
            )
        self._release(call)
        if notify:
            self._emit("on_hung_up", call.uid, by)


def load_seats(tenant) -> dict[int, str]:
    """Agent id → seat extension of a tenant (database; run it in a worker thread)."""
    from django_tenants.utils import tenant_context

    from apps.telephony.models import Agent

    with tenant_context(tenant):
        return dict(Agent.objects.filter(seat__isnull=False).values_list("pk", "seat__extension"))


def load_gateways(tenant) -> dict[int, tuple[str, int]]:
    """Trunk id → outbound carrier address of a tenant (public schema; run it in a worker thread)."""
    from apps.sip.services import trunk_gateways

    return trunk_gateways(tenant)


def stack_from_settings() -> SipStack:
    from django.conf import settings

    return SipStack(
        address=settings.SIP_ENGINE_ADDRESS,
        port=settings.SIP_ENGINE_PORT,
        proxy=(settings.SIP_ADDRESS, settings.SIP_PORT),
        ng=("127.0.0.1", settings.SIP_RTPENGINE_NG_PORT),
        platform_domain=settings.PLATFORM_DOMAIN,
        prompts_dir=Path(settings.SIP_RUNTIME_DIR) / "prompts",
        recording_dir=Path(settings.SIP_RUNTIME_DIR) / "recordings",
    )
