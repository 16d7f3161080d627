"""MemoryContactSource: hand-out order, retries by outcome with gaps and maximum attempts, release, counts."""

from __future__ import annotations

import pytest

from apps.telephony.dialer.contract import DialTarget
from apps.telephony.dialer.memory import MemoryContactSource, RetryRule

CAMPAIGN = 3


def target(contact_id: int) -> DialTarget:
    return DialTarget(contact_id=contact_id, number=f"+861380000{contact_id:04d}", attempt=1)


def loaded(count: int = 3, **rules) -> MemoryContactSource:
    source = MemoryContactSource(rules=rules or None)
    source.add(CAMPAIGN, [target(n) for n in range(1, count + 1)])
    return source


def test_contacts_come_in_list_order_and_never_twice_before_their_report():
    source = loaded(3)
    assert [t.contact_id for t in source.take(CAMPAIGN, 2, 0.0)] == [1, 2]
    assert [t.contact_id for t in source.take(CAMPAIGN, 5, 0.0)] == [3]
    assert source.take(CAMPAIGN, 5, 100.0) == []


def test_a_retry_waits_for_its_gap_and_stops_at_max_attempts():
    source = loaded(1, busy=RetryRule(min_gap_seconds=600, max_attempts=2))
    (first,) = source.take(CAMPAIGN, 1, 0.0)
    source.report(CAMPAIGN, first, "busy", 10.0)
    assert source.take(CAMPAIGN, 1, 609.0) == []
    (second,) = source.take(CAMPAIGN, 1, 610.0)
    assert second.attempt == 2
    source.report(CAMPAIGN, second, "busy", 620.0)
    assert source.is_finished(CAMPAIGN, 1)
    assert source.take(CAMPAIGN, 1, 10_000.0) == []
    assert source.attempts(CAMPAIGN, 1) == [(10.0, "busy"), (620.0, "busy")]


def test_an_answered_contact_is_finished_and_an_outcome_without_rule_closes_it():
    source = loaded(2, busy=RetryRule(60, 3))
    first, second = source.take(CAMPAIGN, 2, 0.0)
    source.report(CAMPAIGN, first, "answered", 5.0)
    source.report(CAMPAIGN, second, "machine", 5.0)
    assert source.is_finished(CAMPAIGN, 1) and source.is_finished(CAMPAIGN, 2)
    assert source.counts(CAMPAIGN) == {"remaining": 0, "attempted": 2, "finished": 2}


def test_blocked_is_not_an_attempt_and_release_gives_the_contact_back_first():
    source = loaded(2)
    first, _second = source.take(CAMPAIGN, 2, 0.0)
    source.report(CAMPAIGN, first, "blocked", 1.0)
    (again,) = source.take(CAMPAIGN, 1, 1.0)
    assert again.contact_id == 1 and again.attempt == 1
    source.release(CAMPAIGN, again)
    assert source.take(CAMPAIGN, 1, 2.0)[0].contact_id == 1
    assert source.counts(CAMPAIGN)["attempted"] == 0


def test_a_late_second_report_is_ignored():
    source = loaded(1, busy=RetryRule(60, 5))
    (first,) = source.take(CAMPAIGN, 1, 0.0)
    source.report(CAMPAIGN, first, "busy", 1.0)
    source.report(CAMPAIGN, first, "answered", 2.0)
    assert source.attempts(CAMPAIGN, 1) == [(1.0, "busy")]
    assert not source.is_finished(CAMPAIGN, 1)


def test_synthetic_contacts_are_built_when_taken():
    source = MemoryContactSource()
    source.add_synthetic(CAMPAIGN, 200_000)
    assert source.counts(CAMPAIGN) == {"remaining": 200_000, "attempted": 0, "finished": 0}
    taken = source.take(CAMPAIGN, 3, 0.0)
    assert [t.contact_id for t in taken] == [1, 2, 3]
    assert len({t.number for t in taken}) == 3


def test_unknown_outcomes_and_duplicate_contacts_are_refused():
    source = loaded(1)
    (first,) = source.take(CAMPAIGN, 1, 0.0)
    with pytest.raises(ValueError):
        source.report(CAMPAIGN, first, "maybe", 1.0)
    with pytest.raises(ValueError):
        source.add(CAMPAIGN, [target(1)])
