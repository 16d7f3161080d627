"""A tenant's past on the virtual clock: the engine of ``generate_history`` (no database).

The real :class:`~apps.telephony.engine.controller.CallController`, ACD, IVR runner and
campaign runtime run against the simulated switch, configured with the tenant's own queues,
skills, numbers, IVR flows, business hours and customers (a :class:`TenantConfig` read by the
service), for N whole days in the tenant's time zone. What is simulated around them, as a
day at a contact center goes:

* **Callers** arrive on the tenant's numbers by a Poisson process whose rate follows
  :data:`HOURLY_WEIGHTS` (busy 9–12 and 14–17 local time, few at night), ``calls_per_day`` on
  average. In the IVR they choose from the menu (some hang up there: contained in the IVR),
  wait with an exponential patience (some abandon, a few within seconds: short abandons),
  accept a callback offer now and then, leave voicemail where the flow offers it, and answer
  the post-call survey more often than not.
* **Agents** are virtual agents bound to the tenant's real ``Agent`` rows. Each works a shift
  (:data:`SHIFTS`): logs in (NotReady "login"), goes Ready, takes a short break, lunch and a
  second break with the tenant's pause reasons, and logs out. At the desk they answer after a
  moment, talk (lognormal), put callers on hold sometimes, let an offer ring out rarely
  (RONA), transfer a few calls to another queue, and choose a disposition in wrap-up.
* **Campaigns** of the tenant dial synthetic contacts on weekday mornings and afternoons
  (``CampaignWindow``), through the real pacer.

A :class:`~apps.telephony.engine.simulation.history_store.HistoryStore` keeps what the database
store would have written. The same plan and seed give the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from apps.telephony import agent_states
from apps.telephony.acd import Acd
from apps.telephony.dialer.campaign import CampaignRuntime
from apps.telephony.dialer.memory import MemoryContactSource
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, TenantConfig
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.controller.common import GATHER_CALLBACK
from apps.telephony.engine.drivers.base import BY_CALLER
from apps.telephony.engine.drivers.sim import (
    CallerBehaviour,
    Duration,
    OutboundBehaviour,
    SimDriver,
    SimNumber,
    VirtualAgentBehaviour,
)
from apps.telephony.engine.simulation.history_store import HistoryStore
from apps.telephony.engine.state import (
    A_NOT_READY,
    A_OFFLINE,
    A_READY,
    A_TALKING,
    A_WRAP_UP,
    AgentRuntime,
    CallState,
)

# Relative call volume per local hour 0–23: two peaks, 9–12 and 14–17, a lunch dip, quiet nights.
HOURLY_WEIGHTS = (
    0.15, 0.1, 0.08, 0.08, 0.1, 0.2,  # 00–05
    0.6, 1.6, 4.0, 8.0, 9.0, 8.5,  # 06–11
    5.5, 6.5, 8.5, 9.0, 8.5, 6.0,  # 12–17
    3.5, 2.5, 2.0, 1.4, 0.8, 0.4,  # 18–23
)  # fmt: skip
# Shifts (local hours; an end past 24 runs into the next day), given to agents in turn.
SHIFTS = ((8.5, 17.5), (9.0, 18.0), (8.0, 17.0), (13.0, 22.0), (10.0, 19.0), (22.0, 31.0))
# Pauses in a shift: (hours after the shift starts, preferred reason code, minutes min–max).
PAUSES = ((2.0, "break", (8, 15)), (4.0, "lunch", (30, 45)), (6.5, "break", (8, 15)), (5.5, "training", (20, 40)))
TRAINING_SHARE = 0.15  # share of agent-days with a training session as well
MISSED_BACK_SECONDS = (20.0, 90.0)  # after a missed offer (NotReady "missed") an agent is Ready again within this
WEEKEND_VOLUME = 0.45  # Saturday and Sunday bring this share of a weekday's calls
RETRY_SECONDS = 20.0  # an agent busy with a call when a pause or log-out is due tries again this much later
TRANSFER_SHARE = 0.03  # answered calls an agent transfers to another queue
RESOLVED_SHARE = 0.6  # wrap-ups ending with a disposition that resolves the contact
IVR_HANGUP_SHARE = 0.08  # callers who hang up at an IVR menu (self-service: contained)
SURVEY_SKIP_SHARE = 0.35  # callers who hang up instead of answering the survey
CALLERS = CallerBehaviour(
    patience=110.0,
    choices={
        "menu": {"1": 6, "0": 3, "2": 0.6},
        "survey": {"5": 5, "4": 3, "3": 1, "2": 0.5, "1": 0.5},
        GATHER_CALLBACK: {"1": 3, "2": 7},
    },
    known_caller_share=0.3,
    talk_with_human=Duration(170, "lognormal"),
)
AGENT_BEHAVIOUR = VirtualAgentBehaviour(
    talk=Duration(170, "lognormal"),
    answer_delay=Duration(3, "lognormal", sigma=0.4),
    hold_probability=0.12,
    hold=Duration(25, "exp"),
    miss_probability=0.015,
)


@dataclass
class HistoryAgent:
    agent_id: int
    name: str
    skills: dict[int, int]
    user_id: int | None = None


@dataclass
class CampaignWindow:
    """A tenant campaign dialling synthetic contacts between local hours ``start`` and ``end`` on weekdays."""

    settings: Any  # apps.telephony.dialer.contract.CampaignSettings
    start: float = 10.0
    end: float = 11.5


@dataclass
class HistoryPlan:
    """Everything the run needs, read from the database by the service."""

    config: TenantConfig  # queues, numbers (with IVR graphs), hours, customers, trunks
    day_starts: list[datetime]  # each day's local midnight (aware); one more at the end: the range's end
    calls_per_day: int
    agents: list[HistoryAgent]
    seed: int
    uid_prefix: str
    queues: dict[int, Any]  # queue id -> Queue row (CDR rules: T, short abandon, wrap-up)
    reasons: dict[str, int]  # pause reason code -> id
    pause_codes: list[str]  # the tenant's own (non-system, active) pause reasons
    dispositions: dict[str, Any]  # code -> Disposition row (active)
    campaigns: list[CampaignWindow] = field(default_factory=list)


@dataclass
class HistoryRun:
    store: Any  # a HistoryStore (or the store ``make_store`` gave)
    clock: VirtualClock
    controller: CallController
    until: datetime


class HistoryDriver(SimDriver):
    """The simulated switch, with callers who may hang up in an IVR menu or skip the survey."""

    def gather(self, uid, prompt, *, max_digits, timeout, options, key=""):
        call = self.calls.get(uid)
        if call is not None and key != GATHER_CALLBACK:
            share = SURVEY_SKIP_SHARE if key == "survey" else IVR_HANGUP_SHARE
            if self.rng.random() < share:
                delay = self.caller.prompt_seconds + self.rng.uniform(*self.caller.think)
                self._call_timer(call, delay, self._end, uid, BY_CALLER)
                return
        super().gather(uid, prompt, max_digits=max_digits, timeout=timeout, options=options, key=key)


class _Desks:
    """What the people at the desks do: their shifts, pauses, transfers and dispositions."""

    def __init__(self, plan: HistoryPlan, clock: VirtualClock, controller: CallController, store: HistoryStore):
        self.plan = plan
        self.clock = clock
        self.ctl = controller
        self.store = store
        self.rng = random.Random(plan.seed * 7919 + 17)  # noqa: S311 - simulation
        self.end = (plan.day_starts[-1] - plan.day_starts[0]).total_seconds()
        resolved = [code for code, row in plan.dispositions.items() if row.is_resolved]
        other = [code for code, row in plan.dispositions.items() if not row.is_resolved and code != "do_not_call"]
        self.resolved, self.unresolved = resolved, other

    def t(self, moment: datetime) -> float:
        return (moment - self.plan.day_starts[0]).total_seconds()

    # --- shifts -------------------------------------------------------------------------
    def schedule(self) -> None:
        rng = self.rng
        for index, agent in enumerate(self.plan.agents):
            shift = SHIFTS[index % len(SHIFTS)]
            for number, day in enumerate(self.plan.day_starts[:-1]):
                if day.weekday() >= 5 and (index + number) % 2:
                    continue  # half the staff works each weekend day, in turn
                base = self.t(day)
                start = base + shift[0] * 3600 + rng.uniform(-600, 600)
                end = min(base + shift[1] * 3600 + rng.uniform(-300, 900), self.end - 1)
                if start >= end:
                    continue
                self.clock.call_at(start, self.login, agent.agent_id)
                self.clock.call_at(start + rng.uniform(60, 300), self.person, agent.agent_id, A_READY, None)
                for after, code, (low, high) in PAUSES:
                    if code == "training" and rng.random() >= TRAINING_SHARE:
                        continue
                    at = start + after * 3600 + rng.uniform(-900, 900)
                    if at >= end - 600:
                        continue
                    self.clock.call_at(at, self.pause, agent.agent_id, code, rng.uniform(low, high) * 60)
                self.clock.call_at(end, self.logout, agent.agent_id)

    def login(self, agent_id: int) -> None:
        agent = self.ctl.agents[agent_id]
        if agent.state == A_OFFLINE:
            self.store.person_state(agent_id, A_NOT_READY, agent_states.REASON_LOGIN)
            self.ctl.agent_state_changed(agent_id, A_NOT_READY, agent_states.REASON_LOGIN)

    def person(self, agent_id: int, state: str, reason: str | None) -> None:
        """A change the agent makes at the desk: only from Ready or NotReady (never mid-call);
        a busy agent tries again a little later."""
        agent = self.ctl.agents[agent_id]
        if agent.state == A_OFFLINE:
            return
        if agent.state not in (A_READY, A_NOT_READY):
            self.clock.call_later(RETRY_SECONDS, self.person, agent_id, state, reason)
            return
        if agent.state == state and agent.reason == reason:
            return
        self.store.person_state(agent_id, state, reason)
        self.ctl.agent_state_changed(agent_id, state, reason)

    def pause(self, agent_id: int, code: str, seconds: float) -> None:
        agent = self.ctl.agents[agent_id]
        if agent.state == A_OFFLINE:
            return
        if agent.state != A_READY:
            self.clock.call_later(RETRY_SECONDS, self.pause, agent_id, code, seconds)
            return
        reason = self._reason(code)
        if reason is None:
            return
        self.person(agent_id, A_NOT_READY, reason)
        self.clock.call_later(seconds, self.person, agent_id, A_READY, None)

    def _reason(self, code: str) -> str | None:
        codes = self.plan.pause_codes
        if code in codes:
            return code
        return codes[self.rng.randrange(len(codes))] if codes else None

    def logout(self, agent_id: int) -> None:
        agent = self.ctl.agents[agent_id]
        if agent.state == A_OFFLINE:
            return
        if agent.state not in (A_READY, A_NOT_READY):
            self.clock.call_later(RETRY_SECONDS, self.logout, agent_id)
            return
        self.store.person_state(agent_id, A_OFFLINE)
        self.ctl.agent_state_changed(agent_id, A_OFFLINE)

    # --- at the desk during calls -------------------------------------------------------
    def answered(self, call: CallState) -> None:
        if call.campaign_id is not None or call.agent_id is None or len(call.agents_served) > 1:
            return
        others = [queue_id for queue_id in self.ctl.queues if queue_id != call.queue_id]
        if others and self.rng.random() < TRANSFER_SHARE:
            target = others[self.rng.randrange(len(others))]
            message = {"type": "call.transfer", "agent_id": call.agent_id, "call_uid": call.uid, "queue_id": target}
            self.clock.call_later(self.rng.uniform(20, 90), self._message, message)

    def agent_state(self, agent: AgentRuntime, call: CallState | None) -> None:
        """The engine moved ``agent``: in wrap-up they pick a disposition; after a missed offer
        (RONA leaves them NotReady "missed") they notice and go Ready again."""
        if agent.state == A_WRAP_UP and call is not None:
            self.wrapup(agent, call)
        elif agent.state == A_NOT_READY and agent.reason == agent_states.REASON_MISSED:
            self.clock.call_later(self.rng.uniform(*MISSED_BACK_SECONDS), self.person, agent.agent_id, A_READY, None)

    def wrapup(self, agent: AgentRuntime, call: CallState) -> None:
        if call.agent_id != agent.agent_id:
            return  # a transferring agent's wrap-up: the call is someone else's now
        pool = self.resolved if (self.resolved and self.rng.random() < RESOLVED_SHARE) else self.unresolved
        if not pool:
            return
        code = pool[self.rng.randrange(len(pool))]
        seconds = self.ctl.wrapup.seconds(call)
        message = {"type": "call.wrapup", "agent_id": agent.agent_id, "call_uid": call.uid, "disposition": code}
        self.clock.call_later(seconds * self.rng.uniform(0.3, 0.9), self._message, message)

    def _message(self, message: dict) -> None:
        agent = self.ctl.agents.get(message["agent_id"])
        if message["type"] == "call.transfer" and (agent is None or agent.state != A_TALKING):
            return
        self.ctl.handle_message(message)


def _hourly_rates(plan: HistoryPlan, inbound: int) -> Callable[[int], float]:
    total = sum(HOURLY_WEIGHTS)
    per_number = plan.calls_per_day / max(1, inbound)

    def rate(hour: int) -> float:
        return per_number * HOURLY_WEIGHTS[hour] / total

    return rate


def _repeat_callers(plan: HistoryPlan) -> list[str]:
    """The numbers that call more than once: the tenant's customers, and a pool of as many other
    numbers as calls in a day. :data:`CALLERS` draws ``known_caller_share`` of its callers from
    them, so that some callers call again within 72 hours (first-call resolution has repeats to
    find) and screen pops find customers."""
    rng = random.Random(plan.seed * 104729 + 3)  # noqa: S311 - simulation
    pool = {f"13{rng.randrange(10**9):09d}" for _ in range(plan.calls_per_day)}
    return sorted(plan.config.customers) + sorted(pool)


def build_history(plan: HistoryPlan, *, make_store: Callable[[VirtualClock], Any] | None = None) -> HistoryRun:
    """Set up the controller, the switch, the store and the desks for ``plan`` (nothing runs yet).

    ``make_store(clock)``: another store with the history store's hooks (``person_state``,
    ``users``, ``on_answered``, ``on_agent_state``) — the tests run the same plan through the
    engine's database store and compare what both wrote."""
    start = plan.day_starts[0]
    until = plan.day_starts[-1]
    horizon = (until - start).total_seconds()
    clock = VirtualClock(epoch=start)
    driver = HistoryDriver(
        clock,
        seed=plan.seed,
        caller=replace(CALLERS, known_callers=_repeat_callers(plan)),
        arrivals_until=horizon,
        default_trunk_id=plan.config.default_trunk_id,
        emit_ringing=False,
    )
    driver.outbound = OutboundBehaviour(answer_rate=0.3, machine_rate=0.12, busy_rate=0.1, amd_false_positive=0.01)
    for trunk_id, channels in plan.config.trunks.items():
        driver.set_trunk(trunk_id, channels)
    store = (
        make_store(clock)
        if make_store is not None
        else HistoryStore(
            clock,
            uid_prefix=plan.uid_prefix,
            queues=plan.queues,
            reasons=plan.reasons,
            dispositions=plan.dispositions,
            start=start,
        )
    )
    config = plan.config
    config.agents = {
        agent.agent_id: AgentSettings(
            agent_id=agent.agent_id, name=agent.name, skills=dict(agent.skills), is_virtual=True, state=A_OFFLINE
        )
        for agent in plan.agents
    }
    config.last_agent = {}
    controller = CallController(clock=clock, driver=driver, acd=Acd(), store=store, config=config, uid_prefix="")
    for agent in plan.agents:
        driver.set_virtual_agent(agent.agent_id, AGENT_BEHAVIOUR)
        store.users[agent.agent_id] = agent.user_id
    desks = _Desks(plan, clock, controller, store)
    store.on_answered = desks.answered
    store.on_agent_state = desks.agent_state
    desks.schedule()

    inbound = [number for number in config.numbers.values() if number.ivr_graph or number.queue_id in config.queues]
    rate = _hourly_rates(plan, len(inbound))
    for day in plan.day_starts[:-1]:
        base = (day - start).total_seconds()
        volume = WEEKEND_VOLUME if day.weekday() >= 5 else 1.0
        for hour in range(24):
            when = base + hour * 3600
            for number in inbound:
                hourly = rate(hour) * volume
                sim = SimNumber(number.number_id, number.number, number.trunk_id, arrivals_per_hour=hourly)
                clock.call_at(when, driver.set_number, sim)
    for window in plan.campaigns:
        _schedule_campaign(plan, clock, controller, window)
    driver.start()
    return HistoryRun(store=store, clock=clock, controller=controller, until=until)


def _schedule_campaign(plan: HistoryPlan, clock: VirtualClock, controller: CallController, window) -> None:
    start = plan.day_starts[0]
    settings = window.settings
    if settings.queue_id not in controller.queues:
        return
    for index, day in enumerate(plan.day_starts[:-1]):
        if day.weekday() >= 5:
            continue
        opens = (day - start).total_seconds() + window.start * 3600
        closes = (day - start).total_seconds() + window.end * 3600

        def open_window(closes=closes, index=index) -> None:
            source = MemoryContactSource()
            contacts = max(20, plan.calls_per_day // 6)
            source.add_synthetic(settings.campaign_id, contacts)
            controller.remove_campaign(settings.campaign_id)
            runtime = CampaignRuntime(settings, source, dial_until=closes)
            controller.add_campaign(runtime)

        clock.call_at(opens, open_window)


def run_history(plan: HistoryPlan, *, make_store: Callable[[VirtualClock], Any] | None = None) -> HistoryRun:
    """Run ``plan`` to the end: every call that arrived in the range finished, every agent logged out."""
    run = build_history(plan, make_store=make_store)
    horizon = (run.until - plan.day_starts[0]).total_seconds()
    run.clock.run(limit=horizon + 6 * 3600)
    return run
