"""The KPI formulas apps/telephony/kpis.py does not have yet, in the same style: plain Python,
fractions from 0 to 1, ``None`` when there is nothing to compute from.

apps/telephony/kpis.py is the one source for service level, ASA, abandon rate, AHT and occupancy;
the reports reuse those functions. The figures below (FCR, CSAT, IVR containment, blocked rate,
per-part means) first appeared with the reports (issue 13); they live here because the telephony
app is another team's, and move there when the wallboard needs them.
"""

from __future__ import annotations

TOP_TWO_BOX_MIN = 4  # on the 1–5 survey scale, 4 and 5 are the top two boxes
SCORE_MIN, SCORE_MAX = 1, 5


def _fraction(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def fcr(resolved_first_time: int, handled_inbound: int) -> float | None:
    """Handled inbound calls resolved the first time ÷ handled inbound calls."""
    return _fraction(resolved_first_time, handled_inbound)


def fcr_resolved(no_repeat: int, resolved_repeat: int, *, resolved_counts: bool) -> int:
    """Calls resolved the first time: no repeat call in the window, plus — when the tenant says so —
    repeat calls whose disposition resolves the contact."""
    return no_repeat + (resolved_repeat if resolved_counts else 0)


def csat_mean(score_sum: float, answers: int) -> float | None:
    """Mean survey score (1–5) over survey answers."""
    return _fraction(score_sum, answers)


def csat_top_two(top_two: int, answers: int) -> float | None:
    """Answers scoring 4 or 5 ÷ all answers."""
    return _fraction(top_two, answers)


def containment(contained: int, entered_ivr: int) -> float | None:
    """Calls that ended in the IVR without asking for an agent ÷ calls that entered the IVR."""
    return _fraction(contained, entered_ivr)


def blocked_rate(blocked: int, attempts: int) -> float | None:
    """Calls refused for want of a free channel ÷ call attempts (on a trunk, or overall)."""
    return _fraction(blocked, attempts)


def mean(total: float, count: int) -> float | None:
    """A plain mean (talk, hold, wrap-up seconds over handled calls)."""
    return _fraction(total, count)
