"""One retry table (apps/telephony/dialer/retry.py): production and the simulations read it.

Production: a new campaign's rule rows are seeded from it, and an outcome without a rule falls
back to it. Simulation: ``MemoryContactSource`` (``simulate_campaign``, ``bench/dialer.py``)
retries by it. The behavioural test replays the same outcome, attempt after attempt, against
the database source and the in-memory one and expects the same dial times.
"""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from apps.telephony.dialer import contract, memory, retry
from apps.telephony.dialer.contract import DialTarget
from apps.telephony.engine.simulation.campaigns import CampaignSimulationOptions, build_campaign_simulation
from apps.telephony.models import CampaignRetryRule, Contact
from apps.telephony.services.campaigns import lifecycle
from apps.telephony.services.campaigns.lifecycle import RetryRules, retry_rules_set
from tests.telephony.campaign_factories import T0, make_campaign, make_contact, source

RETRIED = ("busy", "no_answer", "machine", "failed", "abandoned")


def test_production_values_are_the_table() -> None:
    """Busy 30 min × 5 and the rest: the rules campaigns were always created with."""
    assert retry.DEFAULT_OUTCOME_RULES[contract.OUTCOME_BUSY] == retry.RetryPolicy(True, 30, 5)
    assert set(retry.DEFAULT_OUTCOME_RULES) == set(RETRIED)


def test_production_and_simulation_name_the_same_table() -> None:
    assert lifecycle.DEFAULT_OUTCOME_RULES is retry.DEFAULT_OUTCOME_RULES
    assert lifecycle.RetryPolicy is retry.RetryPolicy
    for outcome, policy in retry.DEFAULT_OUTCOME_RULES.items():
        rule = memory.DEFAULT_RULES[outcome]
        assert (rule.min_gap_seconds, rule.max_attempts) == (policy.min_gap_minutes * 60, policy.max_attempts)
    assert set(memory.DEFAULT_RULES) == set(retry.DEFAULT_OUTCOME_RULES)


def test_the_campaign_simulation_and_the_benchmark_use_it() -> None:
    options = CampaignSimulationOptions(
        mode="progressive",
        agents=1,
        contacts=1,
        answer_rate=0.25,
        machine_rate=0.15,
        busy_rate=0.10,
        amd_false_positive=0.0,
        aht_seconds=60,
        wrapup_seconds=0,
        hours=0.01,
        max_abandon=0.03,
        seed=1,
    )
    *_rest, source_ = build_campaign_simulation(options)
    assert source_.default_rules == memory.DEFAULT_RULES


def test_a_new_campaign_is_seeded_from_the_table(acme) -> None:
    with tenant_context(acme.tenant):
        campaign = make_campaign()
        rows = {
            rule.outcome: retry.RetryPolicy(rule.retry, rule.min_gap_minutes, rule.max_attempts, rule.do_not_call)
            for rule in CampaignRetryRule.objects.filter(campaign=campaign).exclude(outcome="")
        }
    assert rows == retry.DEFAULT_OUTCOME_RULES


def test_an_outcome_without_a_rule_falls_back_to_the_table(acme) -> None:
    with tenant_context(acme.tenant):
        campaign = make_campaign()
        retry_rules_set(campaign=campaign, rules=[])
        rules = RetryRules(campaign.pk)
    for outcome in RETRIED:
        assert rules.for_outcome(outcome) == retry.DEFAULT_OUTCOME_RULES[outcome]
    assert rules.for_outcome(contract.OUTCOME_ANSWERED) == retry.FINAL


def _memory_dial_times(outcome: str) -> list[float]:
    source_ = memory.MemoryContactSource()
    source_.add(1, [DialTarget(contact_id=1, number="+8613800000001", attempt=1)])
    times: list[float] = []
    now = 0.0
    for _ in range(20):
        taken = source_.take(1, 1, now)
        if not taken:
            break
        times.append(now)
        source_.report(1, taken[0], outcome, now)
        if source_.is_finished(1, 1):
            break
        now += memory.DEFAULT_RULES[outcome].min_gap_seconds
    return times


@pytest.mark.parametrize("outcome", ["busy", "no_answer"])
def test_database_and_memory_sources_dial_the_same_attempts(acme, outcome: str) -> None:
    """The same outcome every time: both sources redial after the same gaps, the same number of
    times (the contact is in Shanghai, Monday 10:00 there: the calling window stays open)."""
    expected = _memory_dial_times(outcome)
    policy = retry.DEFAULT_OUTCOME_RULES[outcome]
    assert len(expected) == policy.max_attempts
    with tenant_context(acme.tenant):
        campaign = make_campaign()
        contact = make_contact(campaign, next_attempt_at=T0)
        dialer = source()
        times: list[float] = []
        now = 0.0
        for _ in range(20):
            taken = dialer.take(campaign.pk, 1, now)
            if not taken:
                break
            times.append(now)
            dialer.report(campaign.pk, taken[0], outcome, now)
            contact = Contact.objects.get(pk=contact.pk)
            if contact.next_attempt_at is None or contact.status != "retry":
                break
            now = (contact.next_attempt_at - T0 + timedelta(seconds=0)).total_seconds()
    assert times == expected


@pytest.mark.parametrize(
    "path", ["apps/telephony/dialer/retry.py", "apps/telephony/dialer/windows.py", "apps/telephony/kpis.py"]
)
def test_the_rule_modules_are_plain_python(path: str) -> None:
    """The rules import no Django, models, services or engine (the windows get their holidays
    injected by services/campaigns/windows.py)."""
    tree = ast.parse((Path(settings.BASE_DIR) / path).read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    allowed = ("__future__", "dataclasses", "datetime", "collections.abc", "zoneinfo", "apps.telephony.dialer.")
    assert all(name.startswith(allowed) or name in ("datetime", "dataclasses") for name in imported), imported
