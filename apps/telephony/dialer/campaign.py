"""One running campaign inside the engine: the pacing loop, its statistics and its contact source.

A :class:`CampaignRuntime` is added to a :class:`~apps.telephony.engine.controller.CallController`
(``controller.add_campaign``) and ticks on the engine clock (every second by default). Each
tick it looks at the campaign's agents and lines, asks its pacer how many lines to dial, takes
that many contacts from its :class:`~apps.telephony.dialer.contract.ContactSource` and has the
controller dial them. The controller tells it how each line went (answered by someone, live,
abandoned, talk and wrap-up times); it reports every attempt's outcome to the source and feeds
the pacer's models.

Pause stops new dials (calls in flight finish); stop does the same for good. Nothing here
touches the database: with the DB contact source, the runner wraps it so that the event loop
never waits for a query (apps/telephony/engine/runner.py).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from apps.telephony import kpis
from apps.telephony.agent_states import HOLD as A_HOLD
from apps.telephony.agent_states import READY as A_READY
from apps.telephony.agent_states import RESERVED as A_RESERVED
from apps.telephony.agent_states import TALKING as A_TALKING
from apps.telephony.agent_states import WRAP_UP as A_WRAP_UP
from apps.telephony.dialer.contract import (
    MODE_PREVIEW,
    OUTCOME_ABANDONED,
    OUTCOME_ANSWERED,
    OUTCOME_BLOCKED,
    OUTCOMES,
    CampaignSettings,
    ContactSource,
    DialTarget,
)
from apps.telephony.dialer.pacing import Pacer, PacingSnapshot, make_pacer

if TYPE_CHECKING:  # the engine's call, as a type only: the dialer does not import the engine
    from apps.telephony.engine.state import CallState

# The engine's status of a live answer waiting for an agent (engine.state.QUEUED; a test keeps them equal).
QUEUED = "queued"

TICK_SECONDS = 1.0
QUALIFIED_REFRESH_SECONDS = 30.0  # re-check which agents belong to the campaign's queue this often
PREVIEW_SECONDS = 5.0  # how long a virtual agent looks at a preview before dialling
OWNED_HOLD_SECONDS = 60.0  # an agent-owned callback waits this long for its agent, then goes back
SKIP_HOLD_SECONDS = 60.0  # a skipped preview goes back to the list after this long

RUNNING = "running"
PAUSED = "paused"
STOPPED = "stopped"
FINISHED = "finished"  # the source has nobody left to dial

_PLACEHOLDER = re.compile(r"{{\s*contact\.([A-Za-z_][A-Za-z0-9_]*)\s*}}")


def render_script(script: str, fields: dict[str, Any]) -> str:
    """``{{contact.field}}`` filled from the contact's card (same syntax as the campaign services'
    ``script_render``; an unknown field renders empty)."""
    if not script:
        return ""

    def replace(match: re.Match) -> str:
        value = fields.get(match.group(1))
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(replace, script)


class CampaignStats:
    """What the campaign did in this engine run (the monitor adds the 30-day history)."""

    __slots__ = ("abandoned", "answered", "blocked", "dials", "live_detected", "outcomes", "talk_seconds")

    def __init__(self) -> None:
        self.dials = 0  # attempts (blocked dials are not attempts)
        self.blocked = 0
        self.live_detected = 0  # live answers the engine saw (AMD false positives are not seen)
        self.answered = 0
        self.abandoned = 0  # including AMD false positives when the switch can tell
        self.talk_seconds = 0.0
        self.outcomes = dict.fromkeys(OUTCOMES, 0)

    @property
    def live_answers(self) -> int:
        return self.answered + self.abandoned


class CampaignRuntime:
    def __init__(
        self,
        settings: CampaignSettings,
        source: ContactSource,
        *,
        pacer: Pacer | None = None,
        tick_seconds: float = TICK_SECONDS,
        dial_until: float | None = None,
        preview_seconds: float = PREVIEW_SECONDS,
        state: str = RUNNING,
        finish_when_empty: bool = True,
    ) -> None:
        self.settings = settings
        self.source = source
        self.pacer = pacer or make_pacer(settings)
        self.tick_seconds = tick_seconds
        self.dial_until = dial_until  # engine time after which nothing new is dialled (simulations)
        self.preview_seconds = preview_seconds
        self.state = state
        self.finish_when_empty = finish_when_empty  # False in run_engine: new contacts may be imported
        self.stats = CampaignStats()
        self.owned: list[tuple[float, DialTarget]] = []  # agent-owned callbacks waiting for their agent
        self.skipped: list[tuple[float, DialTarget]] = []  # previews skipped, held back for a minute
        self.controller: Any = None
        self.lines: dict[str, CallState] = {}  # ringing, nobody answered yet
        self.detecting: dict[str, CallState] = {}  # answered, the detector still listening
        self.waiting: dict[str, CallState] = {}  # live answers that were waiting for an agent
        self._live_pending: set[str] = set()  # live answers of unattended lines, outcome not yet known
        self.started: float | None = None
        self._timer: Any = None
        self._qualified: set[int] = set()
        self._qualified_at = -1e18
        self._qualified_agents = -1

    @property
    def campaign_id(self) -> int:
        return self.settings.campaign_id

    # --- life cycle -----------------------------------------------------------------------------
    def attach(self, controller: Any) -> None:
        self.controller = controller
        self.started = controller.clock.now()
        self._schedule(0.0)

    def _schedule(self, delay: float) -> None:
        if self._timer is None and self.controller is not None:
            self._timer = self.controller.clock.call_later(delay, self._tick)

    def pause(self) -> None:
        if self.state == RUNNING:
            self.state = PAUSED
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            store = self.controller.store if self.controller is not None else None
            if store is not None and getattr(store, "wants_campaign_stats", False):
                store.campaign_stats(self.campaign_id, self.monitor(self.controller.clock.now()))

    def resume(self) -> None:
        if self.state == PAUSED:
            self.state = RUNNING
            self._schedule(0.0)

    def stop(self) -> None:
        self.state = STOPPED
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.release_owned()

    def release_owned(self) -> None:
        """Give back the contacts held for later (agent-owned callbacks, skipped previews)."""
        while self.owned:
            self.release(self.owned.pop()[1])
        if self.skipped:
            self._release_skipped(0.0, everything=True)

    def update(self, settings: CampaignSettings) -> None:
        """New settings from the database. A new dial mode or ratio gets a new pacer; the rest
        (abandon limit, history, ring timeout…) is read by the pacer it has."""
        previous = self.settings
        # The 30-day history counts what this run did too once reloaded: keep the first load's.
        self.settings = replace(
            settings,
            history_live_answers=previous.history_live_answers,
            history_abandoned=previous.history_abandoned,
        )
        if settings.mode != previous.mode or settings.ratio != previous.ratio:
            self.pacer = make_pacer(self.settings)
        elif hasattr(self.pacer, "control"):
            self.pacer.control.cap = max(0.0, float(settings.max_abandon_rate))
        if settings.queue_id != previous.queue_id:
            self._qualified_at = -1e18

    @property
    def busy(self) -> bool:
        """Lines of this campaign are still on their way."""
        return bool(self.lines or self.detecting or any(call.status == QUEUED for call in self.waiting.values()))

    # --- what the agent sees ---------------------------------------------------------------------
    def offer_data(self, target: DialTarget) -> dict[str, Any]:
        """The campaign part of an offer or preview message: the contact's card and the rendered script."""
        fields = dict(target.data)
        fields.setdefault("name", target.name)
        fields.setdefault("phone", target.number)
        return {
            "campaign_id": self.settings.campaign_id,
            "campaign_name": self.settings.name,
            "contact": {
                "contact_id": target.contact_id,
                "name": target.name,
                "number": target.number,
                "attempt": target.attempt,
                "fields": fields,
            },
            "script": render_script(self.settings.script, fields),
        }

    def release(self, target: DialTarget) -> None:
        self.source.release(self.campaign_id, target)

    # --- the controller's reports ------------------------------------------------------------------
    def line_dialed(self, call: CallState) -> None:
        if call.agent_id is None:
            self.lines[call.uid] = call

    def line_answered(self, call: CallState) -> None:
        if self.lines.pop(call.uid, None) is not None:
            self.detecting[call.uid] = call

    def line_resolved(self, call: CallState, *, live: bool) -> None:
        """The line turned out live (detected human, or answered without AMD) or not."""
        ringing = self.lines.pop(call.uid, None) is not None
        detected = self.detecting.pop(call.uid, None) is not None
        if live:
            self.stats.live_detected += 1
        if not (ringing or detected):
            return  # a preview dial: the agent was on the line, nothing to learn for pacing
        end = call.live_at if live and call.live_at is not None else self.controller.clock.now()
        self.pacer.observe_line(end - call.arrived, live=live)
        if detected and self.settings.amd_enabled:
            self.pacer.observe_amd(live=live)
        if live:
            self.waiting[call.uid] = call
            self._live_pending.add(call.uid)

    def talk_ended(self, call: CallState) -> None:
        self.pacer.observe_talk(call.talk_seconds + call.hold_seconds)
        self.stats.talk_seconds += call.talk_seconds

    def wrapup_ended(self, call: CallState) -> None:
        self.pacer.observe_wrapup(call.wrapup_seconds)

    def attempt_finished(self, call: CallState, outcome: str) -> None:
        self.lines.pop(call.uid, None)
        self.detecting.pop(call.uid, None)
        self.waiting.pop(call.uid, None)
        stats = self.stats
        stats.outcomes[outcome] = stats.outcomes.get(outcome, 0) + 1
        if outcome == OUTCOME_BLOCKED:
            stats.blocked += 1
        else:
            stats.dials += 1
            if outcome == OUTCOME_ANSWERED:
                stats.answered += 1
            elif outcome == OUTCOME_ABANDONED:
                stats.abandoned += 1
        if call.uid in self._live_pending:
            self._live_pending.discard(call.uid)
            self.pacer.observe_live_outcome(abandoned=outcome == OUTCOME_ABANDONED)
        self.source.report(
            self.campaign_id,
            call.contact,
            outcome,
            self.controller.clock.now(),
            call_uid=call.uid,
            agent_id=call.agents_served[-1] if call.agents_served else call.agent_id,
        )

    # --- the pacing loop ---------------------------------------------------------------------------
    def _qualified_agent_ids(self, now: float) -> set[int]:
        controller = self.controller
        agents = controller.agents
        if now - self._qualified_at < QUALIFIED_REFRESH_SECONDS and len(agents) == self._qualified_agents:
            return self._qualified
        queue = controller.queues.get(self.settings.queue_id)
        required = queue.required if queue is not None else None
        qualified = set()
        if required is not None:
            for agent_id, agent in agents.items():
                skills = agent.settings.skills if agent.settings is not None else {}
                if all(skills.get(skill, 0) >= level for skill, level in required.items()):
                    qualified.add(agent_id)
        self._qualified = qualified
        self._qualified_at = now
        self._qualified_agents = len(agents)
        return qualified

    def snapshot(self, now: float) -> PacingSnapshot:
        controller = self.controller
        available = controller.acd.available_agents()
        previews = controller.previews
        ready = 0
        talking: list[float] = []
        wrapping: list[float] = []
        agents = controller.agents
        for agent_id in self._qualified_agent_ids(now):
            agent = agents.get(agent_id)
            if agent is None:
                continue
            state = agent.state
            call = agent.call
            if state == A_READY:
                if agent_id in available and agent_id not in previews:
                    ready += 1
            elif state in (A_TALKING, A_HOLD):
                answered = call.answered if call is not None and call.answered is not None else now
                talking.append(now - answered)
            elif state == A_RESERVED:
                talking.append(0.0)
            elif state == A_WRAP_UP:
                ended = call.ended if call is not None and call.ended is not None else now
                wrapping.append(now - ended)
        for uid in [uid for uid, call in self.waiting.items() if call.status != QUEUED]:
            del self.waiting[uid]
        waiting = len(self.waiting)
        return PacingSnapshot(
            now=now,
            ready=ready,
            logged_in=ready + len(talking) + len(wrapping),
            waiting=waiting,
            amd_pending=len(self.detecting),
            line_ages=[now - call.arrived for call in self.lines.values()],
            talking=talking,
            wrapping=wrapping,
            free_channels=controller.driver.channels_free(self.settings.trunk_id),
        )

    def _tick(self) -> None:
        self._timer = None
        controller = self.controller
        if controller is None or self.state in (STOPPED, FINISHED):
            return
        now = controller.clock.now()
        if self.dial_until is not None and now >= self.dial_until:
            self.state = STOPPED
            return
        if self.state == RUNNING:
            if self.skipped:
                self._release_skipped(now)
            took = self._preview(now) if self.settings.mode == MODE_PREVIEW else self._dial(now)
            if took == 0 and self.finish_when_empty and self._exhausted():
                self.state = FINISHED
        store = controller.store
        if getattr(store, "wants_campaign_stats", False):
            store.campaign_stats(self.campaign_id, self.monitor(now))
        if self.state == RUNNING:  # a paused campaign sleeps until resume()
            self._schedule(self.tick_seconds)

    def _exhausted(self) -> bool:
        if (
            self.busy
            or self.owned
            or self.skipped
            or self.campaign_id in {cid for cid, _t in self.controller.previews.values()}
        ):
            return False
        return self.source.counts(self.campaign_id).get("remaining") == 0

    def _dial(self, now: float) -> int:
        """Dial what the pacer says; returns how many contacts the source gave (-1: none asked)."""
        if self.owned:
            self._dial_owned(now)
        snapshot = self.snapshot(now)
        wanted = self.pacer.decide(snapshot)
        if snapshot.free_channels is not None:
            wanted = min(wanted, snapshot.free_channels)
        if wanted <= 0:
            return -1
        targets = self.source.take(self.campaign_id, wanted, now)
        for target in targets:
            if target.owner_agent_id is not None:
                self.owned.append((now, target))
            else:
                self.controller.campaign_dial(self, target)
        if self.owned:
            self._dial_owned(now)
        return len(targets)

    def _dial_owned(self, now: float) -> None:
        """An agent-owned callback is dialled for its agent only, when they are Ready (the agent
        hears it ring, as in preview); after a while unclaimed it goes back to the list."""
        controller = self.controller
        available = controller.acd.available_agents()
        waiting = []
        for since, target in self.owned:
            agent = controller.agents.get(target.owner_agent_id)
            if (
                agent is not None
                and agent.state == A_READY
                and agent.call is None
                and target.owner_agent_id in available
                and target.owner_agent_id not in controller.previews
            ):
                controller.campaign_dial(self, target, agent=agent)
            elif now - since > OWNED_HOLD_SECONDS:
                self.release(target)
            else:
                waiting.append((since, target))
        self.owned = waiting

    def skip(self, target: DialTarget) -> None:
        """A preview the agent skipped: back to the list a minute later, so that the same agent
        is not shown it again at once."""
        self.skipped.append((self.controller.clock.now(), target))

    def _release_skipped(self, now: float, *, everything: bool = False) -> None:
        keep = []
        for since, target in self.skipped:
            if everything or now - since >= SKIP_HOLD_SECONDS:
                self.release(target)
            else:
                keep.append((since, target))
        self.skipped = keep

    def _preview(self, now: float) -> int:
        controller = self.controller
        available = controller.acd.available_agents()
        free = [
            controller.agents[agent_id]
            for agent_id in sorted(self._qualified_agent_ids(now))
            if agent_id in controller.agents
            and agent_id in available
            and agent_id not in controller.previews
            and controller.agents[agent_id].state == A_READY
        ]
        if not free:
            return -1
        targets = self.source.take(self.campaign_id, len(free), now)
        for agent, target in zip(free, targets, strict=False):
            controller.campaign_preview(self, agent, target)
        return len(targets)

    # --- the monitor ---------------------------------------------------------------------------------
    def monitor(self, now: float) -> dict[str, Any]:
        """The ``campaign.stats`` payload (docs/realtime.md)."""
        stats = self.stats
        snapshot = self.snapshot(now)
        live = stats.live_answers
        history_live = self.settings.history_live_answers + live
        history_abandoned = self.settings.history_abandoned + stats.abandoned
        minutes = max(1e-9, (now - (self.started if self.started is not None else now)) / 60.0)
        last = self.pacer.last
        estimated = getattr(self.pacer, "control", None)
        estimated_rates = estimated.rates() if estimated is not None else (None, None)
        agents_by_state = {"ready": snapshot.ready, "talking": len(snapshot.talking), "wrap_up": len(snapshot.wrapping)}
        return {
            "campaign_id": self.campaign_id,
            "status": self.state,
            "mode": self.settings.mode,
            "dials": stats.dials,
            "dials_per_minute": round(stats.dials / minutes, 2),
            "live_answers": live,
            "abandoned": stats.abandoned,
            "abandon_rate": kpis.rounded(kpis.outbound_abandon_rate(stats.abandoned, live), 4),
            "abandon_rate_30d": kpis.rounded(kpis.outbound_abandon_rate(history_abandoned, history_live), 4),
            "abandon_rate_estimated": None if estimated_rates[0] is None else round(estimated_rates[0], 4),
            "max_abandon_rate": float(self.settings.max_abandon_rate),
            "lines_in_flight": snapshot.in_flight,
            "dial_level": round(snapshot.in_flight / snapshot.logged_in, 2) if snapshot.logged_in else 0.0,
            "agents": agents_by_state,
            "contacts": self.source.counts(self.campaign_id),
            "warming_up": last.warming_up,
        }
