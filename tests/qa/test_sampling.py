"""Sampling rules (issue 14 item 3): the seeded draw, quotas per agent, percent and strata, the
exclusions, each always-include test, workload balance, idempotence, the beat's run and tenant
isolation — through apps/qa/services/sampling.py against PostgreSQL.

The calls are CDR rows written directly (the draw reads only the CDR) in a fixed past week in
the tenant's zone, so nothing depends on the time of day the tests run at.
"""

from __future__ import annotations

import itertools
import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.core.errors import ApplicationError
from apps.qa import sampling as rules
from apps.qa.models import Assignment, SamplingRule
from apps.qa.selectors import sampling_draw
from apps.qa.selectors.sampling_draw import draw
from apps.qa.services.sampling import (
    assignment_reassign,
    sampling_rule_create,
    sampling_rule_update,
    sampling_run,
    sampling_run_due,
)
from apps.qa.tasks import sampling_due_task
from apps.telephony.choices import CallAnalysisFlag, CallEndReason
from apps.telephony.models import Agent, Call, CallAnalysis, CallEvent, Recording
from tests.factories import DispositionFactory, QueueFactory, UserFactory
from tests.qa.factories import make_evaluation, make_scorecard

ZONE = ZoneInfo("Asia/Shanghai")  # the session tenants' zone (Tenant.time_zone's default)
WEEK = date(2026, 1, 5)  # a Monday
_uids = itertools.count(1)


def agent(name: str = "") -> Agent:
    return Agent.objects.create(user=UserFactory(roles=[Role.AGENT]))


def calls(who: Agent, n: int, *, day: date = WEEK, queue=None, **fields) -> list[Call]:
    """``n`` answered calls of ``who`` on ``day`` (local noon onwards, a minute apart)."""
    start = datetime(day.year, day.month, day.day, 12, tzinfo=ZONE)
    rows = []
    for i in range(n):
        at = start + timedelta(minutes=i)
        values = {
            "uid": f"sampling-{next(_uids)}",
            "caller": "13800000000",
            "callee": "4001234567",
            "arrived_at": at,
            "answered_at": at + timedelta(seconds=5),
            "ended_at": at + timedelta(seconds=125),
            "status": "ended",
            "end_reason": CallEndReason.COMPLETED,
            "agent": who,
            "queue": queue,
            "talk_seconds": 120,
        }
        values.update(fields)
        rows.append(Call(**values))
    return Call.objects.bulk_create(rows)


def rule(**data) -> SamplingRule:
    data.setdefault("name", f"Rule {next(_uids)}")
    data.setdefault("scorecard", make_scorecard().pk)
    data.setdefault("period", "week")
    data.setdefault("seed", 7)
    data.setdefault("require_recording", False)  # most tests' CDRs have no audio
    return sampling_rule_create(data=data)


def picked(result) -> set[int]:
    return {pick.call_id for pick in result.picks}


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


# --- the draw ------------------------------------------------------------------------------------


def test_same_seed_same_sample_and_another_seed_another(tenant):
    people = [agent() for _ in range(3)]
    for person in people:
        calls(person, 20)
    first = rule(per_agent=3, seed=11)
    again = rule(per_agent=3, seed=11)
    other = rule(per_agent=3, seed=12)
    a = sampling_run(rule=first, period_start=WEEK, dry_run=True)
    b = sampling_run(rule=again, period_start=WEEK, dry_run=True)
    c = sampling_run(rule=other, period_start=WEEK, dry_run=True)
    assert len(a.picks) == 9
    assert picked(a) == picked(b)
    assert picked(a) != picked(c)


def test_the_sql_draw_is_the_python_definition(tenant):
    q1, q2 = QueueFactory(), QueueFactory()
    people = [agent() for _ in range(3)]
    made = []
    for i, person in enumerate(people):
        made += calls(person, 7 + i, queue=q1)
        made += calls(person, 4, queue=q2, direction="outbound")
    spec = {"per_agent": 2, "percent": Decimal("30"), "strata": ["queue", "direction"], "seed": 99}
    sampled = sampling_run(rule=rule(**spec), period_start=WEEK, dry_run=True)
    expected = rules.draw(
        [
            rules.Candidate(
                id=c.pk, uid=c.uid, agent=c.agent_id, queue=c.queue_id, campaign=c.campaign_id, direction=c.direction
            )
            for c in made
        ],
        seed=99,
        period_start=WEEK,
        per_agent=2,
        percent=Decimal("30"),
        strata=["queue", "direction"],
    )
    assert picked(sampled) == set(expected)
    # max(2, ceil(30 % of n)) per agent and stratum: 7, 8, 9 calls in q1 → 3, 3, 3; 4 in q2 → 2.
    assert len(sampled.picks) == 3 * 3 + 3 * 2


def test_large_groups_rank_only_their_candidates_and_still_match_the_definition(tenant):
    """With n much larger than the quota, only the calls whose key starts low enough are ranked
    (services/sampling.py, ``limits``); the result is still exactly the draw's, and the same as
    ranking every call (the fallback the service takes when a group falls short)."""
    people = [agent() for _ in range(2)]
    made = calls(people[0], 400) + calls(people[1], 250, direction="outbound")
    spec = {"per_agent": 2, "percent": Decimal("1.5"), "strata": ["direction"], "seed": 3}
    sampler = rule(**spec)
    sampled = sampling_run(rule=sampler, period_start=WEEK, dry_run=True)
    expected = rules.draw(
        [rules.Candidate(id=c.pk, uid=c.uid, agent=c.agent_id, direction=c.direction) for c in made],
        seed=3,
        period_start=WEEK,
        per_agent=2,
        percent=Decimal("1.5"),
        strata=["direction"],
    )
    assert picked(sampled) == set(expected)
    assert len(sampled.picks) == 6 + 4  # ceil(1.5 % of 400), ceil(1.5 % of 250)
    since, until = rules.period_bounds("week", WEEK, ZONE)
    eligible, every = draw(sampler, since=since, until=until, period_start=WEEK, exact=True)
    assert eligible == 650
    assert [p.call_id for p in every] == [p.call_id for p in sampled.picks]


def test_a_large_group_is_drawn_from_the_first_scan_alone(tenant):
    """(3q + 10) / n below 1/16: statement 1's collected calls hold the whole draw."""
    made = calls(agent(), 260)
    result = sampling_run(rule=rule(per_agent=1, seed=21), period_start=WEEK, dry_run=True)
    expected = rules.draw(
        [rules.Candidate(id=c.pk, uid=c.uid, agent=c.agent_id) for c in made],
        seed=21,
        period_start=WEEK,
        per_agent=1,
        percent=None,
    )
    assert [p.call_id for p in result.picks] == expected


def test_calls_without_a_recording_are_passed_over_and_still_counted(tenant):
    """The quota counts every call of the group; the picks are its first recorded calls."""
    made = calls(agent(), 240)
    recorded = made[::3]
    for call in recorded:
        Recording.objects.create(call=call, file=f"t/{call.uid}.wav", duration_seconds=60)
    sampler = rule(percent="5", seed=4, require_recording=True)
    result = sampling_run(rule=sampler, period_start=WEEK, dry_run=True)
    expected = rules.draw(
        [rules.Candidate(id=c.pk, uid=c.uid, agent=c.agent_id, recorded=c in recorded) for c in made],
        seed=4,
        period_start=WEEK,
        per_agent=None,
        percent=Decimal("5"),
    )
    assert len(expected) == 12  # 5 % of all 240 calls, all of them recorded ones
    assert [p.call_id for p in result.picks] == expected
    assert result.eligible == 240


def test_a_group_short_of_candidates_is_drawn_again_in_full(tenant, monkeypatch):
    """The fallback: limits so low that no group finds its quota among its candidates."""
    made = calls(agent(), 300)
    sampler = rule(per_agent=4, seed=8)
    expected = rules.draw(
        [rules.Candidate(id=c.pk, uid=c.uid, agent=c.agent_id) for c in made],
        seed=8,
        period_start=WEEK,
        per_agent=4,
        percent=None,
    )
    real = sampling_draw._limit
    monkeypatch.setattr(sampling_draw, "_limit", lambda n, q, exact: real(n, q, exact) if exact else "0000")
    result = sampling_run(rule=sampler, period_start=WEEK, dry_run=True)
    assert [p.call_id for p in result.picks] == sorted(
        expected, key=lambda pk: rules.draw_key(next(c.uid for c in made if c.pk == pk), 8, WEEK)
    )


def test_per_agent_takes_n_of_each_agent_and_all_of_a_small_one(tenant):
    busy, quiet = agent(), agent()
    calls(busy, 12)
    calls(quiet, 2)
    result = sampling_run(rule=rule(per_agent=5), period_start=WEEK, dry_run=True)
    by_agent = {person.pk: sum(1 for p in result.picks if p.agent_id == person.pk) for person in (busy, quiet)}
    assert by_agent == {busy.pk: 5, quiet.pk: 2}
    assert result.eligible == 14


def test_percent_without_agent_takes_the_ceiling_of_the_whole_period(tenant):
    people = [agent() for _ in range(4)]
    for i, person in enumerate(people):
        calls(person, 10 + i)  # 46 calls
    result = sampling_run(rule=rule(percent="10"), period_start=WEEK, dry_run=True)
    assert len(result.picks) == math.ceil(46 * 10 / 100) == 5
    assert {p.reason for p in result.picks} == {"random"}


def test_strata_take_the_quota_in_each_queue(tenant):
    sales, service = QueueFactory(), QueueFactory()
    person = agent()
    calls(person, 10, queue=sales)
    calls(person, 10, queue=service)
    result = sampling_run(rule=rule(per_agent=2, strata=["queue"]), period_start=WEEK, dry_run=True)
    queues = sorted(Call.objects.filter(pk__in=picked(result)).values_list("queue_id", flat=True))
    assert queues == sorted([sales.pk, sales.pk, service.pk, service.pk])
    # Without strata the same rule takes 2 calls of the agent, whatever the queue.
    plain = sampling_run(rule=rule(per_agent=2), period_start=WEEK, dry_run=True)
    assert len(plain.picks) == 2


def test_filters_by_queue_and_direction_and_the_period_bounds(tenant):
    sales, service = QueueFactory(), QueueFactory()
    person = agent()
    inside = calls(person, 3, queue=sales)
    calls(person, 3, queue=service)
    calls(person, 3, queue=sales, direction="outbound")
    calls(person, 3, queue=sales, day=WEEK + timedelta(days=7))  # next week
    calls(person, 3, queue=sales, day=WEEK - timedelta(days=1))  # the Sunday before
    result = sampling_run(
        rule=rule(per_agent=50, queues=[sales.pk], directions=["inbound"]), period_start=WEEK, dry_run=True
    )
    assert picked(result) == {c.pk for c in inside}


def test_a_day_in_the_middle_of_the_week_means_that_week(tenant):
    person = agent()
    calls(person, 2, day=WEEK + timedelta(days=6))  # Sunday
    result = sampling_run(rule=rule(per_agent=5), period_start=WEEK + timedelta(days=2), dry_run=True)
    assert result.period_start == WEEK
    assert result.since == datetime(2026, 1, 5, tzinfo=ZONE)
    assert result.until == datetime(2026, 1, 12, tzinfo=ZONE)
    assert len(result.picks) == 2


# --- exclusions ----------------------------------------------------------------------------------


def test_too_short_is_excluded_even_when_an_always_include_test_matches(tenant):
    person = agent()
    short = calls(person, 3, talk_seconds=10, survey_score=1)
    unanswered = calls(person, 2, answered_at=None, talk_seconds=0)
    long = calls(person, 3)
    result = sampling_run(
        rule=rule(per_agent=10, min_talk_seconds=30, include_csat_at_most=2), period_start=WEEK, dry_run=True
    )
    assert picked(result) == {c.pk for c in long}
    assert not picked(result) & {c.pk for c in short + unanswered}


def test_calls_already_evaluated_or_sampled_elsewhere_are_excluded(tenant):
    person = agent()
    made = calls(person, 4)
    analyst = UserFactory(roles=[Role.QA])
    make_evaluation(made[0], make_scorecard(), analyst)
    other = rule(per_agent=1, seed=1)
    taken = sampling_run(rule=other, period_start=WEEK)
    assert taken.created == 1
    excluding = sampling_run(rule=rule(per_agent=10), period_start=WEEK, dry_run=True)
    assert picked(excluding) == {c.pk for c in made} - {made[0].pk} - picked(taken)
    including = sampling_run(rule=rule(per_agent=10, exclude_evaluated=False), period_start=WEEK, dry_run=True)
    assert picked(including) == {c.pk for c in made}


def test_only_recorded_calls_by_default(tenant):
    person = agent()
    recorded = calls(person, 2)
    calls(person, 3)
    for call in recorded:
        Recording.objects.create(call=call, file=f"t/{call.uid}.wav", duration_seconds=120)
    scorecard = make_scorecard()
    default = sampling_rule_create(data={"name": "Recorded", "scorecard": scorecard.pk, "per_agent": 10})
    assert default.require_recording is True
    assert picked(sampling_run(rule=default, period_start=WEEK, dry_run=True)) == {c.pk for c in recorded}
    assert len(sampling_run(rule=rule(per_agent=10), period_start=WEEK, dry_run=True).picks) == 5


# --- always include ------------------------------------------------------------------------------


def test_each_always_include_test_adds_its_calls_with_its_reason(tenant):
    person = agent()
    complaint = DispositionFactory(code="complaint")
    plain = calls(person, 20)
    low = calls(person, 1, survey_score=2)
    fine = calls(person, 1, survey_score=3)
    complained = calls(person, 1, disposition=complaint)
    transferred_out = calls(person, 1, end_reason=CallEndReason.TRANSFERRED)
    handed_over = calls(person, 1)
    CallEvent.objects.create(call=handed_over[0], at=handed_over[0].answered_at, kind="transferred")
    held = calls(person, 1, hold_seconds=301)
    flagged = calls(person, 1)
    CallAnalysis.objects.create(call=flagged[0], version="t", flags=[CallAnalysisFlag.DEAD_AIR])
    CallAnalysis.objects.create(call=plain[0], version="t", flags=[CallAnalysisFlag.LOUD])

    base = {"seed": 5}
    only = {
        "low_csat": {"include_csat_at_most": 2},
        "complaint": {"include_dispositions": [complaint.pk]},
        "transfer": {"include_transfers": True},
        "long_hold": {"include_hold_seconds_over": 300},
        "analysis": {"include_analysis_flags": [CallAnalysisFlag.DEAD_AIR]},
    }
    expected = {
        "low_csat": low,
        "complaint": complained,
        "transfer": transferred_out + handed_over,
        "long_hold": held,
        "analysis": flagged,
    }
    for reason, test in only.items():
        result = sampling_run(rule=rule(**base, **test), period_start=WEEK, dry_run=True)
        assert picked(result) == {c.pk for c in expected[reason]}, reason
        assert {p.reason for p in result.picks} == {reason}
    assert fine[0].pk not in picked(sampling_run(rule=rule(include_csat_at_most=2), period_start=WEEK, dry_run=True))

    # With a random quota besides: the always-included calls come on top of it.
    both = sampling_run(
        rule=rule(per_agent=2, include_csat_at_most=2, include_hold_seconds_over=300), period_start=WEEK, dry_run=True
    )
    reasons = sorted(p.reason for p in both.picks)
    assert reasons == ["long_hold", "low_csat", "random", "random"]


# --- assignment ----------------------------------------------------------------------------------


def test_new_samples_go_to_the_least_loaded_evaluator_first(tenant):
    ann, bob = UserFactory(roles=[Role.QA]), UserFactory(roles=[Role.QA])
    person = agent()
    calls(person, 3, day=WEEK - timedelta(days=7))
    calls(person, 6)
    earlier = rule(per_agent=3, evaluators=[ann.pk])
    sampling_run(rule=earlier, period_start=WEEK - timedelta(days=7))
    assert Assignment.objects.filter(assignee=ann, status="pending").count() == 3

    result = sampling_run(rule=rule(per_agent=6, evaluators=[ann.pk, bob.pk]), period_start=WEEK)
    assert result.created == 6
    order = [p.assignee_id for p in result.picks]
    # Bob (0 open) takes three before Ann (3 open) gets one; then they alternate, the lower id first.
    first, second = sorted([ann.pk, bob.pk])
    assert order[:3] == [bob.pk] * 3
    assert sorted(order[3:5]) == [first, second] and order[3] == first
    assert Assignment.objects.filter(assignee=ann, status="pending").count() == 3 + order.count(ann.pk)


def test_nobody_is_given_a_call_they_handled(tenant):
    both_roles = UserFactory(roles=[Role.QA, Role.AGENT])
    own = Agent.objects.create(user=both_roles)
    calls(own, 4)
    result = sampling_run(rule=rule(per_agent=4, evaluators=[both_roles.pk]), period_start=WEEK)
    assert result.created == 4
    assert set(Assignment.objects.filter(call__agent=own).values_list("assignee_id", flat=True)) == {None}
    with pytest.raises(ApplicationError):
        assignment_reassign(assignment=Assignment.objects.filter(call__agent=own).first(), assignee=both_roles)


def test_due_date_is_the_period_end_plus_the_days_to_complete(tenant):
    calls(agent(), 1)
    result = sampling_run(rule=rule(per_agent=1, due_days=3), period_start=WEEK)
    assignment = Assignment.objects.get(rule_id=result.rule_id)
    assert assignment.due_at == datetime(2026, 1, 15, tzinfo=ZONE)
    assert assignment.period_start == WEEK
    assert assignment.reason == "random"


def test_running_twice_creates_nothing_new(tenant):
    people = [agent() for _ in range(3)]
    for person in people:
        calls(person, 10, survey_score=None)
    calls(people[0], 2, survey_score=1)
    analyst = UserFactory(roles=[Role.QA])
    sampler = rule(per_agent=2, include_csat_at_most=1, evaluators=[analyst.pk])
    first = sampling_run(rule=sampler, period_start=WEEK)
    assert first.created == 8
    again = sampling_run(rule=sampler, period_start=WEEK)
    assert again.created == 0
    assert all(p.existing for p in again.picks)
    # One sample evaluated meanwhile: it stays this rule's, and nothing else is drawn instead.
    done = Assignment.objects.filter(rule=sampler).first()
    make_evaluation(done.call, sampler.scorecard, analyst, assignment=done)
    assert sampling_run(rule=sampler, period_start=WEEK).created == 0
    assert Assignment.objects.filter(rule=sampler).count() == 8


def test_dry_run_writes_nothing_and_says_who_would_get_each(tenant):
    analyst = UserFactory(roles=[Role.QA])
    calls(agent(), 5)
    sampler = rule(per_agent=2, evaluators=[analyst.pk])
    preview = sampling_run(rule=sampler, period_start=WEEK, dry_run=True)
    assert preview.created == 0 and len(preview.new) == 2
    assert {p.assignee_id for p in preview.picks} == {analyst.pk}
    assert not Assignment.objects.filter(rule=sampler).exists()


def test_a_period_that_has_not_started_is_refused(tenant):
    sampler = rule(per_agent=1)
    with pytest.raises(ApplicationError) as error:
        sampling_run(rule=sampler, period_start=date(2026, 2, 2), today=date(2026, 1, 20))
    assert "period_start" in error.value.fields


def test_changing_a_rule_keeps_its_samples_and_draws_more_when_the_quota_grows(tenant):
    calls(agent(), 10)
    sampler = rule(per_agent=2)
    assert sampling_run(rule=sampler, period_start=WEEK).created == 2
    sampler = sampling_rule_update(rule=sampler, data={"per_agent": 3})
    grown = sampling_run(rule=sampler, period_start=WEEK)
    assert grown.created == 1 and len(grown.picks) == 3


# --- the beat ------------------------------------------------------------------------------------


def test_the_beat_samples_each_active_rule_for_its_last_period_once(tenant):
    today = date(2026, 1, 14)  # a Wednesday: the week of 5 January has ended, the day of 13th too
    person = agent()
    calls(person, 4)
    calls(person, 3, day=date(2026, 1, 13))
    weekly = rule(per_agent=2, period="week")
    daily = rule(per_agent=1, period="day")
    rule(per_agent=5, is_active=False)
    totals = sampling_run_due(today=today)
    assert totals == {"rules": 2, "created": 3}
    assert set(Assignment.objects.filter(rule=weekly).values_list("period_start", flat=True)) == {WEEK}
    assert set(Assignment.objects.filter(rule=daily).values_list("period_start", flat=True)) == {date(2026, 1, 13)}
    assert sampling_run_due(today=today) == {"rules": 0, "created": 0}


def test_the_beat_task_runs_in_every_tenant_and_keeps_them_apart(acme, globex):
    with tenant_context(acme.tenant):
        calls(agent(), 3, day=date(2025, 12, 1))
        mine = rule(per_agent=10, period="month")
    with tenant_context(globex.tenant):
        calls(agent(), 5, day=date(2025, 12, 2))
        theirs = rule(per_agent=10, period="month")
    sampling_due_task.delay(today="2026-01-10")
    with tenant_context(acme.tenant):
        assert Assignment.objects.filter(rule=mine).count() == 3
        assert Assignment.objects.count() == 3
    with tenant_context(globex.tenant):
        assert Assignment.objects.filter(rule=theirs).count() == 5
        assert Assignment.objects.count() == 5


# --- rules ---------------------------------------------------------------------------------------


def test_a_bad_rule_is_refused_with_field_messages_and_nothing_saved(tenant):
    agent_user = UserFactory(roles=[Role.AGENT])
    before = SamplingRule.objects.count()
    with pytest.raises(ApplicationError) as error:
        sampling_rule_create(
            data={
                "name": "",
                "scorecard": make_scorecard().pk,
                "percent": "120",
                "strata": ["skill"],
                "directions": ["sideways"],
                "evaluators": [agent_user.pk],
                "include_analysis_flags": ["nonsense"],
                "due_days": -1,
            }
        )
    assert set(error.value.fields) == {
        "name",
        "percent",
        "strata",
        "directions",
        "evaluators",
        "include_analysis_flags",
        "due_days",
    }
    with pytest.raises(ApplicationError) as nothing:
        sampling_rule_create(data={"name": "Empty", "scorecard": make_scorecard().pk})
    assert "per_agent" in nothing.value.fields
    assert SamplingRule.objects.count() == before


def test_a_new_rule_gets_a_random_seed_unless_given(tenant):
    scorecard = make_scorecard()
    seeds = {
        sampling_rule_create(data={"name": f"r{i}", "scorecard": scorecard.pk, "per_agent": 1}).seed for i in range(3)
    }
    assert len(seeds) > 1
    assert rule(per_agent=1, seed=42).seed == 42
