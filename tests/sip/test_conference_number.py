"""An outside number as the third party over SIP, with real Kamailio and rtpengine
(drivers/sip/consult.py ``consult_number``, drivers/sip/conference.py).

A carrier's call reaches agent A's desk phone; A consults an outside number: the engine dials it
on the call's trunk (the trunk's carrier address is a stand-in phone that answers, as
tests/sip/test_outbound.py simulates a number), A and the number talk while the caller is held,
then either A starts the conference — each party must hear the other two mixed, the recording's
agent channel holds the number's voice, dropping the number leaves A with the caller — or A
completes the transfer and the caller talks with the number, A's phone hung up.
"""

from __future__ import annotations

import asyncio

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.telephony import agent_states
from apps.telephony.acd import Acd
from apps.telephony.engine import state as engine_state
from apps.telephony.engine.clock import RealClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.drivers.base import OUTSIDE_PARTY
from apps.telephony.engine.drivers.sip import OUTSIDE, SipDriver, SipStack, recording
from tests.recording_store import RecordingStore
from tests.sip import driver_scenarios
from tests.sip.conference_scenarios import MovingStandIn
from tests.sip.conftest import TRUNK_ADDRESS, running_plane
from tests.sip.harness import free_port
from tests.sip.monitor_scenarios import AGENT_FILL, CALLER_FILL, SUPERVISOR_FILL
from tests.sip.test_conference import (
    GRAPH,
    PACKETS,
    QUEUE,
    Listening,
    _mixed,
    _more,
    _recording_right_channel,
    _register,
    _wait,
)
from tests.sip.test_driver import _finish
from tests.sip.test_outbound import _party

pytestmark = pytest.mark.django_db(transaction=False)

A = 11
NUMBER = "13700000009"
NUMBER_FILL = SUPERVISOR_FILL


@pytest.fixture(scope="module")
def number_plane(sip_world, tmp_path_factory):
    with running_plane(tmp_path_factory.mktemp("sipconfnumber"), engine_stand_in=False) as under_test:
        yield under_test


def _run(plane, world, name, while_consulting, *, gateway_port=None):
    """A carrier call answered by A, A consults NUMBER (answered by the stand-in at the trunk's
    carrier address); ``while_consulting`` runs then; the caller hangs up at the end unless done."""
    from apps.telephony.models import PhoneNumber

    with tenant_context(world.a.tenant):
        number_id = PhoneNumber.objects.get(number=world.a.number).pk
    connection.set_schema_to_public()
    first = sorted(world.a.secrets)[0]
    proxy = ("127.0.0.1", plane.sip_port)
    phone_a = MovingStandIn("agent-a", "127.0.0.1", proxy=proxy, fill=AGENT_FILL, port=free_port())
    outside = MovingStandIn(NUMBER, TRUNK_ADDRESS, proxy=proxy, fill=NUMBER_FILL, port=free_port())
    caller = MovingStandIn("13900000008", TRUNK_ADDRESS, proxy=proxy, fill=CALLER_FILL)
    _register(plane, world, first, phone_a.port, f"{name}-register-a")

    async def scenario():
        stack = SipStack(
            address="127.0.0.1",
            port=plane.engine_port,
            proxy=proxy,
            ng=("127.0.0.1", plane.ng_port),
            platform_domain=world.a.domain.split(".", 1)[1],
            prompts_dir=plane.directory / "prompts",
        )
        await stack.start()
        clock = RealClock()
        driver = SipDriver(stack, schema=world.a.tenant.schema_name, slug=world.a.slug)
        driver.set_gateways({world.a.trunk_id: (TRUNK_ADDRESS, gateway_port or outside.port)})
        store = RecordingStore(clock)
        controller = CallController(clock=clock, driver=driver, acd=Acd(), store=store)
        listening = Listening(controller)
        driver.set_listener(listening)
        controller.set_queue(QueueSettings(queue_id=QUEUE, name="Support", ring_timeout_seconds=20))
        controller.numbers[number_id] = NumberSettings(
            number_id=number_id,
            number=world.a.number,
            trunk_id=world.a.trunk_id,
            queue_id=QUEUE,
            ivr_graph=GRAPH,
            ivr_version_id=1,
        )
        controller.set_agent(AgentSettings(agent_id=A, name="Ann"), ready=True)
        driver.set_seat(A, first)
        context = {"controller": controller, "driver": driver, "store": store, "events": listening.events}
        try:
            caller.call(world.a.number, "13900000008")
            await _wait(lambda: any(n == "on_answered" for n, _ in listening.events), "agent A to answer")
            uid = listening.events[0][1][0].uid
            context["uid"] = uid
            call = driver.calls[uid]
            context["call"] = call
            await _wait(lambda: phone_a.media and phone_a.media[0].count(CALLER_FILL) > 5, "the caller at A")
            controller.handle_message(
                {"type": "call.consult", "agent_id": A, "call_uid": uid, "queue_id": None, "number": NUMBER}
            )
            context.update(caller=caller, a=phone_a, outside=outside)
            if gateway_port is None:
                await _wait(lambda: any(n == "on_consult_answered" for n, _ in listening.events), "the number")
                await _wait(lambda: outside.media and outside.media[0].count(AGENT_FILL) > 5, "A and the number")
                await _more(phone_a.media[0], NUMBER_FILL, what="the number at A")
                assert outside.invites[0].uri.startswith(f"sip:{NUMBER}@")
            await while_consulting(context)
            if not caller.byes and not caller.bye_answered():
                caller.hang_up()
            await _wait(lambda: not driver.calls, "the driver to release the call")
            return context
        finally:
            driver.stop()
            await asyncio.sleep(0.2)
            stack.close()

    try:
        return asyncio.run(scenario())
    except AssertionError as error:
        raise AssertionError(f"{error}\n{plane.logs()}") from None
    finally:
        for phone in (caller, phone_a, outside):
            phone.close()


def test_conference_with_an_outside_number_and_the_recording_has_it(number_plane, sip_world):
    caller_hears = _mixed(AGENT_FILL, NUMBER_FILL)
    a_hears = _mixed(CALLER_FILL, NUMBER_FILL)
    number_hears = _mixed(CALLER_FILL, AGENT_FILL)

    async def while_consulting(ctx):
        caller, phone_a, outside, controller = ctx["caller"], ctx["a"], ctx["outside"], ctx["controller"]
        call, uid = ctx["call"], ctx["uid"]
        driver = ctx["driver"]
        trunk_id = call.trunk_id
        assert driver._trunk_busy(trunk_id) == 2  # the number's leg takes a channel of the call's trunk
        controller.handle_message({"type": "call.conference", "agent_id": A, "call_uid": uid})
        await _wait(lambda: call.conference is not None and call.conference.ready, "the conference's mix")
        assert call.conference.member_id == OUTSIDE_PARTY
        for phone in (caller, phone_a, outside):
            for media in phone.media:
                media.reset()
        await _more(caller.media[0], caller_hears, what="A and the number mixed at the caller")
        await _more(phone_a.media[0], a_hears, what="the caller and the number mixed at A")
        await _more(outside.media[0], number_hears, what="the caller and A mixed at the number")
        assert driver._trunk_busy(trunk_id) == 2
        # The host drops the number: A alone with the caller, the number's leg hung up.
        controller.handle_message({"type": "call.conference_drop", "agent_id": A, "call_uid": uid})
        await _wait(lambda: outside.byes, "the number to be hung up")
        await _wait(lambda: call.conference is None and call.bridged == A, "A alone with the caller")
        await _more(phone_a.media[0], CALLER_FILL, what="the caller alone at A")
        await _more(caller.media[0], AGENT_FILL, what="A alone at the caller")
        assert controller.calls[uid].agent_id == A
        assert controller.agent(A).state == agent_states.TALKING
        assert driver._trunk_busy(trunk_id) == 1
        ctx["caller_address"] = (TRUNK_ADDRESS, caller.media[0].port)
        ctx["media_id"] = call.media_id
        ctx["agent_media"] = list(call.agent_media)
        caller.hang_up()

    ctx = _run(number_plane, sip_world, "confnum", while_consulting)
    uid, store = ctx["uid"], ctx["store"]
    kinds = [(kind, data.get("number")) for event_uid, kind, data in store.events if event_uid == uid]
    assert ("consult_started", NUMBER) in kinds and ("conference_party_joined", NUMBER) in kinds
    assert ("conference_party_left", NUMBER) in kinds
    assert store.finished[uid].agent_id == A
    left, right = _recording_right_channel(number_plane, ctx["media_id"], ctx["caller_address"], ctx["agent_media"])
    both = recording.ALAW[_mixed(AGENT_FILL, NUMBER_FILL)]
    assert right.count(both) >= PACKETS * 160, "the number's voice is not in the recording"
    assert left.count(recording.ALAW[CALLER_FILL]) >= PACKETS * 160


def test_completing_hands_the_caller_to_the_number(number_plane, sip_world):
    async def while_consulting(ctx):
        caller, phone_a, outside, controller = ctx["caller"], ctx["a"], ctx["outside"], ctx["controller"]
        call, uid, driver = ctx["call"], ctx["uid"], ctx["driver"]
        controller.handle_message({"type": "call.consult_complete", "agent_id": A, "call_uid": uid})
        await _wait(lambda: phone_a.byes, "A's phone to be hung up")
        await _wait(lambda: call.bridged == OUTSIDE and call.transferred, "the caller bridged to the number")
        for phone in (caller, outside):
            for media in phone.media:
                media.reset()
        await _more(caller.media[0], NUMBER_FILL, what="the number at the caller")
        await _more(outside.media[0], CALLER_FILL, what="the caller at the number")
        assert uid not in controller.calls  # the controller let the call go (a transfer)
        assert controller.agent(A).state in (agent_states.WRAP_UP, agent_states.READY)
        assert driver._trunk_busy(call.trunk_id) == 2  # the caller and the number, as a blind transfer
        caller.hang_up()
        await _wait(lambda: outside.byes, "the number to be hung up with the caller")

    ctx = _run(number_plane, sip_world, "completenum", while_consulting)
    uid, store = ctx["uid"], ctx["store"]
    assert store.finished[uid].end_reason == "transferred"
    assert store.transfers[-1][1]["number"] == NUMBER


def test_a_busy_number_fails_back_to_the_agent_with_the_caller_held(number_plane, sip_world):
    busy_port = free_port()
    busy = _party(number_plane, "busy-number", driver_scenarios.busy_seat(), source=TRUNK_ADDRESS, port=busy_port)

    async def while_consulting(ctx):
        caller, phone_a, controller, store = ctx["caller"], ctx["a"], ctx["controller"], ctx["store"]
        call, uid, driver = ctx["call"], ctx["uid"], ctx["driver"]
        await _wait(lambda: store.sent_to(A, "call.consult_failed"), "the consultation to fail")
        assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "busy"
        assert await _finish(busy, 15) == 0, busy.tail()
        assert controller.consults == {} and call.consult is None
        assert controller.calls[uid].agent_id == A
        assert controller.calls[uid].status == engine_state.HOLD  # the caller still held, with A
        await _wait(lambda: phone_a.reinvites >= 2, "A's phone back in the caller's session")
        assert driver._trunk_busy(call.trunk_id) == 1
        controller.handle_message({"type": "call.resume", "agent_id": A, "call_uid": uid})
        for phone in (caller, phone_a):
            for media in phone.media:
                media.reset()
        await _more(phone_a.media[0], CALLER_FILL, what="the caller at A again")
        await _more(caller.media[0], AGENT_FILL, what="A at the caller again")
        caller.hang_up()

    _run(number_plane, sip_world, "busynum", while_consulting, gateway_port=busy_port)


def test_the_host_leaving_the_conference_leaves_the_caller_with_the_number(number_plane, sip_world):
    async def while_consulting(ctx):
        caller, phone_a, outside, controller = ctx["caller"], ctx["a"], ctx["outside"], ctx["controller"]
        call, uid = ctx["call"], ctx["uid"]
        controller.handle_message({"type": "call.conference", "agent_id": A, "call_uid": uid})
        await _wait(lambda: call.conference is not None and call.conference.ready, "the conference's mix")
        await _more(caller.media[0], _mixed(AGENT_FILL, NUMBER_FILL), what="A and the number mixed at the caller")
        controller.handle_message({"type": "call.conference_leave", "agent_id": A, "call_uid": uid})
        await _wait(lambda: phone_a.byes, "A's phone to be hung up")
        await _wait(lambda: call.conference is None and call.bridged == OUTSIDE, "the caller with the number")
        assert call.transferred and uid not in controller.calls
        for phone in (caller, outside):
            for media in phone.media:
                media.reset()
        await _more(caller.media[0], NUMBER_FILL, what="the number alone at the caller")
        await _more(outside.media[0], CALLER_FILL, what="the caller alone at the number")
        outside.hang_up()  # the number hangs up: the caller's leg ends with it
        await _wait(lambda: caller.byes, "the caller to be hung up")

    ctx = _run(number_plane, sip_world, "leavenum", while_consulting)
    uid, store = ctx["uid"], ctx["store"]
    assert store.finished[uid].end_reason == "transferred"
    assert store.transfers[-1][1]["type"] == "conference"


def test_a_number_that_rings_out_is_cancelled_and_fails_back_to_the_agent(number_plane, sip_world):
    silent_port = free_port()
    silent = _party(
        number_plane, "silent-number", driver_scenarios.seat(answers=False), source=TRUNK_ADDRESS, port=silent_port
    )

    async def while_consulting(ctx):
        controller, store, call, uid = ctx["controller"], ctx["store"], ctx["call"], ctx["uid"]
        # The controller's ring timeout (30 s) sends consult_cancel: a CANCEL to the number.
        await _wait(lambda: store.sent_to(A, "call.consult_failed"), "the ring timeout", seconds=60)
        assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "no_answer"
        assert await _finish(silent, 15) == 0, silent.tail()
        assert call.consult is None and controller.calls[uid].agent_id == A
        assert controller.calls[uid].status == engine_state.HOLD
        ctx["caller"].hang_up()

    _run(number_plane, sip_world, "silentnum", while_consulting, gateway_port=silent_port)
    assert "CANCEL sip:" in number_plane.received(silent.name)
