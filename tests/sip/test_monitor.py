"""Supervisor monitoring on the ``sip`` driver, with real Kamailio, rtpengine and phones.

A carrier's call (a stand-in phone on the carrier's address) reaches the agent's seat through
the real controller and driver; the supervisor's seat is registered in Kamailio and the
controller's ``call.monitor`` message has the driver invite it with rtpengine's subscription.
The stand-in phones (tests/sip/monitor_scenarios.py) send PCMA whose payload byte names the
sender, so the tests see exactly whose audio reaches whom.
"""

from __future__ import annotations

import asyncio

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.telephony.acd import Acd
from apps.telephony.engine.clock import RealClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.drivers.base import BY_CALLER
from apps.telephony.engine.drivers.sip import SipDriver, SipStack, monitor, recording
from tests.recording_store import RecordingStore
from tests.sip import scenarios
from tests.sip.conftest import TRUNK_ADDRESS, running_plane
from tests.sip.harness import free_port
from tests.sip.monitor_scenarios import AGENT_FILL, CALLER_FILL, SUPERVISOR_FILL, StandIn, sdp_sections

pytestmark = pytest.mark.django_db(transaction=False)

QUEUE = 1
AGENT = 11
SUPERVISOR_USER = 501
NO_SEAT_USER = 502
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
def monitor_plane(sip_world, tmp_path_factory):
    """Kamailio, rtpengine and the routing endpoint; the engine's port is the driver's."""
    with running_plane(tmp_path_factory.mktemp("sipmonitor"), engine_stand_in=False) as under_test:
        yield under_test


def _register(plane, world, extension, contact_port, name):
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


def _monitor(controller, uid, user_id, mode):
    controller.handle_message({"type": "call.monitor", "call_uid": uid, "supervisor_user_id": user_id, "mode": mode})


def _run(plane, world, name, during_talk):
    """A carrier call answered by the agent's seat; ``during_talk(ctx)`` runs while they talk and
    returns when the call may end; the carrier then hangs up unless it did already."""
    from apps.telephony.models import PhoneNumber

    with tenant_context(world.a.tenant):
        number_id = PhoneNumber.objects.get(number=world.a.number).pk
    connection.set_schema_to_public()
    agent_extension, supervisor_extension = sorted(world.a.secrets)[:2]
    proxy = ("127.0.0.1", plane.sip_port)
    agent = StandIn("agent", "127.0.0.1", proxy=proxy, fill=AGENT_FILL, port=free_port())
    supervisor = StandIn("supervisor", "127.0.0.1", proxy=proxy, fill=SUPERVISOR_FILL, port=free_port())
    caller = StandIn("13900000001", TRUNK_ADDRESS, proxy=proxy, fill=CALLER_FILL)
    _register(plane, world, agent_extension, agent.port, f"{name}-register-agent")
    _register(plane, world, supervisor_extension, supervisor.port, f"{name}-register-supervisor")

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
        controller.set_queue(QueueSettings(queue_id=QUEUE, name="Support", ring_timeout_seconds=15))
        controller.numbers[number_id] = NumberSettings(
            number_id=number_id,
            number=world.a.number,
            trunk_id=world.a.trunk_id,
            queue_id=QUEUE,
            ivr_graph=GRAPH,
            ivr_version_id=1,
        )
        controller.set_agent(AgentSettings(agent_id=AGENT, name="Ann"), ready=True)
        driver.set_seat(AGENT, agent_extension)
        monitor.set_user_seats(driver, {SUPERVISOR_USER: supervisor_extension})
        try:
            caller.call(world.a.number, "13900000001")
            await _wait(lambda: any(name == "on_answered" for name, _ in listening.events), "the agent to answer")
            uid = listening.events[0][1][0].uid
            await _wait(
                lambda: agent.media and agent.media[0].count(CALLER_FILL) > 5, "the caller's audio at the agent"
            )
            for media in caller.media + agent.media:
                media.reset()  # from here on, only the parties' own audio (and the supervisor's)
            context = {
                "uid": uid,
                "controller": controller,
                "driver": driver,
                "store": store,
                "caller": caller,
                "agent": agent,
                "supervisor": supervisor,
                "events": listening.events,
            }
            await during_talk(context)
            if not caller.byes and not caller.bye_answered():
                caller.hang_up()
            await _wait(lambda: store.finished, "the call to end")
            await _wait(lambda: not driver.calls, "the driver to release the call")
            await _wait(lambda: caller.bye_answered() or caller.byes, "the carrier's dialog to end")
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
        for phone in (caller, agent, supervisor):
            phone.close()


async def _more(media, fill, packets=PACKETS, what="audio"):
    """Wait until ``media`` received ``packets`` more packets of ``fill``."""
    start = media.count(fill)
    await _wait(lambda: media.count(fill) >= start + packets, what)


def _mixed(*fills):
    """The PCMA byte the engine sends for constant-byte frames of ``fills`` summed."""
    return monitor.encode(monitor.PCMA, [sum(recording.ALAW[fill] for fill in fills)])[0]


def test_listen_the_supervisor_hears_both_parties_and_nobody_hears_the_supervisor(monitor_plane, sip_world):
    async def during_talk(ctx):
        supervisor, agent, caller = ctx["supervisor"], ctx["agent"], ctx["caller"]
        _monitor(ctx["controller"], ctx["uid"], SUPERVISOR_USER, "listen")
        await _wait(lambda: supervisor.invites, "the supervisor's seat to be invited")
        invite = supervisor.invites[0]
        assert invite.get("x-cc-call") == ctx["uid"] and invite.get("x-cc-monitor") == "listen"
        # rtpengine's subscription: one sendonly audio section per party, the caller's first.
        sections = sdp_sections(supervisor.offer)
        assert len(sections) == 2 and all(port and direction == "sendonly" for _a, port, direction in sections)
        caller_media, agent_media = supervisor.media
        await _more(caller_media, CALLER_FILL, what="the caller's audio at the supervisor")
        await _more(agent_media, AGENT_FILL, what="the agent's audio at the supervisor")
        assert caller_media.count(AGENT_FILL) == 0 and agent_media.count(CALLER_FILL) == 0
        session = monitor.sessions(ctx["driver"])[SUPERVISOR_USER]
        assert session.subscribed and session.mode == "listen"
        # The supervisor's phone sends audio all along; it reaches neither party.
        sent = sum(media.sent for media in supervisor.media)
        await _more(agent.media[0], CALLER_FILL, what="more of the caller at the agent")
        await _more(caller.media[0], AGENT_FILL, what="more of the agent at the caller")
        assert sum(media.sent for media in supervisor.media) >= sent + PACKETS // 2
        assert agent.media[0].count(SUPERVISOR_FILL) == 0
        assert caller.media[0].count(SUPERVISOR_FILL) == 0
        # Listen again: the same leg, no new INVITE.
        _monitor(ctx["controller"], ctx["uid"], SUPERVISOR_USER, "listen")
        await _more(caller_media, CALLER_FILL, what="the caller at the supervisor after a second listen")
        assert len(supervisor.invites) == 1 and monitor.sessions(ctx["driver"])[SUPERVISOR_USER] is session
        caller.hang_up()  # the call ends: the supervisor's leg must end with it
        await _wait(lambda: supervisor.byes, "the BYE to the supervisor's seat")

    ctx = _run(monitor_plane, sip_world, "listen", during_talk)
    uid = ctx["uid"]
    assert ctx["store"].monitors == [(uid, SUPERVISOR_USER, "listen")] * 2
    assert ("on_hung_up", (uid, BY_CALLER)) in ctx["events"]
    assert ctx["supervisor"].byes[0].call_id == ctx["supervisor"].invites[0].call_id
    assert ctx["agent"].byes  # the agent's seat was hung up too
    assert monitor.sessions(ctx["driver"]) == {}


def test_whisper_then_barge_through_the_engines_mix(monitor_plane, sip_world):
    caller_and_supervisor = _mixed(CALLER_FILL, SUPERVISOR_FILL)
    agent_and_supervisor = _mixed(AGENT_FILL, SUPERVISOR_FILL)
    caller_and_agent = _mixed(CALLER_FILL, AGENT_FILL)
    assert len({caller_and_supervisor, agent_and_supervisor, caller_and_agent, CALLER_FILL, AGENT_FILL}) == 5

    async def during_talk(ctx):
        supervisor, agent, caller, driver = ctx["supervisor"], ctx["agent"], ctx["caller"], ctx["driver"]
        _monitor(ctx["controller"], ctx["uid"], SUPERVISOR_USER, "whisper")
        await _wait(lambda: supervisor.media, "the supervisor's seat to answer")
        assert supervisor.invites[0].get("x-cc-monitor") == "whisper"
        # One sendrecv section on the engine's own address: the engine mixes.
        ((address, port, direction),) = sdp_sections(supervisor.offer)
        assert (address, direction) == ("127.0.0.1", "sendrecv")
        assert port == monitor.sessions(driver)[SUPERVISOR_USER].mixer.ports["supervisor"]
        (heard,) = supervisor.media
        await _more(heard, caller_and_agent, what="the caller and the agent mixed at the supervisor")
        # Whisper: the agent hears the caller with the supervisor; the caller never the supervisor.
        await _more(agent.media[0], caller_and_supervisor, what="the supervisor whispering to the agent")
        await _more(caller.media[0], AGENT_FILL, what="the agent at the caller during whisper")
        assert caller.media[0].count(agent_and_supervisor) == 0
        # Barge on the same leg: now the caller hears the supervisor too.
        _monitor(ctx["controller"], ctx["uid"], SUPERVISOR_USER, "barge")
        await _more(caller.media[0], agent_and_supervisor, what="the supervisor barging in at the caller")
        await _more(agent.media[0], caller_and_supervisor, what="the supervisor still at the agent")
        assert len(supervisor.invites) == 1
        # The supervisor hangs up: the parties' media go straight to each other again.
        supervisor.hang_up()
        await _wait(supervisor.bye_answered, "the engine to answer the supervisor's BYE")
        await _wait(lambda: not monitor.sessions(driver), "the monitor session to end")
        await _commands_done(driver, ctx["uid"])
        await asyncio.sleep(0.2)  # packets already in flight
        at_agent, at_caller = agent.media[0].count(caller_and_supervisor), caller.media[0].count(agent_and_supervisor)
        before = heard.total()
        await _more(agent.media[0], CALLER_FILL, what="the caller at the agent after the supervisor left")
        await _more(caller.media[0], AGENT_FILL, what="the agent at the caller after the supervisor left")
        assert agent.media[0].count(caller_and_supervisor) == at_agent
        assert caller.media[0].count(agent_and_supervisor) == at_caller
        assert heard.total() == before

    ctx = _run(monitor_plane, sip_world, "whisper", during_talk)
    uid = ctx["uid"]
    assert ctx["store"].monitors == [(uid, SUPERVISOR_USER, "whisper"), (uid, SUPERVISOR_USER, "barge")]
    assert ("on_hung_up", (uid, BY_CALLER)) in ctx["events"]
    assert ctx["store"].finished[uid].end_reason == "completed"


def test_switching_from_listen_to_whisper_replaces_the_leg_and_the_call_end_hangs_it_up(monitor_plane, sip_world):
    async def during_talk(ctx):
        supervisor, caller = ctx["supervisor"], ctx["caller"]
        _monitor(ctx["controller"], ctx["uid"], SUPERVISOR_USER, "listen")
        await _wait(lambda: len(supervisor.media) == 2, "the listening leg")
        _monitor(ctx["controller"], ctx["uid"], SUPERVISOR_USER, "whisper")
        await _wait(lambda: len(supervisor.invites) == 2 and supervisor.byes, "the leg to be replaced")
        assert supervisor.byes[0].call_id == supervisor.invites[0].call_id
        assert supervisor.invites[1].get("x-cc-monitor") == "whisper"
        await _more(supervisor.media[2], _mixed(CALLER_FILL, AGENT_FILL), what="the mix at the supervisor")
        caller.hang_up()
        await _wait(lambda: len(supervisor.byes) == 2, "the BYE to the whispering leg")
        assert supervisor.byes[1].call_id == supervisor.invites[1].call_id

    ctx = _run(monitor_plane, sip_world, "switch", during_talk)
    assert ("on_hung_up", (ctx["uid"], BY_CALLER)) in ctx["events"]
    assert monitor.sessions(ctx["driver"]) == {}


async def _commands_done(driver, uid):
    """Wait until the call's queued driver commands (run in order under its lock) are done."""
    done = asyncio.Event()
    call = driver.calls[uid]

    async def mark():
        done.set()

    driver.run(call, mark)
    await asyncio.wait_for(done.wait(), 10)


def test_the_supervisor_hangs_up_and_the_call_goes_on(monitor_plane, sip_world):
    async def during_talk(ctx):
        supervisor, agent, caller = ctx["supervisor"], ctx["agent"], ctx["caller"]
        _monitor(ctx["controller"], ctx["uid"], SUPERVISOR_USER, "listen")
        await _wait(lambda: supervisor.media, "the supervisor's seat to answer")
        caller_media = supervisor.media[0]
        await _more(caller_media, CALLER_FILL, what="the caller's audio at the supervisor")
        supervisor.hang_up()
        await _wait(supervisor.bye_answered, "the engine to answer the supervisor's BYE")
        await _wait(lambda: not monitor.sessions(ctx["driver"]), "the monitor session to end")
        # rtpengine's subscription is gone (unsubscribe, once the call's commands ran): the
        # supervisor's sockets get nothing more.
        await _commands_done(ctx["driver"], ctx["uid"])
        await asyncio.sleep(0.2)  # packets already in flight
        before = sum(media.total() for media in supervisor.media)
        await _more(agent.media[0], CALLER_FILL, what="the caller at the agent after the supervisor left")
        await _more(caller.media[0], AGENT_FILL, what="the agent at the caller after the supervisor left")
        assert sum(media.total() for media in supervisor.media) == before
        assert not ctx["driver"].calls[ctx["uid"]].ended  # the call itself goes on

    ctx = _run(monitor_plane, sip_world, "supbye", during_talk)
    assert ctx["store"].monitors == [(ctx["uid"], SUPERVISOR_USER, "listen")]
    assert ctx["supervisor"].byes == []  # nothing to hang up at the end: the supervisor had left
    assert ("on_hung_up", (ctx["uid"], BY_CALLER)) in ctx["events"]


def test_a_supervisor_without_a_seat_breaks_nothing(monitor_plane, sip_world):
    async def during_talk(ctx):
        _monitor(ctx["controller"], ctx["uid"], NO_SEAT_USER, "listen")
        await _more(ctx["agent"].media[0], CALLER_FILL, what="the call going on")
        await _more(ctx["caller"].media[0], AGENT_FILL, what="the call going on")
        assert ctx["supervisor"].invites == [] and monitor.sessions(ctx["driver"]) == {}

    ctx = _run(monitor_plane, sip_world, "noseat", during_talk)
    assert ctx["store"].monitors == [(ctx["uid"], NO_SEAT_USER, "listen")]  # still recorded
    assert ("on_hung_up", (ctx["uid"], BY_CALLER)) in ctx["events"]
    assert ctx["store"].finished[ctx["uid"]].end_reason == "completed"


def test_user_seats_come_from_the_supervisors_agent(sip_world, django_db_blocker):
    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.telephony.models import Agent, Seat

    tenant = sip_world.a.tenant
    with django_db_blocker.unblock(), tenant_context(tenant):
        seated = User.objects.create_user(
            f"supervisor@{tenant.slug}.test", "x-Secret-12345", name="Sue", roles=[Role.SUPERVISOR]
        )
        unseated = User.objects.create_user(
            f"noseat@{tenant.slug}.test", "x-Secret-12345", name="Ned", roles=[Role.SUPERVISOR]
        )
        seat = Seat.objects.order_by("extension").last()
        Agent.objects.filter(seat=seat).update(seat=None)
        Agent.objects.create(user=seated, seat=seat)
        Agent.objects.create(user=unseated, seat=None)
    connection.set_schema_to_public()
    seats = monitor.load_user_seats(tenant)
    connection.set_schema_to_public()
    assert seats[seated.pk] == seat.extension
    assert unseated.pk not in seats
