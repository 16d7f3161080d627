"""Predictive against progressive dialing on the virtual clock: talk minutes per agent-hour at ≤ 3 % abandons.

Run from the repository root: ``.venv/bin/python bench/dialer.py`` (no database).

The scenario of issue 4: 50 virtual agents for 8 hours, 200,000 contacts, 25 % of dials
answered by a person and 15 % by an answering machine (10 % busy, the rest ring out after
25 s), an answering-machine detector that takes 2 % of live people for machines (each such
false positive is an abandoned call), talk times around 120 s (exponential), 10 s wrap-up,
abandon limit 3 % of live answers, retries by production's retry table (apps/telephony/dialer/retry.py). The real controller, ACD, campaign runtime and pacers run
against the simulated switch, once per mode and seed.

Target: on every seed, predictive talk minutes per agent-hour ≥ 1.35 × progressive's, with
predictive's abandon rate ≤ 3 %. Prints each seed's figures and ends with one JSON line with
``ratio_min``, ``ratio_mean``, ``abandon_max`` (the largest predictive abandon rate) and the
per-seed figures. Options: ``--seeds 1 2 3``, ``--hours H``, ``--agents N``,
``--talk-dist exp|lognormal|fixed``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

from apps.telephony.dialer.pacing import Pacer  # noqa: E402 -- Django-free; after the path and settings above

TARGET_RATIO = 1.35
MAX_ABANDON = 0.03
FALSE_POSITIVES = 0.02


def reference_pacers():
    """Two reference pacers rebuilt from their descriptions, for comparison only (``--references``).

    * ``vicidial``: AST_VDadapt's adaptive dial level. Once a minute the level moves by the
      minute's average (Ready agents − waiting live calls) ÷ agents, within [1, 3]; when the
      day's drop rate is over the target the level is halved (ADAPT_AVERAGE). Lines =
      level × (Ready + talking agents) − calls in progress. The drop target is the limit
      minus the detector's false positives (which VICIdial does not see), so that it is legal.
    * ``omni``: an OMniDialer-style pacer. Expected free agents = Ready + each busy agent's
      chance to finish within the mean time to a live answer (exponential handle times);
      lines = throttle × expected free ÷ EWMA hit rate − lines ringing; every 30 s the
      throttle is multiplied by target ÷ drop rate of the last 500 live answers (at least
      by 0.5) when over the target, and grows by 5 % otherwise.
    """
    target = MAX_ABANDON - FALSE_POSITIVES

    class VicidialAdapt(Pacer):
        mode = "vicidial"

        def __init__(self) -> None:
            super().__init__()
            self.level = 1.0
            self.samples: list[tuple[int, int]] = []
            self.minute = 0.0
            self.live = self.dropped = 0

        def observe_live_outcome(self, *, abandoned: bool) -> None:
            self.live += 1
            self.dropped += abandoned

        def decide(self, snapshot) -> int:
            self.samples.append((snapshot.ready - snapshot.waiting, snapshot.logged_in))
            if snapshot.now - self.minute >= 60 and self.samples:
                differential = sum(s[0] for s in self.samples) / len(self.samples)
                agents = max(1.0, sum(s[1] for s in self.samples) / len(self.samples))
                self.level = min(3.0, max(1.0, self.level * (1 + differential / agents)))
                if self.live > 50 and self.dropped / self.live > target:
                    self.level = max(1.0, self.level / 2)
                self.samples.clear()
                self.minute = snapshot.now
            talking = len(snapshot.talking)
            lines = math.floor(self.level * (snapshot.ready + talking)) - (snapshot.in_flight + talking)
            return self._record(max(0, lines))

    class OmniStyle(Pacer):
        mode = "omni"

        def __init__(self) -> None:
            super().__init__()
            self.hit = 0.25
            self.to_live = 10.0
            self.handle = 130.0
            self.factor = 1.0
            self.minute = 0.0
            self.recent: list[bool] = []

        def observe_line(self, age: float, *, live: bool) -> None:
            self.hit += 0.02 * ((1.0 if live else 0.0) - self.hit)
            if live:
                self.to_live += 0.05 * (age - self.to_live)

        def observe_talk(self, seconds: float) -> None:
            self.handle += 0.05 * (seconds + 10 - self.handle)

        def observe_live_outcome(self, *, abandoned: bool) -> None:
            self.recent = [*self.recent[-499:], abandoned]

        def decide(self, snapshot) -> int:
            if snapshot.now - self.minute >= 30:
                rate = sum(self.recent) / len(self.recent) if len(self.recent) >= 50 else 0.0
                if rate > target:
                    self.factor = max(0.05, self.factor * max(0.5, target / rate))
                else:
                    self.factor = min(1.0, self.factor * 1.05)
                self.minute = snapshot.now
            chance = 1 - math.exp(-self.to_live / self.handle)
            expected = snapshot.ready + chance * (len(snapshot.talking) + len(snapshot.wrapping)) - snapshot.waiting
            lines = (
                math.floor(self.factor * expected / max(0.02, self.hit))
                - len(snapshot.line_ages)
                - snapshot.amd_pending
            )
            return self._record(max(0, lines))

    return {"vicidial": VicidialAdapt, "omni": OmniStyle}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--talk-dist", default="exp", choices=("exp", "lognormal", "fixed"))
    parser.add_argument(
        "--references", action="store_true", help="also run the VICIdial-style and OMniDialer-style pacers"
    )
    args = parser.parse_args()

    django.setup()  # settings only; the runs never touch the database
    from apps.telephony.engine.simulation.campaigns import (  # noqa: PLC0415 -- needs the app registry: after django.setup()
        CampaignSimulationOptions,
        CampaignSimulationResult,
        build_campaign_simulation,
    )

    references = reference_pacers()

    def run(mode: str, seed: int) -> dict:
        options = CampaignSimulationOptions(
            mode="progressive" if mode in references else mode,
            agents=args.agents,
            contacts=args.contacts,
            answer_rate=0.25,
            machine_rate=0.15,
            busy_rate=0.10,
            amd_false_positive=FALSE_POSITIVES,
            aht_seconds=120,
            talk_dist=args.talk_dist,
            wrapup_seconds=10,
            hours=args.hours,
            max_abandon=MAX_ABANDON,
            seed=seed,
        )
        started = time.perf_counter()
        clock, driver, controller, store, runtime, source = build_campaign_simulation(options)
        if mode in references:
            runtime.pacer = references[mode]()
        clock.run()
        store.finish()
        figures = store.campaign_figures(
            agent_hours=options.agents * options.hours, contacts_finished=source.counts(1)["finished"]
        )
        result = CampaignSimulationResult(
            figures, time.perf_counter() - started, store, controller, driver, clock, runtime, source
        )
        return {**result.as_dict(), "false_positives": result.driver.amd_false_positives}

    started = time.perf_counter()
    print(
        f"dialer benchmark: {args.agents} agents, {args.hours:g} h, {args.contacts:,} contacts, answer 0.25, "
        f"machine 0.15, AMD false positives 0.02, AHT 120 s ({args.talk_dist}), wrap-up 10 s, limit 3 %"
    )
    header = f"{'seed':>4}  {'mode':<11} {'dials':>7} {'live':>6} {'aband.':>6} {'rate':>7} {'talk/ag-h':>9} {'occup.':>6} {'wall':>6}"
    print(header)
    rows = []
    for seed in args.seeds:
        modes = ("progressive", "predictive", *(references if args.references else ()))
        figures = {mode: run(mode, seed) for mode in modes}
        for mode, result in figures.items():
            print(
                f"{seed:>4}  {mode:<11} {result['dials']:>7,} {result['live_answers']:>6,} {result['abandoned']:>6,} "
                f"{result['abandon_rate'] * 100:>6.2f}% {result['talk_minutes_per_agent_hour']:>9.2f} "
                f"{result['occupancy']:>6.3f} {result['wall_seconds']:>5.1f}s"
            )
        ratio = (
            figures["predictive"]["talk_minutes_per_agent_hour"] / figures["progressive"]["talk_minutes_per_agent_hour"]
        )
        met = ratio >= TARGET_RATIO and figures["predictive"]["abandon_rate"] <= MAX_ABANDON
        print(f"      ratio {ratio:.3f}  {'met' if met else 'MISSED'}")
        for mode in references if args.references else ():
            other = figures[mode]["talk_minutes_per_agent_hour"] / figures["progressive"]["talk_minutes_per_agent_hour"]
            print(f"      {mode}: ratio {other:.3f}, abandon {figures[mode]['abandon_rate'] * 100:.2f}%")
        rows.append(
            {
                "seed": seed,
                "ratio": round(ratio, 4),
                **figures,
            }
        )
    ratio_min = min(row["ratio"] for row in rows)
    abandon_max = max(row["predictive"]["abandon_rate"] for row in rows)
    met = ratio_min >= TARGET_RATIO and abandon_max <= MAX_ABANDON
    print(
        f"ratio min {ratio_min:.3f} (target >= {TARGET_RATIO}), predictive abandon max {abandon_max * 100:.2f}% "
        f"(limit {MAX_ABANDON * 100:.0f}%): {'met' if met else 'MISSED'}  [{time.perf_counter() - started:.1f} s]"
    )
    print(
        json.dumps(
            {
                "ratio_min": ratio_min,
                "ratio_mean": round(sum(row["ratio"] for row in rows) / len(rows), 4),
                "abandon_max": abandon_max,
                "progressive_abandon_max": max(row["progressive"]["abandon_rate"] for row in rows),
                "target_met": met,
                "seeds": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
