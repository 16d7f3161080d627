"""What-if on the roster: the service level a day's roster would give against the forecast,
from the engine's simulation (through ``apps.telephony.selectors.simulation``) and from
Erlang C, interval by interval.

Queues are pooled: shifts are not per queue, so every rostered agent on queue may take any
call. Each interval is simulated for one hour at that interval's arrival rate, so the figure is
the steady state the interval's staff reach (a run starting from an empty queue would flatter
the first minutes). The whole day is bounded by ``max_seconds`` of simulation: intervals beyond
it are left unsimulated and the result says it is partial.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from apps.telephony.selectors.erlang import service_level, traffic_erlangs
from apps.telephony.selectors.simulation import MAX_AGENTS, MAX_CALLS, simulate_interval
from apps.workforce.selectors.staffing import day_start, scheduled_coverage, staffing_plan
from apps.workforce.staffing import whole_staff

INTERVAL_MINUTES = 30
MAX_SECONDS = 20.0


def roster_whatif(
    day: dt.date,
    *,
    patience_seconds: float | None = None,
    published_only: bool = False,
    max_seconds: float = MAX_SECONDS,
    seed: int = 0,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """``{"rows": [...], "service_level", "erlang_service_level", "calls", "partial",
    "wall_seconds"}``; each row: ``slot``, ``start``, ``calls``, ``aht_seconds``, ``agents``,
    ``service_level`` (simulated), ``erlang_service_level``, ``simulated`` (False: not run).
    Service levels are fractions; the day's are weighted by forecast calls."""
    plans = staffing_plan(day, interval_minutes=INTERVAL_MINUTES, today=today)
    staff = whole_staff(scheduled_coverage(day, interval_minutes=INTERVAL_MINUTES, published_only=published_only))
    start = day_start(day)
    started = time.perf_counter()
    rows = []
    weighted = weighted_erlang = calls_simulated = calls_total = 0.0
    partial = False
    for slot, agents in enumerate(staff):
        calls = sum(plan.forecast[slot].offered for plan in plans)
        handle = sum(plan.forecast[slot].offered * plan.forecast[slot].aht_seconds for plan in plans)
        with_calls = [plan for plan in plans if plan.forecast[slot].offered > 0]
        threshold = min((plan.sl_threshold_seconds for plan in with_calls), default=20.0)
        row: dict[str, Any] = {
            "slot": slot,
            "start": start + dt.timedelta(minutes=INTERVAL_MINUTES * slot),
            "calls": round(calls, 1),
            "aht_seconds": round(handle / calls, 1) if calls else None,
            "agents": agents,
            "threshold_seconds": threshold,
            "service_level": None,
            "erlang_service_level": None,
            "simulated": False,
        }
        rows.append(row)
        if calls < 0.01:
            continue
        calls_total += calls
        aht = handle / calls
        traffic = traffic_erlangs(calls, INTERVAL_MINUTES * 60, aht)
        predicted = service_level(agents, traffic, aht, threshold) if agents else 0.0
        row["erlang_service_level"] = predicted
        if agents == 0:
            # Nobody on queue: no call is answered within the threshold; nothing to simulate.
            row["service_level"], row["simulated"] = 0.0, True
        elif time.perf_counter() - started > max_seconds:
            partial = True
            continue
        else:
            hourly = calls * 60 / INTERVAL_MINUTES
            figures = simulate_interval(
                agents=min(agents, MAX_AGENTS),
                calls=min(hourly, MAX_CALLS),
                interval_seconds=3600,
                aht_seconds=aht,
                sl_threshold_seconds=threshold,
                patience_seconds=patience_seconds,
                seed=seed + slot,
            )
            row["service_level"], row["simulated"] = figures["service_level"], True
        if row["service_level"] is not None:
            weighted += row["service_level"] * calls
            weighted_erlang += predicted * calls
            calls_simulated += calls
    return {
        "day": day,
        "rows": rows,
        "calls": round(calls_total, 1),
        "service_level": weighted / calls_simulated if calls_simulated else None,
        "erlang_service_level": weighted_erlang / calls_simulated if calls_simulated else None,
        "partial": partial,
        "wall_seconds": round(time.perf_counter() - started, 2),
    }
