"""Attended (consultative) transfer on the ``sip`` driver, and the re-INVITEs it needs.

The caller's rtpengine session (``M``: the caller as X, our side as Y) cannot carry a second
conversation, so a consultation gets its own session ``C`` between the first agent (tag ``a``)
and the consulted agent (tag ``b``):

1. The caller hears hold music (``play media`` on M), M's Y side is parked on the engine's
   sink, and the first agent's seat is re-INVITEd with C's SDP: the two agents' media meet in C.
2. The consulted agent's seat is invited with C's other SDP; its answer completes C
   (``on_consult_answered``).
   An outside number (``consult_number``) is dialled instead, on the call's trunk (a channel of
   it, like a blind transfer's B2BUA leg), with the caller's number as caller ID.
3. *Complete*: the consulted agent (or number) is re-INVITEd with M's SDP for our side, M's Y side becomes
   their media, the hold music stops and the first agent's leg ends (BYE). *Cancel* (or the
   consulted agent hanging up, or refusing): the consult leg ends and the first agent is
   re-INVITEd back into M; the caller stays on hold until the controller resumes. A completed
   number consultation leaves the call as a blind transfer to a number does (``transferred``: the
   number's leg is the ``OUTSIDE`` party, either side's BYE ends it, the controller is not told).

Everything runs under the call's lock (``SipDialogs.run``), so a cancel arriving while the
first re-INVITE is in flight waits for it. rtpengine keeps its ports for a party across
offers, so nothing is ever re-INVITEd towards the carrier.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import TYPE_CHECKING

from apps.telephony.engine.drivers.base import (
    BY_AGENT,
    CONSULT_BUSY,
    CONSULT_DECLINED,
    CONSULT_ERROR,
    CONSULT_NO_ANSWER,
    CONSULT_UNREACHABLE,
    FAILED_BLOCKED,
    OUTSIDE_PARTY,
    PROMPT_HOLD_MUSIC,
)
from apps.telephony.engine.drivers.sip import recording
from apps.telephony.engine.drivers.sip.calls import OUTSIDE, Consult, Leg, SipCall
from apps.telephony.engine.drivers.sip.dialogs import ANSWERED, REFUSED
from apps.telephony.engine.drivers.sip.message import (
    SipMessage,
    header_uri,
    new_tag,
    uri_host_port,
    uri_user,
)
from apps.telephony.engine.drivers.sip.message import (
    response as sip_response,
)
from apps.telephony.engine.drivers.sip.ng import NgError

if TYPE_CHECKING:
    from collections.abc import Callable

    from apps.telephony.engine.drivers.sip.dialogs import SipDialogs
    from apps.telephony.engine.drivers.sip.driver import SipDriver

logger = logging.getLogger(__name__)

REINVITE_TIMEOUT = 8.0
FLAGS = {"flags": ["trust-address"], "replace": ["origin", "session-connection"]}
# A consulted seat's refusal → the interface's reasons.
REFUSALS = {
    486: CONSULT_BUSY,
    600: CONSULT_BUSY,
    603: CONSULT_DECLINED,
    404: CONSULT_UNREACHABLE,
    408: CONSULT_UNREACHABLE,
    410: CONSULT_UNREACHABLE,
    480: CONSULT_UNREACHABLE,
}
# An outside number's refusal (from the carrier) → the interface's reasons.
NUMBER_REFUSALS = {
    **REFUSALS,
    603: CONSULT_BUSY,
    484: CONSULT_UNREACHABLE,
    408: CONSULT_NO_ANSWER,
    480: CONSULT_NO_ANSWER,
    487: CONSULT_NO_ANSWER,
}


class ReinviteFailed(Exception):
    """The peer refused a re-INVITE or never answered it."""


# --- re-INVITEs ------------------------------------------------------------------------------
async def reinvite(driver: SipDialogs, leg: Leg, sdp: str) -> str:
    """Send a re-INVITE with ``sdp`` on an answered leg; return the peer's SDP answer."""
    future = driver.loop.create_future()
    message = driver.new_request(leg, "INVITE", body=sdp)
    leg.pending = (leg.cseq, message, future)
    driver.send_in_dialog(leg, message)
    try:
        return await asyncio.wait_for(future, REINVITE_TIMEOUT)
    except TimeoutError:
        raise ReinviteFailed("no answer") from None
    finally:
        leg.pending = None


def _reinvite_response(driver: SipDialogs, leg: Leg, reply: SipMessage) -> bool:
    """Answers to our re-INVITEs (also late or retransmitted ones): True when handled here."""
    number, method = reply.cseq
    if method != "INVITE" or leg.invite is None or number == leg.invite.cseq[0]:
        return False
    pending = leg.pending if leg.pending is not None and leg.pending[0] == number else None
    if reply.status < 200:
        return True
    if reply.status >= 300:
        if pending is not None:
            _ack_refusal(driver, pending[1], reply)
            if not pending[2].done():
                pending[2].set_exception(ReinviteFailed(str(reply.status)))
        return True
    driver.send_in_dialog(leg, driver.new_request(leg, "ACK", cseq=number))
    if pending is not None and not pending[2].done():
        pending[2].set_result(reply.body.decode(errors="replace"))
    return True


def _ack_refusal(driver: SipDialogs, request: SipMessage, reply: SipMessage) -> None:
    """The ACK of a refused re-INVITE: same Via branch and route as the request."""
    ack = SipMessage(method="ACK", uri=request.uri)
    ack.headers += [
        ("Via", request.get("via")),
        ("Max-Forwards", "70"),
        ("From", request.get("from")),
        ("To", reply.get("to")),
        ("Call-ID", request.call_id),
        ("CSeq", f"{request.cseq[0]} ACK"),
    ]
    ack.headers += [("Route", route) for route in request.get_all("route")]
    routes = request.get_all("route")
    driver.stack.send(ack, uri_host_port(header_uri(routes[0]) if routes else request.uri))


# --- hooks called by SipDriver ------------------------------------------------------------------
def response(driver: SipDialogs, call: SipCall, agent_id: int, leg: Leg, reply: SipMessage) -> bool:
    """A response on a seat leg: True when it belongs to a re-INVITE or to the consult leg."""
    if _reinvite_response(driver, leg, reply):
        return True
    consult = call.consult
    if consult is None or consult.leg is not leg:
        return False
    _consult_response(driver, call, consult, reply)
    return True


def request(driver: SipDialogs, call: SipCall, leg: Leg, message: SipMessage, addr: tuple) -> bool:
    """A request from the consult leg's seat: its BYE ends the consultation."""
    consult = call.consult
    if consult is None or consult.leg is not leg or message.method != "BYE":
        return False
    driver.stack.send(sip_response(message, 200, "OK"), addr)
    if leg.ended:
        return True
    leg.ended = True
    if consult.cancelled or consult.completed or call.ended:
        return True
    consult.cancelled = True

    async def work() -> None:
        await _restore_first(driver, call, consult)
        driver.emit("on_consult_ended", call.uid, consult.agent_id, BY_AGENT)

    driver.run(call, work)
    return True


def call_ended(driver: SipDialogs, call: SipCall) -> None:
    """The whole call is over: the consult leg and session go with it."""
    consult = call.consult
    if consult is None:
        return
    call.consult = None
    consult.cancelled = True
    if consult.leg is not None:
        driver.hang_up_leg(consult.leg)
    driver.run(call, lambda: _delete(driver, consult))


# --- commands ----------------------------------------------------------------------------------
def consult(driver: SipDialogs, uid: str, agent_id: int) -> bool:
    call = driver.calls.get(uid)
    if call is None or call.ended or call.consult is not None or call.bridged is None or call.bridged < 0:
        return False
    extension = driver.seats.get(agent_id)
    first = call.agents.get(call.bridged)
    if extension is None or agent_id == call.bridged or first is None or not first.confirmed or first.ended:
        return False
    state = Consult(
        agent_id=agent_id,
        first_id=call.bridged,
        media_id=f"{call.media_id}~consult-{os.urandom(3).hex()}",
        a_tag=new_tag(),
        b_tag=new_tag(),
    )
    call.consult = state
    driver.run(
        call, lambda: _start(driver, call, state, lambda sdp: _invite_consulted(driver, call, state, extension, sdp))
    )
    return True


def consult_number(driver: SipDriver, uid: str, number: str) -> bool:
    """Consult an outside number: dialled on the call's trunk into session C (see the docstring)."""
    call = driver.calls.get(uid)
    if call is None or call.ended or call.consult is not None or call.bridged is None or call.bridged < 0:
        return False
    first = call.agents.get(call.bridged)
    digits = "".join(ch for ch in number if ch.isdigit() or ch in "+*#")
    if first is None or not first.confirmed or first.ended or not digits:
        return False
    trunk_id = call.trunk_id if call.trunk_id in driver.gateways else driver.default_trunk_id
    gateway = driver.gateways.get(trunk_id) if trunk_id is not None else None
    free = driver.channels_free(trunk_id)
    state = Consult(
        agent_id=OUTSIDE_PARTY,
        first_id=call.bridged,
        media_id=f"{call.media_id}~consult-{os.urandom(3).hex()}",
        a_tag=new_tag(),
        b_tag=new_tag(),
        number=digits,
    )
    call.consult = state
    if gateway is None or (free is not None and free <= 0):
        logger.info("sip %s: no channel on trunk %s to consult %s", uid, trunk_id, digits)

        async def blocked() -> None:
            if call.consult is state:
                call.consult = None
            driver.emit("on_consult_failed", uid, OUTSIDE_PARTY, FAILED_BLOCKED)

        driver.run(call, blocked)
        return True
    found = gateway

    def invite(sdp: str) -> None:
        caller = uri_user(call.caller.remote_uri if not call.outbound else call.caller.local_uri)
        leg = driver._number_leg(caller, digits, found)  # noqa: SLF001 -- the driver's own helper
        state.leg = leg
        call.legs[leg.call_id] = (OUTSIDE_PARTY, leg)
        driver.track(leg.call_id, driver, call)
        request = driver.new_request(leg, "INVITE", body=sdp, extra=driver._trunk_headers(trunk_id))  # noqa: SLF001
        leg.invite = request
        logger.info("sip %s: consulting %s", uid, digits)
        driver.stack.send(request)

    driver.run(call, lambda: _start(driver, call, state, invite))
    return True


def number_leg_up(call: SipCall) -> bool:
    """An outside number's leg of a consultation (or of the conference it became) holds a channel."""
    consult = call.consult
    if consult is not None and consult.number and consult.leg is not None and not consult.leg.ended:
        return True
    joined = call.conference
    leg = joined.legs.get(OUTSIDE_PARTY) if joined is not None and not joined.ended else None
    return leg is not None and not leg.ended


async def _start(driver: SipDialogs, call: SipCall, state: Consult, invite: Callable[[str], None]) -> None:
    """Hold the caller, move the first agent into session C, then ``invite`` the other party."""
    uid = call.uid
    agent_id = state.agent_id
    first = call.agents[state.first_id]
    ng = driver.stack.ng
    if not call.held:
        await driver.play_prompt(call, PROMPT_HOLD_MUSIC, repeat=10000)
        call.held = True
        driver.emit("on_held", uid)
    sink = driver.sink_sdp()
    offer = await ng.command("offer", call_id=state.media_id, from_tag=state.a_tag, sdp=sink, **FLAGS)
    for_b = offer["sdp"]
    answer = await ng.command(
        "answer", call_id=state.media_id, from_tag=state.a_tag, to_tag=state.b_tag, sdp=sink, **FLAGS
    )
    for_a = answer["sdp"]
    # The first agent leaves the caller's session (so their phone never gets two streams)
    # and moves into C.
    await ng.command("answer", call_id=call.media_id, from_tag=call.x_tag, to_tag=call.y_tag, sdp=sink, **FLAGS)
    call.y_sdp = sink
    try:
        a_sdp = await reinvite(driver, first, for_a)
    except ReinviteFailed as error:
        logger.info("sip %s: the first agent's phone refused the consultation (%s)", uid, error)
        await _back_to_caller(driver, call, first.sdp)
        call.consult = None
        await _delete(driver, state)
        driver.emit("on_consult_failed", uid, agent_id, CONSULT_ERROR)
        return
    first.sdp = a_sdp
    await ng.command("offer", call_id=state.media_id, from_tag=state.a_tag, to_tag=state.b_tag, sdp=a_sdp, **FLAGS)
    await ng.command("answer", call_id=state.media_id, from_tag=state.a_tag, to_tag=state.b_tag, sdp=sink, **FLAGS)
    if state.cancelled or call.ended:
        return
    invite(for_b)


def complete(driver: SipDialogs, uid: str) -> bool:
    call = driver.calls.get(uid)
    state = call.consult if call is not None else None
    if call is None or state is None or not state.answered or state.cancelled or state.leg is None or state.leg.ended:
        return False
    state.completed = True
    leg = state.leg

    async def work() -> None:
        try:
            b_sdp = await reinvite(driver, leg, call.our_sdp)
        except ReinviteFailed as error:
            logger.warning("sip %s: the consulted agent's phone refused the transfer (%s)", uid, error)
            call.consult = None
            driver.hang_up_leg(leg)
            await _delete(driver, state)
            if state.number:  # the controller let the call go: it ends here
                driver.hangup(uid)
                return
            driver.emit("on_hung_up", uid, BY_AGENT)  # the call's new agent is not there
            return
        await driver.stop_media(call)
        call.held = False
        await driver.stack.ng.command(
            "answer", call_id=call.media_id, from_tag=call.x_tag, to_tag=call.y_tag, sdp=b_sdp, **FLAGS
        )
        leg.sdp = call.y_sdp = b_sdp
        address = recording.sdp_media_address(b_sdp)
        if address is not None:
            call.agent_media.append(address)
        if state.first_id in call.agents:
            driver.end_agent_leg(call, state.first_id)
        if state.number:
            hand_to_number(call, leg)
        else:
            call.agents[state.agent_id] = leg
            call.bridged = state.agent_id
        call.consult = None
        await _delete(driver, state)

    driver.run(call, work)
    return True


def cancel(driver: SipDialogs, uid: str) -> bool:
    call = driver.calls.get(uid)
    state = call.consult if call is not None else None
    if call is None or state is None or state.completed:
        return False
    state.cancelled = True

    async def work() -> None:
        if state.leg is not None:
            driver.hang_up_leg(state.leg)
        await _restore_first(driver, call, state)

    driver.run(call, work)
    return True


def hand_to_number(call: SipCall, leg: Leg) -> None:
    """The caller talks with the outside number from now on, as after a blind transfer to it."""
    call.transferred = True
    call.agents.pop(OUTSIDE_PARTY, None)
    call.agents[OUTSIDE] = leg
    call.legs[leg.call_id] = (OUTSIDE, leg)
    call.bridged = OUTSIDE


# --- helpers -----------------------------------------------------------------------------------
def _invite_consulted(driver: SipDialogs, call: SipCall, state: Consult, extension: str, sdp: str) -> None:
    leg = driver.seat_leg(call, extension)
    state.leg = leg
    call.legs[leg.call_id] = (state.agent_id, leg)
    driver.track(leg.call_id, driver, call)
    invite = driver.new_request(leg, "INVITE", body=sdp, extra=[("X-CC-Call", call.uid), ("X-CC-Consult", "1")])
    leg.invite = invite
    driver.stack.send(invite)


def _consult_response(driver: SipDialogs, call: SipCall, state: Consult, reply: SipMessage) -> None:
    leg = state.leg
    if leg is None:
        return
    progress = driver.invite_progress(leg, reply)
    status = reply.status
    if progress == REFUSED:
        if state.cancelled or call.ended:
            return
        state.cancelled = True
        reason = (NUMBER_REFUSALS if state.number else REFUSALS).get(status, CONSULT_ERROR)
        logger.info("sip %s: the consulted seat answered %s (%s)", call.uid, status, reason)

        async def refused() -> None:
            await _restore_first(driver, call, state)
            driver.emit("on_consult_failed", call.uid, state.agent_id, reason)

        driver.run(call, refused)
        return
    if progress != ANSWERED:
        return
    if state.cancelled or call.ended or leg.ended:
        driver.hang_up_answered(leg)
        return
    leg.sdp = reply.body.decode(errors="replace")

    async def answered() -> None:
        if state.cancelled or call.ended:
            return
        await driver.stack.ng.command(
            "answer", call_id=state.media_id, from_tag=state.a_tag, to_tag=state.b_tag, sdp=leg.sdp, **FLAGS
        )
        state.answered = True
        driver.emit("on_consult_answered", call.uid, state.agent_id)

    driver.run(call, answered)


async def _restore_first(driver: SipDialogs, call: SipCall, state: Consult) -> None:
    """The consultation is over without a transfer: the first agent back in the caller's session."""
    if call.consult is state:
        call.consult = None
    first = call.agents.get(state.first_id)
    if not call.ended and first is not None and first.confirmed and not first.ended:
        try:
            first.sdp = await reinvite(driver, first, call.our_sdp)
        except ReinviteFailed as error:
            logger.warning("sip %s: the first agent's phone refused to come back (%s)", call.uid, error)
        await _back_to_caller(driver, call, first.sdp)
    await _delete(driver, state)


async def _back_to_caller(driver: SipDialogs, call: SipCall, sdp: str) -> None:
    if call.ended or not sdp:
        return
    await driver.stack.ng.command(
        "answer", call_id=call.media_id, from_tag=call.x_tag, to_tag=call.y_tag, sdp=sdp, **FLAGS
    )
    call.y_sdp = sdp


async def _delete(driver: SipDialogs, state: Consult) -> None:
    with contextlib.suppress(NgError):
        await driver.stack.ng.command("delete", call_id=state.media_id, delete_delay=0)
