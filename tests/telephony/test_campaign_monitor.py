"""The campaign monitor: its figures from constructed dial attempts, agents and calls are exact, and
its page shows them to supervisors and administrators only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.models import Call, CallEvent, Campaign, DialAttempt, QueueSkill
from apps.telephony.selectors.campaigns.monitor import campaign_monitor_snapshot
from tests.accounts.helpers import web_login
from tests.factories import AgentSkillFactory, CallFactory, SkillFactory
from tests.telephony.agent_helpers import make_agent
from tests.telephony.campaign_factories import make_campaign, make_contact

# 10:00 in Shanghai (the tenant's zone): "today" began at 2026-03-01 16:00 UTC.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def attempts(campaign: Campaign, started_at: datetime, *outcomes: str) -> None:
    for outcome in outcomes:
        contact = make_contact(campaign)
        DialAttempt.objects.create(
            campaign=campaign,
            contact=contact,
            attempt_no=1,
            number=contact.phone,
            started_at=started_at,
            outcome=outcome,
            ended_at=started_at + timedelta(seconds=30) if outcome else None,
        )


def campaign_call(campaign: Campaign, *, status: str, agent=None) -> Call:
    call = CallFactory(
        direction="outbound", caller="4001234567", callee="+8613800000000", arrived_at=NOW, status=status, agent=agent
    )
    CallEvent.objects.create(
        call=call, kind="campaign_dial", at=NOW, data={"campaign_id": campaign.pk, "contact_id": 1}
    )
    return call


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


@pytest.fixture
def campaign(tenant) -> Campaign:
    return make_campaign(name="Monitor me")


def test_dials_live_answers_and_abandon_rates_are_counted_from_the_attempts(campaign):
    other = make_campaign(name="Someone else's")
    attempts(campaign, NOW - timedelta(minutes=2), "answered", "abandoned", "busy")
    attempts(campaign, NOW - timedelta(hours=1), "answered", "answered", "answered", "no_answer", "machine", "")
    attempts(campaign, NOW - timedelta(hours=20), "answered")  # yesterday, local time
    attempts(campaign, NOW - timedelta(days=10), "answered", "answered", "abandoned", "abandoned")
    attempts(campaign, NOW - timedelta(days=40), "abandoned", "abandoned", "abandoned", "abandoned", "abandoned")
    attempts(campaign, NOW + timedelta(minutes=1), "abandoned")  # after the moment asked about
    attempts(other, NOW - timedelta(minutes=1), "answered", "abandoned", "abandoned")

    snapshot = campaign_monitor_snapshot(campaign, now=NOW)

    assert snapshot["dials_per_minute"] == 0.6  # 3 in the last 5 minutes
    assert snapshot["dials_today"] == 8  # the attempt still open counts when it ends
    assert (snapshot["live_answers_today"], snapshot["abandoned_today"]) == (5, 1)
    assert snapshot["abandon_rate_today"] == 0.2  # abandoned ÷ live answers
    assert (snapshot["live_answers_window"], snapshot["abandoned_window"]) == (10, 3)
    assert snapshot["abandon_rate_window"] == 0.3
    assert snapshot["abandon_window_days"] == 30
    assert snapshot["max_abandon_rate"] == 0.03


def test_the_window_follows_the_campaigns_setting(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(abandon_window_days=7)
    campaign.refresh_from_db()
    attempts(campaign, NOW - timedelta(days=3), "answered", "abandoned")
    attempts(campaign, NOW - timedelta(days=10), "abandoned")

    snapshot = campaign_monitor_snapshot(campaign, now=NOW)

    assert (snapshot["live_answers_window"], snapshot["abandoned_window"], snapshot["abandon_rate_window"]) == (
        2,
        1,
        0.5,
    )


def test_no_live_answer_means_no_rate(campaign):
    attempts(campaign, NOW - timedelta(minutes=1), "busy", "no_answer")

    snapshot = campaign_monitor_snapshot(campaign, now=NOW)

    assert snapshot["abandon_rate_today"] is None
    assert snapshot["abandon_rate_window"] is None
    assert snapshot["dials_per_minute"] == 0.4


def test_agents_by_state_count_only_those_with_the_queues_skills(tenant, campaign):
    skill = SkillFactory(code="general")  # the tenant's default skill
    QueueSkill.objects.filter(queue=campaign.queue, skill=skill).update(min_level=3)
    qualified = {}
    for state in ("ready", "ready", "talking", "wrap_up", "not_ready", "offline"):
        agent = make_agent(tenant, state=state, reason="break" if state == "not_ready" else None, seat=False).agent
        AgentSkillFactory(agent=agent, skill=skill, level=5)
        qualified[agent.pk] = state
    too_junior = make_agent(tenant, state="talking", seat=False).agent
    AgentSkillFactory(agent=too_junior, skill=skill, level=2)
    make_agent(tenant, state="ready", seat=False)  # no skill at all

    snapshot = campaign_monitor_snapshot(campaign, now=NOW)

    assert snapshot["agent_states"] == {str(pk): state for pk, state in qualified.items()}
    agents = snapshot["agents"]
    assert (agents["ready"], agents["talking"], agents["wrap_up"], agents["not_ready"], agents["offline"]) == (
        2,
        1,
        1,
        1,
        1,
    )
    assert agents["reserved"] == agents["hold"] == 0
    assert snapshot["agents_at_work"] == 4


def test_lines_in_flight_and_dial_level_come_from_the_campaigns_calls(tenant, campaign):
    skill = SkillFactory(code="general")
    talking = make_agent(tenant, state="talking", seat=False).agent
    for agent in (talking, *(make_agent(tenant, state="ready", seat=False).agent for _ in range(3))):
        AgentSkillFactory(agent=agent, skill=skill, level=5)
    for _ in range(3):
        campaign_call(campaign, status="ivr")  # ringing, nobody on our side yet
    campaign_call(campaign, status="talking", agent=talking)
    campaign_call(campaign, status="ended")
    campaign_call(make_campaign(name="Other"), status="ivr")
    CallFactory(arrived_at=NOW, status="queued")  # inbound

    snapshot = campaign_monitor_snapshot(campaign, now=NOW)

    assert (snapshot["lines_in_flight"], snapshot["connected"]) == (3, 1)
    assert snapshot["dial_level"] == 0.75  # 3 lines ÷ 4 agents at work


def test_no_agent_at_work_means_dial_level_zero(campaign):
    campaign_call(campaign, status="ivr")

    assert campaign_monitor_snapshot(campaign, now=NOW)["dial_level"] == 0.0


def test_contacts_remaining_attempted_and_finished(campaign):
    def dialled(contact, *outcomes: str) -> None:
        for number, outcome in enumerate(outcomes, start=1):
            DialAttempt.objects.create(
                campaign=campaign,
                contact=contact,
                attempt_no=number,
                number=contact.phone,
                started_at=NOW,
                outcome=outcome,
            )

    make_contact(campaign, status="new")
    dialled(make_contact(campaign, status="new"), "returned")  # handed back undialled: not attempted
    dialled(make_contact(campaign, status="retry", attempts=1), "busy")
    dialled(make_contact(campaign, status="dialing", attempts=2), "no_answer", "")
    dialled(make_contact(campaign, status="done", attempts=1), "answered")
    make_contact(campaign, status="dnc")

    contacts = campaign_monitor_snapshot(campaign, now=NOW)["contacts"]

    assert contacts == {"remaining": 4, "attempted": 3, "finished": 2}


# --- the page -------------------------------------------------------------------------------------------------


def test_the_monitor_page_shows_the_snapshot_and_listens_to_the_wallboard(acme):
    with tenant_context(acme.tenant):
        campaign = make_campaign(name="Live one")
        attempts(campaign, campaign.created_at, "answered", "abandoned")
    client = web_login(acme, acme.admin_email)

    response = client.get(f"/console/campaigns/{campaign.pk}/monitor/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-figure="live_answers_window">2<' in page
    assert 'data-figure="abandon_rate_window" data-format="percent">50.00%<' in page
    assert 'id="monitor-snapshot"' in page
    assert '"ws": "/ws/wallboard/"' in page
    assert "js/campaign_monitor.js" in page
    assert f'hx-get="/console/campaigns/{campaign.pk}/monitor/figures/"' in page


def test_the_polled_figures_are_the_same_partial(acme):
    with tenant_context(acme.tenant):
        campaign = make_campaign(name="Polled")
    client = web_login(acme, acme.admin_email)

    partial = client.get(f"/console/campaigns/{campaign.pk}/monitor/figures/").content.decode()

    assert "<html" not in partial
    assert 'data-figure="dials_per_minute">0.0<' in partial
    assert 'id="monitor-snapshot"' in partial


def test_the_monitor_is_for_supervisors_and_administrators_of_the_tenant(acme, globex):
    with tenant_context(acme.tenant):
        campaign = make_campaign(name="Guarded")
    acme.user(Role.SUPERVISOR, email="sup-monitor@acme.test")
    acme.user(Role.AGENT, Role.QA, email="agent-monitor@acme.test")
    url = f"/console/campaigns/{campaign.pk}/monitor/"

    assert web_login(acme, "sup-monitor@acme.test").get(url).status_code == 200
    assert web_login(acme, "agent-monitor@acme.test").get(url).status_code == 403
    assert web_login(acme, "agent-monitor@acme.test").get(url + "figures/").status_code == 403
    assert web_login(globex, globex.admin_email).get(url).status_code == 404


def test_the_engines_campaign_stats_carry_what_the_monitor_page_reads():
    """static/js/campaign_monitor.js adds these counters to the database figures: the engine's
    payload (dialer/campaign.py ``monitor``) must keep them, with these meanings."""
    from apps.telephony.engine.simulation.campaigns import CampaignSimulationOptions, run_campaign_simulation

    result = run_campaign_simulation(
        CampaignSimulationOptions(
            mode="progressive", agents=2, contacts=40, answer_rate=0.5, machine_rate=0.1, aht_seconds=60, hours=0.1
        )
    )
    stats = result.runtime.monitor(result.clock.now())

    assert isinstance(stats["campaign_id"], int) and stats["status"] in ("running", "paused", "stopped", "finished")
    outcomes = result.runtime.stats.outcomes
    assert stats["dials"] == sum(n for outcome, n in outcomes.items() if outcome != "blocked") > 0
    assert stats["live_answers"] == result.runtime.stats.answered + stats["abandoned"]
    assert isinstance(stats["lines_in_flight"], int) and isinstance(stats["dial_level"], float | int)
    assert set(stats["contacts"]) == {"remaining", "attempted", "finished"}
    assert isinstance(stats["warming_up"], bool)
