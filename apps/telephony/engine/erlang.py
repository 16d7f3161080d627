"""Erlang B and C staffing maths (DOMAIN.md §3). Plain Python, no Django.

``a`` is the offered traffic in Erlangs (calls per second × AHT), ``n`` the number of agents.
Erlang C assumes Poisson arrivals, exponential handle times and callers who never hang up;
the ``simulate`` command is tested against it under exactly those conditions.

These are *predictions* for staffing. The *measured* KPIs (what the wallboard, the API and
``simulate`` report) are apps/telephony/kpis.py's; both use the same units — rates are
fractions from 0 to 1, thresholds are inclusive seconds — so a prediction and a measurement
compare directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def traffic_erlangs(calls: float, interval_seconds: float, aht_seconds: float) -> float:
    """A = calls per interval ÷ interval length × AHT."""
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    return calls / interval_seconds * aht_seconds


def erlang_b(n: int, a: float) -> float:
    """Blocking probability with ``n`` servers: 1/B₀ = 1; 1/Bₙ = 1 + (n/A)·(1/Bₙ₋₁)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if a <= 0:
        return 0.0
    inverse = 1.0
    for k in range(1, n + 1):
        inverse = 1.0 + k / a * inverse
    return 1.0 / inverse


def erlang_c(n: int, a: float) -> float:
    """Probability that a call waits: C = N·B ÷ (N − A·(1 − B)); 1 when N ≤ A (the queue grows)."""
    if a <= 0:
        return 0.0
    if n <= a:
        return 1.0
    b = erlang_b(n, a)
    return n * b / (n - a * (1.0 - b))


def service_level(n: int, a: float, aht_seconds: float, threshold_seconds: float) -> float:
    """Predicted share of calls answered within ``threshold_seconds`` (a fraction 0–1; "within"
    includes T itself, as in :func:`apps.telephony.kpis.answered_within_sl`, which for a continuous
    wait makes no difference): 1 − C·e^(−(N−A)·t/AHT). No abandons in the model, so it compares
    with the measured :func:`apps.telephony.kpis.service_level` only when callers never hang up."""
    if n <= a:
        return 0.0
    return 1.0 - erlang_c(n, a) * math.exp(-(n - a) * threshold_seconds / aht_seconds)


def average_speed_of_answer(n: int, a: float, aht_seconds: float) -> float:
    """ASA = C·AHT ÷ (N − A), in seconds (infinite when N ≤ A)."""
    if n <= a:
        return math.inf
    return erlang_c(n, a) * aht_seconds / (n - a)


def occupancy(n: int, a: float) -> float:
    return min(1.0, a / n) if n else 1.0


@dataclass(frozen=True)
class Staffing:
    traffic: float  # Erlangs
    agents: int  # N on the phones
    staff: int  # after shrinkage: ⌈N ÷ (1 − s)⌉
    service_level: float
    wait_probability: float
    asa_seconds: float
    occupancy: float


def required_agents(
    *,
    calls: float,
    interval_seconds: float,
    aht_seconds: float,
    sl_target: float,
    sl_threshold_seconds: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
) -> Staffing:
    """The smallest N > A meeting the SL target (a fraction, 0.8 for 80%) and the occupancy cap,
    and the staff to roster after shrinkage (a fraction of paid time off the phones)."""
    if not 0 < sl_target < 1:
        raise ValueError("sl_target is a fraction between 0 and 1")
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage is a fraction between 0 and 1")
    if not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy is a fraction between 0 and 1")
    a = traffic_erlangs(calls, interval_seconds, aht_seconds)
    n = max(1, math.floor(a) + 1)
    while service_level(n, a, aht_seconds, sl_threshold_seconds) < sl_target or occupancy(n, a) > max_occupancy:
        n += 1
    # Round before the ceiling so 14 / 0.7 is 20, not 21 from float noise.
    staff = math.ceil(round(n / (1.0 - shrinkage), 9))
    return Staffing(
        traffic=a,
        agents=n,
        staff=staff,
        service_level=service_level(n, a, aht_seconds, sl_threshold_seconds),
        wait_probability=erlang_c(n, a),
        asa_seconds=average_speed_of_answer(n, a, aht_seconds),
        occupancy=occupancy(n, a),
    )
