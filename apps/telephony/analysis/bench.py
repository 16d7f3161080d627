"""Throughput of the call analysis, for ``bench/qa.py`` and ``bench/analysis.py``.

The figure is audio seconds analysed per wall-clock second on one core (``analysis_x_realtime``):
the analysis is single-threaded (webrtcvad, numpy without BLAS), so a worker process per core
scales it. The audio is a simulated stereo call (8 kHz, 16-bit, caller left, agent right) with
hold music; synthesising it is not timed, reading the WAV and analysing it is.
"""

from __future__ import annotations

import time
from typing import Any

from apps.telephony.analysis.figures import analyse_wav
from apps.telephony.audio import synthesize_call_wav


def analysis_benchmark(*, seconds: float = 3600.0, calls: int = 1, seed: int = 1) -> dict[str, Any]:
    """Analyse ``calls`` simulated recordings of ``seconds`` each; the best of them is the figure
    (the least disturbed by other processes on a shared machine), the mean is given too, and the
    CPU time (which other processes do not inflate)."""
    timings, cpu = [], []
    for index in range(calls):
        data = synthesize_call_wav(seconds, seed=seed + index, holds=[(seconds * 0.3, seconds * 0.3 + 45)])
        started, started_cpu = time.perf_counter(), time.process_time()
        analyse_wav(data)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    best, mean = min(timings), sum(timings) / len(timings)
    return {
        "analysis_audio_seconds": seconds,
        "analysis_calls": calls,
        "analysis_best_seconds": round(best, 4),
        "analysis_mean_seconds": round(mean, 4),
        "analysis_cpu_seconds": round(min(cpu), 4),
        "analysis_x_realtime": round(seconds / best, 1),
        "analysis_x_realtime_mean": round(seconds / mean, 1),
    }
