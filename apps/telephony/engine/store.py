"""Where the controller's facts go.

The controller tells a :class:`Store` what happened, synchronously and in order; the store
decides what to keep:

* :class:`MemoryStore` aggregates the figures ``simulate`` and the benchmarks print (no
  database): offered, answered, abandoned, blocked, service level, ASA, AHT, occupancy.
* :class:`apps.telephony.engine.dbstore.DbStore` writes CDRs, timelines and agent state
  changes and publishes realtime messages (``run_engine`` and the engine tests).

The figures are apps/telephony/kpis.py's (the one KPI module, DOMAIN.md §2): the store only
counts, classifying each call with the same per-call rules the CDRs use, so a simulated day and
the same calls written as CDRs give the API's service level, ASA and abandon rate
(tests/telephony/test_one_source_kpis.py). Rates are fractions from 0 to 1. The ``simulate``
contract's ``abandoned`` counts short abandons too (docs/simulation.md; ``offered = answered +
abandoned`` there); :attr:`MemoryStore.abandon_rate` leaves them out, as the API does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.telephony import kpis
from apps.telephony.engine.clock import Clock
from apps.telephony.engine.state import (
    A_HOLD,
    A_READY,
    A_TALKING,
    A_WRAP_UP,
    END_ABANDONED,
    ENDED,
    AgentRuntime,
    CallState,
)

BUSY_STATES = frozenset({A_TALKING, A_HOLD, A_WRAP_UP})


class Store:
    """No-op base: a store overrides what it cares about. Methods must not raise for the controller."""

    #: does this store want ``queue_changed`` (costs the controller a few ACD reads per change)?
    wants_queue_updates = False

    @property
    def accepting_calls(self) -> bool:
        """False while the store cannot keep up (its database is away): the controller refuses new
        calls as it does on a full trunk, rather than take calls it could not account for."""
        return True

    def call_arrived(self, call: CallState) -> None: ...

    def call_blocked(self, call: CallState) -> None: ...

    def call_event(self, call: CallState, kind: str, agent_id: int | None = None, **data: Any) -> None: ...

    def call_ivr_exited(self, call: CallState) -> None: ...

    def call_queued(self, call: CallState) -> None: ...

    def call_offered(self, call: CallState, agents: list[AgentRuntime], queue: Any = None) -> None:
        """Ringing ``agents`` (already ``reserved`` in memory). The store makes the reservation
        durable; if another engine got there first it calls the controller's ``reservation_lost``."""

    def call_offer_ended(self, call: CallState, agent_id: int, reason: str) -> None:
        """An offer stopped without being answered: ``rona``, ``rejected``, ``withdrawn`` (caller left,
        ring-all lost), ``lost`` (another engine reserved the agent first)."""

    def call_requeued(self, call: CallState) -> None:
        """An offer failed and the call is back in its queue."""

    def call_answered(self, call: CallState) -> None: ...

    def call_held(self, call: CallState) -> None: ...

    def call_resumed(self, call: CallState) -> None: ...

    def call_transferred(self, call: CallState, from_agent_id: int | None, **data: Any) -> None: ...

    # --- attended transfer (CallController.consult) ------------------------------------
    def consult_started(
        self,
        call: CallState,
        from_agent: AgentRuntime,
        target: AgentRuntime,
        *,
        queue_id: int | None = None,
        ring_timeout_seconds: float | None = None,
    ) -> None:
        """``target`` (already ``reserved`` in memory) rings for a consultation about ``call``. The
        store makes the reservation durable like an offer's; if it is refused it calls the
        controller's ``reservation_lost``."""

    def consult_answered(self, call: CallState, from_agent_id: int, agent_id: int) -> None: ...

    def consult_ended(self, call: CallState, from_agent_id: int, agent_id: int, kind: str, reason: str) -> None:
        """A consultation ended without a transfer: ``kind`` is ``consult_cancelled``,
        ``consult_failed`` or ``consult_ended``."""

    def consult_completed(self, call: CallState, from_agent_id: int, agent_id: int, **data: Any) -> None:
        """The attended transfer is done: ``agent_id`` is the call's agent now (``call.agent_id``)."""

    def call_ended(self, call: CallState, queue: Any = None) -> None:
        """The call is over for the caller (``call.status`` is ``wrap_up`` or ``ended``)."""

    def call_wrapup_ended(self, call: CallState) -> None: ...

    def agent_state(self, agent: AgentRuntime, previous: str, call: CallState | None = None) -> None:
        """The engine moved ``agent`` (now in ``agent.state``/``agent.reason``) out of ``previous``."""

    def queue_changed(self, queue_id: int, waiting: int, longest_wait: float) -> None: ...

    def callback_requested(self, call: CallState, queue_id: int, original_queued: float) -> None: ...

    def callback_finished(self, request_uid: str, callback: CallState | None, status: str) -> None: ...

    def voicemail_left(self, call: CallState, queue_id: int | None, seconds: float) -> None: ...

    def survey_scored(self, call: CallState, score: int) -> None: ...

    def monitor(self, call: CallState, supervisor_user_id: int, mode: str) -> None: ...

    def notify_agent(self, agent_id: int, message: dict) -> None:
        """A realtime message for one agent's desktop (``agent.<id>``)."""

    # --- campaigns (apps.telephony.dialer) ---------------------------------------------
    def campaign_attempt(self, call: CallState, outcome: str) -> None:
        """A campaign dial's outcome (one of ``apps.telephony.dialer.contract.OUTCOMES``), once per
        attempt, when the call is over for the contact."""

    def campaign_stats(self, campaign_id: int, stats: dict) -> None:
        """The campaign's live figures, at most once per pacing tick (the monitor's feed)."""


@dataclass
class CampaignTotals:
    """Outbound figures (live answers include AMD false positives, counted as abandoned)."""

    dials: int = 0
    live_answers: int = 0
    abandoned: int = 0
    answered: int = 0
    machine: int = 0
    busy: int = 0
    no_answer: int = 0
    failed: int = 0
    blocked: int = 0
    talk_seconds: float = 0.0  # campaign talk within the horizon


@dataclass
class Totals:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    abandoned_after_threshold: int = 0
    answered_within_threshold: int = 0
    blocked: int = 0
    wait_sum: float = 0.0
    handled: int = 0
    handle_sum: float = 0.0
    busy_seconds: float = 0.0
    ready_seconds: float = 0.0


class MemoryStore(Store):
    """Aggregates only. ``horizon``: agent time after it is not counted (calls draining after the
    last arrival). ``keep_calls``: keep that many answered calls (for ``--record-sample``)."""

    def __init__(
        self, clock: Clock, *, sl_threshold: float | None = None, horizon: float | None = None, keep_calls: int = 0
    ) -> None:
        self.clock = clock
        self.sl_threshold = sl_threshold
        self.horizon = horizon
        self.keep_calls = keep_calls
        self.kept: list[CallState] = []
        self.totals = Totals()
        self.campaign = CampaignTotals()
        self._agent_since: dict[int, tuple[str, float]] = {}
        self.thresholds: dict[int, tuple[float, float]] = {}  # queue id -> (SL threshold, short abandon)
        # Answered inbound calls by the agent who took them, and by bullseye ring (simulations with skills).
        self.answered_by_agent: dict[int, int] = {}
        self.answered_by_ring: dict[int, int] = {}

    def set_queue_thresholds(self, queue_id: int, sl_threshold: float, short_abandon: float) -> None:
        self.thresholds[queue_id] = (sl_threshold, short_abandon)

    def call_blocked(self, call: CallState) -> None:
        self.totals.blocked += 1

    def call_ended(self, call: CallState, queue: Any = None) -> None:
        if call.campaign_id is not None and call.answered is not None and call.ended is not None:
            end = call.ended if self.horizon is None else min(call.ended, self.horizon)
            self.campaign.talk_seconds += max(0.0, end - call.answered - call.hold_seconds)
        if call.status == ENDED:
            self._finish(call)

    def call_wrapup_ended(self, call: CallState) -> None:
        self._finish(call)

    def campaign_attempt(self, call: CallState, outcome: str) -> None:
        totals = self.campaign
        if outcome == "blocked":
            totals.blocked += 1
            return
        totals.dials += 1
        if outcome == "answered":
            totals.answered += 1
            totals.live_answers += 1
        elif outcome == "abandoned":
            totals.abandoned += 1
            totals.live_answers += 1
        elif outcome in ("machine", "busy", "no_answer", "failed"):
            setattr(totals, outcome, getattr(totals, outcome) + 1)

    def _finish(self, call: CallState) -> None:
        if call.queued is None or call.is_callback or call.campaign_id is not None:
            return
        totals = self.totals
        totals.offered += 1
        default = (self.sl_threshold or kpis.DEFAULT_SL_THRESHOLD_SECONDS, kpis.DEFAULT_SHORT_ABANDON_SECONDS)
        threshold, short = self.thresholds.get(call.queue_id, default) if call.queue_id is not None else default
        wait = call.wait_seconds or 0.0
        if call.answered is not None:
            totals.answered += 1
            totals.wait_sum += wait
            if kpis.answered_within_sl(wait, threshold):
                totals.answered_within_threshold += 1
            totals.handled += 1
            totals.handle_sum += call.talk_seconds + call.hold_seconds + call.wrapup_seconds
            if call.agent_id is not None:
                self.answered_by_agent[call.agent_id] = self.answered_by_agent.get(call.agent_id, 0) + 1
            if call.acd_ring is not None:
                self.answered_by_ring[call.acd_ring] = self.answered_by_ring.get(call.acd_ring, 0) + 1
            if len(self.kept) < self.keep_calls:
                self.kept.append(call)
        elif call.end_reason == END_ABANDONED:
            totals.abandoned += 1
            if kpis.is_short_abandon(wait, short):
                totals.short_abandoned += 1
            elif kpis.abandoned_after_sl(wait, threshold):
                totals.abandoned_after_threshold += 1

    def agent_state(self, agent: AgentRuntime, previous: str, call: CallState | None = None) -> None:
        now = self.clock.now()
        self._account(agent.agent_id, now)
        self._agent_since[agent.agent_id] = (agent.state, now)

    def _account(self, agent_id: int, now: float) -> None:
        entry = self._agent_since.get(agent_id)
        if entry is None:
            return
        state, since = entry
        end = now if self.horizon is None else min(now, self.horizon)
        seconds = end - since
        if seconds <= 0:
            return
        if state in BUSY_STATES:
            self.totals.busy_seconds += seconds
        elif state == A_READY:
            self.totals.ready_seconds += seconds

    def finish(self) -> None:
        """Close every agent's current state interval (call once, at the end of a run)."""
        now = self.clock.now()
        for agent_id, (state, _since) in list(self._agent_since.items()):
            self._account(agent_id, now)
            self._agent_since[agent_id] = (state, now)

    # --- the figures ---------------------------------------------------------------
    @property
    def service_level(self) -> float | None:
        totals = self.totals
        return kpis.service_level(totals.answered_within_threshold, totals.answered, totals.abandoned_after_threshold)

    @property
    def abandon_rate(self) -> float | None:
        """Abandoned (short abandons excluded) ÷ offered, as ``GET /api/v1/kpis/queues`` has it."""
        totals = self.totals
        return kpis.abandon_rate(totals.abandoned - totals.short_abandoned, totals.offered)

    @property
    def asa_seconds(self) -> float | None:
        return kpis.asa_seconds(self.totals.wait_sum, self.totals.answered)

    @property
    def aht_seconds(self) -> float | None:
        return kpis.aht_seconds(self.totals.handle_sum, self.totals.handled)

    @property
    def occupancy(self) -> float | None:
        return kpis.occupancy(self.totals.busy_seconds, self.totals.ready_seconds)

    def campaign_figures(self, *, agent_hours: float, contacts_finished: int) -> dict[str, Any]:
        """The ``simulate_campaign`` contract's figures (without ``wall_seconds``).

        ``abandon_rate`` = abandoned ÷ live answers (DOMAIN §6); talk minutes per agent-hour
        over the logged-in time ``agent_hours``."""
        totals = self.campaign
        return {
            "dials": totals.dials,
            "live_answers": totals.live_answers,
            "abandoned": totals.abandoned,
            "abandon_rate": kpis.rounded(kpis.outbound_abandon_rate(totals.abandoned, totals.live_answers), 5),
            "talk_minutes_per_agent_hour": round(totals.talk_seconds / 60 / agent_hours, 3) if agent_hours else None,
            "occupancy": kpis.rounded(self.occupancy, 4),
            "contacts_finished": contacts_finished,
        }

    def figures(self) -> dict[str, Any]:
        """The ``simulate`` contract's figures (without ``wall_seconds``)."""
        totals = self.totals
        rounded = kpis.rounded
        return {
            "offered": totals.offered,
            "answered": totals.answered,
            "abandoned": totals.abandoned,
            "blocked": totals.blocked,
            "service_level": rounded(self.service_level, 4),
            "asa_seconds": rounded(self.asa_seconds, 2),
            "aht_seconds": rounded(self.aht_seconds, 2),
            "occupancy": rounded(self.occupancy, 4),
        }
