"""The ACD matcher. INTERFACE STUB: helper implementing the ACD replaces the bodies."""

from __future__ import annotations

from collections.abc import Iterable

from .model import AgentProfile, Assignment, QueueConfig, WaitingCall


class Acd:
    """Queues ordered by (call priority desc, arrival asc); agents indexed by skill.

    All public methods are thread-safe (one internal lock) and O(log n)-ish in the common case.
    """

    def __init__(self) -> None:
        raise NotImplementedError

    # --- configuration -------------------------------------------------------------
    def set_queue(self, config: QueueConfig) -> None:
        """Add or replace a queue's configuration (waiting calls stay)."""
        raise NotImplementedError

    def set_agent(self, profile: AgentProfile) -> None:
        """Add or replace an agent's skills. A new agent starts unavailable."""
        raise NotImplementedError

    def remove_agent(self, agent_id: int) -> None:
        raise NotImplementedError

    # --- agents ------------------------------------------------------------------
    def agent_available(self, agent_id: int, idle_since: float, now: float) -> Assignment | None:
        """The agent went Ready at ``idle_since``. Returns the call it should take now, if any
        (best waiting call over the queues it qualifies for, by queue priority then call order)."""
        raise NotImplementedError

    def agent_unavailable(self, agent_id: int) -> None:
        """Not ready, offline, or busy elsewhere. Idempotent."""
        raise NotImplementedError

    def release_agents(self, agent_ids: Iterable[int], now: float) -> list[Assignment]:
        """Ring-all losers (or a RONA'd agent set Ready again by policy) return to the pool
        keeping their idle_since; returns any matches that this makes possible."""
        raise NotImplementedError

    # --- calls -------------------------------------------------------------------
    def enqueue(self, call: WaitingCall, now: float) -> Assignment | None:
        """A call enters a queue. Returns its agent at once if one qualifies and is available."""
        raise NotImplementedError

    def requeue(self, call: WaitingCall, now: float, exclude_agent_ids: Iterable[int] = ()) -> Assignment | None:
        """An offer failed (RONA): the call goes back at its original place (same arrival and
        priority), and is not offered again to ``exclude_agent_ids`` for this attempt."""
        raise NotImplementedError

    def remove_call(self, call_id: str) -> WaitingCall | None:
        """Abandon, overflow, callback, transfer: the call leaves its queue."""
        raise NotImplementedError

    def tick(self, now: float) -> list[Assignment]:
        """Periodic re-match: expanding skills (levels drop with wait) and sticky timeouts."""
        raise NotImplementedError

    # --- reading -------------------------------------------------------------------
    def position(self, call_id: str) -> int | None:
        """1-based position of a waiting call within its queue."""
        raise NotImplementedError

    def waiting(self, queue_id: int) -> list[WaitingCall]:
        raise NotImplementedError

    def waiting_count(self, queue_id: int) -> int:
        raise NotImplementedError

    def longest_wait(self, queue_id: int, now: float) -> float:
        raise NotImplementedError

    def available_agents(self) -> set[int]:
        raise NotImplementedError
