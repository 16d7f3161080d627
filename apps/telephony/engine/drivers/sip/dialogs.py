"""What every leg of a tenant's calls needs: the ``sip`` driver's interface for its helpers.

:class:`SipDialogs` is the base of :class:`~apps.telephony.engine.drivers.sip.driver.SipDriver`
and the whole surface that ``consult.py`` and ``monitor.py`` use: running work under a call's
lock, telling the controller, building and sending requests on a dialog, the INVITE
transaction seen from the UAC side, ending legs, and rtpengine's media commands. The call flow
itself (inbound, outbound, bridging, transfers) stays in the driver; the helpers never touch
its private members, so the driver may change them freely.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from abc import abstractmethod
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from apps.telephony.engine.drivers.base import SwitchDriver
from apps.telephony.engine.drivers.sip import media
from apps.telephony.engine.drivers.sip.calls import Leg, SipCall
from apps.telephony.engine.drivers.sip.message import (
    SipMessage,
    header_uri,
    new_branch,
    new_tag,
    uri_host_port,
    uri_user,
)
from apps.telephony.engine.drivers.sip.ng import NgError
from apps.telephony.engine.drivers.sip.stack import DialogHandler, SipStack

if TYPE_CHECKING:
    from apps.telephony.engine.drivers.sip.monitor import MonitorSession

logger = logging.getLogger(__name__)

TIMER_H = 32.0  # give up on a 2xx never acknowledged; a finished leg stays reachable this long
# What a response to one of our INVITEs was (SipDialogs.invite_progress).
PROVISIONAL, REFUSED, ANSWERED, REPEATED, OTHER = "provisional", "refused", "answered", "repeated", "other"


class SipDialogs(SwitchDriver):
    """One tenant on the shared :class:`SipStack`: its calls, and the dialog work on their legs."""

    def __init__(self, stack: SipStack, *, schema: str, slug: str, uid_prefix: str = "sip-") -> None:
        self.stack = stack
        self.schema = schema
        self.slug = slug
        self.domain = f"{slug}.{stack.platform_domain}"
        self.uid_prefix = uid_prefix
        self.seats: dict[int, str] = {}  # agent id -> extension
        self.calls: dict[str, SipCall] = {}
        # Supervisor monitoring (monitor.py): user id -> seat extension, and each supervisor's leg.
        self.monitor_user_seats: dict[int, str] = {}
        self.monitor_sessions: dict[int, MonitorSession] = {}
        self._tasks: set[asyncio.Task] = set()

    @abstractmethod
    def handle_request(self, record: Any, request: SipMessage, addr: tuple) -> None:
        """An in-dialog request on a leg this driver tracks (:meth:`track`)."""

    @abstractmethod
    def handle_response(self, record: Any, reply: SipMessage) -> None:
        """A response on a leg this driver tracks (:meth:`track`)."""

    def track(self, call_id: str, handler: DialogHandler, record: Any) -> None:
        """Route the stack's messages for ``call_id`` to ``handler`` with ``record`` (a call, or a
        monitor leg): every leg the engine starts must be tracked before its INVITE goes out."""
        self.stack.calls[call_id] = (handler, record)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The engine's loop: the driver is only ever used from inside it."""
        return asyncio.get_running_loop()

    def emit(self, event: str, *args: Any) -> None:
        """Tell the controller ``event(*args)`` on the next turn of the loop — never from inside
        the command that caused it, so the controller is never re-entered."""

        def deliver() -> None:
            if self.listener is not None:
                try:
                    getattr(self.listener, event)(*args)
                except Exception:
                    logger.exception("sip: %s%r failed in the controller", event, args)

        self.loop.call_soon(deliver)

    def run(self, call: SipCall, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
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

    def later(self, call: SipCall, delay: float, callback: Callable[..., None], *args: Any) -> asyncio.TimerHandle:
        """A timer that dies with the call (:meth:`cancel_timers` when it is released)."""
        handle = self.loop.call_later(delay, callback, *args)
        call.timers.append(handle)
        return handle

    def cancel_timers(self, call: SipCall) -> None:
        """Stop every :meth:`later` timer of the call (it is over: nothing may fire into it)."""
        for handle in call.timers:
            handle.cancel()
        call.timers.clear()

    @staticmethod
    def _async(function: Callable[[], None]) -> Callable[[], Coroutine[Any, Any, None]]:
        async def work() -> None:
            function()

        return work

    def new_request(
        self, leg: Leg, method: str, *, body: str = "", extra: Iterable[tuple[str, str]] = (), cseq: int | None = None
    ) -> SipMessage:
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

    def send_in_dialog(self, leg: Leg, message: SipMessage) -> None:
        """Send along the dialog's route set (Kamailio's Record-Route), else to the peer's Contact."""
        target = leg.route_set[0] if leg.route_set else (leg.remote_target or leg.remote_uri)
        host, port = uri_host_port(header_uri(target))
        self.stack.send(message, (host, port))

    def new_leg(self, *, local_user: str, local_host: str, remote_uri: str) -> Leg:
        """A dialog the engine starts (it is the UAC): towards a seat, a carrier or a supervisor."""
        return Leg(
            call_id=f"{os.urandom(10).hex()}@{self.stack.address}",
            local_tag=new_tag(),
            local_uri=f"sip:{quote(local_user or 'anonymous', safe='+')}@{local_host}",
            remote_uri=remote_uri,
            cseq=0,
        )

    def seat_leg(self, call: SipCall, extension: str, *, local_user: str | None = None) -> Leg:
        """Towards a seat of the tenant's domain, showing the caller's number (or ``local_user``)."""
        user = local_user if local_user is not None else uri_user(call.caller.remote_uri)
        return self.new_leg(local_user=user, local_host=self.domain, remote_uri=f"sip:{extension}@{self.domain}")

    def invite_progress(self, leg: Leg, reply: SipMessage) -> str:
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
        self.send_in_dialog(leg, self.new_request(leg, "ACK", cseq=leg.invite.cseq[0] if leg.invite else 1))
        return ANSWERED if first else REPEATED

    def hang_up_answered(self, leg: Leg) -> None:
        """BYE to a leg that answered after we had given up on it."""
        leg.ended = True
        self.send_in_dialog(leg, self.new_request(leg, "BYE"))

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
        """CANCEL matches the INVITE's transaction: same Via branch, same CSeq number."""
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

    def end_agent_leg(self, call: SipCall, agent_id: int) -> None:
        """CANCEL a ringing seat, BYE an answered one."""
        leg = call.agents.pop(agent_id, None)
        if call.bridged == agent_id:
            call.bridged = None
        if leg is not None:
            self.hang_up_leg(leg)

    def hang_up_leg(self, leg: Leg) -> None:
        """End a leg the engine started: BYE once answered, CANCEL while it rings — after its first
        provisional reply (RFC 3261 §9.1), so until then the CANCEL waits (``cancel_pending``)."""
        if not leg.ended:
            if leg.confirmed:
                self.send_in_dialog(leg, self.new_request(leg, "BYE"))
            else:
                if leg.provisional:
                    self._send_cancel(leg)
                leg.cancel_pending = True
        leg.ended = True
        # The leg stays reachable a while: its 487 (or a 200 racing the CANCEL) still comes.
        with contextlib.suppress(RuntimeError):  # no running loop (shutdown): nothing left to match
            self.loop.call_later(TIMER_H, self.stack.calls.pop, leg.call_id, None)

    async def play_prompt(self, call: SipCall, prompt: str, *, repeat: int | None = None) -> float:
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

    async def stop_media(self, call: SipCall) -> None:
        """Stop a prompt or hold music (nothing playing is no error)."""
        with contextlib.suppress(NgError):
            await self.stack.ng.command("stop media", call_id=call.media_id, from_tag=call.x_tag)

    def sink_sdp(self) -> str:
        """An SDP pointing at the stack's sink socket: where rtpengine sends a side nobody listens to."""
        address, port = self.stack.address, self.stack.sink_port
        return (
            f"v=0\r\no=- 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
        )
