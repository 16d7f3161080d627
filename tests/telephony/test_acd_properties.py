"""Property-based tests of the ACD: random interleavings of everything the engine can do.

A small model follows what the engine knows (who is available, which calls wait, which calls
are out on an offer, RONA exclusions, sticky holds) and checks every assignment against it:
no agent in two live assignments, no call assigned twice, an assigned agent never offered
again until made available, skills respected (with expansion), exclusions and sticky holds
respected, and after a tick no waiting call left unmatched while an agent who may take it
is available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.telephony.acd import Acd, AgentProfile, Assignment, QueueConfig, WaitingCall

SKILLS = (1, 2, 3)
STRATEGIES = ("longest_idle", "most_skilled", "round_robin", "ring_all", "sticky")

queue_configs = st.tuples(
    st.sampled_from(STRATEGIES),
    st.integers(1, 3),  # queue priority
    st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=2),  # required levels
    st.sampled_from([0, 1, 2.5, 5]),  # expand after (s)
    st.integers(1, 2),  # expand step
    st.sampled_from([0, 3, 10]),  # sticky wait (s)
)
agent_skills = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3)

operations = st.one_of(
    st.tuples(
        st.just("enqueue"),
        st.integers(0, 9),  # queue
        st.integers(0, 1),  # VIP bump
        st.sampled_from([0, 0, 0, 4]),  # a callback arrives with an earlier arrival time
        st.one_of(st.none(), st.integers(0, 9)),  # sticky agent
    ),
    st.tuples(st.just("available"), st.integers(0, 9)),
    st.tuples(st.just("unavailable"), st.integers(0, 9)),
    st.tuples(st.just("remove"), st.integers(0, 99)),
    st.tuples(st.just("tick")),
    st.tuples(st.just("requeue"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("release"), st.lists(st.integers(0, 9), max_size=3)),
    st.tuples(st.just("advance"), st.integers(1, 6)),
)


def stage(queue: QueueConfig, arrived: float, now: float) -> int:
    if queue.expand_after_seconds <= 0 or now <= arrived:
        return 0
    return math.floor((now - arrived) / queue.expand_after_seconds)


def qualifies(skills: dict[int, int], queue: QueueConfig, arrived: float, now: float) -> bool:
    drop = queue.expand_step * stage(queue, arrived, now)
    return all(skills.get(skill, 0) >= max(1, level - drop) for skill, level in queue.required.items())


@dataclass
class Model:
    queues: dict[int, QueueConfig]
    skills: dict[int, dict[int, int]]
    acd: Acd = field(default_factory=Acd)
    now: float = 0.0
    available: set[int] = field(default_factory=set)
    reserved: dict[int, str] = field(default_factory=dict)  # agent -> call of its live assignment
    waiting: dict[str, WaitingCall] = field(default_factory=dict)
    offered: dict[str, WaitingCall] = field(default_factory=dict)  # assigned, not yet requeued
    order: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, set[int]] = field(default_factory=dict)
    hold_until: dict[str, float] = field(default_factory=dict)
    calls_made: int = 0

    def __post_init__(self) -> None:
        for queue in self.queues.values():
            self.acd.set_queue(queue)
        for agent_id, skills in self.skills.items():
            self.acd.set_agent(AgentProfile(agent_id, skills))

    # --- the engine's moves ----------------------------------------------------------
    def run(self, operation: tuple) -> None:
        kind = operation[0]
        if kind == "enqueue":
            _, queue_index, vip, back, sticky_index = operation
            queue_id = sorted(self.queues)[queue_index % len(self.queues)]
            sticky = None if sticky_index is None else sorted(self.skills)[sticky_index % len(self.skills)]
            call_id = f"c{self.calls_made}"
            self.calls_made += 1
            call = WaitingCall(call_id, queue_id, arrived=self.now - back, priority=vip, sticky_agent_id=sticky)
            queue = self.queues[queue_id]
            self.order[call_id] = self.calls_made
            if (
                queue.strategy == "sticky"
                and sticky is not None
                and queue.sticky_wait_seconds > 0
                and qualifies(self.skills[sticky], queue, call.arrived, self.now)
            ):
                self.hold_until[call_id] = self.now + queue.sticky_wait_seconds
            self.waiting[call_id] = call
            self.check([self.acd.enqueue(call, self.now)])
        elif kind == "available":
            agent_id = sorted(self.skills)[operation[1] % len(self.skills)]
            self.free(agent_id)
            for agents in self.excluded.values():
                agents.discard(agent_id)
            self.available.add(agent_id)
            self.check([self.acd.agent_available(agent_id, idle_since=self.now, now=self.now)])
        elif kind == "unavailable":
            agent_id = sorted(self.skills)[operation[1] % len(self.skills)]
            self.free(agent_id)
            self.available.discard(agent_id)
            self.acd.agent_unavailable(agent_id)
        elif kind == "remove":
            known = sorted(self.waiting) + sorted(self.offered)
            if not known:
                return
            call_id = known[operation[1] % len(known)]
            removed = self.acd.remove_call(call_id)
            if call_id in self.waiting:
                assert removed == self.waiting.pop(call_id)
            else:
                assert removed is None
                self.offered.pop(call_id)
            self.excluded.pop(call_id, None)
            self.hold_until.pop(call_id, None)
        elif kind == "tick":
            self.check(self.acd.tick(self.now))
            self.check_nothing_left_to_match()
        elif kind == "requeue":
            _, index, rona_unavailable = operation
            if not self.offered:
                return
            call_id = sorted(self.offered)[index % len(self.offered)]
            call = self.offered.pop(call_id)
            ringing = [agent_id for agent_id, reserved_call in self.reserved.items() if reserved_call == call_id]
            if rona_unavailable:
                for agent_id in ringing:
                    self.free(agent_id)
                    self.acd.agent_unavailable(agent_id)
            self.excluded[call_id] = set(ringing)
            self.hold_until.pop(call_id, None)  # a requeued call is never held again
            self.waiting[call_id] = call
            self.check([self.acd.requeue(call, self.now, exclude_agent_ids=ringing)])
        elif kind == "release":
            agent_ids = [sorted(self.skills)[index % len(self.skills)] for index in operation[1]]
            for agent_id in agent_ids:
                self.free(agent_id)
                self.available.add(agent_id)
            self.check(self.acd.release_agents(agent_ids, self.now))
        elif kind == "advance":
            self.now += operation[1] / 2
        self.check_same_view()

    def free(self, agent_id: int) -> None:
        self.reserved.pop(agent_id, None)

    # --- what must hold ---------------------------------------------------------------
    def blocked(self, call: WaitingCall, agent_id: int) -> bool:
        if agent_id in self.excluded.get(call.call_id, ()):
            return True
        queue = self.queues[call.queue_id]
        held = queue.strategy == "sticky" and self.hold_until.get(call.call_id, -math.inf) > self.now
        return held and call.sticky_agent_id != agent_id

    def check(self, assignments: list[Assignment | None]) -> None:
        for assignment in assignments:
            if assignment is None:
                continue
            call = self.waiting.pop(assignment.call_id)  # KeyError: the call was not waiting
            assert assignment.queue_id == call.queue_id
            assert assignment.agent_ids
            assert len(set(assignment.agent_ids)) == len(assignment.agent_ids)
            queue = self.queues[call.queue_id]
            if queue.strategy != "ring_all":
                assert len(assignment.agent_ids) == 1
            for agent_id in assignment.agent_ids:
                assert agent_id in self.available, "offered an agent who is not available"
                assert agent_id not in self.reserved, "agent in two live assignments"
                assert qualifies(self.skills[agent_id], queue, call.arrived, self.now), "skills not met"
                assert not self.blocked(call, agent_id), "excluded or held for another agent"
                self.available.discard(agent_id)
                self.reserved[agent_id] = call.call_id
            self.offered[call.call_id] = call
            self.excluded.pop(call.call_id, None)
            self.hold_until.pop(call.call_id, None)

    def check_nothing_left_to_match(self) -> None:
        for call in self.waiting.values():
            queue = self.queues[call.queue_id]
            for agent_id in self.available:
                left = qualifies(self.skills[agent_id], queue, call.arrived, self.now) and not self.blocked(
                    call, agent_id
                )
                assert not left, f"{call.call_id} waits while agent {agent_id} could take it"

    def check_same_view(self) -> None:
        assert self.acd.available_agents() == self.available
        for queue_id in self.queues:
            expected = sorted(
                (call for call in self.waiting.values() if call.queue_id == queue_id),
                key=lambda call: (-call.priority, call.arrived, self.order[call.call_id]),
            )
            assert [call.call_id for call in self.acd.waiting(queue_id)] == [call.call_id for call in expected]
            assert self.acd.waiting_count(queue_id) == len(expected)
            for position, call in enumerate(expected, start=1):
                assert self.acd.position(call.call_id) == position
        for call_id in self.offered:
            assert self.acd.position(call_id) is None


@settings(max_examples=200, deadline=None)
@given(
    queues=st.lists(queue_configs, min_size=1, max_size=3),
    agents=st.lists(agent_skills, min_size=1, max_size=6),
    script=st.lists(operations, max_size=60),
)
def test_random_interleavings_keep_every_invariant(queues, agents, script):
    model = Model(queues=build_queues(queues), skills={100 + index: skills for index, skills in enumerate(agents)})
    for operation in script:
        model.run(operation)
    model.run(("tick",))


def build_queues(queues: list[tuple]) -> dict[int, QueueConfig]:
    return {
        index + 1: QueueConfig(
            index + 1,
            strategy=strategy,
            priority=priority,
            required=required,
            expand_after_seconds=expand_after,
            expand_step=step,
            sticky_wait_seconds=sticky_wait,
        )
        for index, (strategy, priority, required, expand_after, step, sticky_wait) in enumerate(queues)
    }


@settings(max_examples=100, deadline=None)
@given(
    agents=st.lists(agent_skills, min_size=2, max_size=6),
    script=st.lists(
        st.one_of(
            st.tuples(st.just("enqueue"), st.just(0), st.integers(0, 1), st.just(0), st.none()),
            st.tuples(st.just("available"), st.integers(0, 9)),
            st.tuples(st.just("requeue"), st.integers(0, 99), st.booleans()),
            st.tuples(st.just("release"), st.lists(st.integers(0, 9), max_size=3)),
            st.tuples(st.just("tick")),
        ),
        max_size=60,
    ),
)
def test_ring_all_and_rona_never_double_offer(agents, script):
    model = Model(
        queues={1: QueueConfig(1, strategy="ring_all", required={1: 1})},
        skills={100 + index: skills for index, skills in enumerate(agents)},
    )
    for operation in script:
        model.run(operation)
    model.run(("tick",))


@settings(max_examples=100, deadline=None)
@given(
    strategy=st.sampled_from(STRATEGIES),
    expand=st.tuples(st.sampled_from([1, 2.5]), st.integers(1, 2)),
    agents=st.lists(st.dictionaries(st.just(1), st.integers(1, 5), min_size=1), min_size=1, max_size=4),
    script=st.lists(
        st.one_of(
            st.tuples(st.just("enqueue"), st.just(0), st.integers(0, 1), st.sampled_from([0, 3]), st.none()),
            st.tuples(st.just("available"), st.integers(0, 9)),
            st.tuples(st.just("unavailable"), st.integers(0, 9)),
            st.tuples(st.just("advance"), st.integers(1, 6)),
            st.tuples(st.just("tick")),
        ),
        max_size=40,
    ),
)
def test_expanding_skills_are_rematched_on_tick(strategy, expand, agents, script):
    expand_after, step = expand
    model = Model(
        queues={
            1: QueueConfig(1, strategy=strategy, required={1: 6}, expand_after_seconds=expand_after, expand_step=step)
        },
        skills={100 + index: skills for index, skills in enumerate(agents)},
    )
    for operation in script:
        model.run(operation)
    model.run(("tick",))
