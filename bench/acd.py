"""ACD routing benchmark: decision latency and throughput at contact-center scale.

Run from the repository root: ``.venv/bin/python bench/acd.py`` (no database; pure ACD).

The world: 2,000 agents over 20 skills (each agent 2–4 skills, levels 1–10), 20 queues
(one or two required skills with minimum levels 1–7; mixed strategies; some with
expanding skills), and a backlog of 1,000 queued calls that is kept topped up. The
workload is a steady-state mix of the engine's moves, each one timed as a routing
decision:

* an agent finishes a call and becomes available (``agent_available``) — most decisions;
* a new call arrives (``enqueue``), topping the backlog back up to 1,000;
* an offer is not answered (RONA: ``requeue`` excluding the agent);
* a ring-all race ends (``release_agents`` for the losers);
* a caller abandons (``remove_call``);
* periodic ``tick`` (expanding skills, sticky timeouts) on the advancing virtual clock.

Agents who find nothing to take stay idle, so the available pool holds agents who do not
qualify for the backlog: every call arrival scans real candidates.

Figures: ``p50_ms``/``p99_ms`` are wall-clock per decision and ``decisions_per_s`` is
decisions divided by the wall time spent inside the ACD (the benchmark's own bookkeeping is
not counted). On a shared machine the wall tail includes preemption by other processes, so
the same figures in CPU time of the routing thread (``cpu_*``) and the load average are
printed too.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from apps.telephony.acd import Acd, AgentProfile, QueueConfig, WaitingCall  # noqa: E402

AGENTS = 2_000
SKILLS = 20
QUEUES = 20
QUEUED_CALLS = 1_000
DECISIONS = 60_000
SEED = 7


def build(rng: random.Random) -> tuple[Acd, list[QueueConfig]]:
    acd = Acd()
    strategies = ["longest_idle"] * 12 + ["most_skilled"] * 3 + ["round_robin"] * 2 + ["ring_all", "sticky", "sticky"]
    queues = []
    for queue_id in range(1, QUEUES + 1):
        skills = rng.sample(range(1, SKILLS + 1), rng.choice([1, 1, 2]))
        config = QueueConfig(
            queue_id=queue_id,
            strategy=strategies[queue_id - 1],
            priority=rng.randint(1, 9),
            required={skill: rng.randint(1, 7) for skill in skills},
            expand_after_seconds=rng.choice([0, 0, 30, 60]),
            expand_step=1,
            sticky_wait_seconds=10,
        )
        acd.set_queue(config)
        queues.append(config)
    for agent_id in range(1, AGENTS + 1):
        skills = rng.sample(range(1, SKILLS + 1), rng.randint(2, 4))
        acd.set_agent(AgentProfile(agent_id, {skill: rng.randint(1, 10) for skill in skills}))
    return acd, queues


def main() -> dict:
    rng = random.Random(SEED)
    acd, queues = build(rng)
    now = 0.0
    latencies: list[int] = []  # wall-clock nanoseconds per decision
    cpu_latencies: list[int] = []  # CPU nanoseconds of this thread per decision
    tick_latencies: list[int] = []
    busy: list[int] = list(range(1, AGENTS + 1))  # every agent starts on a call
    reserved: dict[int, tuple[str, tuple[int, ...]]] = {}  # agent -> (call, ringing agents)
    waiting: set[str] = set()
    calls: dict[str, WaitingCall] = {}
    counter = 0
    assignments = 0

    def note(assignment) -> None:
        nonlocal assignments
        if assignment is None:
            return
        assignments += 1
        waiting.discard(assignment.call_id)
        for agent_id in assignment.agent_ids:
            reserved[agent_id] = (assignment.call_id, assignment.agent_ids)

    def new_call() -> WaitingCall:
        nonlocal counter
        counter += 1
        queue = queues[rng.randrange(QUEUES)]
        call = WaitingCall(
            call_id=f"c{counter}",
            queue_id=queue.queue_id,
            arrived=now,
            priority=1 if rng.random() < 0.05 else 0,
            sticky_agent_id=rng.randint(1, AGENTS) if queue.strategy == "sticky" and rng.random() < 0.5 else None,
        )
        calls[call.call_id] = call
        return call

    def timed(function, *args, **kwargs):
        cpu_start = time.thread_time_ns()
        start = time.perf_counter_ns()
        result = function(*args, **kwargs)
        latencies.append(time.perf_counter_ns() - start)
        cpu_latencies.append(time.thread_time_ns() - cpu_start)
        return result

    # Backlog: 1,000 calls waiting while everybody is busy.
    for _ in range(QUEUED_CALLS):
        call = new_call()
        waiting.add(call.call_id)
        note(acd.enqueue(call, now))

    steps = 0
    while len(latencies) < DECISIONS:
        steps += 1
        now += 0.05
        roll = rng.random()
        if reserved and roll < 0.03:  # RONA: the offer times out, the call goes back, the agent goes NotReady
            agent_id = rng.choice(list(reserved))
            call_id, ringing = reserved[agent_id]
            for ringing_agent in ringing:
                if reserved.get(ringing_agent, (None,))[0] == call_id:
                    del reserved[ringing_agent]
                    acd.agent_unavailable(ringing_agent)
                    busy.append(ringing_agent)
            waiting.add(call_id)
            note(timed(acd.requeue, calls[call_id], now, exclude_agent_ids=ringing))
        elif reserved and roll < 0.05:  # ring-all answered by one: release the others
            agent_id = rng.choice(list(reserved))
            call_id, ringing = reserved[agent_id]
            losers = [a for a in ringing if a != agent_id and reserved.get(a, (None,))[0] == call_id]
            for loser in losers:
                del reserved[loser]
            for assignment in timed(acd.release_agents, losers, now):
                note(assignment)
        elif waiting and roll < 0.08:  # abandon
            call_id = rng.choice(list(waiting))
            waiting.discard(call_id)
            timed(acd.remove_call, call_id)
        elif roll < 0.55 and busy:  # a busy agent finishes wrap-up and becomes available
            agent_id = busy.pop(rng.randrange(len(busy)))
            note(timed(acd.agent_available, agent_id, now, now))
        else:  # a new call, keeping about 1,000 queued
            if len(waiting) < QUEUED_CALLS:
                call = new_call()
                waiting.add(call.call_id)
                note(timed(acd.enqueue, call, now))
        # Answered offers turn into talking agents (busy again).
        if reserved and rng.random() < 0.5:
            agent_id = rng.choice(list(reserved))
            del reserved[agent_id]
            acd.agent_unavailable(agent_id)
            busy.append(agent_id)
        if steps % 200 == 0:  # every 10 s of virtual time
            start = time.perf_counter_ns()
            for assignment in acd.tick(now):
                note(assignment)
            tick_latencies.append(time.perf_counter_ns() - start)

    ordered = sorted(latencies)
    cpu_ordered = sorted(cpu_latencies)

    def percentile(values: list[int], fraction: float) -> float:
        return round(values[min(len(values) - 1, int(len(values) * fraction))] / 1e6, 4)

    result = {
        "agents": AGENTS,
        "skills": SKILLS,
        "queued_calls": QUEUED_CALLS,
        "queues": QUEUES,
        "decisions": len(latencies),
        "assignments": assignments,
        "p50_ms": percentile(ordered, 0.5),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": percentile(ordered, 1.0),
        "decisions_per_s": round(len(latencies) / (sum(latencies) / 1e9)),
        "cpu_p50_ms": percentile(cpu_ordered, 0.5),
        "cpu_p99_ms": percentile(cpu_ordered, 0.99),
        "cpu_decisions_per_s": round(len(cpu_latencies) / (sum(cpu_latencies) / 1e9)),
        "tick_p50_ms": round(statistics.median(tick_latencies) / 1e6, 3) if tick_latencies else 0,
        "available_agents_at_end": len(acd.available_agents()),
        "waiting_at_end": sum(acd.waiting_count(q.queue_id) for q in queues),
        "load_average": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    print(f"ACD: {AGENTS} agents, {SKILLS} skills, {QUEUES} queues, ~{QUEUED_CALLS} queued calls")
    print(f"decisions: {result['decisions']} ({assignments} assignments)")
    print(f"decision latency (wall): p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms")
    print(f"decision latency (CPU):  p50 {result['cpu_p50_ms']} ms, p99 {result['cpu_p99_ms']} ms")
    print(f"throughput: {result['decisions_per_s']} decisions/s wall, {result['cpu_decisions_per_s']} decisions/s CPU")
    print(f"tick p50: {result['tick_p50_ms']} ms")
    print(f"at the end: {result['available_agents_at_end']} agents available, {result['waiting_at_end']} calls waiting")
    print(f"machine: {result['cpus']} CPUs, load average {result['load_average']} (wall figures include preemption)")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
