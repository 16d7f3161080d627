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
import struct
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from apps.telephony.engine.drivers.base import (
    BY_AGENT,
    BY_CALLER,
    BY_SYSTEM,
    FAILED_ERROR,
    PROMPT_HOLD_MUSIC,
    InboundCall,
    SwitchDriver,
)
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
        if found is not None and event.get("source_tag") == found[1].caller.remote_tag:
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
        )
        self.calls[uid] = call
        self.stack.calls[invite.call_id] = (self, call)
        self.stack.media[call.media_id] = (self, call)

        def number(header: str) -> int | None:
            value = invite.get(header)
            return int(value) if value.isdigit() else None

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
        if call.answered or call.ended:
            return
        offer = await self.stack.ng.command(
            "offer",
            call_id=call.media_id,
            from_tag=call.caller.remote_tag,
            sdp=call.caller_sdp,
            flags=["trust-address"],
            replace=["origin", "session-connection"],
        )
        call.our_sdp = offer["sdp"]
        sink = media.sdp_with_address(call.our_sdp, self.stack.address, self.stack.sink_port)
        answer = await self.stack.ng.command(
            "answer",
            call_id=call.media_id,
            from_tag=call.caller.remote_tag,
            to_tag=call.caller.local_tag,
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
        for agent_id in list(call.agents):
            self._end_agent_leg(call, agent_id)
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
        """The call's pcap (closed by the delete) → ``<recording-dir>/wav/<uid>.wav``, caller left."""
        caller = recording.sdp_media_address(call.caller_sdp)
        directory = self.stack.recording_dir
        pattern = f"{quote(call.media_id, safe='')}-*.pcap"
        for _attempt in range(20):  # rtpengine closes the file just after answering the delete
            pcaps = sorted((directory / "pcaps").glob(pattern))
            if pcaps:
                break
            await asyncio.sleep(0.1)
        if caller is None or not pcaps:
            logger.warning("sip %s: no recording to convert", call.uid)
            return
        out = directory / "wav" / f"{call.uid}.wav"
        try:
            await asyncio.to_thread(recording.stereo_wav, pcaps, out, caller=caller, agents=call.agent_media)
        except (OSError, ValueError, struct.error):
            logger.exception("sip %s: converting the recording failed", call.uid)
            return
        self.recordings[call.uid] = str(out)
        await asyncio.to_thread(self._hand_over_recording, call.uid, out)

    def _hand_over_recording(self, uid: str, path: Path) -> None:
        """A Celery task links the WAV to the CDR (Recording row, tenant storage, signed links)."""
        from django.db import connections
        from django_tenants.utils import schema_context

        from apps.telephony.tasks import recording_store_task

        try:
            with schema_context(self.schema):
                recording_store_task.delay(uid, str(path))
        except Exception:
            logger.exception("sip %s: handing the recording over failed", uid)
        finally:
            connections.close_all()  # this worker thread's, if the task ran eagerly

    # --- agent legs ------------------------------------------------------------------------
    def _invite_seat(self, call: SipCall, agent_id: int, extension: str) -> None:
        caller = uri_user(call.caller.remote_uri) or "anonymous"
        leg = Leg(
            call_id=f"{os.urandom(10).hex()}@{self.stack.address}",
            local_tag=new_tag(),
            local_uri=f"sip:{caller}@{self.domain}",
            remote_uri=f"sip:{extension}@{self.domain}",
            cseq=0,
        )
        call.agents[agent_id] = leg
        call.legs[leg.call_id] = (agent_id, leg)
        self.stack.calls[leg.call_id] = (self, call)
        invite = self._request(leg, "INVITE", body=call.our_sdp, extra=[("X-CC-Call", call.uid)])
        leg.invite = invite
        self.stack.send(invite)

    def _agent_response(self, call: SipCall, reply: SipMessage) -> None:
        found = call.legs.get(reply.call_id)
        if found is None:
            return
        agent_id, leg = found
        _number, method = reply.cseq
        if method != "INVITE":
            return  # replies to our BYE / CANCEL need nothing more
        status = reply.status
        if status < 200:
            if not leg.provisional:
                leg.provisional = True
                if leg.cancel_pending:
                    self._send_cancel(leg)
            if status in (180, 183) and not leg.ringing and not leg.cancel_pending:
                leg.ringing = True
                self._emit("on_ringing", call.uid, agent_id)
            return
        leg.remote_tag = reply.to_tag
        if status >= 300:
            self._ack_failure(leg, reply)
            leg.ended = True
            if call.agents.get(agent_id) is leg:
                call.agents.pop(agent_id)
            logger.info("sip %s: seat of agent %s answered %s", call.uid, agent_id, status)
            if not leg.cancel_pending and status != 487:  # 487: the answer to our own CANCEL
                self._emit("on_bridge_failed", call.uid, agent_id, str(status))
            return
        # 2xx: acknowledge end to end, then bridge (or hang up a leg nobody wants any more).
        first = not leg.confirmed
        leg.confirmed = True
        leg.remote_target = header_uri(reply.get("contact")) or leg.remote_uri
        leg.route_set = list(reversed(reply.get_all("record-route")))
        self._send_in_dialog(leg, self._request(leg, "ACK", cseq=leg.invite.cseq[0] if leg.invite else 1))
        if not first:
            return
        if leg.cancel_pending or leg.ended or call.ended or call.bridged is not None:
            # Answered after we gave up on it (a race with CANCEL or RONA): hang the seat up.
            leg.ended = True
            self._send_in_dialog(leg, self._request(leg, "BYE"))
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
                from_tag=call.caller.remote_tag,
                to_tag=call.caller.local_tag,
                sdp=leg.sdp,
                flags=["trust-address"],
                replace=["origin", "session-connection"],
            )
            call.bridged = agent_id
            self._emit("on_answered", call.uid, agent_id)

        self._run(call, bridge)

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
        if leg is None:
            return
        if leg.confirmed and not leg.ended:
            self._send_in_dialog(leg, self._request(leg, "BYE"))
        elif not leg.confirmed:
            if leg.provisional:
                self._send_cancel(leg)
            # else: CANCEL when the first provisional reply comes (RFC 3261 §9.1)
            leg.cancel_pending = True
        leg.ended = True
        # The leg stays reachable a while: its 487 (or a 200 racing the CANCEL) still comes.
        self.loop.call_later(TIMER_H, self.stack.calls.pop, leg.call_id, None)

    def _agent_request(self, call: SipCall, agent_id: int, leg: Leg, request: SipMessage, addr: tuple) -> None:
        method = request.method
        if method == "BYE":
            self.stack.send(response(request, 200, "OK"), addr)
            if leg.ended:
                return
            leg.ended = True
            if call.agents.get(agent_id) is leg:
                call.agents.pop(agent_id)
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
        path = media.prompt_path(self.stack.prompts_dir, prompt)
        reply = await self.stack.ng.command(
            "play media",
            call_id=call.media_id,
            from_tag=call.caller.remote_tag,
            file=str(path),
            repeat_times=repeat,
        )
        duration = reply.get("duration")
        return duration / 1000.0 if isinstance(duration, int) and duration > 0 else media.wav_seconds(path)

    async def _stop_media(self, call: SipCall) -> None:
        with contextlib.suppress(NgError):
            await self.stack.ng.command("stop media", call_id=call.media_id, from_tag=call.caller.remote_tag)

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
        logger.warning("sip: outbound calls are not supported yet (%s to %s)", uid, number)
        self._emit("on_failed", uid, FAILED_ERROR, None)

    def dial(self, uid: str, number: str, **options: Any) -> None:
        logger.warning("sip: campaign calls are not supported yet (%s to %s)", uid, number)
        self._emit("on_failed", uid, FAILED_ERROR, None)

    def channels_free(self, trunk_id: int | None) -> int | None:
        return 0  # nothing to dial with: a dialer never paces calls onto this driver

    def hold(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            await self._play(call, PROMPT_HOLD_MUSIC, repeat=HOLD_REPEAT)
            self._emit("on_held", uid)

        self._run(call, work)

    def unhold(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            await self._stop_media(call)
            self._emit("on_resumed", uid)

        self._run(call, work)

    def transfer(self, uid: str, number: str) -> None:
        """Not supported over SIP yet: the caller is hung up (without an event, as the interface says)."""
        call = self.calls.get(uid)
        if call is None:
            return
        logger.warning("sip %s: transfer to an outside number is not supported yet; hanging up", uid)
        self._run(call, self._async(lambda: self._hangup_now(call, notify=False)))

    def monitor(self, uid: str, supervisor_id: int, mode: str) -> None:
        logger.warning("sip %s: supervisor monitoring is not supported yet", uid)

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
