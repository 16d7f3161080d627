"""The campaign figures agree with each other and with the database (issue 12, item 3).

A predictive campaign runs on the engine with the database store, in virtual time, with pauses
that hand prefetched contacts back. The monitor's snapshot is sampled all along: what must only
grow never goes down (dials, live answers, abandons, attempted contacts, the dial-attempt rows
themselves), attempts are never fewer than attempted contacts, live answers never fewer than calls
talking now. At the end every figure equals a count made directly on the DialAttempt and Contact
rows, and the engine's own ``campaign.stats`` counters agree with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.db.models import Count
from django_tenants.utils import tenant_context

from apps.telephony import agent_states
from apps.telephony.dialer.campaign import PAUSED, RUNNING
from apps.telephony.engine import runner
from apps.telephony.engine.campaigns import load_campaigns
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, load_tenant_config
from apps.telephony.engine.dbstore import DbStore
from apps.telephony.engine.drivers.sim import Duration, OutboundBehaviour, SimDriver, VirtualAgentBehaviour
from apps.telephony.models import Campaign, Contact, DialAttempt
from apps.telephony.selectors.campaigns.dialing import DIALLED_OUTCOMES, LIVE_OUTCOMES
from apps.telephony.selectors.campaigns.monitor import FIGURES, campaign_monitor_snapshot
from apps.telephony.services.campaigns.lifecycle import campaign_pause, campaign_resume
from apps.telephony.services.campaigns.source import DbContactSource
from tests.telephony.agent_helpers import make_agent
from tests.telephony.campaign_factories import T0, make_campaign, make_contact
from tests.telephony.harness import make_controller

#: Figures that only ever grow within a day.
GROWING = ("dials_today", "live_answers_today", "abandoned_today", "live_answers_window", "abandoned_window")


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


def start_engine(world, campaign: Campaign, agents: int) -> tuple[VirtualClock, DbStore, runner.TenantEngine]:
    """run_engine's pieces for the tenant on a virtual clock at T0, with virtual agents that talk
    20 s; campaigns are picked up from the database as the runner does."""
    clock = VirtualClock(epoch=T0)
    driver = SimDriver(clock, seed=11, emit_ringing=False)
    driver.outbound = OutboundBehaviour(
        answer_rate=0.45, machine_rate=0.15, busy_rate=0.15, failed_rate=0.05, ring=(2.0, 8.0)
    )
    store = DbStore(world.tenant, clock)
    config = load_tenant_config(world.tenant)
    controller = make_controller(clock=clock, driver=driver, store=store, queues=config.queues.values())
    skills = dict(controller.queues[campaign.queue_id].required)
    for number in range(agents):
        agent = make_agent(world, state=agent_states.READY).agent
        driver.set_virtual_agent(agent.pk, VirtualAgentBehaviour(talk=Duration(20, "fixed")))
        controller.set_agent(
            AgentSettings(
                agent_id=agent.pk, name=f"Agent {number}", skills=skills, is_virtual=True, state=agent_states.READY
            )
        )
    engine = runner.TenantEngine(world.tenant, layer=None)
    engine.clock, engine.driver, engine.store, engine.controller = clock, driver, store, controller
    engine.contact_source = DbContactSource(clock.wall)
    engine._apply_campaigns(load_campaigns())
    return clock, store, engine


def at(clock: VirtualClock) -> datetime:
    return clock.wall(clock.now())


def rows(campaign: Campaign) -> dict[str, int]:
    """The figures counted straight from the rows, by their definitions in FIGURES."""
    attempts = DialAttempt.objects.filter(campaign=campaign)
    dialled = attempts.filter(outcome__in=DIALLED_OUTCOMES)
    return {
        "rows": attempts.count(),
        "dials": dialled.count(),
        "live": dialled.filter(outcome__in=LIVE_OUTCOMES).count(),
        "abandoned": dialled.filter(outcome="abandoned").count(),
        "returned": attempts.filter(outcome="returned").count(),
        "attempted": Contact.objects.filter(campaign=campaign, dial_attempts__outcome__in=DIALLED_OUTCOMES)
        .distinct()
        .count(),
    }


def check_sample(sample: dict[str, Any], previous: dict[str, Any] | None) -> None:
    contacts = sample["contacts"]
    assert sample["dials_today"] >= contacts["attempted"], "attempts fewer than attempted contacts"
    assert sample["live_answers_today"] >= sample["connected"], "live answers fewer than calls talking now"
    assert sample["live_answers_today"] >= sample["abandoned_today"]
    if previous is None:
        return
    for key in GROWING:
        assert sample[key] >= previous[key], f"{key} went down: {previous[key]} → {sample[key]}"
    for key in ("attempted", "finished"):
        assert contacts[key] >= previous["contacts"][key], f"contacts.{key} went down"


def test_the_monitors_figures_agree_during_and_after_a_run(tenant):
    campaign = make_campaign(dial_mode="predictive", name="Figures")
    for _ in range(60):
        make_contact(campaign)
    clock, store, engine = start_engine(tenant, campaign, agents=3)
    runtime = engine.controller.campaigns[campaign.pk]
    assert runtime.state == RUNNING

    previous: dict[str, Any] | None = None
    row_count = 0
    stats_dials: list[int] = []
    pauses = {150: campaign_pause, 200: campaign_resume, 330: campaign_pause, 360: campaign_resume}
    for second in range(1, 481):
        clock.advance(1)
        if second in pauses:
            pauses[second](campaign=campaign)
            engine._apply_campaigns(load_campaigns())
        counted = DialAttempt.objects.filter(campaign=campaign).count()
        assert counted >= row_count, "a dial attempt was deleted"
        row_count = counted
        if second % 3 == 0:
            sample = campaign_monitor_snapshot(campaign, now=at(clock))
            check_sample(sample, previous)
            previous = sample
    stats = [message for _topic, message in store.published if message["type"] == "campaign.stats"]
    stats_dials = [message["dials"] for message in stats]
    assert stats_dials == sorted(stats_dials), "the engine's dials went down"
    attempted = [message["contacts"]["attempted"] for message in stats if message["contacts"]["attempted"] is not None]
    assert attempted == sorted(attempted), "the engine's attempted contacts went down"

    # Everything settles: no new dial, the calls in progress end.
    campaign_pause(campaign=campaign)
    engine._apply_campaigns(load_campaigns())
    assert runtime.state == PAUSED
    clock.advance(120)
    assert not DialAttempt.objects.filter(campaign=campaign, outcome="").exists()

    final = campaign_monitor_snapshot(campaign, now=at(clock))
    check_sample(final, previous)
    counted = rows(campaign)
    assert counted["returned"] > 0, "the run should have handed prefetched contacts back"
    assert counted["rows"] == counted["dials"] + counted["returned"]
    assert (final["dials_today"], final["live_answers_today"], final["abandoned_today"]) == (
        counted["dials"],
        counted["live"],
        counted["abandoned"],
    )
    assert (final["live_answers_window"], final["abandoned_window"]) == (counted["live"], counted["abandoned"])
    assert final["contacts"]["attempted"] == counted["attempted"]
    assert final["connected"] == final["lines_in_flight"] == final["live_answers_now"] == 0
    # The engine counted the same events as the database (one engine process, from zero).
    last = runtime.monitor(clock.now())
    assert (last["dials"], last["live_answers"], last["abandoned"]) == (
        counted["dials"],
        counted["live"],
        counted["abandoned"],
    )
    # The contact's attempt counter counts the dialled attempts only, never a hand-back.
    by_contact = dict(
        DialAttempt.objects.filter(campaign=campaign, outcome__in=DIALLED_OUTCOMES)
        .values_list("contact")
        .annotate(n=Count("id"))
        .order_by()
    )
    for contact_id, attempts in Contact.objects.filter(campaign=campaign).values_list("pk", "attempts"):
        assert attempts == by_contact.get(contact_id, 0)


def test_every_figure_has_a_label_and_a_definition(tenant):
    snapshot = campaign_monitor_snapshot(make_campaign(), now=T0)
    for key, (label, definition) in FIGURES.items():
        if key == "dial_attempts":  # the campaign page's total
            continue
        head, _, tail = key.partition(".")
        assert tail in snapshot[head] if tail else head in snapshot
        assert str(label) and len(str(definition)) > len(str(label))
