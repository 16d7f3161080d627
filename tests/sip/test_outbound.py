"""Outbound calls over SIP with real processes: the engine dials through Kamailio to a carrier.

sipp plays the carrier on the trunk's outbound address (answering, busy, or never answering)
and the agent's desk phone; Kamailio counts the calls on the trunk's channel profile; rtpengine
anchors the media. Covered: click-to-dial (seat first, then the number), a dialer's call bridged
to an agent after the answer, busy and unanswered numbers, a full trunk refused by the engine and
by Kamailio, and a blind transfer of an inbound call to an outside number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from django.db import connection

from apps.telephony.engine.drivers.base import AMD_HUMAN, BY_CALLER, FAILED_BLOCKED, FAILED_BUSY, FAILED_NO_ANSWER
from apps.telephony.engine.drivers.sip import SipDriver, SipStack
from tests.recording_store import RecordingStore
from tests.sip import driver_scenarios
from tests.sip.conftest import TRUNK_ADDRESS, running_plane
from tests.sip.harness import free_port
from tests.sip.test_driver import _finish, _register_seat, _sipp, _wait

pytestmark = pytest.mark.django_db(transaction=False)

AGENT = 21
NUMBER = "13800138000"
CALLER_ID = "4008123456"


class Events:
    """A listener that records every driver event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple]] = []

    def __getattr__(self, name: str):
        if not name.startswith("on_"):
            raise AttributeError(name)

        def record(*args):
            self.events.append((name, args))

        return record

    def names(self, uid: str | None = None) -> list[str]:
        return [name for name, args in self.events if uid is None or (args and _uid(args) == uid)]

    def has(self, name: str, *args) -> bool:
        return (name, args) in self.events


def _uid(args: tuple) -> str:
    first = args[0]
    return first if isinstance(first, str) else first.uid


@pytest.fixture(scope="module")
def plane(sip_world, tmp_path_factory):
    with running_plane(tmp_path_factory.mktemp("sipout"), engine_stand_in=False) as running:
        yield running


def _party(plane, name: str, scenario: str, *, source: str, port: int, keys: dict | None = None):
    process = _sipp(
        plane, name, scenario, source=source, keys=keys or {"ext": "carrier", "domain": "carrier"}, port=port
    )
    plane.processes[process.name] = process
    return process


def _run(
    plane,
    world,
    body: Callable[[SipDriver, Events], Awaitable[None]],
    *,
    channels: int | None = 5,
    gateway_port: int | None = None,
):
    """Run ``body`` with a started stack and tenant A's driver (seat, trunk cap, carrier address)."""
    extension = sorted(world.a.secrets)[0]

    async def scenario():
        stack = SipStack(
            address="127.0.0.1",
            port=plane.engine_port,
            proxy=("127.0.0.1", plane.sip_port),
            ng=("127.0.0.1", plane.ng_port),
            platform_domain=world.a.domain.split(".", 1)[1],
            prompts_dir=plane.directory / "prompts",
            recording_dir=plane.directory / "recordings",
        )
        await stack.start()
        driver = SipDriver(stack, schema=world.a.tenant.schema_name, slug=world.a.slug)
        events = Events()
        driver.set_listener(events)
        driver.set_seat(AGENT, extension)
        driver.set_trunks({world.a.trunk_id: channels}, world.a.trunk_id)
        if gateway_port is not None:
            driver.set_gateways({world.a.trunk_id: (TRUNK_ADDRESS, gateway_port)})
        try:
            await body(driver, events)
        finally:
            driver.stop()
            await asyncio.sleep(0.2)
            stack.close()

    try:
        asyncio.run(scenario())
    except AssertionError as error:
        raise AssertionError(f"{error}\n{plane.logs()}") from None
    finally:
        connection.set_schema_to_public()


def _seat(plane, world, name: str, scenario: str):
    extension = sorted(world.a.secrets)[0]
    port = free_port()
    seat = _party(
        plane, name, scenario, source="127.0.0.1", port=port, keys={"ext": extension, "domain": world.a.domain}
    )
    _register_seat(plane, world, extension, port, f"{name}-register")
    return seat


async def _stats(driver: SipDriver, media_id: str) -> dict[str, int]:
    """Packets rtpengine received from each party of the call (its ``query``)."""
    reply = await driver.stack.ng.command("query", call_id=media_id)
    packets = {}
    for tag, party in (reply.get("tags") or {}).items():
        total = 0
        for medium in party.get("medias") or []:
            for stream in medium.get("streams") or []:
                total += int((stream.get("stats") or {}).get("packets") or 0)
        packets[tag] = total
    return packets


def test_click_to_dial_rings_the_seat_then_the_number_and_both_talk(plane, sip_world):
    carrier_port = free_port()
    seat = _seat(plane, sip_world, "c2d-seat", driver_scenarios.seat(answers=True, talks=True))
    carrier = _party(
        plane,
        "c2d-carrier",
        driver_scenarios.seat(answers=True, talks=True, hangs_up_after_ms=4000),
        source=TRUNK_ADDRESS,
        port=carrier_port,
    )
    seen = {}

    async def body(driver, events):
        driver.originate("out-c2d", NUMBER, AGENT, caller_id=CALLER_ID)
        await _wait(lambda: events.has("on_answered", "out-c2d", AGENT), "the number to answer")
        call = driver.calls["out-c2d"]
        assert call.bridged == AGENT and call.answered
        await asyncio.sleep(2.0)  # both sides speak (sipp's bundled PCMA)
        seen["packets"] = await _stats(driver, call.media_id)
        seen["tags"] = (call.x_tag, call.y_tag)
        await _wait(lambda: events.has("on_hung_up", "out-c2d", BY_CALLER), "the carrier to hang up")
        assert await _finish(carrier, 15) == 0, carrier.tail()
        assert await _finish(seat, 15) == 0, seat.tail()
        await _wait(lambda: not driver.calls, "the driver to release the call")

    _run(plane, sip_world, body, gateway_port=carrier_port)
    x_tag, y_tag = seen["tags"]
    assert seen["packets"].get(x_tag, 0) > 0 and seen["packets"].get(y_tag, 0) > 0, seen
    to_carrier = plane.received(carrier.name)
    assert f"INVITE sip:{NUMBER}@{TRUNK_ADDRESS}:{carrier_port}" in to_carrier
    assert f"From: <sip:{CALLER_ID}@" in to_carrier and f"P-Asserted-Identity: <sip:{CALLER_ID}@" in to_carrier
    assert "X-CC-" not in to_carrier  # Kamailio strips the engine's control headers
    to_seat = plane.received(seat.name)
    assert "answer-after=0" in to_seat and f"From: <sip:{NUMBER}@" in to_seat
    assert "BYE sip:" in to_seat  # the engine hung the seat up after the carrier left


def test_a_dialer_call_answered_then_bridged_to_an_agent(plane, sip_world):
    carrier_port = free_port()
    carrier = _party(
        plane,
        "dialer-carrier",
        driver_scenarios.seat(answers=True, talks=True),
        source=TRUNK_ADDRESS,
        port=carrier_port,
    )
    seat = _seat(plane, sip_world, "dialer-seat", driver_scenarios.seat(answers=True))

    async def body(driver, events):
        driver.dial("out-dialer", NUMBER, caller_id=CALLER_ID, ring_timeout=10, amd=True)
        await _wait(lambda: events.has("on_answered", "out-dialer", None), "the number to answer")
        await _wait(lambda: events.has("on_machine_detected", "out-dialer", AMD_HUMAN, None), "the AMD verdict")
        assert driver.channels_free(sip_world.a.trunk_id) == 4
        driver.bridge("out-dialer", AGENT)
        await _wait(lambda: events.has("on_answered", "out-dialer", AGENT), "the agent to answer")
        await asyncio.sleep(0.5)
        driver.hangup("out-dialer")
        await _wait(lambda: events.has("on_hung_up", "out-dialer", "system"), "the hang-up")
        assert await _finish(carrier, 15) == 0, carrier.tail()
        assert await _finish(seat, 15) == 0, seat.tail()
        assert driver.channels_free(sip_world.a.trunk_id) == 5

    _run(plane, sip_world, body, gateway_port=carrier_port)
    assert "BYE sip:" in plane.received(carrier.name) and "BYE sip:" in plane.received(seat.name)


def test_busy_and_unanswered_numbers_fail_with_their_reasons(plane, sip_world):
    busy_port, silent_port = free_port(), free_port()
    busy = _party(plane, "busy-carrier", driver_scenarios.busy_seat(), source=TRUNK_ADDRESS, port=busy_port)

    async def busy_body(driver, events):
        driver.dial("out-busy", NUMBER, caller_id=CALLER_ID, ring_timeout=10, amd=False)
        await _wait(lambda: events.has("on_failed", "out-busy", FAILED_BUSY, None), "busy")
        await _wait(lambda: not driver.calls, "the release")
        assert await _finish(busy, 15) == 0, busy.tail()

    _run(plane, sip_world, busy_body, gateway_port=busy_port)
    silent = _party(
        plane, "silent-carrier", driver_scenarios.seat(answers=False), source=TRUNK_ADDRESS, port=silent_port
    )

    async def silent_body(driver, events):
        driver.dial("out-silent", NUMBER, caller_id=CALLER_ID, ring_timeout=2, amd=False)
        await _wait(lambda: events.has("on_failed", "out-silent", FAILED_NO_ANSWER, None), "no answer")
        assert await _finish(silent, 15) == 0, silent.tail()
        assert events.names("out-silent").count("on_failed") == 1  # the 487 to our CANCEL is not a second failure

    _run(plane, sip_world, silent_body, gateway_port=silent_port)
    assert "CANCEL sip:" in plane.received(silent.name)


def test_a_full_trunk_is_refused_by_the_engine_and_by_kamailio(plane, sip_world, monkeypatch, caplog):
    port = free_port()
    ringing = _party(plane, "full-carrier", driver_scenarios.seat(answers=False), source=TRUNK_ADDRESS, port=port)

    profile = f"{sip_world.a.tenant.schema_name}:{sip_world.a.trunk_id}"
    caplog.set_level("INFO", logger="apps.telephony.engine.drivers.sip")

    async def body(driver, events):
        driver.dial("out-first", NUMBER, caller_id=CALLER_ID, ring_timeout=6, amd=False)
        await _wait(lambda: "INVITE sip:" in plane.received(ringing.name), "the first call to ring")
        assert driver.channels_free(sip_world.a.trunk_id) == 0
        assert plane.trunk_calls(profile) == 1  # Kamailio counts the ringing call on the trunk
        driver.dial("out-second", NUMBER, caller_id=CALLER_ID, ring_timeout=6, amd=False)
        await _wait(lambda: events.has("on_failed", "out-second", FAILED_BLOCKED, None), "the engine's refusal")
        # An engine that does not count (say, a second engine on the same trunk): Kamailio's
        # channel profile still holds the first call and refuses the second with 503.
        monkeypatch.setattr(driver, "channels_free", lambda trunk_id: None)
        driver.dial("out-third", NUMBER, caller_id=CALLER_ID, ring_timeout=6, amd=False)
        await _wait(lambda: events.has("on_failed", "out-third", FAILED_BLOCKED, None), "Kamailio's refusal")
        driver.hangup("out-first")
        assert await _finish(ringing, 15) == 0, ringing.tail()
        await _wait(lambda: plane.trunk_calls(profile) == 0, "Kamailio to free the channel")

    _run(plane, sip_world, body, channels=1, gateway_port=port)
    assert plane.received(ringing.name).count("INVITE sip:") == 1  # neither refused call reached the carrier
    refusals = [r.getMessage() for r in caplog.records if "answered 503 (blocked)" in r.getMessage()]
    assert len(refusals) == 1, refusals  # the third call's: the second never left the engine


def test_a_trunk_without_an_outbound_address_cannot_dial(plane, sip_world):
    async def body(driver, events):
        assert driver.channels_free(sip_world.a.trunk_id) == 0  # the dialer paces nothing onto it
        driver.originate("out-nowhere", NUMBER, AGENT, caller_id=CALLER_ID)
        await _wait(lambda: events.has("on_failed", "out-nowhere", "error", None), "the failure")
        assert not driver.calls

    _run(plane, sip_world, body, gateway_port=None)


def test_blind_transfer_of_an_inbound_call_to_an_outside_number(plane, sip_world):
    outside_port = free_port()
    outside = _party(
        plane,
        "outside",
        driver_scenarios.seat(answers=True, hangs_up_after_ms=1500),
        source=TRUNK_ADDRESS,
        port=outside_port,
    )
    parties = {}

    async def body(driver, events):
        caller = parties["caller"] = _party(
            plane,
            "transfer-caller",
            driver_scenarios.carrier(digit="1", before_digit_ms=300, after_digit_ms=0, hangs_up=False),
            source=TRUNK_ADDRESS,
            port=free_port(),
            keys={"did": sip_world.a.number, "caller": "13900000077"},
        )
        await _wait(lambda: events.names() and events.events[0][0] == "on_arrived", "the inbound call")
        uid = events.events[0][1][0].uid
        driver.answer(uid)
        driver.transfer(uid, "13700000000")
        await _wait(lambda: "INVITE sip:13700000000@" in plane.received(outside.name), "the outside INVITE")
        assert await _finish(outside, 15) == 0, outside.tail()
        assert await _finish(caller, 15) == 0, caller.tail()  # the engine hung the caller up
        await _wait(lambda: not driver.calls, "the release")
        assert "on_hung_up" not in events.names(uid)  # the controller had let the call go

    _run(plane, sip_world, body, gateway_port=outside_port)
    to_outside = plane.received(outside.name)
    assert "From: <sip:13900000077@" in to_outside  # the original caller's number is passed on
    assert "BYE sip:" in plane.received(parties["caller"].name)


@pytest.fixture(scope="module")
def db_gateway(sip_world, django_db_blocker):
    """Tenant A's trunk sends its outbound calls to the carrier address (committed: the engine
    service reads it from its own connections)."""
    from apps.sip.models import TrunkAddress

    port = free_port()
    addresses = TrunkAddress.objects.filter(tenant=sip_world.a.tenant, trunk_id=sip_world.a.trunk_id)
    with django_db_blocker.unblock():
        addresses.update(port=port, outbound=True)
    yield port
    with django_db_blocker.unblock():
        addresses.update(port=5060, outbound=False)


def test_click_to_dial_through_the_engine_service_writes_an_outbound_cdr(
    plane, sip_world, db_agent, db_gateway, settings
):
    """The service as ``run_engine --driver sip`` runs it: the trunk's outbound address from the
    database, the desk's click-to-dial through the controller, the CDR written by the DbStore."""
    from asgiref.sync import sync_to_async
    from django.db import connections
    from django_tenants.utils import tenant_context

    from apps.telephony.engine.runner import EngineService
    from apps.telephony.models import Call

    agent, extension, _queue = db_agent
    world = sip_world
    port = db_gateway
    settings.SIP_ENGINE_ADDRESS = "127.0.0.1"
    settings.SIP_ENGINE_PORT = plane.engine_port
    settings.SIP_ADDRESS = "127.0.0.1"
    settings.SIP_PORT = plane.sip_port
    settings.SIP_RTPENGINE_NG_PORT = plane.ng_port
    settings.SIP_RUNTIME_DIR = plane.directory
    settings.PLATFORM_DOMAIN = world.a.domain.split(".", 1)[1]
    seat = _seat(plane, world, "service-c2d-seat", driver_scenarios.seat(answers=True))
    carrier = _party(
        plane,
        "service-c2d-carrier",
        driver_scenarios.seat(answers=True, hangs_up_after_ms=1500),
        source=TRUNK_ADDRESS,
        port=port,
    )

    def ended_calls():
        with tenant_context(world.a.tenant):
            return list(Call.objects.filter(agent=agent, callee=NUMBER, ended_at__isnull=False))

    async def scenario():
        service = EngineService(tenants=lambda: [world.a.tenant], layer=None, driver="sip", rescan_seconds=60)
        running = asyncio.create_task(service.run())
        try:
            await _wait(lambda: world.a.tenant.schema_name in service.engines, "the tenant's engine", 30)
            engine = service.engines[world.a.tenant.schema_name]
            await _wait(lambda: engine.controller.agent(agent.pk) is not None, "the agent", 10)
            assert engine.driver.channels_free(world.a.trunk_id) == 1  # the trunk's cap, nothing busy
            dialled = engine.controller.agent_dial(agent.pk, NUMBER)
            assert dialled is not None
            assert await _finish(carrier, 30) == 0, carrier.tail()
            assert await _finish(seat, 15) == 0, seat.tail()
            deadline = asyncio.get_running_loop().time() + 20
            calls = []
            while not calls and asyncio.get_running_loop().time() < deadline:
                calls = await sync_to_async(ended_calls)()
                await asyncio.sleep(0.1)
            return dialled.caller, calls
        finally:
            service.stop()
            await asyncio.wait_for(running, 30)
            await sync_to_async(connections.close_all)()

    try:
        caller_id, calls = asyncio.run(scenario())
    finally:
        seat.stop()
        connection.set_schema_to_public()
    assert len(calls) == 1, plane.logs()
    call = calls[0]
    # The same CDR fields the simulated switch writes for an answered click-to-dial.
    assert (call.direction, call.caller, call.callee) == ("outbound", caller_id, NUMBER)
    assert call.answered_at is not None and call.end_reason == "completed"
    assert call.ended_at >= call.answered_at >= call.arrived_at
    if caller_id:
        assert f"From: <sip:{caller_id}@" in plane.received(carrier.name)


def test_blind_transfer_to_another_agent_over_sip(plane, sip_world):
    """The controller's own blind transfer (the desk's Transfer): agent 1's seat gets a BYE, the
    caller waits with hold music and agent 2's seat is rung and bridged; the caller then hangs up."""
    from django_tenants.utils import tenant_context

    from apps.telephony.acd import Acd
    from apps.telephony.engine.clock import RealClock
    from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
    from apps.telephony.engine.controller import CallController
    from apps.telephony.engine.store import MemoryStore
    from apps.telephony.models import PhoneNumber

    world = sip_world
    with tenant_context(world.a.tenant):
        number_id = PhoneNumber.objects.get(number=world.a.number).pk
    connection.set_schema_to_public()
    first, second = sorted(world.a.secrets)[:2]
    ports = {first: free_port(), second: free_port()}
    seats = {}
    for extension, scenario in (
        (first, driver_scenarios.seat(answers=True)),
        (second, driver_scenarios.seat(answers=True)),
    ):
        seats[extension] = _party(
            plane,
            f"xfer-seat-{extension}",
            scenario,
            source="127.0.0.1",
            port=ports[extension],
            keys={"ext": extension, "domain": world.a.domain},
        )
        _register_seat(plane, world, extension, ports[extension], f"xfer-register-{extension}")
    graph = {"start": "queue", "nodes": {"queue": {"type": "queue", "queue": 1}}}

    async def body(driver, events):
        clock = RealClock()
        controller = CallController(clock=clock, driver=driver, acd=Acd(), store=MemoryStore(clock))
        driver.set_listener(_Forward(events, controller))
        driver.set_seat(AGENT + 1, second)
        driver.set_seat(AGENT, first)
        controller.set_queue(QueueSettings(queue_id=1, name="Support", ring_timeout_seconds=10))
        controller.numbers[number_id] = NumberSettings(
            number_id=number_id,
            number=world.a.number,
            trunk_id=world.a.trunk_id,
            queue_id=1,
            ivr_graph=graph,
            ivr_version_id=1,
        )
        controller.set_agent(AgentSettings(agent_id=AGENT, name="Ann"), ready=True)
        caller = _party(
            plane,
            "xfer-caller",
            driver_scenarios.carrier(digit="1", before_digit_ms=200, after_digit_ms=9000, hangs_up=True),
            source=TRUNK_ADDRESS,
            port=free_port(),
            keys={"did": world.a.number, "caller": "13900000088"},
        )
        await _wait(lambda: any(name == "on_answered" for name, _ in events.events), "agent 1 to answer")
        uid = events.events[0][1][0].uid
        controller.set_agent(AgentSettings(agent_id=AGENT + 1, name="Bob"), ready=True)
        controller.handle_message(
            {"type": "call.transfer", "agent_id": AGENT, "call_uid": uid, "target_agent_id": AGENT + 1}
        )
        await _wait(lambda: events.has("on_answered", uid, AGENT + 1), "agent 2 to answer")
        assert controller.calls[uid].agent_id == AGENT + 1
        assert await _finish(caller, 20) == 0, caller.tail()
        await _wait(lambda: events.has("on_hung_up", uid, BY_CALLER), "the caller's hang-up")
        for seat in seats.values():
            assert await _finish(seat, 10) == 0, seat.tail()

    _run(plane, sip_world, body, gateway_port=None)
    assert "BYE sip:" in plane.received(seats[first].name)  # agent 1 left at the transfer
    assert "BYE sip:" in plane.received(seats[second].name)  # agent 2 at the caller's hang-up


class _Forward:
    """Record each event, then hand it to the controller."""

    def __init__(self, events: Events, controller) -> None:
        self.events = events
        self.controller = controller

    def __getattr__(self, name: str):
        target = getattr(self.controller, name)
        record = getattr(self.events, name)

        def forward(*args):
            record(*args)
            return target(*args)

        return forward


def test_a_progressive_campaign_dials_over_sip_and_connects_the_answer_to_an_agent(plane, sip_world):
    """The dialer's own pacing loop on the sip driver: one contact, one Ready agent with a desk
    phone; the carrier answers, the agent's seat is bridged (auto-answer hint), the contact hangs
    up, the attempt is recorded as answered."""
    from apps.telephony.acd import Acd
    from apps.telephony.dialer.campaign import RUNNING, CampaignRuntime
    from apps.telephony.dialer.contract import CampaignSettings, DialTarget
    from apps.telephony.dialer.memory import MemoryContactSource
    from apps.telephony.engine.clock import RealClock
    from apps.telephony.engine.config import AgentSettings, QueueSettings
    from apps.telephony.engine.controller import CallController

    carrier_port = free_port()
    carrier = _party(
        plane,
        "campaign-carrier",
        driver_scenarios.seat(answers=True, hangs_up_after_ms=2500),
        source=TRUNK_ADDRESS,
        port=carrier_port,
    )
    seat = _seat(plane, sip_world, "campaign-seat", driver_scenarios.seat(answers=True))

    async def body(driver, events):
        clock = RealClock()
        store = RecordingStore(clock)
        controller = CallController(clock=clock, driver=driver, acd=Acd(), store=store, use_ivr=False)
        driver.set_listener(_Forward(events, controller))
        controller.set_queue(QueueSettings(queue_id=1, name="Outbound", wrapup_seconds=0))
        controller.set_agent(AgentSettings(agent_id=AGENT, name="Wang Fang"), ready=True)
        source = MemoryContactSource()
        source.add(7, [DialTarget(contact_id=1, number=NUMBER, attempt=1, name="Li Lei", data={})])
        settings = CampaignSettings(
            campaign_id=7, name="Renewals", mode="progressive", ratio=1.0, queue_id=1, caller_id=CALLER_ID
        )
        runtime = CampaignRuntime(settings, source, state=RUNNING)
        controller.add_campaign(runtime)
        await _wait(lambda: store.finished, "the campaign call to end", 30)
        (call,) = store.finished.values()
        assert (call.campaign_id, call.contact_id, call.agent_id) == (7, 1, AGENT)
        assert call.answered is not None and call.end_reason == "completed"
        await _wait(
            lambda: [(contact, outcome) for contact, outcome, _at in store.attempts] == [(1, "answered")],
            "the attempt's outcome",
        )
        runtime.stop()
        assert await _finish(carrier, 15) == 0, carrier.tail()
        assert await _finish(seat, 15) == 0, seat.tail()

    _run(plane, sip_world, body, gateway_port=carrier_port)
    assert f"From: <sip:{CALLER_ID}@" in plane.received(carrier.name)
    assert "answer-after=0" in plane.received(seat.name)
