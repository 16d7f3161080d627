"""Virtual-clock runs of a campaign: the real controller, ACD, pacer and campaign runtime against the
simulated switch (``simulate_campaign`` and ``bench/dialer.py``).

``agents`` virtual agents of one queue are Ready from the start; the campaign dials synthetic
contacts for ``hours`` hours (answered by a person, a machine, busy, failed or ringing out at
the given rates), then the run continues until every call has finished its wrap-up. No
database: a :class:`~apps.telephony.engine.store.MemoryStore` counts. Talk minutes and agent
time are counted within the ``hours``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from apps.telephony.acd import Acd
from apps.telephony.dialer.campaign import CampaignRuntime
from apps.telephony.dialer.contract import DIAL_MODES, MODE_PREVIEW, CampaignSettings
from apps.telephony.dialer.memory import MemoryContactSource
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, QueueSettings
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.drivers.sim import (
    CallerBehaviour,
    Duration,
    OutboundBehaviour,
    SimDriver,
    VirtualAgentBehaviour,
)
from apps.telephony.engine.store import MemoryStore

SIM_QUEUE_ID = 1
SIM_TRUNK_ID = 1
SIM_CAMPAIGN_ID = 1


@dataclass
class CampaignSimulationOptions:
    mode: str
    agents: int
    contacts: int
    answer_rate: float
    machine_rate: float
    aht_seconds: float
    hours: float
    ratio: float = 1.0
    busy_rate: float = 0.10
    amd_false_positive: float = 0.0
    amd_enabled: bool = True
    wrapup_seconds: float = 0.0
    talk_dist: str = "exp"
    max_abandon: float = 0.03
    ring_timeout_seconds: float = 25.0
    abandon_grace_seconds: float = 2.0
    channels: int | None = None
    seed: int = 0
    queue: QueueSettings | None = None
    keep_calls: int = 0

    def __post_init__(self) -> None:
        if self.mode not in DIAL_MODES:
            raise ValueError(f"unknown mode {self.mode!r}")


@dataclass
class CampaignSimulationResult:
    figures: dict[str, Any]
    wall_seconds: float
    store: MemoryStore
    controller: CallController
    driver: SimDriver
    clock: VirtualClock
    runtime: CampaignRuntime
    source: MemoryContactSource

    def as_dict(self) -> dict[str, Any]:
        return {**self.figures, "wall_seconds": round(self.wall_seconds, 3)}


class _KeepingStore(MemoryStore):
    """Keeps the first ``keep_calls`` answered campaign calls (``--record-sample``)."""

    def call_ended(self, call, queue=None) -> None:
        super().call_ended(call, queue)
        if call.campaign_id is not None and call.answered is not None and len(self.kept) < self.keep_calls:
            self.kept.append(call)


def build_campaign_simulation(
    options: CampaignSimulationOptions,
) -> tuple[VirtualClock, SimDriver, CallController, MemoryStore, CampaignRuntime, MemoryContactSource]:
    horizon = options.hours * 3600.0
    clock = VirtualClock()
    driver = SimDriver(
        clock,
        seed=options.seed,
        caller=CallerBehaviour(patience=None),
        default_trunk_id=SIM_TRUNK_ID,
        emit_ringing=False,
    )
    driver.outbound = OutboundBehaviour(
        answer_rate=options.answer_rate,
        machine_rate=options.machine_rate,
        busy_rate=min(options.busy_rate, max(0.0, 1.0 - options.answer_rate - options.machine_rate)),
        amd_false_positive=options.amd_false_positive,
    )
    driver.set_trunk(SIM_TRUNK_ID, options.channels)
    store = _KeepingStore(clock, horizon=horizon, keep_calls=options.keep_calls)
    queue = options.queue or QueueSettings(queue_id=SIM_QUEUE_ID, code="simulation", name="Simulation")
    queue.wrapup_seconds = options.wrapup_seconds
    queue.max_wait_seconds = 0
    queue.required = {}
    queue.announce_position = queue.announce_expected_wait = queue.callback_offer = False
    controller = CallController(clock=clock, driver=driver, acd=Acd(), store=store, use_ivr=False)
    controller.set_queue(queue)
    behaviour = VirtualAgentBehaviour(talk=Duration(options.aht_seconds, options.talk_dist))
    for agent_id in range(1, options.agents + 1):
        driver.set_virtual_agent(agent_id, behaviour)
        controller.set_agent(AgentSettings(agent_id=agent_id, name=f"virtual {agent_id}", is_virtual=True), ready=True)
    settings = CampaignSettings(
        campaign_id=SIM_CAMPAIGN_ID,
        name="Simulation",
        mode=options.mode,
        ratio=options.ratio,
        queue_id=queue.queue_id,
        trunk_id=SIM_TRUNK_ID,
        caller_id="4000000000",
        max_abandon_rate=options.max_abandon,
        ring_timeout_seconds=options.ring_timeout_seconds,
        abandon_grace_seconds=options.abandon_grace_seconds,
        amd_enabled=options.amd_enabled,
        wrapup_seconds=options.wrapup_seconds,
        record=False,
        amd_false_positive_rate=options.amd_false_positive if options.amd_enabled else 0.0,
    )
    source = MemoryContactSource()  # retries by the one retry table, production's (dialer/retry.py)
    source.add_synthetic(SIM_CAMPAIGN_ID, options.contacts)
    runtime = CampaignRuntime(
        settings,
        source,
        dial_until=horizon,
        preview_seconds=5.0 if options.mode == MODE_PREVIEW else 0.0,
    )
    controller.add_campaign(runtime)
    return clock, driver, controller, store, runtime, source


def run_campaign_simulation(options: CampaignSimulationOptions) -> CampaignSimulationResult:
    started = time.perf_counter()
    clock, driver, controller, store, runtime, source = build_campaign_simulation(options)
    clock.run()
    store.finish()
    wall = time.perf_counter() - started
    figures = store.campaign_figures(
        agent_hours=options.agents * options.hours,
        contacts_finished=source.counts(SIM_CAMPAIGN_ID)["finished"],
    )
    return CampaignSimulationResult(
        figures=figures,
        wall_seconds=wall,
        store=store,
        controller=controller,
        driver=driver,
        clock=clock,
        runtime=runtime,
        source=source,
    )
