"""Virtual-clock runs of the real controller and ACD: the ``simulate`` command and the benchmarks.

One queue, one number, ``agents`` virtual agents Ready from the start, Poisson arrivals for
``hours`` hours; then the run continues until the last call has finished its wrap-up. No
database: a :class:`~apps.telephony.engine.store.MemoryStore` counts.

Position announcements and callback offers are switched off: they cost events and change
nothing the figures measure.

Skill levels (``agent_levels``, one per agent, in one simulated skill the queue requires) make
the routing strategy matter: with them the figures add ``answered_by_level`` (answered calls by
the level of the agent who took them), ``top_level_share`` (the share taken by the highest
level present) and, for a bullseye queue, ``answered_by_ring`` (by the ring the call had reached).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from apps.telephony.acd import Acd
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.drivers.sim import (
    CallerBehaviour,
    Duration,
    SimDriver,
    SimNumber,
    VirtualAgentBehaviour,
)
from apps.telephony.engine.store import MemoryStore

SIM_QUEUE_ID = 1
SIM_NUMBER_ID = 1
SIM_TRUNK_ID = 1
SIM_SKILL_ID = 1


@dataclass
class SimulationOptions:
    agents: int
    arrivals_per_hour: float
    aht_seconds: float
    talk_dist: str = "exp"
    wrapup_seconds: float = 0
    patience_seconds: float | None = None  # mean; None: callers never hang up while waiting
    sl_threshold_seconds: float = 15
    hours: float = 1
    seed: int = 0
    channels: int | None = None  # trunk channels; None: unlimited
    answer_delay_seconds: float = 0
    short_abandon_seconds: float = 5
    max_wait_seconds: float = 0  # 0: never overflow (the queue keeps callers for the whole run)
    ring_timeout_seconds: float = 15
    queue: QueueSettings | None = None  # the scratch queue (its id and routing settings)
    keep_calls: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    # Routing: one skill level (1-10) per agent in the queue's one simulated skill (empty: no skills),
    # the queue's strategy (None: the queue's own) and, for "bullseye", its rings ((level, after s), ...).
    agent_levels: tuple[int, ...] = ()
    strategy: str | None = None
    rings: tuple[tuple[int, float], ...] = ()

    def __post_init__(self) -> None:
        if self.agent_levels and len(self.agent_levels) != self.agents:
            raise ValueError(f"agent_levels names {len(self.agent_levels)} agents, not {self.agents}")


@dataclass
class SimulationResult:
    figures: dict[str, Any]
    wall_seconds: float
    store: MemoryStore
    controller: CallController
    driver: SimDriver
    clock: VirtualClock

    def as_dict(self) -> dict[str, Any]:
        return {**self.figures, "wall_seconds": round(self.wall_seconds, 3)}


def build_simulation(options: SimulationOptions) -> tuple[VirtualClock, SimDriver, CallController, MemoryStore]:
    horizon = options.hours * 3600.0
    clock = VirtualClock()
    caller = CallerBehaviour(patience=options.patience_seconds)
    driver = SimDriver(
        clock,
        seed=options.seed,
        caller=caller,
        arrivals_until=horizon,
        default_trunk_id=SIM_TRUNK_ID,
        emit_ringing=False,
    )
    driver.set_trunk(SIM_TRUNK_ID, options.channels)
    store = MemoryStore(
        clock, sl_threshold=options.sl_threshold_seconds, horizon=horizon, keep_calls=options.keep_calls
    )
    queue = options.queue or QueueSettings(queue_id=SIM_QUEUE_ID, code="simulation", name="Simulation")
    # The run's options win over whatever the queue row says.
    queue.sl_threshold_seconds = options.sl_threshold_seconds
    queue.max_wait_seconds = options.max_wait_seconds
    queue.wrapup_seconds = options.wrapup_seconds
    queue.short_abandon_seconds = options.short_abandon_seconds
    queue.ring_timeout_seconds = options.ring_timeout_seconds
    queue.announce_position = queue.announce_expected_wait = queue.callback_offer = False
    if options.strategy is not None:
        queue.strategy = options.strategy
    if options.rings:
        queue.bullseye_rings = tuple(options.rings)
    if options.agent_levels:
        queue.required = {SIM_SKILL_ID: 1}  # everyone qualifies; the strategy decides who answers
    controller = CallController(clock=clock, driver=driver, acd=Acd(), store=store, use_ivr=False)
    controller.set_queue(queue)
    controller.numbers[SIM_NUMBER_ID] = NumberSettings(
        number_id=SIM_NUMBER_ID, number="4000000000", trunk_id=SIM_TRUNK_ID, queue_id=queue.queue_id
    )
    behaviour = VirtualAgentBehaviour(
        talk=Duration(options.aht_seconds, options.talk_dist),
        answer_delay=Duration(options.answer_delay_seconds, "fixed"),
    )
    for agent_id in range(1, options.agents + 1):
        driver.set_virtual_agent(agent_id, behaviour)
        skills = {SIM_SKILL_ID: options.agent_levels[agent_id - 1]} if options.agent_levels else {}
        controller.set_agent(
            AgentSettings(agent_id=agent_id, name=f"virtual {agent_id}", skills=skills, is_virtual=True), ready=True
        )
    driver.set_number(
        SimNumber(
            number_id=SIM_NUMBER_ID,
            number="4000000000",
            trunk_id=SIM_TRUNK_ID,
            arrivals_per_hour=options.arrivals_per_hour,
        )
    )
    return clock, driver, controller, store


def run_simulation(options: SimulationOptions) -> SimulationResult:
    started = time.perf_counter()
    clock, driver, controller, store = build_simulation(options)
    driver.start()
    clock.run()
    store.finish()
    wall = time.perf_counter() - started
    return SimulationResult(
        figures={**store.figures(), **routing_figures(options, store)},
        wall_seconds=wall,
        store=store,
        controller=controller,
        driver=driver,
        clock=clock,
    )


def routing_figures(options: SimulationOptions, store: MemoryStore) -> dict[str, Any]:
    """Who answered, when agents have skill levels: by level, the top level's share, by bullseye ring."""
    if not options.agent_levels:
        return {}
    by_level: dict[int, int] = {}
    for agent_id, count in store.answered_by_agent.items():
        level = options.agent_levels[agent_id - 1]
        by_level[level] = by_level.get(level, 0) + count
    top = max(options.agent_levels)
    answered = sum(by_level.values())
    figures: dict[str, Any] = {
        "answered_by_level": {str(level): by_level.get(level, 0) for level in sorted(set(options.agent_levels))},
        "top_level_share": round(by_level.get(top, 0) / answered, 4) if answered else None,
    }
    if store.answered_by_ring:
        figures["answered_by_ring"] = {str(ring): count for ring, count in sorted(store.answered_by_ring.items())}
    return figures
