"""generate_history: a tenant's past made by the real engine on the virtual clock (issue 13 item 1).

The service (``history_generate``) takes a ``today`` so that the two generated days are known
working days (the test tenant's IVR is open Monday to Friday 9–18); the command always uses
the real today and is tested for its contract (arguments, ``--json``, errors).
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.crm.models import Article, Department, TicketCategory
from apps.qa.models import Scorecard
from apps.telephony import kpis
from apps.telephony.ivr_demo import DEMO_FLOW_NAME
from apps.telephony.models import (
    Agent,
    AgentSkill,
    AgentStateEvent,
    Call,
    CallbackRequest,
    CallEvent,
    PhoneNumber,
    Queue,
    QueueSkill,
    Skill,
    Voicemail,
)
from apps.telephony.services.demo import demo_traffic_setup
from apps.telephony.services.history import UID_PREFIX, demo_history_ensure, history_generate
from apps.telephony.signals import history_written
from apps.tenants.management.commands import ensure_demo
from apps.tenants.management.commands.ensure_demo import history_wanted
from apps.tenants.models import PoolNumber, Tenant
from tests.telephony.campaign_factories import make_campaign

pytestmark = pytest.mark.django_db(transaction=False)

THURSDAY = date(2026, 12, 3)  # "today" for the service: Tuesday 1 and Wednesday 2 December are generated
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _generate(world, *, days=2, calls_per_day=300, agents=5, seed=3, today=THURSDAY):
    return history_generate(
        tenant=world.tenant, days=days, calls_per_day=calls_per_day, agents=agents, seed=seed, today=today
    )


def _command(world, *args: str) -> str:
    out = StringIO()
    call_command("generate_history", "--tenant", world.tenant.slug, *args, stdout=out)
    return out.getvalue()


def _generated_calls():
    return Call.objects.filter(uid__startswith=UID_PREFIX)


def _figures() -> dict:
    calls = _generated_calls()
    return {
        "calls": calls.count(),
        "by_end": dict(Counter(calls.values_list("end_reason", flat=True))),
        "talk": round(calls.aggregate(total=Sum("talk_seconds"))["total"] or 0, 3),
        "waits": sorted(round(w, 3) for w in calls.exclude(wait_seconds=None).values_list("wait_seconds", flat=True)),
        "agents": dict(Counter(calls.values_list("agent_id", flat=True))),
        "states": AgentStateEvent.objects.filter(is_generated=True).count(),
        "events": CallEvent.objects.filter(call__in=calls).count(),
    }


@pytest.fixture
def two_queues(acme):
    """A second queue (a transfer target) and a callback offer on "general", for the extra paths."""
    with tenant_context(acme.tenant):
        general = Queue.objects.get(code="general")
        general.callback_offer = True
        general.callback_offer_after_seconds = 20
        general.save(update_fields=["callback_offer", "callback_offer_after_seconds"])
        skill = Skill.objects.create(code="h1-billing", name="Billing")
        billing = Queue.objects.create(code="h1-billing", name="Billing", wrapup_seconds=20)
        QueueSkill.objects.create(queue=billing, skill=skill, min_level=1)
    return acme


def test_calls_only_in_the_asked_days_in_the_tenant_zone_on_a_daily_curve(acme):
    result = _generate(acme, calls_per_day=400)
    since = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    until = datetime(2026, 12, 3, tzinfo=SHANGHAI)
    assert (result.since, result.until, result.days) == (since, until, 2)
    with tenant_context(acme.tenant):
        calls = list(_generated_calls().values_list("arrived_at", "is_simulated"))
        assert len(calls) == result.calls > 500  # ~400 a day
        assert all(since <= arrived < until and simulated for arrived, simulated in calls)
        hours = Counter(arrived.astimezone(SHANGHAI).hour for arrived, _simulated in calls)
        peak = sum(hours[h] for h in (9, 10, 11, 14, 15, 16))
        night = sum(hours[h] for h in (0, 1, 2, 3, 4, 5))
        assert peak > 10 * max(1, night)
        assert sum(hours[h] for h in (9, 10, 11)) > 3 * sum(hours[h] for h in (6, 7))
        # Live rows are untouched: nothing outside the prefix was written.
        assert Call.objects.exclude(uid__startswith=UID_PREFIX).count() == 0


def test_agents_are_real_rows_and_generated_ones_are_recognisable(acme):
    with tenant_context(acme.tenant):
        existing = Agent.objects.create(user=User.objects.get(email=acme.admin_email), is_virtual=False)
        AgentSkill.objects.create(agent=existing, skill=Skill.objects.get(code="general"), level=5)
    result = _generate(acme, agents=4)
    assert (result.agents, result.agents_created) == (4, 3)
    with tenant_context(acme.tenant):
        agent_ids = set(Agent.objects.values_list("pk", flat=True))
        served = set(_generated_calls().exclude(agent=None).values_list("agent_id", flat=True))
        assert served and served <= agent_ids
        assert existing.pk in served  # the tenant's own agent took calls
        states = set(AgentStateEvent.objects.filter(is_generated=True).values_list("agent_id", flat=True))
        assert states <= agent_ids and len(states) == 4
        generated = Agent.objects.exclude(pk=existing.pk)
        assert all(agent.user.email.endswith(".generated.invalid") and agent.is_virtual for agent in generated)
        assert not any(agent.user.has_usable_password() for agent in generated)
    # A second run reuses the generated agents.
    again = _generate(acme, agents=4)
    assert again.agents_created == 0


def test_agent_state_events_form_a_chain_per_agent(acme):
    _generate(acme, agents=5)
    with tenant_context(acme.tenant):
        events = list(
            AgentStateEvent.objects.filter(is_generated=True)
            .order_by("agent_id", "at", "id")
            .values("agent_id", "at", "from_state", "to_state", "seconds_in_previous", "reason__code", "call_id")
        )
    assert events
    by_agent: dict[int, list[dict]] = {}
    for event in events:
        by_agent.setdefault(event["agent_id"], []).append(event)
    reasons = Counter()
    for chain in by_agent.values():
        assert chain[0]["from_state"] == "offline"
        assert chain[-1]["to_state"] == "offline"
        for previous, event in zip(chain, chain[1:], strict=False):
            assert event["from_state"] == previous["to_state"]
            gap = (event["at"] - previous["at"]).total_seconds()
            assert event["seconds_in_previous"] == pytest.approx(gap, abs=1e-3)
            assert event["from_state"] != event["to_state"] or event["call_id"] is not None
        for event in chain:
            if event["to_state"] == "not_ready":
                assert event["reason__code"]
                reasons[event["reason__code"]] += 1
            if event["to_state"] in ("reserved", "talking", "hold", "wrap_up"):
                assert event["call_id"] is not None
    assert reasons["login"] >= len(by_agent)
    assert reasons["break"] and reasons["lunch"]


def test_call_flags_follow_the_kpi_rules(acme):
    _generate(acme, calls_per_day=500, agents=4)
    with tenant_context(acme.tenant):
        queues = {queue.pk: queue for queue in Queue.objects.all()}
        calls = list(_generated_calls())
        surveys = [call.survey_score for call in calls if call.survey_score is not None]
        resolved = [call for call in calls if call.disposition is not None and call.disposition.is_resolved]
    counts = Counter()
    for call in calls:
        assert call.status == "ended" and call.ended_at is not None and call.wrapup_ended_at is not None
        assert call.arrived_at <= call.ended_at <= call.wrapup_ended_at
        answered = call.answered_at is not None
        if call.queued_at is None:
            assert call.wait_seconds is None and call.answered_within_sl is None and not call.abandoned
            continue
        queue = queues[call.queue_id]
        end = call.answered_at or call.ended_at
        assert call.wait_seconds == pytest.approx((end - call.queued_at).total_seconds(), abs=1e-3)
        assert call.abandoned == (not answered and call.end_reason == "abandoned")
        assert call.short_abandon == (
            call.abandoned and kpis.is_short_abandon(call.wait_seconds, queue.short_abandon_seconds)
        )
        assert call.answered_within_sl == (
            answered and kpis.answered_within_sl(call.wait_seconds, queue.sl_threshold_seconds)
        )
        assert call.sl_threshold_seconds == queue.sl_threshold_seconds
        if answered:
            talk = (call.ended_at - call.answered_at).total_seconds() - call.hold_seconds
            assert call.talk_seconds == pytest.approx(max(0.0, talk), abs=1e-3)
            assert call.wrapup_seconds == pytest.approx(
                (call.wrapup_ended_at - call.ended_at).total_seconds(), abs=1e-3
            )
        counts["answered" if answered else call.end_reason] += 1
        counts["short"] += call.short_abandon
        counts["late"] += answered and not call.answered_within_sl
    assert counts["answered"] and counts["abandoned"] and counts["short"] and counts["late"]
    ends = Counter(call.end_reason for call in calls)
    assert ends["ivr_hangup"] and ends["voicemail"]  # callers who finished in the IVR, and messages
    assert surveys and set(surveys) <= {1, 2, 3, 4, 5}
    assert resolved  # some dispositions resolve the contact
    callers = Counter(call.caller for call in calls)
    assert 0 < sum(1 for n in callers.values() if n > 1) < len(callers)  # repeat callers, for FCR
    assert any(call.hold_seconds > 0 for call in calls)
    with tenant_context(acme.tenant):
        assert Voicemail.objects.filter(call__uid__startswith=UID_PREFIX).count() == ends["voicemail"]
        kinds = Counter(CallEvent.objects.filter(call__uid__startswith=UID_PREFIX).values_list("kind", flat=True))
    assert kinds["arrived"] == kinds["ended"] == len(calls)
    assert kinds["answered"] == counts["answered"]


def test_transfers_and_callbacks_go_through_the_engine(two_queues):
    _generate(two_queues, calls_per_day=500, agents=4, seed=5)
    with tenant_context(two_queues.tenant):
        transferred = CallEvent.objects.filter(call__uid__startswith=UID_PREFIX, kind="transferred")
        assert transferred.exists()
        call = transferred.first().call
        assert call.events.filter(kind="queued").count() == 2  # the second queue took it
        requests = CallbackRequest.objects.filter(call__uid__startswith=UID_PREFIX)
        assert requests.exists()
        assert all(request.call.end_reason == "callback" for request in requests)
        assert requests.exclude(callback_call=None).exists()  # some were called back


def test_the_same_seed_gives_the_same_history_and_a_rerun_replaces_it(acme):
    first = _generate(acme, seed=11)
    with tenant_context(acme.tenant):
        before = _figures()
    second = _generate(acme, seed=11)
    with tenant_context(acme.tenant):
        after = _figures()
    assert after == before  # replaced, not duplicated, and identical
    assert second.replaced_calls == first.calls
    assert (second.calls, second.agent_state_events) == (first.calls, first.agent_state_events)
    other = _generate(acme, seed=12)
    with tenant_context(acme.tenant):
        assert _figures() != before
        assert _generated_calls().count() == other.calls
        # No uid was written twice and no agent event survived from the earlier runs.
        assert _generated_calls().values("uid").annotate(n=Count("id")).filter(n__gt=1).count() == 0
        assert AgentStateEvent.objects.filter(is_generated=True).count() == other.agent_state_events


def test_an_overlapping_range_replaces_only_its_days(acme):
    _generate(acme, days=2, today=THURSDAY)
    with tenant_context(acme.tenant):
        tuesday = _generated_calls().filter(arrived_at__lt=datetime(2026, 12, 2, tzinfo=SHANGHAI)).count()
    _generate(acme, days=1, today=THURSDAY)  # Wednesday again
    with tenant_context(acme.tenant):
        assert _generated_calls().filter(arrived_at__lt=datetime(2026, 12, 2, tzinfo=SHANGHAI)).count() == tuesday
        wednesday = _generated_calls().filter(arrived_at__gte=datetime(2026, 12, 2, tzinfo=SHANGHAI))
        assert wednesday.values("uid").annotate(n=Count("id")).filter(n__gt=1).count() == 0
        assert len({uid.split("-")[1] for uid in wednesday.values_list("uid", flat=True)}) == 1


def test_the_signal_fires_after_the_write_with_the_range(acme):
    heard = []

    def receiver(sender, since, until, tenant, **kwargs):
        heard.append((sender, since, until, tenant.slug, Call.objects.filter(uid__startswith=UID_PREFIX).count()))

    history_written.connect(receiver)
    try:
        result = _generate(acme, days=1)
    finally:
        history_written.disconnect(receiver)
    assert heard == [(Call, result.since, result.until, "acme", result.calls)]


def test_json_output_and_the_real_today(acme):
    out = _command(acme, "--days", "1", "--calls-per-day", "60", "--agents", "2", "--seed", "1", "--json")
    data = json.loads(out)
    assert isinstance(data, dict) and out.strip().count("\n") == 0
    for key in ("calls", "agent_state_events", "days", "wall_seconds", "calls_per_minute", "since", "until"):
        assert key in data
    assert data["days"] == 1 and data["calls"] > 0 and data["wall_seconds"] > 0
    today = datetime.now(SHANGHAI).date()
    assert datetime.fromisoformat(data["until"]) == datetime(today.year, today.month, today.day, tzinfo=SHANGHAI)
    assert datetime.fromisoformat(data["since"]) == datetime.fromisoformat(data["until"]) - timedelta(days=1)
    table = _command(acme, "--days", "1", "--calls-per-day", "60", "--agents", "2", "--seed", "1")
    assert "calls/minute" in table and "replaced calls     " in table


def test_tenants_do_not_mix(acme, globex):
    _generate(acme, days=1)
    with tenant_context(globex.tenant):
        assert not _generated_calls().exists()
        assert not AgentStateEvent.objects.filter(is_generated=True).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nobody", "--days", "2", "--calls-per-day", "10", "--agents", "2", "--seed", "1"], "no tenant"),
        (["--days", "0", "--calls-per-day", "10", "--agents", "2", "--seed", "1"], "--days"),
        (["--days", "-3", "--calls-per-day", "10", "--agents", "2", "--seed", "1"], "--days"),
        (["--days", "2", "--calls-per-day", "0", "--agents", "2", "--seed", "1"], "--calls-per-day"),
        (["--days", "2", "--calls-per-day", "10", "--agents", "-1", "--seed", "1"], "--agents"),
        (["--days", "2", "--calls-per-day", "10", "--agents", "two", "--seed", "1"], "--agents"),
        (["--days", "400", "--calls-per-day", "10", "--agents", "2", "--seed", "1"], "--days"),
        (["--days", "2", "--calls-per-day", "10", "--agents", "2", "--seed", "x"], "--seed"),
        (["--days", "300", "--calls-per-day", "5000", "--agents", "2", "--seed", "1"], "--calls-per-day: Days ×"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_written(acme, args, message):
    with tenant_context(acme.tenant):
        users, agents = User.objects.count(), Agent.objects.count()
    if args[0] != "--tenant":
        args = ["--tenant", acme.tenant.slug, *args]
    with pytest.raises(CommandError, match=message):
        call_command("generate_history", *args, "--json", stdout=StringIO())
    with tenant_context(acme.tenant):
        assert not _generated_calls().exists()
        assert not AgentStateEvent.objects.filter(is_generated=True).exists()
        assert (User.objects.count(), Agent.objects.count()) == (users, agents)


def test_keyword_arguments_are_checked_too(acme):
    with pytest.raises(CommandError, match="--days"):
        call_command(
            "generate_history", tenant=acme.tenant.slug, days=0, calls_per_day=5, agents=1, seed=1, stdout=StringIO()
        )
    with tenant_context(acme.tenant):
        assert not _generated_calls().exists()


def test_campaign_calls_are_dialled_through_the_tenant_campaign(acme):
    with tenant_context(acme.tenant):
        campaign = make_campaign(running=False)
    _generate(acme, calls_per_day=300, agents=4)
    with tenant_context(acme.tenant):
        dialled = _generated_calls().filter(campaign=campaign)
        assert dialled.exists()
        assert set(dialled.values_list("direction", flat=True)) == {"outbound"}
        assert dialled.filter(answered_at__isnull=False).exists()  # live answers talked to an agent
        hours = {arrived.astimezone(SHANGHAI).hour for arrived in dialled.values_list("arrived_at", flat=True)}
        assert hours <= {10, 11}  # the morning window of the first campaign
        assert not _generated_calls().filter(direction="inbound", campaign__isnull=False).exists()


def test_the_demo_history_is_generated_once(acme):
    first = demo_history_ensure(acme.tenant, days=1, calls_per_day=40)
    assert first is not None and first.calls > 0
    with tenant_context(acme.tenant):
        before = _figures()
    assert demo_history_ensure(acme.tenant, days=1, calls_per_day=40) is None  # the history is the marker
    with tenant_context(acme.tenant):
        assert _figures() == before


def test_ensure_demo_generates_history_only_when_asked_under_the_test_settings():
    assert history_wanted(None) is False  # tests never pay for a month of calls by accident
    assert history_wanted(True) is True
    assert history_wanted(False) is False


def test_a_failing_receiver_is_logged_and_the_history_stays(acme, caplog):
    def broken(sender, **kwargs):
        raise RuntimeError("rollups are down")

    history_written.connect(broken)
    try:
        result = _generate(acme, days=1, calls_per_day=50)
    finally:
        history_written.disconnect(broken)
    assert "rollups are down" in caplog.text
    with tenant_context(acme.tenant):
        assert _generated_calls().count() == result.calls > 0


def test_the_demo_configuration_gives_a_plausible_contact_center(acme):
    """The demo's queues (24/7 IVR, callback offers, three queues), agents and draft campaign:
    the figures a supervisor sees must look like a center that works, not a broken one."""
    demo_traffic_setup(acme.tenant)
    result = demo_history_ensure(acme.tenant, days=3)
    assert result is not None
    with tenant_context(acme.tenant):
        calls = _generated_calls()
        offered = calls.filter(queued_at__isnull=False, campaign__isnull=True)
        answered = offered.filter(answered_at__isnull=False).count()
        abandoned = offered.filter(abandoned=True, short_abandon=False).count()
        within = offered.filter(answered_within_sl=True).count()
        assert 0.005 < abandoned / offered.count() < 0.12
        assert within / answered > 0.7
        assert calls.filter(campaign__isnull=False, answered_at__isnull=False).exists()
        assert CallbackRequest.objects.filter(call__uid__startswith=UID_PREFIX).exists()
        assert calls.filter(ivr_version__isnull=False, end_reason="ivr_hangup").exists()
        served = set(calls.exclude(agent=None).values_list("agent__user__email", flat=True))
        assert {f"vagent0{n}@demo.local" for n in range(1, 9)} <= served  # the demo's own agents


def test_the_range_is_the_tenants_own_days(acme):
    acme.tenant.time_zone = "America/New_York"  # in memory: the service reads the tenant it is given
    result = _generate(acme, days=1, calls_per_day=60)
    new_york = ZoneInfo("America/New_York")
    assert (result.since, result.until) == (
        datetime(2026, 12, 2, tzinfo=new_york),
        datetime(2026, 12, 3, tzinfo=new_york),
    )
    with tenant_context(acme.tenant):
        arrivals = list(_generated_calls().values_list("arrived_at", flat=True))
    assert arrivals and all(result.since <= at < result.until for at in arrivals)
    assert min(arrivals) >= datetime(2026, 12, 2, 5, tzinfo=ZoneInfo("UTC"))  # New York's midnight, not Shanghai's


def test_ensure_demo_gives_the_demo_tenant_its_past_once(monkeypatch):
    """The ``make run`` path end to end (one day instead of thirty, to stay quick)."""
    monkeypatch.setattr(
        ensure_demo, "demo_history_ensure", functools.partial(demo_history_ensure, days=1, calls_per_day=80)
    )

    def run(*args: str) -> tuple[str, int]:
        out = StringIO()
        call_command("ensure_demo", *args, stdout=out)
        with tenant_context(Tenant.objects.get(slug="demo")):
            return out.getvalue(), _generated_calls().count()

    output, calls = run()  # the test settings: no history unless asked
    assert "demo history" not in output and calls == 0
    output, calls = run("--history")
    assert "demo history:" in output and calls > 0
    again, calls_again = run("--history")  # the history is the marker: not twice
    assert "demo history" not in again and calls_again == calls
    # The departments' demo data comes with it: the team and its ticket department, the ticket
    # categories, the knowledge base, the QA analyst and lead with the history's calls sampled.
    with tenant_context(Tenant.objects.get(slug="demo")):
        team = Team.objects.get(name=ensure_demo.DEMO_TEAM)
        assert team.supervisors.filter(email="supervisor@demo.local").exists()
        assert team.members.filter(email="agent@demo.local").exists()
        assert Department.objects.filter(team=team).exists()
        assert TicketCategory.objects.exists() and Article.objects.exists()
        assert User.objects.filter(email="qa@demo.local", roles__contains=[Role.QA]).exists()
        # One day of history is no finished week to sample (tests/qa/test_sampling_demo.py samples 30).
        assert Scorecard.objects.filter(is_current=True).exists()
        # The self-service order lookup answers on a second number of the pool (taken once); the
        # main number keeps its menu; voicemails and callback requests are there to play and follow.
        routed = PhoneNumber.objects.filter(ivr_flow__name=DEMO_FLOW_NAME)
        assert routed.count() == 1 and routed.get().sim_arrivals_per_hour > 0
        self_service_number = routed.get().number
        assert PhoneNumber.objects.exclude(ivr_flow__name=DEMO_FLOW_NAME).count() >= 1
        assert Voicemail.objects.exists() and CallbackRequest.objects.exists()
        assert Queue.objects.filter(strategy="bullseye").exists()
    with schema_context("public"):
        assert PoolNumber.objects.filter(number=self_service_number, tenant__slug="demo").exists()
    assert "qalead@demo.local" in again
