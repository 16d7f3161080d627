"""The survey scale and what a score means for the follow-up.

The IVR survey asks for 1 (poor) to 5 (excellent) (apps/telephony/ivr/defaults.py). The scale and
the top two boxes are the report framework's (apps/reports/kpi_math.py), as is CSAT itself
(apps/reports/definitions.py ``csat_mean`` / ``csat_top2_percent``): nothing is defined here twice.
A score of :data:`LOW_SCORE_MAX` or less asks for a follow-up by the agent's supervisor.
"""

from __future__ import annotations

from apps.reports.kpi_math import SCORE_MAX, SCORE_MIN, TOP_TWO_BOX_MIN

__all__ = ["LOW_SCORE_MAX", "SCORE_MAX", "SCORE_MIN", "TOP_TWO_BOX_MIN", "is_low", "is_valid_score"]

LOW_SCORE_MAX = 2


def is_valid_score(score: object) -> bool:
    return isinstance(score, int) and not isinstance(score, bool) and SCORE_MIN <= score <= SCORE_MAX


def is_low(score: int) -> bool:
    """A score that opens a follow-up (1 or 2 on the 1–5 scale)."""
    return score <= LOW_SCORE_MAX
