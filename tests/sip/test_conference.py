"""Three-way conference over SIP with real Kamailio and rtpengine (drivers/sip/conference.py).

A carrier's call reaches agent A's desk phone through the real controller and driver; A consults
agent B (the caller is held, A's phone moves into the consultation's rtpengine session, B's phone
rings and answers), then A starts the conference: both phones are re-INVITEd onto the engine's
mixer, which is also our side of the caller's rtpengine session. The stand-in phones send PCMA
whose payload byte names the sender, so the tests see whose audio reaches whom — each party must
hear the other two mixed — and the recording (rtpengine's pcap → the stereo WAV) must hold the
colleague's voice in the agent channel.
"""

from __future__ import annotations

import asyncio
import struct
import wave

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.telephony import agent_states
from apps.telephony.acd import Acd
from apps.telephony.engine.clock import RealClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.drivers.base import BY_CALLER
from apps.telephony.engine.drivers.sip import SipDriver, SipStack, monitor, recording
from tests.recording_store import RecordingStore
from tests.sip import scenarios
from tests.sip.conference_scenarios import MovingStandIn
from tests.sip.conftest import TRUNK_ADDRESS, running_plane
from tests.sip.harness import free_port
from tests.sip.monitor_scenarios import AGENT_FILL, CALLER_FILL, SUPERVISOR_FILL

pytestmark = pytest.mark.django_db(transaction=False)

QUEUE = 1
A, B = 11, 12
COLLEAGUE_FILL = SUPERVISOR_FILL
GRAPH = {"start": "queue", "nodes": {"queue": {"type": "queue", "queue": QUEUE}}}
PACKETS = 40  # 0.8 s of audio at 20 ms a packet


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
def conference_plane(sip_world, tmp_path_factory):
    with running_plane(tmp_path_factory.mktemp("sipconference"), engine_stand_in=False) as under_test:
        yield under_test


def _register(plane, world, extension, contact_port, name):
    run = plane.sipp(
        scenarios.register(200, contact_port=contact_port),
        name=name,
        keys={"ext": extension, "domain": world.a.domain},
        auth=(f"{extension}@{world.a.slug}", world.a.secrets[extension]),
    )
    assert run.ok, run.explain()


async def _wait(predicate, what, seconds=30.0):
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _more(media, fill, packets=PACKETS, what="audio"):
    start = media.count(fill)
    await _wait(lambda: media.count(fill) >= start + packets, what)


def _mixed(*fills):
    """The PCMA byte the engine sends for constant-byte frames of ``fills`` summed."""
    return monitor.encode(monitor.PCMA, [sum(recording.ALAW[fill] for fill in fills)])[0]


def _run(plane, world, name, during_conference):
    """A carrier call answered by A, A consults B, A starts the conference; ``during_conference``
    runs then; the carrier hangs up at the end unless it did. Returns the context."""
    from apps.telephony.models import PhoneNumber

    with tenant_context(world.a.tenant):
        number_id = PhoneNumber.objects.get(number=world.a.number).pk
    connection.set_schema_to_public()
    first, second = sorted(world.a.secrets)[:2]
    proxy = ("127.0.0.1", plane.sip_port)
    phone_a = MovingStandIn("agent-a", "127.0.0.1", proxy=proxy, fill=AGENT_FILL, port=free_port())
    phone_b = MovingStandIn("agent-b", "127.0.0.1", proxy=proxy, fill=COLLEAGUE_FILL, port=free_port())
    caller = MovingStandIn("13900000007", TRUNK_ADDRESS, proxy=proxy, fill=CALLER_FILL)
    _register(plane, world, first, phone_a.port, f"{name}-register-a")
    _register(plane, world, second, phone_b.port, f"{name}-register-b")

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
        driver.set_seat(B, second)
        context = {"controller": controller, "driver": driver, "store": store, "events": listening.events}
        try:
            caller.call(world.a.number, "13900000007")
            await _wait(lambda: any(n == "on_answered" for n, _ in listening.events), "agent A to answer")
            uid = listening.events[0][1][0].uid
            context["uid"] = uid
            call = driver.calls[uid]
            context["call"] = call
            await _wait(lambda: phone_a.media and phone_a.media[0].count(CALLER_FILL) > 5, "the caller at A")
            controller.set_agent(AgentSettings(agent_id=B, name="Bob"), ready=True)
            message = {"agent_id": A, "call_uid": uid}
            controller.handle_message({"type": "call.consult", **message, "queue_id": None, "target_agent_id": B})
            await _wait(lambda: any(n == "on_consult_answered" for n, _ in listening.events), "B to answer")
            await _wait(lambda: phone_b.media and phone_b.media[0].count(AGENT_FILL) > 5, "A and B consulting")
            controller.handle_message({"type": "call.conference", **message})
            await _wait(lambda: call.conference is not None and call.conference.ready, "the conference's mix")
            assert controller.agent(A).state == controller.agent(B).state == agent_states.TALKING
            for phone in (caller, phone_a, phone_b):
                for media in phone.media:
                    media.reset()
            context.update(caller=caller, a=phone_a, b=phone_b, mixer=call.conference.mixer)
            await during_conference(context)
            if not caller.byes and not caller.bye_answered():
                caller.hang_up()
            await _wait(lambda: store.finished, "the call to end")
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
        for phone in (caller, phone_a, phone_b):
            phone.close()


def _recording_right_channel(plane, media_id, caller_address, agents):
    """The call's pcaps (rtpengine) converted as the recording task does: the right channel's samples."""
    pcaps = recording.finished_pcaps(plane.directory / "recordings", media_id)
    assert pcaps, "rtpengine recorded nothing"
    out = plane.directory / "wav" / f"{media_id}.wav"
    recording.stereo_wav(pcaps, out, caller=caller_address, agents=agents)
    with wave.open(str(out), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return samples[0::2], samples[1::2]


def test_three_parties_hear_one_another_and_the_recording_has_the_colleague(conference_plane, sip_world):
    caller_hears = _mixed(AGENT_FILL, COLLEAGUE_FILL)
    a_hears = _mixed(CALLER_FILL, COLLEAGUE_FILL)
    b_hears = _mixed(CALLER_FILL, AGENT_FILL)
    assert len({caller_hears, a_hears, b_hears, CALLER_FILL, AGENT_FILL, COLLEAGUE_FILL}) == 6

    async def during_conference(ctx):
        caller, phone_a, phone_b, controller = ctx["caller"], ctx["a"], ctx["b"], ctx["controller"]
        # Both desk phones were moved onto the engine's mixer (consultation, then conference).
        assert phone_a.reinvites == 2 and phone_b.reinvites == 1
        await _more(caller.media[0], caller_hears, what="A and B mixed at the caller")
        await _more(phone_a.media[0], a_hears, what="the caller and B mixed at A")
        await _more(phone_b.media[0], b_hears, what="the caller and A mixed at B")
        # The mix, not the caller alone (a frame of the caller alone only when A's packet is late).
        assert phone_b.media[0].count(b_hears) > 4 * phone_b.media[0].count(CALLER_FILL)
        # B hangs up on the phone: back to a call of two, A with the caller.
        phone_b.hang_up()
        await _wait(lambda: controller.agent(B).state == agent_states.READY, "B to be free again")
        call = ctx["call"]
        await _wait(lambda: call.conference is None and call.bridged == A, "A alone with the caller")
        await _wait(lambda: phone_a.reinvites == 3, "A's phone moved back to the caller's session")
        await _more(phone_a.media[0], CALLER_FILL, what="the caller alone at A")
        await _more(caller.media[0], AGENT_FILL, what="A alone at the caller")
        ctx["caller_address"] = (TRUNK_ADDRESS, caller.media[0].port)
        ctx["media_id"] = call.media_id
        ctx["agent_media"] = list(call.agent_media)
        caller.hang_up()

    ctx = _run(conference_plane, sip_world, "conf", during_conference)
    uid, store = ctx["uid"], ctx["store"]
    events = [name for name, args in ctx["events"] if args and args[0] == uid]
    assert "on_conference_left" in events
    assert ("on_hung_up", (uid, BY_CALLER)) in ctx["events"]
    kinds = [kind for event_uid, kind, _data in store.events if event_uid == uid and kind.startswith("conference_")]
    assert kinds == ["conference_started", "conference_party_joined", "conference_party_left", "conference_ended"]
    assert store.finished[uid].agent_id == A
    assert ctx["mixer"].sockets == {}  # the mixer closed
    # The recording: the caller on the left; on the right, the agents — during the conference the
    # mix of A and B (what the mixer sent rtpengine), then A alone.
    left, right = _recording_right_channel(conference_plane, ctx["media_id"], ctx["caller_address"], ctx["agent_media"])
    both = recording.ALAW[_mixed(AGENT_FILL, COLLEAGUE_FILL)]
    assert right.count(both) >= PACKETS * 160, "the colleague's voice is not in the recording"
    assert right.count(recording.ALAW[AGENT_FILL]) >= PACKETS * 160
    assert left.count(recording.ALAW[CALLER_FILL]) >= PACKETS * 160


@pytest.mark.parametrize("how", ["desk", "phone"])
def test_the_host_leaves_and_the_colleague_keeps_the_caller(conference_plane, sip_world, how):
    async def during_conference(ctx):
        caller, phone_a, phone_b, controller = ctx["caller"], ctx["a"], ctx["b"], ctx["controller"]
        await _more(caller.media[0], _mixed(AGENT_FILL, COLLEAGUE_FILL), what="A and B mixed at the caller")
        if how == "desk":
            controller.handle_message({"type": "call.conference_leave", "agent_id": A, "call_uid": ctx["uid"]})
            await _wait(lambda: phone_a.byes, "A's phone to be hung up")
        else:
            phone_a.hang_up()  # A's BYE: on_hung_up "agent", the controller drops A from the conference
            await _wait(phone_a.bye_answered, "the engine to answer A's BYE")
        call = ctx["call"]
        await _wait(lambda: call.conference is None and call.bridged == B, "B alone with the caller")
        assert controller.calls[ctx["uid"]].agent_id == B
        assert controller.agent(A).state in (agent_states.WRAP_UP, agent_states.READY)
        await _more(phone_b.media[0], CALLER_FILL, what="the caller alone at B")
        await _more(caller.media[0], COLLEAGUE_FILL, what="B alone at the caller")
        # B hangs up as the call's agent now: the call ends as any call.
        controller.handle_message({"type": "call.hangup", "agent_id": B, "call_uid": ctx["uid"]})

    ctx = _run(conference_plane, sip_world, f"host-{how}", during_conference)
    uid, store = ctx["uid"], ctx["store"]
    assert store.finished[uid].agent_id == B
    assert store.consult_log[-1][:4] == ("transferred", A, B, "conference")
