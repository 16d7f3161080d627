"""Campaigns in run_engine's set-up, against the real database: the DB contact source behind the
store's worker, CDRs and dial attempts, offers with the contact card, the monitor's feed,
start/pause/resume/stop pick-up and restart safety. Virtual clock, synchronous DbStore."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tenants.utils import tenant_context

from apps.telephony import agent_states
from apps.telephony.choices import ContactStatus
from apps.telephony.dialer.campaign import PAUSED, RUNNING, CampaignRuntime
from apps.telephony.engine import runner
from apps.telephony.engine.campaigns import DeferredContactSource, load_campaigns
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, load_tenant_config
from apps.telephony.engine.dbstore import DbStore
from apps.telephony.engine.drivers.sim import Duration, OutboundBehaviour, SimDriver, VirtualAgentBehaviour
from apps.telephony.models import Call, CallEvent, Campaign, Contact, DialAttempt
from apps.telephony.services.campaigns.lifecycle import campaign_pause, campaign_resume, campaign_stop, retry_rules_set
from apps.telephony.services.campaigns.source import DbContactSource
from tests.telephony.agent_helpers import make_agent
from tests.telephony.campaign_factories import T0, clock_at, make_campaign, make_contact
from tests.telephony.harness import make_controller


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


def engine(world, behaviour: OutboundBehaviour):
    """The pieces run_engine builds for a tenant, on a virtual clock starting at T0."""
    clock = VirtualClock(epoch=T0)
    driver = SimDriver(clock, seed=5, emit_ringing=False)
    driver.outbound = behaviour
    store = DbStore(world.tenant, clock)
    config = load_tenant_config(world.tenant)
    controller = make_controller(clock=clock, driver=driver, store=store, queues=config.queues.values())
    return clock, driver, store, controller


def run_campaign(controller, store, clock, campaign: Campaign) -> CampaignRuntime:
    _status, settings = load_campaigns()[campaign.pk]
    source = DeferredContactSource(DbContactSource(clock.wall), store, campaign.pk)
    runtime = CampaignRuntime(settings, source, finish_when_empty=False)
    controller.add_campaign(runtime)
    return runtime


def ringing_forever() -> OutboundBehaviour:
    return OutboundBehaviour(answer_rate=0.0, machine_rate=0.0, busy_rate=0.0)


def ready_agent(world, controller, driver, campaign: Campaign, *, virtual: bool = True) -> int:
    """A Ready agent (in the database too) with the skills the campaign's queue requires."""
    agent = make_agent(world, state=agent_states.READY).agent
    skills = dict(controller.queues[campaign.queue_id].required)
    if virtual:
        driver.set_virtual_agent(agent.pk, VirtualAgentBehaviour(talk=Duration(30, "fixed")))
    controller.set_agent(
        AgentSettings(agent_id=agent.pk, name="Wang", skills=skills, is_virtual=virtual, state=agent_states.READY)
    )
    return agent.pk


def test_load_campaigns_reads_running_and_paused_campaigns_with_their_script(tenant):
    running = make_campaign(dial_mode="predictive", script="Hello {{contact.name}}")
    paused = make_campaign()
    campaign_pause(campaign=paused)
    make_campaign(running=False)  # a draft is not the engine's business
    loaded = load_campaigns()
    assert set(loaded) == {running.pk, paused.pk}
    status, settings = loaded[running.pk]
    assert (status, settings.mode, settings.script) == ("running", "predictive", "Hello {{contact.name}}")
    assert settings.abandon_message.startswith("This is Acme calling")
    assert loaded[paused.pk][0] == "paused"


def test_a_live_answer_reaches_a_human_agent_with_the_contact_card_and_is_reported(tenant):
    campaign = make_campaign(script="Good morning {{contact.name}}, your plan is {{contact.plan}}.")
    contact = make_contact(campaign, name="Li Lei", data={"plan": "gold"})
    clock, driver, store, controller = engine(
        tenant, OutboundBehaviour(answer_rate=1.0, machine_rate=0.0, busy_rate=0.0, ring=(4, 4))
    )
    person = ready_agent(tenant, controller, driver, campaign, virtual=False)
    run_campaign(controller, store, clock, campaign)
    clock.advance(10)

    offers = [message for topic, message in store.published if topic == f"agent.{person}"]
    offer = next(message for message in offers if message["type"] == "call.offer")
    assert offer["direction"] == "outbound"
    assert offer["caller"] == contact.phone  # the party on the line, not our caller ID
    assert offer["campaign_id"] == campaign.pk
    assert offer["contact"]["contact_id"] == contact.pk and offer["contact"]["name"] == "Li Lei"
    assert offer["script"] == "Good morning Li Lei, your plan is gold."
    assert {"type": "call.answered", "call_uid": offer["call_uid"]} in offers
    call = Call.objects.get(uid=offer["call_uid"])
    assert (call.direction, call.status, call.agent_id, call.campaign_id) == (
        "outbound",
        "talking",
        person,
        campaign.pk,
    )
    event = CallEvent.objects.get(call=call, kind="campaign_dial")
    assert event.data["campaign_id"] == campaign.pk and event.data["contact_id"] == contact.pk

    controller.handle_message({"type": "call.hangup", "agent_id": person, "call_uid": call.uid})
    clock.advance(1)
    attempt = DialAttempt.objects.get(contact=contact)
    assert (attempt.outcome, attempt.call_id, attempt.agent_id) == ("answered", call.pk, person)


def test_the_monitor_gets_campaign_stats_once_per_tick(tenant):
    campaign = make_campaign()
    for _ in range(3):
        make_contact(campaign)
    clock, driver, store, controller = engine(tenant, ringing_forever())
    ready_agent(tenant, controller, driver, campaign)
    run_campaign(controller, store, clock, campaign)
    clock.advance(5.5)
    stats = [message for topic, message in store.published if message["type"] == "campaign.stats"]
    assert len(stats) == 6  # ticks at 0, 1, … 5 s
    assert all(topic == "wallboard" for topic, message in store.published if message["type"] == "campaign.stats")
    last = stats[-1]
    assert last["campaign_id"] == campaign.pk and last["mode"] == "progressive"
    assert last["lines_in_flight"] == 1 and last["agents"]["ready"] == 1
    assert last["contacts"]["remaining"] == 3


def test_start_pause_resume_and_stop_are_picked_up_from_the_database(tenant):
    campaign = make_campaign()
    for _ in range(4):
        make_contact(campaign)
    tenant_engine = runner.TenantEngine(tenant.tenant, layer=None)
    clock, driver, store, controller = engine(tenant, ringing_forever())
    tenant_engine.clock, tenant_engine.driver, tenant_engine.store = clock, driver, store
    tenant_engine.controller = controller
    tenant_engine.contact_source = DbContactSource(clock.wall)
    ready_agent(tenant, controller, driver, campaign)

    tenant_engine._apply_campaigns(load_campaigns())
    runtime = controller.campaigns[campaign.pk]
    assert runtime.state == RUNNING
    clock.advance(2.5)
    assert len(runtime.lines) == 1

    campaign_pause(campaign=campaign)
    tenant_engine._apply_campaigns(load_campaigns())
    assert runtime.state == PAUSED
    clock.advance(30)  # the line in flight rings out; nothing new is dialled
    assert not runtime.lines
    assert not Contact.objects.filter(campaign=campaign, status=ContactStatus.DIALING).exists()  # prefetch given back

    campaign_resume(campaign=campaign)
    tenant_engine._apply_campaigns(load_campaigns())
    assert runtime.state == RUNNING
    clock.advance(2.5)
    assert len(runtime.lines) == 1

    campaign_stop(campaign=campaign)
    tenant_engine._apply_campaigns(load_campaigns())
    assert campaign.pk not in controller.campaigns
    clock.advance(30)
    # Two dials; the contacts prefetched and handed back on pause and stop stay recorded as such.
    assert DialAttempt.objects.filter(campaign=campaign).exclude(outcome="returned").count() == 2
    assert DialAttempt.objects.filter(campaign=campaign, outcome="returned").exists()


def test_after_a_crash_nobody_is_redialled_before_the_retry_gap(tenant):
    campaign = make_campaign(dial_mode="power", power_ratio=2)
    retry_rules_set(campaign=campaign, rules=[{"outcome": "failed", "min_gap_minutes": 30, "max_attempts": 3}])
    contacts = [make_contact(campaign) for _ in range(5)]
    clock, driver, store, controller = engine(tenant, ringing_forever())
    ready_agent(tenant, controller, driver, campaign)
    run_campaign(controller, store, clock, campaign)
    clock.advance(3.5)
    dialled = {call.contact_id for call in controller.calls.values() if call.campaign_id == campaign.pk}
    assert len(dialled) == 2
    open_attempts = set(DialAttempt.objects.filter(campaign=campaign, outcome="").values_list("contact_id", flat=True))
    assert dialled <= open_attempts  # (prefetched contacts are open attempts too)

    # The engine process dies here, mid-ring. A new one starts and recovers first.
    runner._recover(tenant.tenant)

    assert not DialAttempt.objects.filter(campaign=campaign, outcome="").exists()
    assert Call.objects.filter(uid__in=[c.uid for c in controller.calls.values()], status="ended").count() == 2
    restarted = DbContactSource(clock_at(T0))
    fresh = {target.contact_id for target in restarted.take(campaign.pk, 10, 60.0)}
    assert fresh.isdisjoint(open_attempts)  # nobody dialled or prefetched comes back early
    assert fresh == {contact.pk for contact in contacts} - open_attempts
    later = {target.contact_id for target in restarted.take(campaign.pk, 10, 30 * 60.0 + 5)}
    assert later == open_attempts
    for contact_id in open_attempts:
        assert Contact.objects.get(pk=contact_id).attempts == 2  # the lost attempt counted


def test_recover_at_start_leaves_other_tenants_alone(tenant, globex):
    campaign = make_campaign()
    make_contact(campaign)
    DbContactSource(clock_at(T0)).take(campaign.pk, 1, 0.0)
    runner._recover(globex.tenant)
    assert DialAttempt.objects.filter(campaign=campaign, outcome="").count() == 1
    runner._recover(tenant.tenant)
    assert DialAttempt.objects.filter(campaign=campaign, outcome="").count() == 0
    assert Contact.objects.get(campaign=campaign).next_attempt_at > T0 + timedelta(minutes=1)


@pytest.mark.parametrize("record_calls", [True, False])
def test_the_campaigns_record_flag_decides_whether_its_calls_are_recorded(tenant, record_calls):
    from apps.telephony.models import Recording

    campaign = make_campaign(record_calls=record_calls)
    make_contact(campaign, name="Han Meimei")
    clock, driver, store, controller = engine(
        tenant, OutboundBehaviour(answer_rate=1.0, machine_rate=0.0, busy_rate=0.0, ring=(4, 4))
    )
    store.record_all = True  # the demo engine records every call
    ready_agent(tenant, controller, driver, campaign)
    run_campaign(controller, store, clock, campaign)
    clock.advance(60)

    call = Call.objects.get(campaign=campaign)
    assert call.talk_seconds and call.talk_seconds > 0
    assert Recording.objects.filter(call=call).exists() is record_calls


def test_a_ringing_campaign_call_is_stored_as_dialing(tenant):
    campaign = make_campaign()
    make_contact(campaign, name="Lin Tao")
    clock, driver, store, controller = engine(tenant, ringing_forever())
    ready_agent(tenant, controller, driver, campaign)
    run_campaign(controller, store, clock, campaign)
    clock.advance(3)

    call = Call.objects.get(campaign=campaign)
    assert (call.direction, call.status, call.answered_at) == ("outbound", "dialing", None)
