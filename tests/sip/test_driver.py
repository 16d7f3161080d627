"""The ``sip`` switch driver with real processes: Kamailio, rtpengine, sipp as carrier and seat.

The real :class:`CallController` runs on an asyncio loop in the test with the driver on the
engine's SIP port; Kamailio routes the carrier's call to it (routing endpoint on the test
database), rtpengine anchors the media, plays the prompts and reports the carrier's RFC 2833
digit. A sipp seat registered for the agent's extension rings, answers or lets it ring out.
"""

from __future__ import annotations

import asyncio
import shutil
import struct
import wave
from pathlib import Path

import pytest
from django.db import connection, connections
from django_tenants.utils import tenant_context

from apps.telephony import agent_states
from apps.telephony.acd import Acd
from apps.telephony.engine.clock import RealClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.drivers.base import BY_AGENT, BY_CALLER
from apps.telephony.engine.drivers.sip import SipDriver, SipStack
from tests.recording_store import RecordingStore
from tests.sip import driver_scenarios, scenarios
from tests.sip.conftest import TRUNK_ADDRESS, running_plane
from tests.sip.harness import free_port, start

pytestmark = pytest.mark.django_db(transaction=False)

QUEUE = 1
AGENT = 11
GRAPH = {
    "start": "welcome",
    "nodes": {
        "welcome": {"type": "play", "prompt": "welcome", "next": "menu"},
        "menu": {"type": "menu", "prompt": "menu", "options": {"1": "queue"}, "timeout": 8, "retries": 0},
        "queue": {"type": "queue", "queue": QUEUE},
    },
}


class Listening:
    """Wraps the controller to see the driver's events as they pass."""

    def __init__(self, controller):
        self.controller = controller
        self.events = []

    def __getattr__(self, name):
        target = getattr(self.controller, name)
        if not name.startswith("on_"):
            return target

        def record(*args):
            self.events.append((name, args))
            return target(*args)

        return record


@pytest.fixture(scope="module")
def engine_plane(sip_world, tmp_path_factory):
    """Kamailio, rtpengine and the routing endpoint, as tests/sip/conftest.py starts them, but with
    the engine's port left free for the driver under test (no sipp stand-in)."""
    with running_plane(tmp_path_factory.mktemp("sipdriver"), engine_stand_in=False) as under_test:
        yield under_test


def _sipp(plane, name, scenario, *, source, keys, timeout=40, port=None):
    path = scenarios.write(plane.directory, name, scenario)
    command = [
        shutil.which("sipp") or "sipp",
        f"127.0.0.1:{plane.sip_port}",
        "-sf",
        str(path),
        "-i",
        source,
        "-p",
        str(port or free_port()),
        "-mp",
        str(free_port()),
        "-nostdin",
        "-timeout",
        f"{timeout}s",
        "-timeout_error",
        "-trace_err",
        "-trace_msg",
    ]
    command += ["-m", "1"]
    for key, value in keys.items():
        command += ["-key", key, value]
    return start(name, command, plane.directory)


def _register_seat(plane, world, extension, contact_port, name):
    run = plane.sipp(
        scenarios.register(200, contact_port=contact_port),
        name=name,
        keys={"ext": extension, "domain": world.a.domain},
        auth=(f"{extension}@{world.a.slug}", world.a.secrets[extension]),
    )
    assert run.ok, run.explain()


async def _wait(predicate, what, seconds=20.0):
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _finish(process, seconds=20.0):
    await _wait(lambda: process.popen.poll() is not None, f"sipp {process.name} to finish", seconds)
    return process.popen.returncode


def _run_call(
    engine_plane,
    sip_world,
    *,
    seat_scenario,
    carrier_hangs_up,
    ring_timeout=10.0,
    name="call",
    during_talk=None,
    talks=False,
):
    """One carrier call through IVR and queue to the agent's seat; returns what the controller saw."""
    from apps.telephony.models import PhoneNumber

    world = sip_world
    with tenant_context(world.a.tenant):
        number_id = PhoneNumber.objects.get(number=world.a.number).pk
    connection.set_schema_to_public()
    extension = sorted(world.a.secrets)[0]
    seat_port = free_port()
    seat = _sipp(
        engine_plane,
        f"{name}-seat",
        seat_scenario,
        source="127.0.0.1",
        keys={"ext": extension, "domain": world.a.domain},
        port=seat_port,
    )
    engine_plane.processes[seat.name] = seat
    _register_seat(engine_plane, world, extension, seat_port, f"{name}-register")

    async def scenario():
        stack = SipStack(
            address="127.0.0.1",
            port=engine_plane.engine_port,
            proxy=("127.0.0.1", engine_plane.sip_port),
            ng=("127.0.0.1", engine_plane.ng_port),
            platform_domain=world.a.domain.split(".", 1)[1],
            prompts_dir=engine_plane.directory / "prompts",
            recording_dir=engine_plane.directory / "recordings",
        )
        await stack.start()
        clock = RealClock()
        driver = SipDriver(stack, schema=world.a.tenant.schema_name, slug=world.a.slug)
        store = RecordingStore(clock)
        controller = CallController(clock=clock, driver=driver, acd=Acd(), store=store)
        listening = Listening(controller)
        driver.set_listener(listening)
        controller.set_queue(QueueSettings(queue_id=QUEUE, name="Support", ring_timeout_seconds=ring_timeout))
        controller.numbers[number_id] = NumberSettings(
            number_id=number_id,
            number=world.a.number,
            trunk_id=world.a.trunk_id,
            queue_id=QUEUE,
            ivr_graph=GRAPH,
            ivr_version_id=1,
        )
        controller.set_agent(AgentSettings(agent_id=AGENT, name="Ann"), ready=True)
        driver.set_seat(AGENT, extension)
        try:
            carrier = _sipp(
                engine_plane,
                f"{name}-carrier",
                driver_scenarios.carrier(
                    digit="1",
                    before_digit_ms=1500,
                    after_digit_ms=6000 if carrier_hangs_up else 0,
                    hangs_up=carrier_hangs_up,
                    talks=talks,
                ),
                source=TRUNK_ADDRESS,
                keys={"did": world.a.number, "caller": "13900000001"},
            )
            engine_plane.processes[carrier.name] = carrier
            if during_talk is not None:
                await _wait(lambda: "on_answered" in _names(listening.events), "the seat to answer")
                uid = listening.events[0][1][0].uid
                await during_talk(controller, uid, listening)
            carrier_rc = await _finish(carrier, 30)
            seat_rc = await _finish(seat, 10)
            await _wait(lambda: store.finished, "the call to end")
            await _wait(lambda: not driver.calls, "the driver to release the call")
            if talks:
                await _wait(lambda: driver.recordings, "the recording's conversion")
            store.recordings = driver.recordings  # uid -> stereo WAV
            return listening.events, store, controller, carrier_rc, seat_rc, carrier, seat
        finally:
            driver.stop()
            await asyncio.sleep(0.1)
            stack.close()

    try:
        return asyncio.run(scenario())
    except AssertionError as error:
        raise AssertionError(f"{error}\n{engine_plane.logs()}") from None
    finally:
        seat.stop()


def _names(events):
    return [name for name, _args in events]


def _explain(plane, *processes):
    return "\n".join(f"--- {p.name} ---\n{plane.received(p.name)[-3000:]}\n{p.tail()}" for p in processes)


def test_ivr_digit_queue_and_seat_answer_then_the_caller_hangs_up(engine_plane, sip_world):
    events, store, controller, carrier_rc, seat_rc, carrier, seat = _run_call(
        engine_plane,
        sip_world,
        seat_scenario=driver_scenarios.seat(answers=True, talks=True),
        carrier_hangs_up=True,
        name="callerbye",
        talks=True,
    )
    names = _names(events)
    assert carrier_rc == 0 and seat_rc == 0, _explain(engine_plane, carrier, seat)
    arrived = events[0][1][0]
    assert names[0] == "on_arrived" and arrived.callee == sip_world.a.number and arrived.caller == "13900000001"
    assert arrived.trunk_id == sip_world.a.trunk_id
    assert ("on_play_done", (arrived.uid,)) in events  # the welcome prompt, its length from rtpengine
    assert ("on_digits", (arrived.uid, "1")) in events  # the carrier's RFC 2833 digit via rtpengine
    assert names.index("on_digits") < names.index("on_ringing") < names.index("on_answered")
    assert ("on_answered", (arrived.uid, AGENT)) in events
    assert events[-1] == ("on_hung_up", (arrived.uid, BY_CALLER))
    assert store.answered == [(arrived.uid, AGENT)]
    assert store.finished[arrived.uid].end_reason == "completed"
    assert controller.agent(AGENT).state in (agent_states.READY, agent_states.WRAP_UP)
    # rtpengine recorded both parties (pcap); the driver made a stereo WAV: caller left, agent right.
    with wave.open(store.recordings[arrived.uid], "rb") as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (2, 8000)
        frames = wav.readframes(wav.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    left, right = samples[0::2], samples[1::2]
    assert max(map(abs, left)) > 1000 and max(map(abs, right)) > 1000
    assert len(left) / 8000 >= 2  # seconds of talk


def test_hold_from_the_desktop_then_the_agent_hangs_up_from_the_desktop(engine_plane, sip_world):
    async def hold_then_hang_up(controller, uid, listening):
        message = {"agent_id": AGENT, "call_uid": uid}
        controller.handle_message({"type": "call.hold", **message})
        await _wait(lambda: ("on_held", (uid,)) in listening.events, "on_held")
        controller.handle_message({"type": "call.resume", **message})
        await _wait(lambda: ("on_resumed", (uid,)) in listening.events, "on_resumed")
        controller.handle_message({"type": "call.hangup", **message})

    events, store, controller, carrier_rc, seat_rc, carrier, seat = _run_call(
        engine_plane,
        sip_world,
        seat_scenario=driver_scenarios.seat(answers=True),
        carrier_hangs_up=False,
        name="desktop",
        during_talk=hold_then_hang_up,
    )
    assert carrier_rc == 0 and seat_rc == 0, _explain(engine_plane, carrier, seat)
    uid = events[0][1][0].uid
    names = _names(events)
    assert names.index("on_answered") < names.index("on_held") < names.index("on_resumed")
    assert ("on_hung_up", (uid, BY_AGENT)) in events
    finished = store.finished[uid]
    assert finished.end_reason == "completed" and finished.hold_seconds > 0
    assert "BYE sip:" in engine_plane.received(seat.name)  # the seat was hung up by the engine
    assert "BYE sip:" in engine_plane.received(carrier.name)  # and then the carrier


def test_the_agent_hangs_up_and_the_caller_gets_a_bye(engine_plane, sip_world):
    events, store, controller, carrier_rc, seat_rc, carrier, seat = _run_call(
        engine_plane,
        sip_world,
        seat_scenario=driver_scenarios.seat(answers=True, hangs_up_after_ms=1000),
        carrier_hangs_up=False,
        name="agentbye",
    )
    assert carrier_rc == 0 and seat_rc == 0, _explain(engine_plane, carrier, seat)
    uid = events[0][1][0].uid
    assert ("on_answered", (uid, AGENT)) in events
    assert ("on_hung_up", (uid, BY_AGENT)) in events
    assert store.finished[uid].end_reason == "completed"
    assert "BYE sip:" in engine_plane.received(carrier.name)  # the engine hung the carrier up


def test_an_unanswered_seat_is_cancelled_at_the_ring_timeout(engine_plane, sip_world):
    events, store, controller, carrier_rc, seat_rc, carrier, seat = _run_call(
        engine_plane,
        sip_world,
        seat_scenario=driver_scenarios.seat(answers=False),
        carrier_hangs_up=True,
        ring_timeout=2.0,
        name="rona",
    )
    assert carrier_rc == 0 and seat_rc == 0, _explain(engine_plane, carrier, seat)
    uid = events[0][1][0].uid
    assert ("on_ringing", (uid, AGENT)) in events
    assert "on_answered" not in _names(events)
    assert (uid, AGENT, "rona") in store.offer_ends
    assert "CANCEL sip:" in engine_plane.received(seat.name)
    assert controller.agent(AGENT).state == agent_states.NOT_READY
    assert events[-1] == ("on_hung_up", (uid, BY_CALLER))
    assert store.finished[uid].end_reason == "abandoned"


def test_a_busy_seat_is_a_missed_offer_at_once_not_after_the_ring_timeout(engine_plane, sip_world):
    events, store, controller, carrier_rc, seat_rc, carrier, seat = _run_call(
        engine_plane,
        sip_world,
        seat_scenario=driver_scenarios.busy_seat(),
        carrier_hangs_up=True,
        ring_timeout=60.0,  # far beyond the carrier's few seconds on the line
        name="busy",
    )
    assert carrier_rc == 0 and seat_rc == 0, _explain(engine_plane, carrier, seat)
    uid = events[0][1][0].uid
    # 486 from the phone; Kamailio may answer 408 instead when earlier tests' registrations of
    # the same seat (dead sipp ports) are forked to as well: either way a final refusal, not RONA.
    failures = [args for name, args in events if name == "on_bridge_failed"]
    assert failures and all(args[:2] == (uid, AGENT) and args[2] in ("486", "408") for args in failures)
    assert "on_answered" not in _names(events)
    assert (uid, AGENT, "rona") in store.offer_ends
    assert "CANCEL sip:" not in engine_plane.received(seat.name)
    assert controller.agent(AGENT).state == agent_states.NOT_READY
    assert store.finished[uid].end_reason == "abandoned"


def test_run_engine_with_the_sip_driver_writes_the_cdr(engine_plane, sip_world, db_agent, settings):
    """The service as ``run_engine --driver sip`` runs it: tenant config and seats from the
    database, the DbStore writing the CDR as it does for simulated calls."""
    from asgiref.sync import sync_to_async

    from apps.telephony.engine.runner import EngineService
    from apps.telephony.models import Call, Recording

    agent, extension, queue = db_agent
    world = sip_world
    settings.SIP_ENGINE_ADDRESS = "127.0.0.1"
    settings.SIP_ENGINE_PORT = engine_plane.engine_port
    settings.SIP_ADDRESS = "127.0.0.1"
    settings.SIP_PORT = engine_plane.sip_port
    settings.SIP_RTPENGINE_NG_PORT = engine_plane.ng_port
    settings.SIP_RUNTIME_DIR = engine_plane.directory
    settings.PLATFORM_DOMAIN = world.a.domain.split(".", 1)[1]
    seat_port = free_port()
    seat = _sipp(
        engine_plane,
        "service-seat",
        driver_scenarios.seat(answers=True),
        source="127.0.0.1",
        keys={"ext": extension, "domain": world.a.domain},
        port=seat_port,
    )
    engine_plane.processes[seat.name] = seat
    _register_seat(engine_plane, world, extension, seat_port, "service-register")

    def ended_calls():
        # Ended, and its recording linked (rtpengine's pcap → stereo WAV → Celery task → Recording).
        with tenant_context(world.a.tenant):
            ended = list(Call.objects.filter(agent=agent, ended_at__isnull=False))
            return ended if Recording.objects.filter(call__in=ended).exists() else []

    async def scenario():
        service = EngineService(tenants=lambda: [world.a.tenant], layer=None, driver="sip", rescan_seconds=60)
        running = asyncio.create_task(service.run())
        try:
            await _wait(lambda: world.a.tenant.schema_name in service.engines, "the tenant's engine", 30)
            carrier = _sipp(
                engine_plane,
                "service-carrier",
                driver_scenarios.carrier(digit="1", before_digit_ms=500, after_digit_ms=3000, hangs_up=True),
                source=TRUNK_ADDRESS,
                keys={"did": world.a.number, "caller": "13900000002"},
            )
            engine_plane.processes[carrier.name] = carrier
            carrier_rc = await _finish(carrier, 30)
            seat_rc = await _finish(seat, 10)
            deadline = asyncio.get_running_loop().time() + 20
            calls = []
            while not calls and asyncio.get_running_loop().time() < deadline:
                calls = await sync_to_async(ended_calls)()
                await asyncio.sleep(0.1)
            return carrier_rc, seat_rc, carrier, calls
        finally:
            service.stop()
            await asyncio.wait_for(running, 30)
            await sync_to_async(connections.close_all)()  # the worker thread's connection

    try:
        carrier_rc, seat_rc, carrier, calls = asyncio.run(scenario())
    finally:
        seat.stop()
        connection.set_schema_to_public()
    assert carrier_rc == 0 and seat_rc == 0, _explain(engine_plane, carrier, seat)
    assert len(calls) == 1, engine_plane.logs()
    call = calls[0]
    # The same CDR fields the simulated switch produces for an answered inbound call.
    assert (call.caller, call.callee, call.queue_id, call.trunk_id) == (
        "13900000002",
        world.a.number,
        queue.pk,
        world.a.trunk_id,
    )
    assert call.end_reason == "completed" and call.answered_at is not None
    assert call.ended_at >= call.answered_at >= call.arrived_at
    with tenant_context(world.a.tenant):
        # The real call's audio from rtpengine (no synthesised audio): stereo, caller left, agent right.
        # (This scenario's parties send no RTP, so the file may be silent; the sound of both
        # channels is checked by test_ivr_digit_queue_and_seat_answer_then_the_caller_hangs_up.)
        stored = Recording.objects.get(call=call)
        assert stored.content_type == "audio/wav" and stored.call.uid == call.uid
        with stored.file.open("rb") as handle, wave.open(handle) as audio:
            assert audio.getnchannels() == 2
            assert stored.duration_seconds == round(audio.getnframes() / audio.getframerate(), 3)
    assert not list(Path(engine_plane.directory, "recordings", "wav").glob(f"{call.uid}.wav"))  # moved to storage
