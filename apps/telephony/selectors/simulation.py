"""The engine's simulation for the departments: one interval of inbound traffic run through the
real controller and ACD on a virtual clock (what ``manage.py simulate`` and the what-if page
run), answered as plain figures. Departments call this, never ``telephony.engine``
(ARCHITECTURE §10). Pure computation: nothing is written, no tenant data is read.
"""

from __future__ import annotations

from typing import Any

from apps.telephony.engine.simulation.inbound import SimulationOptions, run_simulation

MAX_AGENTS = 500
MAX_CALLS = 20_000


def simulate_interval(
    *,
    agents: int,
    calls: float,
    interval_seconds: float,
    aht_seconds: float,
    sl_threshold_seconds: float,
    patience_seconds: float | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """``{"offered", "answered", "abandoned", "service_level", "asa_seconds", "occupancy",
    "wall_seconds"}`` (rates as fractions, None when there is nothing to compute them from).
    Raises ``ValueError`` beyond the caps that keep a run to a second or two."""
    if not 1 <= agents <= MAX_AGENTS:
        raise ValueError(f"agents must be between 1 and {MAX_AGENTS}")
    if calls < 0 or calls > MAX_CALLS:
        raise ValueError(f"calls must be between 0 and {MAX_CALLS}")
    if interval_seconds <= 0 or aht_seconds <= 0:
        raise ValueError("interval_seconds and aht_seconds must be positive")
    run = run_simulation(
        SimulationOptions(
            agents=agents,
            arrivals_per_hour=calls * 3600 / interval_seconds,
            aht_seconds=aht_seconds,
            patience_seconds=patience_seconds,
            sl_threshold_seconds=sl_threshold_seconds,
            hours=interval_seconds / 3600,
            seed=seed,
        )
    )
    store = run.store
    return {
        "offered": store.totals.offered,
        "answered": store.totals.answered,
        "abandoned": store.totals.abandoned,
        "service_level": store.service_level,
        "asa_seconds": store.asa_seconds,
        "occupancy": store.occupancy,
        "wall_seconds": run.wall_seconds,
    }
