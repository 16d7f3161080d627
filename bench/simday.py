"""A simulated contact-center day on the virtual clock: 500 agents, about 100,000 calls.

Run from the repository root: ``.venv/bin/python bench/simday.py`` (no database).

The real call controller, the real ACD and the simulated switch run on the discrete-event
clock with a MemoryStore (the ``simulate`` command's set-up): 500 virtual agents Ready all
day, callers arriving by a Poisson process at 100,000 ÷ 24 per hour for 24 hours, lognormal
talk times around 300 s, 10 s wrap-up, a 2 s answer delay, callers abandoning after an
exponential patience of 120 s on average. After the last arrival the run continues until
every call has finished its wrap-up.

Target: the whole day in at most 60 s of wall time. ``wall_seconds`` covers building the
world and running it; the CPU time of the process and the load average are printed too, as
the machine may be shared. Options: ``--calls N``, ``--agents N``, ``--seed K``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="expected calls in the day")
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    django.setup()  # settings only; the run itself never touches the database
    from apps.telephony.engine.simulation.inbound import (  # noqa: PLC0415 -- needs the app registry: after django.setup()
        SimulationOptions,
        run_simulation,
    )

    options = SimulationOptions(
        agents=args.agents,
        arrivals_per_hour=args.calls / 24.0,
        aht_seconds=300,
        talk_dist="lognormal",
        wrapup_seconds=10,
        patience_seconds=120,
        sl_threshold_seconds=20,
        hours=24,
        seed=args.seed,
        answer_delay_seconds=2,
    )
    cpu_started = time.process_time()
    result = run_simulation(options)
    cpu = time.process_time() - cpu_started
    figures = result.figures
    calls = figures["offered"] + figures["blocked"]
    events = result.clock.fired
    wall = result.wall_seconds
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    print(f"simulated day: {args.agents} agents, {calls:,} calls over 24 h (seed {args.seed})")
    print(
        f"  offered {figures['offered']:,}  answered {figures['answered']:,}  abandoned {figures['abandoned']:,}  "
        f"blocked {figures['blocked']:,}"
    )
    print(
        f"  service level {figures['service_level']:.3f}  ASA {figures['asa_seconds']:.1f} s  "
        f"AHT {figures['aht_seconds']:.1f} s  occupancy {figures['occupancy']:.3f}"
    )
    print(f"  clock events {events:,}  ({events / wall:,.0f}/s)  calls/s {calls / wall:,.0f}")
    print(
        f"  wall {wall:.2f} s  cpu {cpu:.2f} s  load average {load:.2f}" if load is not None else f"  wall {wall:.2f} s"
    )
    print(f"  target <= {TARGET_SECONDS:.0f} s: {'met' if wall <= TARGET_SECONDS else 'MISSED'}")
    print(
        json.dumps(
            {
                "calls": calls,
                "agents": args.agents,
                "wall_seconds": round(wall, 2),
                "cpu_seconds": round(cpu, 2),
                "answered": figures["answered"],
                "service_level": figures["service_level"],
            }
        )
    )


if __name__ == "__main__":
    main()
