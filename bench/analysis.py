"""Throughput of the automatic call analysis on 8 kHz 16-bit stereo recordings, on one core.

Run from the repository root: ``.venv/bin/python bench/analysis.py`` (no database).

Simulated calls (caller left, agent right; speech, pauses, overtalk, dead air, 45 s of hold
music) are synthesised first (not timed); then each WAV is read and analysed (timed): webrtcvad
on both channels, hold-music detection, the figures and flags. The process is pinned to one CPU
so the figure is per core. Two runs: an hour-long call (the issue's yardstick: under 36 s, that
is at least 100x real time) and a batch of typical 3-minute calls. Ends with one JSON line;
``analysis_x_realtime`` is the hour-long call's best (``bench/qa.py`` imports
:func:`apps.telephony.analysis.bench.analysis_benchmark` for the same figure).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import django  # noqa: E402

TARGET_X_REALTIME = 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hour-calls", type=int, default=3, help="hour-long calls to analyse (the best counts)")
    parser.add_argument("--short-calls", type=int, default=40, help="3-minute calls to analyse")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    django.setup()  # settings only (the thresholds); no database

    from apps.telephony.analysis.bench import analysis_benchmark  # noqa: PLC0415 - after setup

    hour = analysis_benchmark(seconds=3600.0, calls=args.hour_calls, seed=args.seed)
    short = analysis_benchmark(seconds=180.0, calls=args.short_calls, seed=args.seed + 1000)
    result = {
        **hour,
        "analysis_short_call_seconds": 180.0,
        "analysis_short_calls": args.short_calls,
        "analysis_short_x_realtime": short["analysis_x_realtime_mean"],
        "analysis_target_x_realtime": TARGET_X_REALTIME,
        "analysis_ok": hour["analysis_x_realtime"] >= TARGET_X_REALTIME,
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }
    print(
        f"hour-long stereo call analysed in {hour['analysis_best_seconds']} s "
        f"({hour['analysis_x_realtime']}x real time, one core); 3-minute calls at "
        f"{short['analysis_x_realtime_mean']}x",
        file=sys.stderr,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
