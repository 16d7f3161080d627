"""The ``sip`` driver's call flow: what each SIP message means for a call, and the controller's
commands (answer, play, gather, bridge, dial, transfer, hold, record, hang up).

Media model, per inbound call, one rtpengine call (id = the caller's Call-ID) with two
parties: the caller (their From-tag) and our side (the To-tag we answer with). Until an agent
answers, our side's media goes to a local sink socket; prompts and hold music are played *to
the caller* with ``play media``; the caller's RFC 2833 digits come back as rtpengine DTMF log
events (JSON datagrams rtpengine sends to the engine's SIP port, ``dtmf-log-dest``). The
agent's seat is invited through Kamailio with rtpengine's SDP for our side, and its answer is
given to rtpengine as the new ``answer``: caller and agent then talk through rtpengine, with
no re-INVITE towards the carrier.

Every event reaches the controller through ``loop.call_soon`` — never from inside a command —
and all SIP and ng work of one call runs in order under that call's lock (``SipDialogs.run``).
"""

from __future__ import annotations

import logging
import os

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
    PROMPT_POSITION,
    InboundCall,
)
from apps.telephony.engine.drivers.sip import conference as conferencing
from apps.telephony.engine.drivers.sip import consult as consulting
from apps.telephony.engine.drivers.sip import monitor as monitoring
from apps.telephony.engine.drivers.sip import recording, spoken
from apps.telephony.engine.drivers.sip.calls import OUTSIDE, Leg, SipCall
from apps.telephony.engine.drivers.sip.dialogs import ANSWERED, PROVISIONAL, REFUSED
from apps.telephony.engine.drivers.sip.lifecycle import CallLifecycle
from apps.telephony.engine.drivers.sip.message import SipMessage, header_uri, new_tag, response, uri_user
from apps.telephony.engine.drivers.sip.stack import SipStack

logger = logging.getLogger(__name__)

HOLD_REPEAT = 10000  # hold music loops until stopped
ORIGINATE_RING_SECONDS = 45.0  # click-to-dial and callbacks: how long the number may ring
# Final answers of a dialled number → the interface's failure reasons.
BUSY_CODES = {486, 600, 603}
NO_ANSWER_CODES = {404, 408, 410, 480, 484, 487}


class SipDriver(CallLifecycle):
    """One tenant's calls on the shared :class:`SipStack`: the call flow — what each message
    means for a call, and the controller's commands — over :class:`CallLifecycle`."""

    def __init__(self, stack: SipStack, *, schema: str, slug: str, uid_prefix: str = "sip-") -> None:
        super().__init__(stack, schema=schema, slug=slug, uid_prefix=uid_prefix)
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

    # --- inbound calls ---------------------------------------------------------------------
    def handle_invite(self, invite: SipMessage, addr: tuple) -> None:
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
        self.track(invite.call_id, self, call)
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
        self.emit("on_arrived", inbound)

    def handle_request(self, call: SipCall, request: SipMessage, addr: tuple) -> None:
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

    # --- agent legs ------------------------------------------------------------------------

    def handle_response(self, call: SipCall, reply: SipMessage) -> None:
        if call.outbound and reply.call_id == call.caller.call_id:
            self._customer_response(call, reply)
            return
        found = call.legs.get(reply.call_id)
        if found is None:
            return
        agent_id, leg = found
        if consulting.response(self, call, agent_id, leg, reply):
            return  # a re-INVITE's answer, or the consult leg's
        progress = self.invite_progress(leg, reply)
        status = reply.status
        if progress == PROVISIONAL:
            if status in (180, 183) and not leg.ringing and not leg.cancel_pending:
                leg.ringing = True
                self.emit("on_ringing", call.uid, agent_id)
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
                self.emit("on_bridge_failed", call.uid, agent_id, str(status))
            return
        if progress != ANSWERED:
            return
        if leg.cancel_pending or leg.ended or call.ended or call.bridged is not None:
            self.hang_up_answered(leg)  # answered after we gave up on it (a race with CANCEL or RONA)
            return
        leg.sdp = reply.body.decode(errors="replace")
        address = recording.sdp_media_address(leg.sdp)
        if address is not None:
            call.agent_media.append(address)

        async def bridge() -> None:
            if call.ended or leg.ended:
                return
            await self._answer_caller(call)
            await self.stop_media(call)
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
            self.emit("on_answered", call.uid, agent_id)

        self.run(call, bridge)

    def _agent_request(self, call: SipCall, agent_id: int, leg: Leg, request: SipMessage, addr: tuple) -> None:
        if consulting.request(self, call, leg, request, addr) or conferencing.request(self, call, leg, request, addr):
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
                    self.emit("on_failed", call.uid, FAILED_NO_ANSWER, None)
                return
            if call.bridged == agent_id:
                call.bridged = None
                self.emit("on_hung_up", call.uid, BY_AGENT)
            return
        if method == "ACK":
            return
        if method in ("OPTIONS", "INFO", "UPDATE", "NOTIFY"):
            self.stack.send(response(request, 200, "OK"), addr)
            return
        self.stack.send(response(request, 501, "Not Implemented"), addr)

    # --- media -----------------------------------------------------------------------------

    def handle_digit(self, call: SipCall, digit: str) -> None:
        gather = call.gather
        if gather is None and digit == "#" and call.recording and not call.bridged and not call.ended:
            self.emit("on_digits", call.uid, digit)  # ends a voicemail message
            return
        if gather is None or call.ended or not digit:
            return
        if not call.digits:
            self.run(call, lambda: self.stop_media(call))
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
            self.emit("on_digits", call.uid, digits)
        else:
            self.emit("on_no_input", call.uid)

    # --- commands --------------------------------------------------------------------------
    def answer(self, uid: str, agent_id: int | None = None) -> None:
        call = self.calls.get(uid)
        if call is None or agent_id is not None:
            return  # a seat answers on the phone itself, not from the desktop's button
        self.run(call, lambda: self._answer_caller(call))

    def play(self, uid: str, prompt: str, data: dict | None = None) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            await self._answer_caller(call)
            if call.ended:
                return
            if prompt == PROMPT_HOLD_MUSIC:
                await self.play_prompt(call, prompt, repeat=HOLD_REPEAT)
                return
            words = (data or {}).get("words")
            if words:  # a spoken value or the position announcement: the word prompts in a row
                seconds = await spoken.play_words(self, call, words, resume_hold=prompt == PROMPT_POSITION)
            else:
                seconds = await self.play_prompt(call, prompt)
            self.later(call, seconds, self._play_done, call)

        self.run(call, work)

    def _play_done(self, call: SipCall) -> None:
        if not call.ended:
            self.emit("on_play_done", call.uid)

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
            seconds = await self.play_prompt(call, prompt)
            if call.gather is not None and call.gather["seq"] == seq:
                call.gather["timer"] = self.later(call, seconds + timeout, self._gather_done, call, seq)

        self.run(call, work)

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

        self.run(call, work)

    def cancel_bridge(self, uid: str, agent_id: int) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        self.run(call, self._async(lambda: self.end_agent_leg(call, agent_id)))

    def detach(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is not None and call.bridged is not None:
            agent_id = call.bridged
            self.run(call, self._async(lambda: self.end_agent_leg(call, agent_id)))

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
                busy += 1 + (OUTSIDE in call.agents) + consulting.number_leg_up(call)
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
            self.emit("on_failed", uid, FAILED_ERROR, None)
            return
        free = self.channels_free(trunk_id)
        if free is not None and free <= 0:
            logger.info("sip %s: trunk %s has no free channel: %s not dialled", uid, trunk_id, number)
            self.emit("on_failed", uid, FAILED_BLOCKED, None)
            return
        extension = self.seats.get(agent_id) if agent_id is not None else None
        if agent_id is not None and extension is None:
            logger.warning("sip %s: agent %s has no seat to dial from", uid, agent_id)
            self.emit("on_failed", uid, FAILED_ERROR, None)
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
        self.track(leg.call_id, self, call)
        self.stack.media[call.media_id] = (self, call)

        async def work() -> None:
            sink = self.sink_sdp()
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
            self.later(call, ring_timeout + (30.0 if agent_id is not None else 0.0), self._dial_timeout, call)

        self.run(call, work)

    def _dial_timeout(self, call: SipCall) -> None:
        if call.answered or call.ended:
            return
        logger.info("sip %s: %s did not answer in time", call.uid, uri_user(call.caller.remote_uri))
        self._fail(call, FAILED_NO_ANSWER)

    def _customer_response(self, call: SipCall, reply: SipMessage) -> None:
        leg = call.caller
        progress = self.invite_progress(leg, reply)
        status = reply.status
        if progress == PROVISIONAL:
            if reply.body and not call.ended and not leg.cancel_pending:
                sdp = reply.body.decode(errors="replace")
                self.run(call, lambda: self._customer_media(call, sdp))  # early media: ringback
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
            self.hang_up_answered(leg)  # answered after we gave up (ring timeout, hang-up)
            return
        call.answered = True
        sdp = reply.body.decode(errors="replace")

        async def answered() -> None:
            await self._customer_media(call, sdp)
            if call.ended:
                return
            if call.originate_agent is not None:
                self.emit("on_answered", call.uid, call.originate_agent)
            else:
                self.emit("on_answered", call.uid, None)
                if call.amd:
                    self.emit("on_machine_detected", call.uid, AMD_HUMAN, None)

        self.run(call, answered)

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
            await self.play_prompt(call, PROMPT_HOLD_MUSIC, repeat=HOLD_REPEAT)
            call.held = True
            self.emit("on_held", uid)

        self.run(call, work)

    def unhold(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            await self.stop_media(call)
            call.held = False
            self.emit("on_resumed", uid)

        self.run(call, work)

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
                self.end_agent_leg(call, agent_id)
            if call.ended:
                return
            free = self.channels_free(trunk_id)
            if gateway is None or not digits or (free is not None and free <= 0):
                logger.warning("sip %s: cannot transfer to %r (trunk %s): hanging up", uid, number, trunk_id)
                self._hangup_now(call, notify=False)
                return
            await self._answer_caller(call)
            await self.play_prompt(call, PROMPT_HOLD_MUSIC, repeat=HOLD_REPEAT)
            caller = uri_user(call.caller.remote_uri if not call.outbound else call.caller.local_uri)
            leg = self._number_leg(caller, digits, gateway)
            call.agents[OUTSIDE] = leg
            call.legs[leg.call_id] = (OUTSIDE, leg)
            self.track(leg.call_id, self, call)
            invite = self.new_request(leg, "INVITE", body=call.our_sdp, extra=self._trunk_headers(trunk_id))
            leg.invite = invite
            logger.info("sip %s: transferring to %s", uid, digits)
            self.stack.send(invite)

        self.run(call, work)

    def consult(self, uid: str, agent_id: int) -> bool:
        """Attended transfer, step 1 (drivers/sip/consult.py): caller on hold, the two agents talk."""
        return consulting.consult(self, uid, agent_id)

    def consult_number(self, uid: str, number: str) -> bool:
        """Attended transfer to an outside number, dialled on the call's trunk (drivers/sip/consult.py)."""
        return consulting.consult_number(self, uid, number)

    def consult_complete(self, uid: str) -> bool:
        return consulting.complete(self, uid)

    def consult_cancel(self, uid: str) -> bool:
        return consulting.cancel(self, uid)

    def conference(self, uid: str) -> bool:
        """Three-way conference from an answered consultation (drivers/sip/conference.py)."""
        return conferencing.conference(self, uid)

    def conference_drop(self, uid: str, agent_id: int) -> bool:
        return conferencing.drop(self, uid, agent_id)

    def monitor(self, uid: str, supervisor_id: int, mode: str) -> None:
        """A supervisor's seat joins the call: listen, whisper or barge (drivers/sip/monitor.py)."""
        monitoring.monitor(self, uid, supervisor_id, mode)

    def start_recording(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            if call.answered and not call.ended and not call.recording:
                await self.stack.ng.command("start recording", call_id=call.media_id)
                call.recording = call.recorded = True

        self.run(call, work)

    def stop_recording(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return

        async def work() -> None:
            if call.recording and not call.ended:
                await self.stack.ng.command("stop recording", call_id=call.media_id)
                call.recording = False

        self.run(call, work)

    def hangup(self, uid: str, by: str = BY_SYSTEM) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        if by == BY_AGENT:
            agent_id = call.bridged
            if agent_id is None:
                return

            def agent_leaves() -> None:
                self.end_agent_leg(call, agent_id)
                self.emit("on_hung_up", uid, BY_AGENT)

            self.run(call, self._async(agent_leaves))
            return
        self.run(call, self._async(lambda: self._hangup_now(call, by=by)))
