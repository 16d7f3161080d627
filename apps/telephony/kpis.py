"""The one definition of the contact-center KPIs (DOMAIN.md §2). Plain Python, no Django.

Every figure a user sees — the wallboard, ``GET /api/v1/kpis/queues``, the calls page, the
``simulate`` and ``simulate_campaign`` commands, the benchmarks and, next, the reports — is
computed here, so that two screens never disagree on what "service level" means. Callers count
(in SQL or in memory) and hand the counts to these functions; the per-call classifications
(:func:`answered_within_sl`, :func:`is_short_abandon`, :func:`abandoned_after_sl`) are the rules
the counting follows. SQL callers cannot call Python per row, so
``apps/telephony/selectors/kpis.py`` writes the same comparisons as filters, and
``tests/telephony/test_one_source_kpis.py`` proves the two agree.

**Unit: every rate is a fraction from 0 to 1.** Percentages exist only for display: the
API's and wallboard's ``sl_percent`` and ``abandon_rate`` fields (0–100, a contract older than
this module) go through :func:`as_percent` at the edge. ``None`` means "nothing to compute it
from" (no calls), never 0.

Thresholds are inclusive: a call answered after exactly T seconds is within the service level;
a caller who hangs up after exactly the short-abandon limit is a short abandon. A short-abandon
limit of 0 turns the exclusion off.

The Erlang C ``service_level`` in ``apps/telephony/engine/erlang.py`` is a *prediction* for
staffing, not a measurement; it uses the same unit (a fraction) and the same inclusive T.
"""

from __future__ import annotations

DEFAULT_SL_THRESHOLD_SECONDS = 15.0  # T, when a queue sets none (DOMAIN.md §2)
DEFAULT_SHORT_ABANDON_SECONDS = 5.0  # callers gone within this are "short abandons"


# --- per call ------------------------------------------------------------------------------
def answered_within_sl(wait_seconds: float, threshold_seconds: float) -> bool:
    """An answered call counts toward SL when it waited at most T (inclusive)."""
    return wait_seconds <= threshold_seconds


def abandoned_after_sl(wait_seconds: float, threshold_seconds: float) -> bool:
    """An abandoned (not short) call counts against SL only when the caller waited longer than T:
    a caller who gives up within T could not have been answered "late"."""
    return wait_seconds > threshold_seconds


def is_short_abandon(wait_seconds: float, short_abandon_seconds: float) -> bool:
    """Hung up within the short-abandon limit (inclusive); a limit of 0 (or less) turns it off.
    Short abandons are left out of SL and abandon rate alike (wrong numbers, impatient redials)."""
    return short_abandon_seconds > 0 and wait_seconds <= short_abandon_seconds


# --- rates (fractions) ---------------------------------------------------------------------
def _fraction(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def service_level(answered_within: int, answered: int, abandoned_after: int) -> float | None:
    """Answered within T ÷ (answered + abandoned after T), short abandons in neither part."""
    return _fraction(answered_within, answered + abandoned_after)


def abandon_rate(abandoned: int, offered: int) -> float | None:
    """Inbound: abandoned in queue (short abandons excluded) ÷ offered."""
    return _fraction(abandoned, offered)


def outbound_abandon_rate(abandoned: int, live_answers: int) -> float | None:
    """Campaigns (DOMAIN.md §6): live answers not connected to an agent in time (AMD false
    positives included) ÷ live answers — the figure the legal cap applies to."""
    return _fraction(abandoned, live_answers)


def asa_seconds(wait_sum: float, answered: int) -> float | None:
    """Mean seconds from entering the queue to answer, over answered calls only."""
    return _fraction(wait_sum, answered)


def aht_seconds(handle_sum: float, handled: int) -> float | None:
    """Mean talk + hold + wrap-up seconds over handled calls (wrap-up over)."""
    return _fraction(handle_sum, handled)


def occupancy(busy_seconds: float, ready_seconds: float) -> float | None:
    """Time talking, on hold or in wrap-up ÷ (that + time Ready)."""
    return _fraction(busy_seconds, busy_seconds + ready_seconds)


# --- display -------------------------------------------------------------------------------
def as_percent(fraction: float | None, digits: int = 2) -> float | None:
    """A fraction shown as a percentage (0–100), rounded; ``None`` stays ``None``."""
    return None if fraction is None else round(100.0 * fraction, digits)


def rounded(value: float | None, digits: int) -> float | None:
    """Round a figure for output; ``None`` stays ``None``."""
    return None if value is None else round(value, digits)
