"""Realtime messages as they are really sent validate against apps/telephony/realtime_schema.py.

Calls, consultations, campaigns and desk actions run here as elsewhere in the suite (the engine's
controller on the simulated switch with the DbStore in synchronous mode; the services behind the
API with their on-commit hooks run); every message they send, by the engine's store
(``store.published``) or through ``apps.core.events.publish``, is put in its envelope by
apps/core/events.py and checked against the schema of its channel and type. The sockets'
own messages (``snapshot``, ``pong``) are read from real websockets. A payload that changes
without its schema (and docs/realtime.md, tests/core/test_docs_realtime.py) fails here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jsonschema
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.core import events
from apps.crm.services.customers import customer_create
from apps.telephony import agent_states
from apps.telephony.choices import CampaignStatus, ContactStatus
from apps.telephony.dialer.campaign import CampaignRuntime
from apps.telephony.engine.campaigns import DeferredContactSource, load_campaigns
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, load_tenant_config
from apps.telephony.engine.dbstore import DbStore
from apps.telephony.engine.drivers.sim import (
    CallerBehaviour,
    Duration,
    OutboundBehaviour,
    SimDriver,
)
from apps.telephony.models import Agent, Campaign, Contact, DialAttempt, PhoneNumber, Queue, Seat, Trunk
from apps.telephony.realtime_schema import PLUMBING, channel_of, schema_for
from apps.telephony.services import call_control, ivr, plant, routing
from apps.telephony.services.campaigns.lifecycle import campaign_policy_set
from apps.telephony.services.campaigns.source import DbContactSource
from apps.telephony.services.dialling import dialling_policy_update
from config.asgi import application
from tests.conftest import TenantWorld
from tests.telephony.agent_helpers import give_call, make_agent, make_call
from tests.telephony.campaign_factories import T0, make_campaign, make_contact
from tests.telephony.harness import make_controller, plant_routing

CALLER = "13812345678"
RECEIVE_TIMEOUT = 5


@dataclass
class Wire:
    """Messages sent during a test, as (topic, message) before the envelope."""

    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(self, topic: str, message: dict[str, Any]) -> None:
        self.messages.append((topic, message))

    def check(self, *more: tuple[str, dict[str, Any]]) -> set[tuple[str, str]]:
        """Validate every message; (channel, type) of those seen."""
        seen: set[tuple[str, str]] = set()
        problems: list[str] = []
        for topic, message in [*self.messages, *more]:
            # The envelope apps/core/events.py really sends (it adds ``ts``), not a copy of its rule.
            envelope = events._envelope(message)
            problems += _errors(envelope, PLUMBING["event.forward"], "event.forward")
            event = envelope["event"]
            channel, kind = channel_of(topic), str(event.get("type"))
            schema = schema_for(channel, kind)
            if schema is None:
                problems.append(f"{channel} {kind}: no schema in apps/telephony/realtime_schema.py")
                continue
            problems += _errors(event, schema, f"{channel} {kind}")
            seen.add((channel, kind))
        assert problems == [], "\n".join(problems)
        return seen


def _errors(instance: dict[str, Any], schema: dict[str, Any], label: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{label}: {error.json_path}: {error.message}" for error in validator.iter_errors(instance)]


@pytest.fixture
def wire(monkeypatch) -> Wire:
    sent = Wire()
    monkeypatch.setattr("apps.core.events.publish", lambda schema, topic, message: sent.add(topic, message))
    return sent


def _engine(world: TenantWorld, queue: Queue, trunk: Trunk, number: PhoneNumber):
    clock = VirtualClock()
    caller = CallerBehaviour(talk_with_human=Duration(600, "fixed"))
    driver = SimDriver(clock, seed=5, caller=caller, default_trunk_id=trunk.pk)
    driver.set_trunk(trunk.pk, trunk.channels)
    store = DbStore(world.tenant, clock)
    queue_settings, number_settings, sim_number = plant_routing({"queue": queue, "number": number, "trunk": trunk})
    controller = make_controller(
        clock=clock, driver=driver, store=store, queues=[queue_settings], numbers=[number_settings]
    )
    return clock, driver, controller, store, sim_number


@pytest.fixture
def inbound(acme):
    """A queue with wrap-up on a number, two Ready people (A, B) and a known caller, in acme."""
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.create(name="payload test", channels=10)
        queue = Queue.objects.create(
            code="payload-test", name="Payload test", wrapup_seconds=20, ring_timeout_seconds=15
        )
        number = PhoneNumber.objects.create(number="4009990009", trunk=trunk, queue=queue)
        customer_create(name="Li Lei", phones=[CALLER], is_vip=True)
    first, second = make_agent(acme, state="ready"), make_agent(acme, state="ready")
    return {"world": acme, "trunk": trunk, "queue": queue, "number": number, "a": first.agent, "b": second.agent}


def test_an_inbound_call_held_resumed_and_wrapped_up(inbound, wire, django_capture_on_commit_callbacks):
    with tenant_context(inbound["world"].tenant), django_capture_on_commit_callbacks(execute=True):
        clock, driver, controller, store, number = _engine(
            inbound["world"], inbound["queue"], inbound["trunk"], inbound["number"]
        )
        a = inbound["a"].pk
        controller.set_agent(AgentSettings(agent_id=a, name="Ann", state=agent_states.READY))
        uid = driver.inject(number, caller=CALLER)
        clock.run_until(1)
        for kind in ("call.answer", "call.hold", "call.resume", "call.hangup"):
            controller.handle_message({"type": kind, "agent_id": a, "call_uid": uid})
            clock.run_until(clock.now() + 5)
        controller.handle_message(
            {"type": "call.wrapup", "agent_id": a, "call_uid": uid, "disposition": None, "notes": ""}
        )
        clock.run_until(clock.now() + 30)
    seen = wire.check(*store.published)
    assert {
        ("agent", "call.offer"),
        ("agent", "call.answered"),
        ("agent", "call.held"),
        ("agent", "call.resumed"),
        ("agent", "call.ended"),
        ("agent", "call.wrapup"),
        ("agent", "agent.state"),
        ("wallboard", "agent.state"),
        ("wallboard", "call.state"),
        ("wallboard", "queue.update"),
        ("wallboard", "queue.kpi"),
        ("engine", "agent.state"),
    } <= seen
    offer = next(m for t, m in store.published if m["type"] == "call.offer")
    assert offer["customer"]["name"] == "Li Lei" and offer["ring_timeout_seconds"] == 15


def test_an_offer_not_answered_and_a_failed_transfer(inbound, wire, django_capture_on_commit_callbacks):
    with tenant_context(inbound["world"].tenant), django_capture_on_commit_callbacks(execute=True):
        clock, driver, controller, store, number = _engine(
            inbound["world"], inbound["queue"], inbound["trunk"], inbound["number"]
        )
        a, b = inbound["a"].pk, inbound["b"].pk
        controller.set_agent(AgentSettings(agent_id=a, name="Ann", state=agent_states.READY))
        uid = driver.inject(number, caller="13900000001")
        clock.run_until(20)  # past the ring timeout: RONA, Ann is Not ready (missed)
        controller.set_agent(AgentSettings(agent_id=b, name="Bob", state=agent_states.READY))
        clock.run_until(22)
        controller.handle_message({"type": "call.answer", "agent_id": b, "call_uid": uid})
        clock.run_until(25)
        controller.handle_message(
            {"type": "call.transfer", "agent_id": b, "call_uid": uid, "queue_id": None, "target_agent_id": a}
        )
        clock.run_until(26)
    seen = wire.check(*store.published)
    assert {("agent", "call.offer_withdrawn"), ("agent", "call.transfer_failed")} <= seen


def _talking_with_consult(inbound):
    clock, driver, controller, store, number = _engine(
        inbound["world"], inbound["queue"], inbound["trunk"], inbound["number"]
    )
    a, b = inbound["a"].pk, inbound["b"].pk
    controller.set_agent(AgentSettings(agent_id=a, name="Ann", state=agent_states.READY))
    uid = driver.inject(number, caller=CALLER)
    clock.run_until(1)
    controller.handle_message({"type": "call.answer", "agent_id": a, "call_uid": uid})
    clock.run_until(20)
    controller.set_agent(AgentSettings(agent_id=b, name="Bob", state=agent_states.READY))
    controller.handle_message(
        {"type": "call.consult", "agent_id": a, "call_uid": uid, "queue_id": None, "target_agent_id": b}
    )
    clock.run_until(25)
    return clock, controller, store, uid, a, b


def test_an_attended_transfer_and_a_supervisor(inbound, wire, django_capture_on_commit_callbacks):
    supervisor = inbound["world"].user("supervisor")
    with tenant_context(inbound["world"].tenant), django_capture_on_commit_callbacks(execute=True):
        clock, controller, store, uid, a, b = _talking_with_consult(inbound)
        controller.handle_message({"type": "call.answer", "agent_id": b, "call_uid": uid})
        clock.run_until(30)
        controller.handle_message({"type": "call.consult_complete", "agent_id": a, "call_uid": uid})
        clock.run_until(40)
        controller.handle_message(
            {"type": "call.monitor", "supervisor_user_id": supervisor.pk, "call_uid": uid, "mode": "whisper"}
        )
        clock.run_until(45)
    seen = wire.check(*store.published)
    assert {
        ("agent", "call.consult_offer"),
        ("agent", "call.consult_started"),
        ("agent", "call.consult_answered"),
        ("agent", "call.consult_completed"),
        ("wallboard", "agent.consult"),
        ("wallboard", "call.monitor"),
        ("agent", "call.monitor"),
    } <= seen


def test_consultations_cancelled_and_refused(inbound, wire, django_capture_on_commit_callbacks):
    with tenant_context(inbound["world"].tenant), django_capture_on_commit_callbacks(execute=True):
        clock, controller, store, uid, a, b = _talking_with_consult(inbound)
        controller.handle_message({"type": "call.answer", "agent_id": b, "call_uid": uid})
        clock.run_until(30)
        controller.handle_message({"type": "call.consult_cancel", "agent_id": a, "call_uid": uid})
        clock.run_until(31)
        controller.handle_message(
            {"type": "call.consult", "agent_id": a, "call_uid": uid, "queue_id": 999_999, "target_agent_id": None}
        )
        clock.run_until(32)
    seen = wire.check(*store.published)
    assert {("agent", "call.consult_ended"), ("agent", "call.consult_failed")} <= seen


def _campaign_engine(world: TenantWorld, behaviour: OutboundBehaviour):
    clock = VirtualClock(epoch=T0)
    driver = SimDriver(clock, seed=5, emit_ringing=False)
    driver.outbound = behaviour
    store = DbStore(world.tenant, clock)
    queues = load_tenant_config(world.tenant).queues.values()
    controller = make_controller(clock=clock, driver=driver, store=store, queues=queues)
    return clock, driver, store, controller


def _run(controller, store, clock, campaign: Campaign) -> None:
    _status, settings = load_campaigns()[campaign.pk]
    source = DeferredContactSource(DbContactSource(clock.wall), store, campaign.pk)
    controller.add_campaign(CampaignRuntime(settings, source, finish_when_empty=False))


def _campaign_agent(world: TenantWorld, controller, campaign: Campaign) -> int:
    agent = make_agent(world, state=agent_states.READY).agent
    skills = dict(controller.queues[campaign.queue_id].required)
    controller.set_agent(AgentSettings(agent_id=agent.pk, name="Wang", skills=skills, state=agent_states.READY))
    return agent.pk


@pytest.mark.parametrize("mode", ["progressive", "preview"])
def test_campaign_dials(acme, wire, django_capture_on_commit_callbacks, mode):
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        campaign = make_campaign(dial_mode=mode, script="Good morning {{contact.name}}, your plan is {{contact.plan}}.")
        make_contact(campaign, name="Li Lei", data={"plan": "gold"})
        clock, driver, store, controller = _campaign_engine(
            acme, OutboundBehaviour(answer_rate=1.0, machine_rate=0.0, busy_rate=0.0, ring=(4, 4))
        )
        _campaign_agent(acme, controller, campaign)
        _run(controller, store, clock, campaign)
        clock.advance(10)
    seen = wire.check(*store.published)
    assert ("wallboard", "campaign.stats") in seen
    if mode == "preview":
        assert ("agent", "campaign.preview") in seen
    else:
        assert {("agent", "call.offer"), ("agent", "call.answered"), ("wallboard", "call.state")} <= seen


def test_desk_and_configuration_commands(acme, wire, django_capture_on_commit_callbacks):
    """What the API's services send: the engine's inbox, seats, agent state and seat moves."""
    supervisor = acme.user("supervisor")
    desk = make_agent(acme, state="ready")
    talking = make_agent(acme, state="ready")
    call = give_call(acme, talking.agent, state="talking", call_status="talking")
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        queue = routing.queue_create(code="payload-cmd", name="Payload commands")
        routing.skill_create(code="payload-skill", name="Payload skill")
        routing.pause_reason_create(code="payload_pause", name="Payload pause")
        routing.disposition_create(code="payload_done", name="Payload done")
        campaign_policy_set(marketing_requires_consent=False)
        dialling_policy_update(rate_per_minute=5)
        plant.seats_add(tenant=acme.tenant, count=1, record_usage=False)
        flow = ivr.flow_create(name="Payload flow")
        ivr.flow_publish(flow=flow)
        number = PhoneNumber.objects.order_by("id").first()
        ivr.number_route_set(number=number, queue=queue)
        ivr.number_route_set(number=number, ivr_flow=flow)
        call_control.call_hold(agent=talking.agent, call_uid=call.uid)
        call_control.call_hangup(agent=talking.agent, call_uid=call.uid)
        call_control.call_transfer(agent=talking.agent, call_uid=call.uid, queue_id=queue.pk)
        call_control.call_transfer(agent=talking.agent, call_uid=call.uid, number="+8613900000001")
        call_control.call_consult(agent=talking.agent, call_uid=call.uid, target_agent_id=desk.agent.pk)
        call_control.call_monitor(supervisor=supervisor, call_uid=call.uid, mode="listen")
        call_control.call_release(supervisor=supervisor, call_uid=call.uid)
        call_control.call_dial(agent=desk.agent, number="+8613900000002")
        free = Seat.objects.filter(agent__isnull=True).order_by("extension").first()
    api = acme.api(desk.user)
    with django_capture_on_commit_callbacks(execute=True):
        moved = api.post("/api/v1/agents/me/login", {"seat": free.extension}, format="json")
        paused = api.post("/api/v1/agents/me/state", {"state": "not_ready", "reason": "break"}, format="json")
    assert (moved.status_code, paused.status_code) == (200, 200), (moved.content, paused.content)
    seen = wire.check()
    engine = {kind for channel, kind in seen if channel == "engine"}
    assert {
        "config.changed",
        "ivr.published",
        "number.route",
        "call.hold",
        "call.hangup",
        "call.transfer",
        "call.consult",
        "call.monitor",
        "call.release",
        "call.dial",
        "agent.state",
    } <= engine
    assert {("wallboard", "seats.changed"), ("wallboard", "agent.seat"), ("agent", "agent.seat")} <= seen


def test_call_commands_of_a_ringing_held_and_finished_call(acme, wire, django_capture_on_commit_callbacks):
    ringing = make_agent(acme, state="ready")
    offered = give_call(acme, ringing.agent, state="reserved", call_status="offered")
    ended = make_agent(acme, state="ready")
    finished = give_call(acme, ended.agent, state="wrap_up", call_status="ended")
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        call_control.call_answer(agent=ringing.agent, call_uid=offered.uid)
        call_control.call_reject(agent=ringing.agent, call_uid=offered.uid)
        call_control.call_wrapup(agent=ended.agent, call_uid=finished.uid, notes="called back")
    with tenant_context(acme.tenant):
        talking = make_agent(acme, state="ready")
        held = give_call(acme, talking.agent, state="hold", call_status="hold")
        colleague = make_agent(acme, state="ready")
        Agent.objects.filter(pk=colleague.agent.pk).update(state=agent_states.TALKING, current_call=held)
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        call_control.call_resume(agent=talking.agent, call_uid=held.uid)
        call_control.call_consult_complete(agent=talking.agent, call_uid=held.uid)
        call_control.call_consult_cancel(agent=talking.agent, call_uid=held.uid)
    seen = wire.check()
    assert {("engine", "call.answer"), ("engine", "call.reject"), ("engine", "call.wrapup")} <= seen
    assert {("engine", "call.resume"), ("engine", "call.consult_complete"), ("engine", "call.consult_cancel")} <= seen


def _previewed_contact(world: TenantWorld, campaign: Campaign) -> Contact:
    """A contact the engine shows an agent now (preview mode: dialling, with an open attempt)."""
    with tenant_context(world.tenant):
        Campaign.objects.filter(pk=campaign.pk).update(dial_mode="preview", status=CampaignStatus.RUNNING)
        contact = make_contact(campaign, phone="+8613900000005", status=ContactStatus.DIALING, attempts=1)
        DialAttempt.objects.create(
            campaign=campaign, contact=contact, attempt_no=1, number=contact.phone, started_at=timezone.now()
        )
    return contact


def test_preview_commands(acme, wire, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        campaign = make_campaign(running=False)
    desk = make_agent(acme, state="ready")
    contact = _previewed_contact(acme, campaign)
    api = acme.api(desk.user)
    with django_capture_on_commit_callbacks(execute=True):
        dialled = api.post("/api/v1/agents/me/preview/dial", {"contact_id": contact.pk}, format="json")
        skipped = api.post("/api/v1/agents/me/preview/skip", {"contact_id": contact.pk}, format="json")
        shown = api.post("/api/v1/agents/me/preview/next", {}, format="json")
    assert (dialled.status_code, skipped.status_code, shown.status_code) == (202, 202, 202)
    assert {("engine", "campaign.preview_dial"), ("engine", "campaign.preview_skip")} <= wire.check()


@pytest.fixture
def _keep_the_test_connection(monkeypatch):
    """``database_sync_to_async`` closes "old" connections; here that one holds the test's transaction."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def _socket(world: TenantWorld, path: str, token: str) -> WebsocketCommunicator:
    headers = [(b"host", world.host.encode())]
    return WebsocketCommunicator(application, f"{path}?token={token}", headers=headers)


@pytest.mark.usefixtures("_keep_the_test_connection")
def test_snapshots_and_pong_on_both_sockets(inbound):
    world = inbound["world"]
    desk = make_agent(world, state="ready")
    ringing = make_call(world, status="offered", agent=desk.agent, caller=CALLER, queue=inbound["queue"])
    with tenant_context(world.tenant):
        Agent.objects.filter(pk=desk.agent.pk).update(state=agent_states.RESERVED, current_call=ringing, reason=None)
    wallboard_token = world.token(world.user("supervisor"))
    desk_token = world.token(desk.user)

    async def frames(path: str, token: str) -> list[dict[str, Any]]:
        socket = _socket(world, path, token)
        connected, _code = await socket.connect()
        assert connected
        snapshot = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.send_json_to({"type": "ping"})
        pong = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return [snapshot, pong]

    problems: list[str] = []
    for path, token, channel in (("/ws/agent/", desk_token, "agent"), ("/ws/wallboard/", wallboard_token, "wallboard")):
        for frame in async_to_sync(frames)(path, token):
            schema = schema_for(channel, frame["type"])
            assert schema is not None, (channel, frame["type"])
            problems += _errors(frame, schema, f"{channel} {frame['type']}")
            if channel == "agent" and frame["type"] == "snapshot":
                assert frame["call"]["customer"]["name"] == "Li Lei"
                assert frame["call"]["ring_timeout_seconds"] == 15
    assert problems == [], "\n".join(problems)
