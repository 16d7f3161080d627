"""The ACD's value types (interface shared by the engine, the benchmark and the tests)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QueueConfig:
    queue_id: int
    strategy: str = "longest_idle"  # longest_idle | most_skilled | round_robin | ring_all | sticky | bullseye
    priority: int = 5  # higher queues are served first when an agent can take from several
    required: dict[int, int] = field(default_factory=dict)  # skill_id -> minimum level
    expand_after_seconds: float = 0  # 0: never; else every this many seconds of wait...
    expand_step: int = 1  # ...the required levels drop by this much (never below 1)
    sticky_wait_seconds: float = 20  # sticky: how long a call waits for its last agent
    max_wait_seconds: float = 300
    # bullseye: ((min level, after seconds of wait), ...) — ring 1 first; times ascending, levels
    # descending. Ring k holds the agents whose level in every required skill is >= its level; a
    # call waiting ``wait`` seconds may go to the agents of the widest ring whose time has come.
    # Only the bullseye strategy reads it (and then ignores expand_after_seconds).
    rings: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class AgentProfile:
    agent_id: int
    skills: dict[int, int] = field(default_factory=dict)  # skill_id -> level 1..10


@dataclass
class WaitingCall:
    call_id: str
    queue_id: int
    arrived: float  # when it entered the queue (engine clock); a callback keeps the original
    priority: int = 0  # within a queue: higher first (VIP customers get a bump), then arrival
    sticky_agent_id: int | None = None  # sticky strategy: who served this caller last


@dataclass(frozen=True)
class Assignment:
    """A reserved match. ``agent_ids`` has one agent, or several for ring-all (first to answer wins;
    the engine releases the others with :meth:`Acd.release_agents`)."""

    call_id: str
    queue_id: int | None  # None: an offer the engine makes itself (a transfer to a named agent of a call never queued)
    agent_ids: tuple[int, ...]
    waited: float
    ring: int | None = None  # bullseye: the call's ring (1 = innermost) when it was matched
