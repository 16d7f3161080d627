"""Bullseye routing in the ACD: rings of agents by skill level, widening with each call's own wait."""

from __future__ import annotations

from apps.telephony.acd import Acd, AgentProfile, Assignment, QueueConfig, WaitingCall
from apps.telephony.engine.config import QueueSettings, rings_from_json

SALES = 1
FRENCH = 2
RINGS = ((9, 0.0), (6, 20.0), (3, 45.0))


def bullseye(queue_id: int = 1, rings=RINGS, required=None, **kwargs) -> QueueConfig:
    return QueueConfig(queue_id, strategy="bullseye", required=required or {SALES: 1}, rings=rings, **kwargs)


def make_acd(*queues: QueueConfig, agents: dict[int, dict[int, int]]) -> Acd:
    acd = Acd()
    for queue in queues:
        acd.set_queue(queue)
    for agent_id, skills in agents.items():
        acd.set_agent(AgentProfile(agent_id, skills))
    return acd


def call(call_id: str, queue_id: int = 1, arrived: float = 0.0, priority: int = 0) -> WaitingCall:
    return WaitingCall(call_id=call_id, queue_id=queue_id, arrived=arrived, priority=priority)


def test_call_goes_to_the_inner_ring_first_even_when_an_outer_agent_idled_longer():
    acd = make_acd(bullseye(), agents={1: {SALES: 4}, 2: {SALES: 10}})
    acd.agent_available(1, idle_since=0, now=0)  # longest idle, but only in ring 3
    acd.agent_available(2, idle_since=5, now=5)
    assignment = acd.enqueue(call("c1", arrived=10), now=10)
    assert assignment == Assignment(call_id="c1", queue_id=1, agent_ids=(2,), waited=0, ring=1)


def test_rings_widen_at_the_calls_own_wait_and_no_sooner():
    acd = make_acd(bullseye(), agents={1: {SALES: 7}, 2: {SALES: 4}})
    acd.agent_available(1, idle_since=0, now=0)
    acd.agent_available(2, idle_since=0, now=0)
    assert acd.enqueue(call("c1", arrived=100), now=100) is None
    assert acd.tick(119.9) == []  # still ring 1: nobody at level 9
    assert acd.waiting_count(1) == 1
    [assignment] = acd.tick(120)  # ring 2 (>= 6) from 20 s of wait: agent 1
    assert assignment == Assignment(call_id="c1", queue_id=1, agent_ids=(1,), waited=20, ring=2)
    assert acd.enqueue(call("c2", arrived=130), now=130) is None
    assert acd.tick(174.9) == []
    [assignment] = acd.tick(175)  # ring 3 (>= 3) from 45 s: agent 2
    assert assignment.agent_ids == (2,) and assignment.ring == 3 and assignment.waited == 45


def test_each_call_is_in_its_own_ring():
    acd = make_acd(bullseye(), agents={1: {SALES: 7}})
    acd.enqueue(call("old", arrived=0), now=0)
    acd.enqueue(call("young", arrived=25), now=25)
    assert acd.tick(25) == []  # the old call reached ring 2 at 20 s, but agent 1 is not ready yet
    assignment = acd.agent_available(1, idle_since=30, now=30)
    assert assignment is not None and assignment.call_id == "old" and assignment.ring == 2
    acd.agent_available(1, idle_since=31, now=31)  # back from the call: the young one waited only 6 s
    assert acd.waiting_count(1) == 1
    assert acd.tick(44.9) == []
    [assignment] = acd.tick(45)  # the young call reaches ring 2 at 25 + 20
    assert assignment.call_id == "young" and assignment.agent_ids == (1,)


def test_agent_driven_match_takes_only_a_call_whose_ring_includes_the_agent():
    acd = make_acd(bullseye(), agents={1: {SALES: 5}, 2: {SALES: 9}})
    acd.enqueue(call("c1", arrived=0), now=0)
    acd.enqueue(call("c2", arrived=10), now=10)
    # At 50 s: c1 has waited 50 s (ring 3, includes level 5), c2 40 s (ring 2: level 6 and up).
    assignment = acd.agent_available(1, idle_since=50, now=50)
    assert assignment is not None and assignment.call_id == "c1" and assignment.ring == 3
    assert acd.agent_available(1, idle_since=51, now=51) is None  # c2 is still in ring 2
    assert [waiting.call_id for waiting in acd.waiting(1)] == ["c2"]
    # A ring-1 agent takes it at once.
    assignment = acd.agent_available(2, idle_since=52, now=52)
    assert assignment is not None and assignment.call_id == "c2" and assignment.ring == 2


def test_an_agent_in_no_ring_is_never_offered_the_call():
    acd = make_acd(bullseye(), agents={1: {SALES: 2}, 3: {FRENCH: 10}})
    acd.agent_available(1, idle_since=0, now=0)
    acd.agent_available(3, idle_since=0, now=0)
    acd.enqueue(call("c1"), now=0)
    assert acd.tick(10_000) == []
    assert acd.waiting_count(1) == 1


def test_ties_in_a_ring_go_to_the_longest_idle_then_the_lowest_id():
    acd = make_acd(bullseye(), agents={4: {SALES: 9}, 3: {SALES: 10}, 5: {SALES: 9}})
    acd.agent_available(4, idle_since=1, now=1)
    acd.agent_available(3, idle_since=1, now=1)
    acd.agent_available(5, idle_since=0.5, now=1)
    # Inside ring 1 the level does not rank: the longest idle (5), then by id (3 before 4).
    assert acd.enqueue(call("a"), now=2).agent_ids == (5,)
    assert acd.enqueue(call("b"), now=2).agent_ids == (3,)
    assert acd.enqueue(call("c"), now=2).agent_ids == (4,)


def test_several_required_skills_need_the_ring_level_in_each():
    queue = bullseye(rings=((8, 0.0), (4, 30.0)), required={SALES: 1, FRENCH: 1})
    acd = make_acd(queue, agents={1: {SALES: 10, FRENCH: 5}, 2: {SALES: 9, FRENCH: 8}})
    acd.agent_available(1, idle_since=0, now=0)
    assignment = acd.enqueue(call("c1"), now=0)
    assert assignment is None  # agent 1 is in ring 2 only (French 5)
    assignment = acd.agent_available(2, idle_since=1, now=1)
    assert assignment is not None and assignment.agent_ids == (2,) and assignment.ring == 1


def test_a_requeued_call_keeps_its_ring():
    acd = make_acd(bullseye(), agents={1: {SALES: 7}, 2: {SALES: 7}})
    acd.agent_available(1, idle_since=0, now=0)
    acd.enqueue(call("c1", arrived=0), now=0)
    [assignment] = acd.tick(20)
    assert assignment.agent_ids == (1,)
    # RONA at 35 s: back at its place, with its 35 s of wait (ring 2); agent 2 takes it at once.
    acd.agent_available(2, idle_since=35, now=35)
    assignment = acd.requeue(call("c1", arrived=0), now=35, exclude_agent_ids=(1,))
    assert assignment is not None and assignment.agent_ids == (2,) and assignment.ring == 2


def test_a_call_in_a_higher_priority_queue_wins_only_if_its_ring_includes_the_agent():
    vip = bullseye(queue_id=2, priority=9)
    plain = QueueConfig(3, priority=1, required={SALES: 1})
    acd = make_acd(vip, plain, agents={1: {SALES: 6}})
    acd.enqueue(call("vip", queue_id=2, arrived=0), now=0)
    acd.enqueue(call("plain", queue_id=3, arrived=0), now=0)
    assignment = acd.agent_available(1, idle_since=5, now=5)  # vip is still in ring 1 (>= 9)
    assert assignment is not None and assignment.call_id == "plain" and assignment.ring is None
    acd.agent_available(1, idle_since=25, now=25)
    assert acd.waiting_count(2) == 0  # the vip call reached ring 2 at 20 s


def test_other_strategies_ignore_rings_and_a_bullseye_queue_without_skills_is_longest_idle():
    acd = make_acd(
        QueueConfig(1, required={SALES: 1}, rings=RINGS),
        QueueConfig(2, strategy="bullseye", rings=RINGS),
        agents={1: {SALES: 2}, 2: {}},
    )
    acd.agent_available(1, idle_since=0, now=0)
    acd.agent_available(2, idle_since=1, now=1)
    assert acd.enqueue(call("a", queue_id=1, arrived=2), now=2) == Assignment("a", 1, (1,), 0)
    assert acd.enqueue(call("b", queue_id=2, arrived=2), now=2) == Assignment("b", 2, (2,), 0)


def test_engine_settings_pass_rings_to_the_acd_only_for_bullseye():
    rings = rings_from_json([{"min_level": 9, "after_seconds": 0}, {"min_level": 5, "after_seconds": 30}, "junk"])
    assert rings == ((9, 0.0), (5, 30.0))
    settings = QueueSettings(queue_id=1, strategy="bullseye", required={SALES: 1}, bullseye_rings=rings)
    assert settings.acd_config().rings == rings
    assert settings.needs_tick
    settings.strategy = "longest_idle"
    assert settings.acd_config().rings == ()
    assert not settings.needs_tick
