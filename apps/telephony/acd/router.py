"""The ACD matcher.

Rules (what the engine can rely on):

* **Queue order**: call priority desc (VIP bump), then arrival, then a sequence number. A
  requeued call (RONA) or a callback keeps its arrival and priority, so its place; the
  sequence number of a call assigned recently is remembered too, so even exact ties keep
  their order.
* **Matching** happens when a call arrives (:meth:`Acd.enqueue`, :meth:`Acd.requeue`), when
  an agent becomes available (:meth:`Acd.agent_available`, :meth:`Acd.release_agents`) and
  on :meth:`Acd.tick` for calls whose skill requirements expanded or whose sticky wait ran out
  (and after configuration changes: :meth:`Acd.set_queue` and :meth:`Acd.set_agent` cannot
  return assignments, so their consequences are matched on the next tick).
* **Qualifying**: an agent qualifies for a call when, for every skill the queue requires,
  the agent's level is at least the call's effective minimum
  ``max(1, required - expand_step * floor(wait / expand_after_seconds))`` (no expansion when
  ``expand_after_seconds`` is 0), where ``wait = now - call.arrived``. In a ``bullseye`` queue
  the minimum is instead the level of the call's current ring — ring ``k`` (from 0) once
  ``wait >= rings[k].after_seconds`` — for every required skill (a bullseye queue with no
  required skill routes like longest idle).
* **An agent taking a call** (agent-driven match) serves the highest-priority queue it
  qualifies for that has a call it may take, then the first such call in queue order; with
  equal queue priorities the call first in (priority, arrival) order wins. A call held for
  this agent by a sticky queue comes before all of that.
* **A call choosing an agent** (call-driven match) uses the queue's strategy:

  - ``longest_idle`` (default): the earliest ``idle_since``, ties by agent id.
  - ``most_skilled``: the highest **sum** of the agent's levels over the queue's required
    skills; ties by longest idle.
  - ``round_robin``: a per-queue pointer to the last agent served; the next qualifying
    available agent by agent id after it, wrapping around.
  - ``ring_all``: every qualifying available agent, all reserved; the engine releases the
    losers with :meth:`Acd.release_agents`. (An agent-driven match into a ring-all queue also
    rings every other qualifying available agent.)
  - ``sticky``: the call's ``sticky_agent_id`` if that agent is available and qualifies.
    Otherwise, if that agent is known to the ACD and qualifies, the call is *held* for them
    for ``sticky_wait_seconds`` from when it was enqueued: nobody else may take it, and the
    sticky agent gets it first when they become available. After the hold (expired on
    :meth:`Acd.tick`, or seen expired by any later match) the call goes to the longest idle
    agent. A requeued call is never held again.

* **RONA exclusions**: :meth:`Acd.requeue` excludes the given agents from that call. An
  exclusion ends when the call is matched to another agent (or leaves the queue), or when the
  excluded agent comes back by themselves through :meth:`Acd.agent_available`. A release by
  policy (:meth:`Acd.release_agents`) keeps it, so a RONA'd agent put back Ready by the
  engine is not offered the same call again at once.
* **Reservation**: every returned :class:`Assignment` has already taken its call out of the
  queue and its agents out of the available pool. An agent stays reserved until the engine
  calls :meth:`Acd.agent_available`, :meth:`Acd.agent_unavailable`,
  :meth:`Acd.release_agents` or :meth:`Acd.remove_agent` for it.
* Overflow after ``max_wait_seconds`` is the engine's decision (it reads
  :meth:`Acd.longest_wait` / :meth:`Acd.waiting` and calls :meth:`Acd.remove_call`).

Indices: available agents sit in one idle-ordered list per (skill, level) — an agent of
level 7 in a skill is in the lists for levels 1 to 7 — so a call finds candidates in the
shortest list among its required skills and, for longest idle, stops at the first agent that
passes the remaining checks. Waiting calls are sorted per queue and call priority; an
agent-driven match looks at the head of each priority class of each queue it qualifies for,
because within a class the effective levels only drop towards the head. Pending expansion
and sticky timeouts live in a heap with lazy deletion.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace

from .model import AgentProfile, Assignment, QueueConfig, WaitingCall
from .state import (
    AVAILABLE,
    BULLSEYE,
    NO_HOLD,
    RESERVED,
    UNAVAILABLE,
    AgentEntry,
    CallEntry,
    IdleIndex,
    QueueEntry,
    bullseye_rings,
    effective_levels,
    expansion_stage,
    next_stage_at,
    stages_needed,
)

LONGEST_IDLE = "longest_idle"
MOST_SKILLED = "most_skilled"
ROUND_ROBIN = "round_robin"
RING_ALL = "ring_all"
STICKY = "sticky"
STRATEGIES = (LONGEST_IDLE, MOST_SKILLED, ROUND_ROBIN, RING_ALL, STICKY, BULLSEYE)

# How many assigned calls' sequence numbers are remembered for a requeue to keep exact ties.
REMEMBERED_SEQUENCES = 100_000


class Acd:
    """Queues ordered by (call priority desc, arrival asc); agents indexed by skill.

    All public methods are thread-safe (one internal lock) and O(log n)-ish in the common case.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[int, QueueEntry] = {}
        self._agents: dict[int, AgentEntry] = {}
        self._calls: dict[str, CallEntry] = {}  # waiting calls only
        self._available: dict[int, AgentEntry] = {}
        self._by_level: dict[tuple[int, int], IdleIndex] = {}  # (skill, level) -> available agents at >= level
        self._all_available = IdleIndex()
        self._held_for: dict[int, set[str]] = {}  # sticky agent id -> calls held for them
        self._events: list[tuple[float, int, str, int]] = []  # (when, n, call id, version)
        self._event_numbers = itertools.count()
        self._sequence = itertools.count()
        self._remembered_seq: dict[str, int] = {}
        self._config_version = 0
        self._dirty_calls: set[str] = set()
        self._dirty_agents: set[int] = set()
        self._max_level = 10  # highest skill level seen; levels are 1..10 by contract

    # --- configuration -------------------------------------------------------------
    def set_queue(self, config: QueueConfig) -> None:
        """Add or replace a queue's configuration (waiting calls stay)."""
        with self._lock:
            queue = self._queues.get(config.queue_id)
            if queue is None:
                self._queues[config.queue_id] = QueueEntry(config)
            else:
                queue.config = config
                self._dirty_calls.update(queue.ordered_call_ids())
            self._config_version += 1

    def set_agent(self, profile: AgentProfile) -> None:
        """Add or replace an agent's skills. A new agent starts unavailable."""
        with self._lock:
            agent = self._agents.get(profile.agent_id)
            self._max_level = max(self._max_level, *profile.skills.values(), 0)
            if agent is None:
                self._agents[profile.agent_id] = AgentEntry(profile.agent_id, profile.skills)
                return
            available = agent.status == AVAILABLE
            if available:
                self._index_remove(agent)
            agent.skills = {skill: level for skill, level in profile.skills.items() if level >= 1}
            agent.queue_cache_version = -1
            if available:
                self._index_add(agent)
                self._dirty_agents.add(agent.agent_id)

    def remove_agent(self, agent_id: int) -> None:
        with self._lock:
            agent = self._agents.pop(agent_id, None)
            if agent is None:
                return
            if agent.status == AVAILABLE:
                self._index_remove(agent)
            for call_id in agent.excluded_from:
                entry = self._calls.get(call_id)
                if entry is not None:
                    entry.excluded.discard(agent_id)
            for call_id in self._held_for.pop(agent_id, set()):
                entry = self._calls.get(call_id)
                if entry is not None and entry.hold_until != NO_HOLD:
                    entry.hold_until = NO_HOLD
                    self._dirty_calls.add(call_id)
            self._dirty_agents.discard(agent_id)

    # --- agents ------------------------------------------------------------------
    def agent_available(self, agent_id: int, idle_since: float, now: float) -> Assignment | None:
        """The agent went Ready at ``idle_since``. Returns the call it should take now, if any
        (best waiting call over the queues it qualifies for, by queue priority then call order).

        Ends the agent's RONA exclusions. Raises KeyError for an agent never given to
        :meth:`set_agent`."""
        with self._lock:
            agent = self._agents.get(agent_id)
            if agent is None:
                raise KeyError(f"unknown agent {agent_id}: call set_agent first")
            if agent.status == AVAILABLE:
                self._index_remove(agent)
            for call_id in agent.excluded_from:
                entry = self._calls.get(call_id)
                if entry is not None:
                    entry.excluded.discard(agent_id)
            agent.excluded_from.clear()
            agent.idle_since = idle_since
            agent.status = AVAILABLE
            self._index_add(agent)
            self._dirty_agents.discard(agent_id)
            return self._offer_agent(agent, now)

    def agent_unavailable(self, agent_id: int) -> None:
        """Not ready, offline, or busy elsewhere. Idempotent."""
        with self._lock:
            agent = self._agents.get(agent_id)
            if agent is None:
                return
            if agent.status == AVAILABLE:
                self._index_remove(agent)
            agent.status = UNAVAILABLE
            self._dirty_agents.discard(agent_id)

    def release_agents(self, agent_ids: Iterable[int], now: float) -> list[Assignment]:
        """Ring-all losers (or a RONA'd agent set Ready again by policy) return to the pool
        keeping their idle_since; returns any matches that this makes possible.

        RONA exclusions stay. Unknown and already available agents are skipped."""
        with self._lock:
            released = []
            for agent_id in dict.fromkeys(agent_ids):
                agent = self._agents.get(agent_id)
                if agent is None or agent.status == AVAILABLE:
                    continue
                if agent.idle_since is None:
                    agent.idle_since = now
                agent.status = AVAILABLE
                self._index_add(agent)
                released.append(agent)
            released.sort(key=lambda agent: agent.idle_key)
            assignments = []
            for agent in released:
                if agent.status == AVAILABLE:  # a ring-all match of an earlier one may have taken it
                    assignment = self._offer_agent(agent, now)
                    if assignment is not None:
                        assignments.append(assignment)
            return assignments

    # --- calls -------------------------------------------------------------------
    def enqueue(self, call: WaitingCall, now: float) -> Assignment | None:
        """A call enters a queue. Returns its agent at once if one qualifies and is available.

        Raises KeyError for an unknown queue and ValueError for a call already waiting."""
        with self._lock:
            queue = self._queue_for(call)
            if call.call_id in self._calls:
                raise ValueError(f"call {call.call_id} is already waiting")
            entry = self._new_entry(call)
            config = queue.config
            sticky_id = call.sticky_agent_id
            if config.strategy == STICKY and sticky_id is not None and config.sticky_wait_seconds > 0:
                sticky_agent = self._agents.get(sticky_id)
                stage = expansion_stage(config, call.arrived, now)
                if sticky_agent is not None and self._qualifies(sticky_agent, effective_levels(config, stage)):
                    entry.hold_until = now + config.sticky_wait_seconds
                    self._held_for.setdefault(sticky_id, set()).add(call.call_id)
            queue.add(entry)
            self._calls[call.call_id] = entry
            return self._offer_call(entry, now)

    def requeue(self, call: WaitingCall, now: float, exclude_agent_ids: Iterable[int] = ()) -> Assignment | None:
        """An offer failed (RONA): the call goes back at its original place (same arrival and
        priority), and is not offered again to ``exclude_agent_ids`` for this attempt."""
        with self._lock:
            queue = self._queue_for(call)
            previous = self._calls.pop(call.call_id, None)
            if previous is not None:  # requeued while still waiting: start over with the new exclusions
                self._queues[previous.call.queue_id].remove(previous)
                self._forget_links(previous)
            entry = self._new_entry(call)
            for agent_id in exclude_agent_ids:
                entry.excluded.add(agent_id)
                agent = self._agents.get(agent_id)
                if agent is not None:
                    agent.excluded_from.add(call.call_id)
            queue.add(entry)
            self._calls[call.call_id] = entry
            return self._offer_call(entry, now)

    def remove_call(self, call_id: str) -> WaitingCall | None:
        """Abandon, overflow, callback, transfer: the call leaves its queue."""
        with self._lock:
            self._remembered_seq.pop(call_id, None)
            entry = self._calls.pop(call_id, None)
            if entry is None:
                return None
            self._queues[entry.call.queue_id].remove(entry)
            self._forget_links(entry)
            return entry.call

    def tick(self, now: float) -> list[Assignment]:
        """Periodic re-match: expanding skills (levels drop with wait) and sticky timeouts."""
        with self._lock:
            due: dict[str, CallEntry] = {}
            while self._events and self._events[0][0] <= now:
                _when, _number, call_id, version = heapq.heappop(self._events)
                entry = self._calls.get(call_id)
                if entry is not None and entry.event_version == version:
                    due[call_id] = entry
            for call_id in self._dirty_calls:
                entry = self._calls.get(call_id)
                if entry is not None:
                    due[call_id] = entry
            self._dirty_calls.clear()
            assignments = []
            for entry in sorted(due.values(), key=lambda e: (-self._queues[e.call.queue_id].config.priority, e.order)):
                if entry.call.call_id in self._calls:
                    assignment = self._offer_call(entry, now)
                    if assignment is not None:
                        assignments.append(assignment)
            dirty_agents = sorted(self._dirty_agents)
            self._dirty_agents.clear()
            for agent_id in dirty_agents:
                agent = self._agents.get(agent_id)
                if agent is not None and agent.status == AVAILABLE:
                    assignment = self._offer_agent(agent, now)
                    if assignment is not None:
                        assignments.append(assignment)
            return assignments

    # --- reading -------------------------------------------------------------------
    def position(self, call_id: str) -> int | None:
        """1-based position of a waiting call within its queue."""
        with self._lock:
            entry = self._calls.get(call_id)
            if entry is None:
                return None
            return self._queues[entry.call.queue_id].position(entry)

    def waiting(self, queue_id: int) -> list[WaitingCall]:
        with self._lock:
            queue = self._queues.get(queue_id)
            if queue is None:
                return []
            return [replace(self._calls[call_id].call) for call_id in queue.ordered_call_ids()]

    def waiting_count(self, queue_id: int) -> int:
        with self._lock:
            queue = self._queues.get(queue_id)
            return queue.count if queue is not None else 0

    def longest_wait(self, queue_id: int, now: float) -> float:
        with self._lock:
            queue = self._queues.get(queue_id)
            oldest = queue.oldest_arrival() if queue is not None else None
            return max(0.0, now - oldest) if oldest is not None else 0.0

    def available_agents(self) -> set[int]:
        with self._lock:
            return set(self._available)

    # --- internals (the lock is held) ------------------------------------------------
    def _queue_for(self, call: WaitingCall) -> QueueEntry:
        queue = self._queues.get(call.queue_id)
        if queue is None:
            raise KeyError(f"unknown queue {call.queue_id}: call set_queue first")
        return queue

    def _new_entry(self, call: WaitingCall) -> CallEntry:
        seq = self._remembered_seq.pop(call.call_id, None)
        return CallEntry(call, next(self._sequence) if seq is None else seq)

    def _index_add(self, agent: AgentEntry) -> None:
        key = agent.idle_key
        for skill, level in agent.skills.items():
            for at_least in range(1, level + 1):
                index = self._by_level.get((skill, at_least))
                if index is None:
                    index = self._by_level[(skill, at_least)] = IdleIndex()
                index.add(key)
        self._all_available.add(key)
        self._available[agent.agent_id] = agent

    def _index_remove(self, agent: AgentEntry) -> None:
        key = agent.idle_key
        for skill, level in agent.skills.items():
            for at_least in range(1, level + 1):
                self._by_level[(skill, at_least)].discard(key)
        self._all_available.discard(key)
        del self._available[agent.agent_id]

    @staticmethod
    def _qualifies(agent: AgentEntry, levels: dict[int, int]) -> bool:
        skills = agent.skills
        return all(skills.get(skill, 0) >= level for skill, level in levels.items())

    def _agent_queues(self, agent: AgentEntry) -> list[tuple[int, list[tuple[QueueEntry, int]]]]:
        """The queues this agent can ever qualify for, grouped by queue priority (highest first)."""
        if agent.queue_cache_version != self._config_version:
            groups: dict[int, list[tuple[QueueEntry, int]]] = {}
            for queue_id in sorted(self._queues):
                queue = self._queues[queue_id]
                needed = stages_needed(queue.config, agent.skills)
                if needed is not None:
                    groups.setdefault(queue.config.priority, []).append((queue, needed))
            agent.queue_cache = sorted(groups.items(), key=lambda item: -item[0])
            agent.queue_cache_version = self._config_version
        return agent.queue_cache

    @staticmethod
    def _held_for_other(entry: CallEntry, config: QueueConfig, agent_id: int, now: float) -> bool:
        return config.strategy == STICKY and entry.hold_until > now and entry.call.sticky_agent_id != agent_id

    def _first_call_for(self, queue: QueueEntry, agent_id: int, needed: int, now: float) -> CallEntry | None:
        """The first call in queue order that this agent (qualifying from stage ``needed``) may take."""
        config = queue.config
        for priority in queue.priorities:
            for arrived, _seq, call_id in queue.classes[priority]:
                # Within one priority the earliest arrivals have expanded most: stop at the first too young.
                if needed and expansion_stage(config, arrived, now) < needed:
                    break
                entry = self._calls[call_id]
                if agent_id in entry.excluded or self._held_for_other(entry, config, agent_id, now):
                    continue
                return entry
        return None

    def _call_for_agent(self, agent: AgentEntry, now: float) -> CallEntry | None:
        agent_id = agent.agent_id
        held = self._held_for.get(agent_id)
        if held:
            best: tuple[tuple, CallEntry] | None = None
            for call_id in list(held):
                entry = self._calls.get(call_id)
                if entry is None or entry.hold_until <= now:
                    held.discard(call_id)
                    continue
                config = self._queues[entry.call.queue_id].config
                if config.strategy != STICKY or agent_id in entry.excluded:
                    continue
                levels = effective_levels(config, expansion_stage(config, entry.call.arrived, now))
                if self._qualifies(agent, levels):
                    rank = (-config.priority, entry.order)
                    if best is None or rank < best[0]:
                        best = (rank, entry)
            if not held:
                del self._held_for[agent_id]
            if best is not None:
                return best[1]
        for _priority, members in self._agent_queues(agent):
            chosen: CallEntry | None = None
            for queue, needed in members:
                if not queue.count:
                    continue
                entry = self._first_call_for(queue, agent_id, needed, now)
                if entry is not None and (chosen is None or entry.order < chosen.order):
                    chosen = entry
            if chosen is not None:
                return chosen
        return None

    def _candidates(self, entry: CallEntry, config: QueueConfig, now: float) -> Iterator[AgentEntry]:
        """Available agents who may take this call, longest idle first. Do not mutate while iterating."""
        levels = effective_levels(config, expansion_stage(config, entry.call.arrived, now))
        keys: Iterable[tuple[float, int]]
        if not levels:
            keys = self._all_available.keys
        else:
            indexes = []
            for skill, level in levels.items():
                index = self._by_level.get((skill, level))
                if index is None or not index:
                    return
                indexes.append(index)
            if len(indexes) == 1:
                keys = indexes[0].keys
            else:
                # Several skills: intersect the agent sets (smallest first), then order the few left.
                indexes.sort(key=len)
                agent_ids = indexes[0].members.intersection(*(index.members for index in indexes[1:]))
                if not agent_ids:
                    return
                keys = sorted(self._agents[agent_id].idle_key for agent_id in agent_ids)
        excluded = entry.excluded
        held = config.strategy == STICKY and entry.hold_until > now
        for _idle, agent_id in keys:
            if agent_id in excluded or (held and agent_id != entry.call.sticky_agent_id):
                continue
            yield self._agents[agent_id]

    def _most_skilled_single(self, entry: CallEntry, config: QueueConfig, now: float) -> tuple[int, ...] | None:
        """Most skilled for a one-skill queue: walk the levels down from the top; the first agent
        who may take the call at the highest level present is also the longest idle there."""
        ((skill, minimum),) = effective_levels(config, expansion_stage(config, entry.call.arrived, now)).items()
        excluded = entry.excluded
        for level in range(self._max_level, minimum - 1, -1):
            index = self._by_level.get((skill, level))
            if index is None:
                continue
            for _idle, agent_id in index.keys:
                if agent_id not in excluded:
                    return (agent_id,)
        return None

    def _agents_for_call(self, entry: CallEntry, config: QueueConfig, now: float) -> tuple[int, ...] | None:
        strategy = config.strategy
        if strategy == STICKY:
            sticky_id = entry.call.sticky_agent_id
            sticky_agent = self._available.get(sticky_id) if sticky_id is not None else None
            if sticky_id is not None and sticky_agent is not None and sticky_id not in entry.excluded:
                levels = effective_levels(config, expansion_stage(config, entry.call.arrived, now))
                if self._qualifies(sticky_agent, levels):
                    return (sticky_id,)
            if entry.hold_until > now:
                return None
        if strategy == RING_ALL:
            agent_ids = tuple(agent.agent_id for agent in self._candidates(entry, config, now))
            return agent_ids or None
        if strategy == MOST_SKILLED:
            if len(config.required) == 1:
                return self._most_skilled_single(entry, config, now)
            best: tuple[tuple, int] | None = None
            for agent in self._candidates(entry, config, now):
                score = sum(agent.skills.get(skill, 0) for skill in config.required)
                rank = (-score, agent.idle_key)
                if best is None or rank < best[0]:
                    best = (rank, agent.agent_id)
            return (best[1],) if best is not None else None
        if strategy == ROUND_ROBIN:
            last = self._queues[entry.call.queue_id].round_robin_last
            after: int | None = None
            lowest: int | None = None
            for agent in self._candidates(entry, config, now):
                agent_id = agent.agent_id
                if lowest is None or agent_id < lowest:
                    lowest = agent_id
                if last is not None and agent_id > last and (after is None or agent_id < after):
                    after = agent_id
            chosen = after if after is not None else lowest
            return (chosen,) if chosen is not None else None
        # longest_idle, sticky after its hold, and any unknown strategy
        for agent in self._candidates(entry, config, now):
            return (agent.agent_id,)
        return None

    def _offer_call(self, entry: CallEntry, now: float) -> Assignment | None:
        config = self._queues[entry.call.queue_id].config
        agent_ids = self._agents_for_call(entry, config, now)
        if agent_ids is None:
            self._schedule(entry, now)
            return None
        return self._assign(entry, agent_ids, now)

    def _offer_agent(self, agent: AgentEntry, now: float) -> Assignment | None:
        """Match an agent who is in the available pool to the call it should take, if any."""
        entry = self._call_for_agent(agent, now)
        if entry is None:
            return None
        config = self._queues[entry.call.queue_id].config
        agent_ids: tuple[int, ...] = (agent.agent_id,)
        if config.strategy == RING_ALL:
            others = tuple(a.agent_id for a in self._candidates(entry, config, now) if a.agent_id != agent.agent_id)
            agent_ids += others
        return self._assign(entry, agent_ids, now)

    def _assign(self, entry: CallEntry, agent_ids: tuple[int, ...], now: float) -> Assignment:
        call = entry.call
        queue = self._queues[call.queue_id]
        queue.remove(entry)
        del self._calls[call.call_id]
        self._forget_links(entry)
        for agent_id in agent_ids:
            agent = self._agents[agent_id]
            if agent.status == AVAILABLE:
                self._index_remove(agent)
            agent.status = RESERVED
        if queue.config.strategy == ROUND_ROBIN:
            queue.round_robin_last = agent_ids[0]
        ring = None
        if bullseye_rings(queue.config):
            ring = expansion_stage(queue.config, call.arrived, now) + 1
        self._remembered_seq[call.call_id] = entry.seq
        if len(self._remembered_seq) > REMEMBERED_SEQUENCES:
            del self._remembered_seq[next(iter(self._remembered_seq))]
        return Assignment(
            call_id=call.call_id,
            queue_id=call.queue_id,
            agent_ids=agent_ids,
            waited=max(0.0, now - call.arrived),
            ring=ring,
        )

    def _forget_links(self, entry: CallEntry) -> None:
        """The call left its queue: drop its exclusions, its sticky hold and its pending events."""
        call_id = entry.call.call_id
        for agent_id in entry.excluded:
            agent = self._agents.get(agent_id)
            if agent is not None:
                agent.excluded_from.discard(call_id)
        entry.excluded.clear()
        sticky_id = entry.call.sticky_agent_id
        if sticky_id is not None:
            held = self._held_for.get(sticky_id)
            if held is not None:
                held.discard(call_id)
                if not held:
                    del self._held_for[sticky_id]
        entry.hold_until = NO_HOLD
        entry.event_version += 1
        self._dirty_calls.discard(call_id)

    def _schedule(self, entry: CallEntry, now: float) -> None:
        """Remember when this unmatched call can next match someone new without anyone moving."""
        entry.event_version += 1
        config = self._queues[entry.call.queue_id].config
        when = math.inf
        if config.strategy == STICKY and entry.hold_until > now:
            when = entry.hold_until
        next_stage = next_stage_at(config, entry.call.arrived, expansion_stage(config, entry.call.arrived, now))
        if next_stage is not None:
            when = min(when, next_stage if next_stage > now else math.nextafter(now, math.inf))
        if when != math.inf:
            heapq.heappush(self._events, (when, next(self._event_numbers), entry.call.call_id, entry.event_version))
