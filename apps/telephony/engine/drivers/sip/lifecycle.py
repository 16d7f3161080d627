"""The life of a call on the ``sip`` driver: answering the caller, inviting a seat or a number,
and ending it (release, hang-up, the recording's hand-over).

:class:`CallLifecycle` sits between the dialog layer (:class:`SipDialogs`, what the helpers
use) and the call flow (:class:`~apps.telephony.engine.drivers.sip.driver.SipDriver`, which
reacts to messages and carries out the controller's commands): everything here is called
from the flow, and calls only downwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import quote

from apps.telephony.engine.drivers.base import BY_CALLER, BY_SYSTEM
from apps.telephony.engine.drivers.sip import conference as conferencing
from apps.telephony.engine.drivers.sip import consult as consulting
from apps.telephony.engine.drivers.sip import media, recording
from apps.telephony.engine.drivers.sip import monitor as monitoring
from apps.telephony.engine.drivers.sip.calls import Leg, SipCall
from apps.telephony.engine.drivers.sip.dialogs import TIMER_H, SipDialogs
from apps.telephony.engine.drivers.sip.message import response, uri_user
from apps.telephony.engine.drivers.sip.ng import NgError
from apps.telephony.engine.drivers.sip.stack import SipStack

logger = logging.getLogger(__name__)

T1 = 0.5  # SIP timer T1: 2xx retransmission starts here and doubles
T2 = 4.0
UNCAPPED = 100000  # X-CC-Channels for a trunk without a known cap


class CallLifecycle(SipDialogs):
    """Set-up and tear-down of a call's legs; the state they need lives here too."""

    def __init__(self, stack: SipStack, *, schema: str, slug: str, uid_prefix: str = "sip-") -> None:
        super().__init__(stack, schema=schema, slug=slug, uid_prefix=uid_prefix)
        self.recordings: dict[str, str] = {}  # uid -> the stereo WAV made from its pcap
        self.trunks: dict[int, int | None] = {}  # trunk id -> channel cap
        self.default_trunk_id: int | None = None
        self.gateways: dict[int, tuple[str, int]] = {}  # trunk id -> outbound carrier address

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

    def _caller_gone(self, call: SipCall, by: str, *, send_bye: bool = False) -> None:
        """The call is over: agent legs end, media is released, the controller hears ``by``."""
        if call.ended:
            return
        if send_bye and call.answered:
            self.send_in_dialog(call.caller, self.new_request(call.caller, "BYE"))
        self._release(call)
        self.emit("on_hung_up", call.uid, by)

    def _release(self, call: SipCall) -> None:
        call.ended = True
        call.caller.ended = True
        self.cancel_timers(call)
        if call.retransmit is not None:
            call.retransmit.cancel()
            call.retransmit = None
        consulting.call_ended(self, call)
        conferencing.call_ended(self, call)  # the conference's mixer (its legs are in call.agents)
        for agent_id in list(call.agents):
            self.end_agent_leg(call, agent_id)
        monitoring.call_ended(self, call)  # supervisors' monitor legs
        self.calls.pop(call.uid, None)
        self.stack.media.pop(call.media_id, None)
        self.loop.call_later(TIMER_H, self.stack.calls.pop, call.caller.call_id, None)

        async def delete() -> None:
            with contextlib.suppress(NgError):
                await self.stack.ng.command("delete", call_id=call.media_id, delete_delay=0)
            if call.recorded and self.stack.recording_dir is not None:
                await self._convert_recording(call)

        self.run(call, delete)

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
        # The engine's modules load without Django set up (bench, driver unit tests); tasks
        # import models.
        from django.db import connections  # noqa: PLC0415 -- Django only when a recording is handed over
        from django_tenants.utils import get_public_schema_name, schema_context  # noqa: PLC0415 -- idem

        from apps.telephony.tasks import recording_convert_task  # noqa: PLC0415 -- idem, and tasks import models

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

    def _hangup_now(self, call: SipCall, *, by: str = BY_SYSTEM, notify: bool = True) -> None:
        if call.ended:
            return
        if call.answered:
            self.send_in_dialog(call.caller, self.new_request(call.caller, "BYE"))
        elif call.outbound:
            self._cancel_customer(call)
        elif call.caller.invite is not None:
            self.stack.send(
                response(call.caller.invite, 480, "Temporarily Unavailable", to_tag=call.caller.local_tag), call.source
            )
        self._release(call)
        if notify:
            self.emit("on_hung_up", call.uid, by)

    def _cancel_customer(self, call: SipCall) -> None:
        leg = call.caller
        if leg.ended:
            return
        leg.ended = True
        if leg.confirmed:
            self.send_in_dialog(leg, self.new_request(leg, "BYE"))
        elif leg.invite is not None:
            if leg.provisional:
                self._send_cancel(leg)
            leg.cancel_pending = True

    def _fail(self, call: SipCall, reason: str) -> None:
        """The dial is over before anyone answered: one ``on_failed``, every leg ended."""
        if call.ended:
            return
        self._cancel_customer(call)
        self._release(call)
        self.emit("on_failed", call.uid, reason, None)

    def _invite_seat(self, call: SipCall, agent_id: int, extension: str) -> None:
        leg = self.seat_leg(call, extension)
        call.agents[agent_id] = leg
        call.legs[leg.call_id] = (agent_id, leg)
        self.track(leg.call_id, self, call)
        extra = [("X-CC-Call", call.uid)]
        if call.outbound:
            # The agent asked for this call (click-to-dial, preview) or the contact is already
            # talking (a dialer's live answer): phones that honour the hint pick up by themselves.
            extra += [("X-CC-Direction", "outbound"), ("Call-Info", f"<sip:{self.domain}>;answer-after=0")]
        invite = self.new_request(leg, "INVITE", body=call.our_sdp, extra=extra)
        leg.invite = invite
        self.stack.send(invite)

    def _number_leg(self, caller: str, digits: str, gateway: tuple[str, int]) -> Leg:
        """Towards a number at the trunk's carrier address, with ``caller`` as caller ID."""
        host, port = gateway
        remote = f"sip:{quote(digits, safe='+*#')}@{host}:{port}"
        return self.new_leg(local_user=caller, local_host=self.stack.address, remote_uri=remote)

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
        invite = self.new_request(leg, "INVITE", body=call.answer_sdp, extra=extra)
        leg.invite = invite
        logger.info("sip %s: dialling %s as %s", call.uid, uri_user(leg.remote_uri), caller)
        self.stack.send(invite)
