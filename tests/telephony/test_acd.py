"""The ACD matcher (plain Python, no database)."""

from __future__ import annotations

import threading

import pytest

from apps.telephony.acd import Acd, AgentProfile, Assignment, QueueConfig, WaitingCall

SALES = 1
SUPPORT = 2
FRENCH = 3


def make_acd(*queues: QueueConfig, agents: dict[int, dict[int, int]] | None = None) -> Acd:
    acd = Acd()
    for queue in queues:
        acd.set_queue(queue)
    for agent_id, skills in (agents or {}).items():
        acd.set_agent(AgentProfile(agent_id, skills))
    return acd


def call(call_id: str, queue_id: int = 1, arrived: float = 0.0, priority: int = 0, sticky: int | None = None):
    return WaitingCall(call_id=call_id, queue_id=queue_id, arrived=arrived, priority=priority, sticky_agent_id=sticky)


# --- basics ----------------------------------------------------------------------------


def test_new_agent_starts_unavailable():
    acd = make_acd(QueueConfig(1), agents={7: {SALES: 5}})
    assert acd.available_agents() == set()
    assert acd.enqueue(call("c1"), now=0) is None


def test_call_waits_when_nobody_is_available():
    acd = make_acd(QueueConfig(1, required={SALES: 1}))
    assert acd.enqueue(call("c1"), now=0) is None
    assert acd.waiting_count(1) == 1
    assert acd.position("c1") == 1


def test_arriving_call_takes_available_agent_at_once():
    acd = make_acd(QueueConfig(1, required={SALES: 3}), agents={7: {SALES: 5}})
    assert acd.agent_available(7, idle_since=0, now=0) is None
    assignment = acd.enqueue(call("c1", arrived=10), now=12)
    assert assignment == Assignment(call_id="c1", queue_id=1, agent_ids=(7,), waited=2)
    assert acd.waiting_count(1) == 0
    assert acd.available_agents() == set()


def test_agent_becoming_ready_takes_the_waiting_call():
    acd = make_acd(QueueConfig(1, required={SALES: 3}), agents={7: {SALES: 5}})
    acd.enqueue(call("c1", arrived=0), now=0)
    assignment = acd.agent_available(7, idle_since=30, now=30)
    assert assignment == Assignment(call_id="c1", queue_id=1, agent_ids=(7,), waited=30)
    assert acd.position("c1") is None


def test_agent_without_the_skill_level_is_not_offered():
    acd = make_acd(QueueConfig(1, required={SALES: 6}), agents={7: {SALES: 5}, 8: {SUPPORT: 9}})
    acd.enqueue(call("c1"), now=0)
    assert acd.agent_available(7, idle_since=1, now=1) is None
    assert acd.agent_available(8, idle_since=1, now=1) is None
    assert acd.available_agents() == {7, 8}
    assert acd.waiting_count(1) == 1


def test_every_required_skill_must_be_met():
    acd = make_acd(
        QueueConfig(1, required={SALES: 2, FRENCH: 2}),
        agents={7: {SALES: 9}, 8: {SALES: 2, FRENCH: 2}},
    )
    acd.agent_available(7, idle_since=0, now=0)
    acd.agent_available(8, idle_since=5, now=5)
    assert acd.enqueue(call("c1"), now=6).agent_ids == (8,)


def test_queue_without_required_skills_takes_any_agent():
    acd = make_acd(QueueConfig(1), agents={7: {}})
    acd.agent_available(7, idle_since=0, now=0)
    assert acd.enqueue(call("c1"), now=1).agent_ids == (7,)


def test_reserved_agent_is_not_offered_a_second_call():
    acd = make_acd(QueueConfig(1), agents={7: {SALES: 1}})
    acd.agent_available(7, idle_since=0, now=0)
    assert acd.enqueue(call("c1"), now=1).agent_ids == (7,)
    assert acd.enqueue(call("c2"), now=2) is None
    assert acd.position("c2") == 1


def test_unavailable_agent_is_skipped_and_unavailable_is_idempotent():
    acd = make_acd(QueueConfig(1), agents={7: {SALES: 1}})
    acd.agent_available(7, idle_since=0, now=0)
    acd.agent_unavailable(7)
    acd.agent_unavailable(7)
    acd.agent_unavailable(99)
    assert acd.available_agents() == set()
    assert acd.enqueue(call("c1"), now=1) is None


def test_unknown_queue_and_duplicate_call_are_refused():
    acd = make_acd(QueueConfig(1))
    with pytest.raises(KeyError):
        acd.enqueue(call("c1", queue_id=2), now=0)
    acd.enqueue(call("c1"), now=0)
    with pytest.raises(ValueError, match="already waiting"):
        acd.enqueue(call("c1"), now=0)


def test_unknown_agent_cannot_become_available():
    acd = make_acd(QueueConfig(1))
    with pytest.raises(KeyError):
        acd.agent_available(5, idle_since=0, now=0)


# --- queue order, positions, reading ----------------------------------------------------


def test_queue_order_is_priority_then_arrival():
    acd = make_acd(QueueConfig(1))
    acd.enqueue(call("early", arrived=1), now=1)
    acd.enqueue(call("late", arrived=5), now=5)
    acd.enqueue(call("vip", arrived=9, priority=10), now=9)
    acd.enqueue(call("middle", arrived=3), now=9)
    assert [c.call_id for c in acd.waiting(1)] == ["vip", "early", "middle", "late"]
    assert [acd.position(c) for c in ("vip", "early", "middle", "late")] == [1, 2, 3, 4]


def test_vip_call_is_served_before_older_calls():
    acd = make_acd(QueueConfig(1), agents={7: {}})
    acd.enqueue(call("old", arrived=0), now=0)
    acd.enqueue(call("vip", arrived=50, priority=1), now=50)
    assert acd.agent_available(7, idle_since=60, now=60).call_id == "vip"


def test_equal_arrival_keeps_enqueue_order():
    acd = make_acd(QueueConfig(1))
    for name in ("a", "b", "c"):
        acd.enqueue(call(name, arrived=4), now=4)
    assert [c.call_id for c in acd.waiting(1)] == ["a", "b", "c"]


def test_position_moves_up_as_calls_ahead_leave():
    acd = make_acd(QueueConfig(1), agents={7: {}})
    for index, name in enumerate(("a", "b", "c")):
        acd.enqueue(call(name, arrived=index), now=index)
    assert acd.position("c") == 3
    acd.remove_call("a")
    assert acd.position("c") == 2
    acd.agent_available(7, idle_since=5, now=5)
    assert acd.position("c") == 1


def test_waiting_counts_are_per_queue():
    acd = make_acd(QueueConfig(1), QueueConfig(2))
    acd.enqueue(call("a", queue_id=1), now=0)
    acd.enqueue(call("b", queue_id=2), now=0)
    acd.enqueue(call("c", queue_id=2), now=0)
    assert (acd.waiting_count(1), acd.waiting_count(2), acd.waiting_count(3)) == (1, 2, 0)
    assert acd.waiting(3) == []


def test_longest_wait_is_measured_from_the_oldest_arrival():
    acd = make_acd(QueueConfig(1))
    assert acd.longest_wait(1, now=100) == 0
    acd.enqueue(call("vip", arrived=40, priority=3), now=40)
    acd.enqueue(call("old", arrived=10), now=40)
    assert acd.longest_wait(1, now=100) == 90


def test_waiting_returns_copies():
    acd = make_acd(QueueConfig(1))
    acd.enqueue(call("a", arrived=1), now=1)
    acd.waiting(1)[0].priority = 99
    assert acd.waiting(1)[0].priority == 0


def test_remove_call_returns_the_call_once():
    acd = make_acd(QueueConfig(1), agents={7: {}})
    acd.enqueue(call("a"), now=0)
    removed = acd.remove_call("a")
    assert removed.call_id == "a"
    assert acd.remove_call("a") is None
    assert acd.waiting_count(1) == 0
    assert acd.agent_available(7, idle_since=1, now=1) is None


def test_remove_call_of_an_assigned_call_returns_none():
    acd = make_acd(QueueConfig(1), agents={7: {}})
    acd.agent_available(7, idle_since=0, now=0)
    acd.enqueue(call("a"), now=0)
    assert acd.remove_call("a") is None


# --- strategies -------------------------------------------------------------------------


def test_longest_idle_agent_gets_the_call():
    acd = make_acd(QueueConfig(1, required={SALES: 1}), agents={7: {SALES: 1}, 8: {SALES: 1}, 9: {SALES: 1}})
    acd.agent_available(7, idle_since=30, now=30)
    acd.agent_available(8, idle_since=10, now=30)
    acd.agent_available(9, idle_since=20, now=30)
    assert acd.enqueue(call("a"), now=31).agent_ids == (8,)
    assert acd.enqueue(call("b"), now=31).agent_ids == (9,)
    assert acd.enqueue(call("c"), now=31).agent_ids == (7,)


def test_longest_idle_ties_go_to_the_lower_agent_id():
    acd = make_acd(QueueConfig(1), agents={9: {}, 4: {}})
    acd.agent_available(9, idle_since=5, now=5)
    acd.agent_available(4, idle_since=5, now=5)
    assert acd.enqueue(call("a"), now=6).agent_ids == (4,)


def test_most_skilled_picks_the_highest_level_sum():
    acd = make_acd(
        QueueConfig(1, strategy="most_skilled", required={SALES: 1, FRENCH: 1}),
        agents={7: {SALES: 9, FRENCH: 1}, 8: {SALES: 5, FRENCH: 6, SUPPORT: 10}, 9: {SALES: 2, FRENCH: 2}},
    )
    for agent_id in (9, 7, 8):
        acd.agent_available(agent_id, idle_since=agent_id, now=10)
    assert acd.enqueue(call("a"), now=11).agent_ids == (8,)  # 11 beats 10 (support is not required)
    assert acd.enqueue(call("b"), now=11).agent_ids == (7,)


def test_most_skilled_ties_go_to_the_longest_idle():
    acd = make_acd(QueueConfig(1, strategy="most_skilled", required={SALES: 1}), agents={7: {SALES: 5}, 8: {SALES: 5}})
    acd.agent_available(7, idle_since=20, now=20)
    acd.agent_available(8, idle_since=10, now=20)
    assert acd.enqueue(call("a"), now=21).agent_ids == (8,)


def test_round_robin_rotates_over_qualifying_agents():
    acd = make_acd(QueueConfig(1, strategy="round_robin"), agents={3: {}, 5: {}, 8: {}})
    served = []
    for step in range(6):
        for agent_id in (3, 5, 8):
            if agent_id not in acd.available_agents():
                acd.agent_available(agent_id, idle_since=100 - agent_id, now=step)
        served.append(acd.enqueue(call(f"c{step}"), now=step).agent_ids[0])
        acd.agent_available(served[-1], idle_since=step, now=step)
    assert served == [3, 5, 8, 3, 5, 8]


def test_round_robin_pointer_is_per_queue():
    acd = make_acd(
        QueueConfig(1, strategy="round_robin"), QueueConfig(2, strategy="round_robin"), agents={3: {}, 5: {}}
    )
    acd.agent_available(3, idle_since=0, now=0)
    acd.agent_available(5, idle_since=0, now=0)
    assert acd.enqueue(call("a", queue_id=1), now=1).agent_ids == (3,)
    acd.agent_available(3, idle_since=1, now=1)
    assert acd.enqueue(call("b", queue_id=2), now=2).agent_ids == (3,)
    acd.agent_available(3, idle_since=2, now=2)
    assert acd.enqueue(call("c", queue_id=1), now=3).agent_ids == (5,)


def test_ring_all_reserves_every_qualifying_agent():
    acd = make_acd(
        QueueConfig(1, strategy="ring_all", required={SALES: 3}),
        agents={7: {SALES: 3}, 8: {SALES: 9}, 9: {SALES: 1}},
    )
    for agent_id in (7, 8, 9):
        acd.agent_available(agent_id, idle_since=agent_id, now=10)
    assignment = acd.enqueue(call("a"), now=11)
    assert set(assignment.agent_ids) == {7, 8}
    assert acd.available_agents() == {9}
    assert acd.enqueue(call("b"), now=12) is None


def test_ring_all_losers_are_released_keeping_idle_since():
    acd = make_acd(QueueConfig(1, strategy="ring_all"), QueueConfig(2), agents={7: {}, 8: {}, 9: {}})
    acd.agent_available(7, idle_since=5, now=10)
    acd.agent_available(8, idle_since=3, now=10)
    assert set(acd.enqueue(call("a", queue_id=1), now=11).agent_ids) == {7, 8}
    assert acd.release_agents([8], now=12) == []  # 7 answered; 8 goes back
    acd.agent_available(9, idle_since=11, now=12)
    assert acd.enqueue(call("b", queue_id=2), now=13).agent_ids == (8,)  # idle since 3, before 9


def test_release_returns_the_matches_it_makes_possible():
    acd = make_acd(QueueConfig(1, strategy="ring_all"), QueueConfig(2), agents={7: {}, 8: {}})
    acd.agent_available(7, idle_since=1, now=1)
    acd.agent_available(8, idle_since=2, now=2)
    acd.enqueue(call("a", queue_id=1, arrived=3), now=3)
    acd.enqueue(call("b", queue_id=2, arrived=4), now=4)
    assignments = acd.release_agents([8, 7], now=5)
    assert assignments == [Assignment(call_id="b", queue_id=2, agent_ids=(7,), waited=1)]
    assert acd.available_agents() == {8}


def test_agent_driven_match_into_ring_all_rings_other_available_agents():
    queue = QueueConfig(1, strategy="ring_all", required={SALES: 5}, expand_after_seconds=10)
    acd = make_acd(queue, agents={7: {SALES: 4}, 8: {SALES: 9}})
    acd.agent_available(7, idle_since=0, now=0)
    acd.enqueue(call("a", arrived=0), now=0)
    assert acd.agent_available(8, idle_since=15, now=15).agent_ids == (8, 7)


def test_sticky_agent_available_gets_the_call():
    acd = make_acd(QueueConfig(1, strategy="sticky"), agents={7: {}, 8: {}})
    acd.agent_available(8, idle_since=0, now=0)
    acd.agent_available(7, idle_since=5, now=5)
    assert acd.enqueue(call("a", sticky=7), now=6).agent_ids == (7,)


def test_sticky_call_waits_for_its_agent_within_the_hold():
    acd = make_acd(QueueConfig(1, strategy="sticky", sticky_wait_seconds=20), agents={7: {}, 8: {}})
    acd.agent_available(8, idle_since=0, now=0)
    assert acd.enqueue(call("a", arrived=10, sticky=7), now=10) is None
    assert acd.tick(now=25) == []
    assert acd.agent_available(7, idle_since=26, now=26).call_id == "a"


def test_sticky_agent_takes_the_call_held_for_them_before_older_calls():
    acd = make_acd(QueueConfig(1, strategy="sticky", sticky_wait_seconds=20), agents={7: {}})
    acd.enqueue(call("older", arrived=0), now=0)
    acd.enqueue(call("mine", arrived=5, sticky=7), now=5)
    assert acd.agent_available(7, idle_since=6, now=6).call_id == "mine"


def test_sticky_hold_expires_on_tick_to_the_longest_idle_agent():
    acd = make_acd(QueueConfig(1, strategy="sticky", sticky_wait_seconds=20), agents={7: {}, 8: {}, 9: {}})
    acd.agent_available(9, idle_since=4, now=4)
    acd.agent_available(8, idle_since=2, now=4)
    acd.enqueue(call("a", arrived=10, sticky=7), now=10)
    assert acd.tick(now=29.5) == []
    assert acd.tick(now=30) == [Assignment(call_id="a", queue_id=1, agent_ids=(8,), waited=20)]


def test_other_agents_skip_a_held_call_but_take_the_next_one():
    acd = make_acd(QueueConfig(1, strategy="sticky", sticky_wait_seconds=20), agents={7: {}, 8: {}})
    acd.enqueue(call("held", arrived=0, sticky=7), now=0)
    acd.enqueue(call("open", arrived=1), now=1)
    assert acd.agent_available(8, idle_since=2, now=2).call_id == "open"
    assert acd.position("held") == 1


def test_sticky_to_an_unknown_agent_does_not_hold():
    acd = make_acd(QueueConfig(1, strategy="sticky"), agents={8: {}})
    acd.agent_available(8, idle_since=0, now=0)
    assert acd.enqueue(call("a", sticky=42), now=1).agent_ids == (8,)


def test_sticky_is_ignored_by_other_strategies():
    acd = make_acd(QueueConfig(1), agents={7: {}, 8: {}})
    acd.agent_available(8, idle_since=0, now=0)
    assert acd.enqueue(call("a", sticky=7), now=1).agent_ids == (8,)


def test_removing_the_sticky_agent_frees_the_held_call_on_tick():
    acd = make_acd(QueueConfig(1, strategy="sticky", sticky_wait_seconds=60), agents={7: {}, 8: {}})
    acd.agent_available(8, idle_since=0, now=0)
    acd.enqueue(call("a", sticky=7), now=1)
    acd.remove_agent(7)
    assert [a.agent_ids for a in acd.tick(now=2)] == [(8,)]


# --- expanding skills ---------------------------------------------------------------------


def test_required_level_drops_with_wait_on_tick():
    queue = QueueConfig(1, required={SALES: 8}, expand_after_seconds=30, expand_step=2)
    acd = make_acd(queue, agents={7: {SALES: 5}})
    acd.agent_available(7, idle_since=0, now=0)
    assert acd.enqueue(call("a", arrived=0), now=0) is None
    assert acd.tick(now=59) == []  # level 6 after 30 s: still too high
    assert acd.tick(now=60) == [Assignment(call_id="a", queue_id=1, agent_ids=(7,), waited=60)]  # level 4


def test_expanded_call_goes_to_an_agent_becoming_ready():
    queue = QueueConfig(1, required={SALES: 8}, expand_after_seconds=30, expand_step=2)
    acd = make_acd(queue, agents={7: {SALES: 5}})
    acd.enqueue(call("a", arrived=0), now=0)
    assert acd.agent_available(7, idle_since=45, now=45) is None
    acd.agent_unavailable(7)
    assert acd.agent_available(7, idle_since=61, now=61).call_id == "a"


def test_expansion_never_goes_below_level_one():
    queue = QueueConfig(1, required={SALES: 3}, expand_after_seconds=1, expand_step=5)
    acd = make_acd(queue, agents={7: {SUPPORT: 9}})
    acd.agent_available(7, idle_since=0, now=0)
    acd.enqueue(call("a", arrived=0), now=0)
    assert acd.tick(now=1000) == []


def test_no_expansion_when_expand_after_is_zero():
    acd = make_acd(QueueConfig(1, required={SALES: 8}, expand_step=7), agents={7: {SALES: 1}})
    acd.agent_available(7, idle_since=0, now=0)
    acd.enqueue(call("a", arrived=0), now=0)
    assert acd.tick(now=10_000) == []


def test_agent_takes_an_expanded_older_call_over_a_younger_one():
    queue = QueueConfig(1, required={SALES: 6}, expand_after_seconds=60)
    acd = make_acd(queue, agents={7: {SALES: 5}})
    acd.enqueue(call("old", arrived=0), now=0)
    acd.enqueue(call("young", arrived=100), now=100)
    assert acd.agent_available(7, idle_since=110, now=110).call_id == "old"


def test_agent_takes_an_expanded_normal_call_behind_a_vip_it_cannot_serve_yet():
    queue = QueueConfig(1, required={SALES: 6}, expand_after_seconds=60)
    acd = make_acd(queue, agents={7: {SALES: 5}})
    acd.enqueue(call("normal", arrived=0), now=0)
    acd.enqueue(call("vip", arrived=100, priority=5), now=100)
    assert acd.agent_available(7, idle_since=110, now=110).call_id == "normal"


def test_callback_with_original_arrival_is_expanded_at_once():
    queue = QueueConfig(1, required={SALES: 6}, expand_after_seconds=60)
    acd = make_acd(queue, agents={7: {SALES: 5}})
    acd.agent_available(7, idle_since=0, now=500)
    assert acd.enqueue(call("callback", arrived=400), now=500).agent_ids == (7,)


# --- several queues ---------------------------------------------------------------------


def test_agent_serves_the_highest_priority_queue_first():
    acd = make_acd(QueueConfig(1, priority=1), QueueConfig(2, priority=9), QueueConfig(3, priority=5), agents={7: {}})
    acd.enqueue(call("low", queue_id=1, arrived=0), now=0)
    acd.enqueue(call("high", queue_id=2, arrived=50), now=50)
    acd.enqueue(call("mid", queue_id=3, arrived=10), now=50)
    assert acd.agent_available(7, idle_since=60, now=60).call_id == "high"
    assert acd.agent_available(7, idle_since=61, now=61).call_id == "mid"
    assert acd.agent_available(7, idle_since=62, now=62).call_id == "low"


def test_equal_priority_queues_serve_the_oldest_call():
    acd = make_acd(QueueConfig(1), QueueConfig(2), agents={7: {}})
    acd.enqueue(call("newer", queue_id=1, arrived=20), now=20)
    acd.enqueue(call("older", queue_id=2, arrived=10), now=20)
    assert acd.agent_available(7, idle_since=30, now=30).call_id == "older"


def test_agent_skips_queues_it_does_not_qualify_for():
    acd = make_acd(
        QueueConfig(1, priority=9, required={FRENCH: 1}),
        QueueConfig(2, priority=1, required={SALES: 1}),
        agents={7: {SALES: 2}},
    )
    acd.enqueue(call("french", queue_id=1), now=0)
    acd.enqueue(call("sales", queue_id=2), now=0)
    assert acd.agent_available(7, idle_since=1, now=1).call_id == "sales"


def test_queue_priority_change_is_applied():
    acd = make_acd(QueueConfig(1, priority=1), QueueConfig(2, priority=2), agents={7: {}})
    acd.enqueue(call("one", queue_id=1, arrived=5), now=5)
    acd.enqueue(call("two", queue_id=2, arrived=5), now=5)
    acd.set_queue(QueueConfig(1, priority=3))
    assert acd.agent_available(7, idle_since=6, now=6).call_id == "one"


# --- requeue after RONA ---------------------------------------------------------------------


def test_requeued_call_keeps_its_place():
    acd = make_acd(QueueConfig(1), agents={7: {}})
    acd.agent_available(7, idle_since=0, now=0)
    first = call("first", arrived=1)
    assert acd.enqueue(first, now=1).agent_ids == (7,)
    acd.enqueue(call("second", arrived=2), now=2)
    acd.enqueue(call("third", arrived=2), now=2)
    acd.agent_unavailable(7)
    assert acd.requeue(first, now=16, exclude_agent_ids=[7]) is None
    assert [c.call_id for c in acd.waiting(1)] == ["first", "second", "third"]


def test_requeue_keeps_exact_ties_in_order():
    acd = make_acd(QueueConfig(1), agents={7: {}})
    acd.agent_available(7, idle_since=0, now=0)
    first = call("first", arrived=1)
    acd.enqueue(first, now=1)
    acd.enqueue(call("second", arrived=1), now=1)
    acd.agent_unavailable(7)
    acd.requeue(first, now=16, exclude_agent_ids=[7])
    assert acd.position("first") == 1


def test_requeued_call_is_not_offered_to_the_excluded_agent():
    acd = make_acd(QueueConfig(1), agents={7: {}, 8: {}})
    acd.agent_available(7, idle_since=0, now=0)
    first = call("a", arrived=1)
    acd.enqueue(first, now=1)
    acd.agent_unavailable(7)
    assert acd.requeue(first, now=16, exclude_agent_ids=[7]) is None
    assert acd.release_agents([7], now=17) == []  # policy put 7 back: still excluded
    assert acd.available_agents() == {7}
    assert acd.agent_available(8, idle_since=18, now=18).agent_ids == (8,)


def test_requeue_goes_to_another_available_agent_at_once():
    acd = make_acd(QueueConfig(1), agents={7: {}, 8: {}})
    acd.agent_available(7, idle_since=0, now=0)
    first = call("a", arrived=1)
    acd.enqueue(first, now=1)
    acd.agent_available(8, idle_since=2, now=2)
    assert acd.requeue(first, now=16, exclude_agent_ids=[7]).agent_ids == (8,)


def test_exclusion_ends_when_the_agent_comes_back_by_themselves():
    acd = make_acd(QueueConfig(1), agents={7: {}})
    acd.agent_available(7, idle_since=0, now=0)
    first = call("a", arrived=1)
    acd.enqueue(first, now=1)
    acd.agent_unavailable(7)
    acd.requeue(first, now=16, exclude_agent_ids=[7])
    assert acd.agent_available(7, idle_since=40, now=40).call_id == "a"


def test_exclusion_ends_when_the_call_is_matched_to_someone_else():
    acd = make_acd(QueueConfig(1), agents={7: {}, 8: {}})
    acd.agent_available(7, idle_since=0, now=0)
    first = call("a", arrived=1)
    acd.enqueue(first, now=1)
    assert acd.requeue(first, now=16, exclude_agent_ids=[7]) is None
    acd.release_agents([7], now=16)
    assert acd.agent_available(8, idle_since=17, now=17).call_id == "a"  # 8 takes it, then RONAs too
    acd.agent_unavailable(8)
    assert acd.requeue(first, now=32, exclude_agent_ids=[8]).agent_ids == (7,)


def test_excluded_agent_still_gets_other_calls():
    acd = make_acd(QueueConfig(1), agents={7: {}})
    acd.agent_available(7, idle_since=0, now=0)
    first = call("a", arrived=1)
    acd.enqueue(first, now=1)
    acd.requeue(first, now=16, exclude_agent_ids=[7])
    acd.release_agents([7], now=16)
    assert acd.enqueue(call("b", arrived=17), now=17).agent_ids == (7,)


# --- configuration changes ---------------------------------------------------------------


def test_new_skills_of_an_available_agent_are_matched_on_tick():
    acd = make_acd(QueueConfig(1, required={FRENCH: 1}), agents={7: {SALES: 1}})
    acd.agent_available(7, idle_since=0, now=0)
    acd.enqueue(call("a"), now=1)
    acd.set_agent(AgentProfile(7, {SALES: 1, FRENCH: 4}))
    assert acd.available_agents() == {7}
    assert [a.call_id for a in acd.tick(now=2)] == ["a"]


def test_relaxed_queue_requirements_are_matched_on_tick():
    acd = make_acd(QueueConfig(1, required={FRENCH: 5}), agents={7: {FRENCH: 2}})
    acd.agent_available(7, idle_since=0, now=0)
    acd.enqueue(call("a"), now=1)
    acd.set_queue(QueueConfig(1, required={FRENCH: 2}))
    assert acd.waiting_count(1) == 1
    assert [a.agent_ids for a in acd.tick(now=2)] == [(7,)]


def test_removed_agent_is_never_offered():
    acd = make_acd(QueueConfig(1), agents={7: {}})
    acd.agent_available(7, idle_since=0, now=0)
    acd.remove_agent(7)
    acd.remove_agent(7)
    assert acd.available_agents() == set()
    assert acd.enqueue(call("a"), now=1) is None


# --- concurrency --------------------------------------------------------------------------


def test_threads_never_double_assign():
    agents = {agent_id: {SALES: 1 + agent_id % 3} for agent_id in range(40)}
    acd = make_acd(QueueConfig(1, required={SALES: 1}), QueueConfig(2, strategy="ring_all"), agents=agents)
    results: list[Assignment] = []
    results_lock = threading.Lock()

    def worker(offset: int) -> None:
        for step in range(300):
            found = []
            if step % 2:
                found.append(acd.enqueue(call(f"{offset}-{step}", queue_id=1 + step % 4 // 3), now=step))
            else:
                agent_id = (offset * 7 + step) % 40
                found.append(acd.agent_available(agent_id, idle_since=step, now=step))
            with results_lock:
                results.extend(a for a in found if a is not None)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    call_ids = [a.call_id for a in results]
    assert len(call_ids) == len(set(call_ids))
    assert results
