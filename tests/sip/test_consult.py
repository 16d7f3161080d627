"""Attended transfer over SIP with real processes (drivers/sip/consult.py).

A carrier call is bridged to agent A's desk phone; A consults agent B: the caller is held, A's
phone is re-INVITEd into a second rtpengine session where B's phone joins; then the transfer
is completed (B re-INVITEd into the caller's session, A hung up) or cancelled (B hung up, A
re-INVITEd back). sipp plays the carrier and the phones.
"""

from __future__ import annotations

import asyncio

import pytest

from apps.telephony.engine.drivers.base import BY_AGENT, BY_CALLER
from tests.recording_store import RecordingStore
from tests.sip import consult_scenarios, driver_scenarios
from tests.sip.conftest import TRUNK_ADDRESS, running_plane
from tests.sip.harness import free_port
from tests.sip.test_driver import _finish, _register_seat, _wait
from tests.sip.test_outbound import _party, _run, _stats

pytestmark = pytest.mark.django_db(transaction=False)

A, B = 31, 32


@pytest.fixture(scope="module")
def plane(sip_world, tmp_path_factory):
    with running_plane(tmp_path_factory.mktemp("sipconsult"), engine_stand_in=False) as running:
        yield running


def _phone(plane, world, extension: str, name: str, scenario: str):
    port = free_port()
    keys = {"ext": extension, "domain": world.a.domain}
    phone = _party(plane, name, scenario, source="127.0.0.1", port=port, keys=keys)
    _register_seat(plane, world, extension, port, f"{name}-register")
    return phone


async def _bridged_call(plane, world, driver, events, name: str):
    """A carrier call answered and bridged to A; returns its uid and the carrier's sipp."""
    carrier = _party(
        plane,
        name,
        driver_scenarios.carrier(digit="1", before_digit_ms=200, after_digit_ms=14000, hangs_up=True, talks=True),
        source=TRUNK_ADDRESS,
        port=free_port(),
        keys={"did": world.a.number, "caller": "13900000099"},
    )
    await _wait(lambda: events.events and events.events[0][0] == "on_arrived", "the inbound call")
    uid = events.events[0][1][0].uid
    driver.answer(uid)
    driver.bridge(uid, A)
    await _wait(lambda: events.has("on_answered", uid, A), "agent A to answer")
    return uid, carrier


def test_consult_then_complete_moves_the_caller_to_the_consulted_agent(plane, sip_world):
    first, second, _third = sorted(sip_world.a.secrets)
    phone_a = _phone(plane, sip_world, first, "complete-a", consult_scenarios.seat(reinvites=1))
    phone_b = _phone(plane, sip_world, second, "complete-b", consult_scenarios.seat(reinvites=1, talks=True))
    seen = {}

    async def body(driver, events):
        driver.set_seat(A, first)
        driver.set_seat(B, second)
        uid, carrier = await _bridged_call(plane, sip_world, driver, events, "complete-carrier")
        call = driver.calls[uid]
        assert driver.consult(uid, B) is True
        assert driver.consult(uid, B) is False  # one consultation at a time
        await _wait(lambda: events.has("on_consult_answered", uid, B), "B to answer the consultation")
        assert events.has("on_held", uid) and call.held
        assert driver.consult_complete(uid) is True
        await _wait(lambda: call.bridged == B and call.consult is None, "the transfer to complete")
        assert not call.held  # the caller left hold
        before = (await _stats(driver, call.media_id)).get(call.y_tag, 0)
        await asyncio.sleep(2.0)  # B speaks after its re-INVITE: into the caller's session now
        seen["after"] = (await _stats(driver, call.media_id)).get(call.y_tag, 0) - before
        assert await _finish(phone_a, 15) == 0, phone_a.tail()  # A was hung up at completion
        assert await _finish(carrier, 30) == 0, carrier.tail()
        await _wait(lambda: events.has("on_hung_up", uid, BY_CALLER), "the caller's hang-up")
        assert await _finish(phone_b, 15) == 0, phone_b.tail()
        assert ("on_hung_up", (uid, BY_AGENT)) not in events.events  # A's leaving was the switch's own
        names = events.names(uid)
        assert names.count("on_consult_answered") == 1 and "on_consult_failed" not in names

    _run(plane, sip_world, body)
    assert seen["after"] > 20, seen  # B's audio reaches rtpengine on the caller's session
    to_b = plane.received(phone_b.name)
    assert "X-CC-Consult: 1" in to_b and "From: <sip:13900000099@" in to_b  # the caller's number shown
    assert plane.received(phone_a.name).count("INVITE sip:") == 2  # the call, then the move into C


def test_a_refused_consultation_and_a_cancelled_one_leave_agent_a_with_the_caller(plane, sip_world):
    first, second, third = sorted(sip_world.a.secrets)
    phone_a = _phone(plane, sip_world, first, "cancel-a", consult_scenarios.seat(reinvites=4))
    busy = _phone(plane, sip_world, second, "cancel-busy", driver_scenarios.busy_seat())
    phone_c = _phone(plane, sip_world, third, "cancel-c", consult_scenarios.seat(reinvites=0))

    async def body(driver, events):
        driver.set_seat(A, first)
        driver.set_seat(B, second)
        driver.set_seat(B + 1, third)
        uid, carrier = await _bridged_call(plane, sip_world, driver, events, "cancel-carrier")
        call = driver.calls[uid]
        assert driver.consult(uid, B) is True
        await _wait(lambda: any(n == "on_consult_failed" for n in events.names(uid)), "the refusal")
        failed = [args for name, args in events.events if name == "on_consult_failed"]
        assert failed[0][:2] == (uid, B) and failed[0][2] in ("busy", "unreachable"), failed
        await _wait(lambda: call.consult is None and call.y_sdp == call.agents[A].sdp, "A back with the caller")
        assert driver.consult_complete(uid) is False  # nothing to complete
        assert driver.consult(uid, B + 1) is True
        await _wait(lambda: events.has("on_consult_answered", uid, B + 1), "C to answer")
        assert driver.consult_cancel(uid) is True
        await _wait(lambda: call.consult is None, "the cancellation")
        assert await _finish(phone_c, 15) == 0, phone_c.tail()  # C got the engine's BYE
        assert call.bridged == A and call.held  # back with the caller, who is still on hold
        driver.unhold(uid)
        await _wait(lambda: events.has("on_resumed", uid), "the resume")
        assert await _finish(carrier, 30) == 0, carrier.tail()
        assert await _finish(phone_a, 15) == 0, phone_a.tail()
        assert await _finish(busy, 5) == 0, busy.tail()

    _run(plane, sip_world, body)
    assert plane.received(phone_a.name).count("INVITE sip:") == 5  # the call and four moves
    assert "BYE sip:" in plane.received(phone_c.name)


def test_consult_is_refused_without_a_bridged_agent_or_a_seat(plane, sip_world):
    async def body(driver, events):
        assert driver.consult("no-such-call", B) is False
        assert driver.consult_complete("no-such-call") is False
        assert driver.consult_cancel("no-such-call") is False

    _run(plane, sip_world, body)


def test_the_desks_attended_transfer_through_the_controller_over_sip(plane, sip_world):
    """The controller's consult → complete (the desk's messages) on real phones: A in wrap-up, B
    owns the call, the caller's hang-up ends it with B."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from apps.telephony import agent_states
    from apps.telephony.acd import Acd
    from apps.telephony.engine.clock import RealClock
    from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
    from apps.telephony.engine.controller import CallController
    from apps.telephony.models import PhoneNumber
    from tests.sip.test_outbound import _Forward

    world = sip_world
    with tenant_context(world.a.tenant):
        number_id = PhoneNumber.objects.get(number=world.a.number).pk
    connection.set_schema_to_public()
    first, second, _third = sorted(world.a.secrets)
    phone_a = _phone(plane, world, first, "desk-a", consult_scenarios.seat(reinvites=1))
    phone_b = _phone(plane, world, second, "desk-b", consult_scenarios.seat(reinvites=1))

    async def body(driver, events):
        clock = RealClock()
        store = RecordingStore(clock)
        controller = CallController(clock=clock, driver=driver, acd=Acd(), store=store)
        driver.set_listener(_Forward(events, controller))
        driver.set_seat(A, first)
        driver.set_seat(B, second)
        controller.set_queue(QueueSettings(queue_id=1, name="Support", ring_timeout_seconds=10, wrapup_seconds=30))
        controller.numbers[number_id] = NumberSettings(
            number_id=number_id,
            number=world.a.number,
            trunk_id=world.a.trunk_id,
            queue_id=1,
            ivr_graph={"start": "queue", "nodes": {"queue": {"type": "queue", "queue": 1}}},
            ivr_version_id=1,
        )
        controller.set_agent(AgentSettings(agent_id=A, name="Ann"), ready=True)
        carrier = _party(
            plane,
            "desk-carrier",
            driver_scenarios.carrier(digit="1", before_digit_ms=200, after_digit_ms=12000, hangs_up=True),
            source=TRUNK_ADDRESS,
            port=free_port(),
            keys={"did": world.a.number, "caller": "13900000066"},
        )
        await _wait(lambda: any(name == "on_answered" for name, _ in events.events), "A to answer")
        uid = events.events[0][1][0].uid
        controller.set_agent(AgentSettings(agent_id=B, name="Bob"), ready=True)
        controller.handle_message({"type": "call.consult", "agent_id": A, "call_uid": uid, "target_agent_id": B})
        await _wait(lambda: controller.agent(B).state == agent_states.TALKING, "B to take the consultation")
        assert controller.agent(A).state == agent_states.HOLD
        controller.handle_message({"type": "call.consult_complete", "agent_id": A, "call_uid": uid})
        await _wait(lambda: controller.calls[uid].agent_id == B, "the transfer")
        assert controller.agent(A).state == agent_states.WRAP_UP
        assert await _finish(phone_a, 15) == 0, phone_a.tail()
        assert await _finish(carrier, 30) == 0, carrier.tail()
        await _wait(lambda: uid in store.finished, "the call's end")
        assert store.finished[uid].agent_id == B and store.finished[uid].end_reason == "completed"
        assert await _finish(phone_b, 15) == 0, phone_b.tail()

    _run(plane, sip_world, body)
