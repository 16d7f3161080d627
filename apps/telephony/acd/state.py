"""The ACD's internal bookkeeping: one entry per agent, waiting call and queue, plus the
sorted index of available agents. Private to :mod:`apps.telephony.acd.router` (no lock here:
the router holds its lock around every use)."""

from __future__ import annotations

import math
from bisect import bisect_left, insort

from .model import QueueConfig, WaitingCall

# The router's view of an agent: may it be matched now? These are not agent states (those are
# apps.telephony.agent_states, the one definition): AVAILABLE is an agent the engine has made
# Ready and handed to the router, RESERVED one the router has put into an assignment it has not
# had back yet, UNAVAILABLE everything else (NotReady, Offline, in a call, shown a preview).
UNAVAILABLE = 0
AVAILABLE = 1
RESERVED = 2

NO_HOLD = -math.inf


class IdleIndex:
    """Available agents ordered by ``(idle_since, agent_id)``: the longest idle comes first.

    A plain sorted list: inserting or deleting is a binary search plus a memmove, which is
    microseconds at contact-center sizes (thousands of agents), and iterating in idle order
    is free. ``members`` holds the same agent ids as a set, for fast intersections when a
    queue requires several skills.
    """

    __slots__ = ("keys", "members")

    def __init__(self) -> None:
        self.keys: list[tuple[float, int]] = []
        self.members: set[int] = set()

    def add(self, key: tuple[float, int]) -> None:
        insort(self.keys, key)
        self.members.add(key[1])

    def discard(self, key: tuple[float, int]) -> None:
        index = bisect_left(self.keys, key)
        if index < len(self.keys) and self.keys[index] == key:
            del self.keys[index]
            self.members.discard(key[1])

    def __len__(self) -> int:
        return len(self.keys)


class AgentEntry:
    __slots__ = ("agent_id", "excluded_from", "idle_since", "queue_cache", "queue_cache_version", "skills", "status")

    def __init__(self, agent_id: int, skills: dict[int, int]) -> None:
        self.agent_id = agent_id
        self.skills = {skill: level for skill, level in skills.items() if level >= 1}
        self.status = UNAVAILABLE
        self.idle_since: float | None = None
        self.excluded_from: set[str] = set()  # call ids this agent may not be offered (RONA)
        # [(priority, [(queue, stages needed), ...]), ...] by queue priority desc; rebuilt when
        # queues or this agent's skills change.
        self.queue_cache: list[tuple[int, list[tuple[QueueEntry, int]]]] = []
        self.queue_cache_version = -1

    @property
    def idle_key(self) -> tuple[float, int]:
        return (self.idle_since if self.idle_since is not None else -math.inf, self.agent_id)


class CallEntry:
    __slots__ = ("call", "event_version", "excluded", "hold_until", "seq")

    def __init__(self, call: WaitingCall, seq: int) -> None:
        self.call = call
        self.seq = seq
        self.excluded: set[int] = set()
        self.hold_until = NO_HOLD  # sticky: only the sticky agent may take the call before this
        self.event_version = 0

    @property
    def order(self) -> tuple[int, float, int]:
        """Queue order: priority desc, then arrival, then sequence."""
        return (-self.call.priority, self.call.arrived, self.seq)


class QueueEntry:
    """A queue's configuration and its waiting calls, one sorted list per call priority."""

    __slots__ = ("classes", "config", "count", "priorities", "round_robin_last")

    def __init__(self, config: QueueConfig) -> None:
        self.config = config
        self.classes: dict[int, list[tuple[float, int, str]]] = {}
        self.priorities: list[int] = []  # call priorities present, highest first
        self.count = 0
        self.round_robin_last: int | None = None

    def add(self, entry: CallEntry) -> None:
        priority = entry.call.priority
        calls = self.classes.get(priority)
        if calls is None:
            calls = self.classes[priority] = []
            self.priorities.append(priority)
            self.priorities.sort(reverse=True)
        insort(calls, (entry.call.arrived, entry.seq, entry.call.call_id))
        self.count += 1

    def remove(self, entry: CallEntry) -> None:
        priority = entry.call.priority
        calls = self.classes[priority]
        key = (entry.call.arrived, entry.seq, entry.call.call_id)
        index = bisect_left(calls, key)
        if index >= len(calls) or calls[index] != key:
            raise KeyError(entry.call.call_id)
        del calls[index]
        self.count -= 1
        if not calls:
            del self.classes[priority]
            self.priorities.remove(priority)

    def position(self, entry: CallEntry) -> int:
        ahead = 0
        for priority in self.priorities:
            if priority == entry.call.priority:
                return (
                    ahead + bisect_left(self.classes[priority], (entry.call.arrived, entry.seq, entry.call.call_id)) + 1
                )
            ahead += len(self.classes[priority])
        raise KeyError(entry.call.call_id)

    def ordered_call_ids(self):
        for priority in self.priorities:
            for _arrived, _seq, call_id in self.classes[priority]:
                yield call_id

    def oldest_arrival(self) -> float | None:
        heads = [calls[0][0] for calls in self.classes.values() if calls]
        return min(heads) if heads else None


BULLSEYE = "bullseye"


def bullseye_rings(config: QueueConfig) -> tuple[tuple[int, float], ...]:
    """The queue's rings when it routes by bullseye (and requires a skill), else ``()``."""
    if config.strategy == BULLSEYE and config.required:
        return config.rings
    return ()


def expansion_stage(config: QueueConfig, arrived: float, now: float) -> int:
    """How many expansion steps a call that entered the queue at ``arrived`` has earned (for a
    bullseye queue: the index of its ring, 0 for the innermost)."""
    rings = bullseye_rings(config)
    if rings:
        wait = now - arrived
        stage = 0
        for index, (_level, after) in enumerate(rings):
            if index and wait >= after:
                stage = index
        return stage
    if config.expand_after_seconds <= 0 or config.expand_step <= 0 or now <= arrived:
        return 0
    return math.floor((now - arrived) / config.expand_after_seconds)


def effective_levels(config: QueueConfig, stage: int) -> dict[int, int]:
    """The minimum levels a call at ``stage`` requires: never below 1. A bullseye ring's level
    applies to every skill the queue requires."""
    rings = bullseye_rings(config)
    if rings:
        level = max(1, rings[min(max(stage, 0), len(rings) - 1)][0])
        return dict.fromkeys(config.required, level)
    if stage <= 0:
        return config.required
    drop = config.expand_step * stage
    return {skill: max(1, level - drop) for skill, level in config.required.items()}


def stages_needed(config: QueueConfig, skills: dict[int, int]) -> int | None:
    """The expansion stage from which an agent with ``skills`` qualifies; None if never (for a
    bullseye queue: the index of the innermost ring the agent is in)."""
    rings = bullseye_rings(config)
    if rings:
        lowest = min((skills.get(skill, 0) for skill in config.required), default=0)
        for index, (level, _after) in enumerate(rings):
            if lowest >= max(1, level):
                return index
        return None
    needed = 0
    for skill, required in config.required.items():
        level = skills.get(skill, 0)
        if level >= required:
            continue
        if level < 1 or config.expand_after_seconds <= 0 or config.expand_step <= 0:
            return None
        needed = max(needed, -(-(required - level) // config.expand_step))
    return needed


def next_stage_at(config: QueueConfig, arrived: float, stage: int) -> float | None:
    """When a call that entered at ``arrived`` and is at ``stage`` reaches the next one (None: never)."""
    rings = bullseye_rings(config)
    if rings:
        return arrived + rings[stage + 1][1] if stage + 1 < len(rings) else None
    expands = config.expand_after_seconds > 0 and config.expand_step > 0 and bool(config.required)
    if expands and max(config.required.values()) - config.expand_step * stage > 1:
        return arrived + (stage + 1) * config.expand_after_seconds
    return None
