"""The survey scale and what a score means for the follow-up (one source for both).

The IVR survey asks for 1 (poor) to 5 (excellent) (apps/telephony/ivr/defaults.py); CSAT is the
report framework's figure (apps/reports/definitions.py ``csat_mean`` / ``csat_top2_percent``,
computed with apps/reports/kpi_math.py) and is not defined here again. A score of
:data:`LOW_SCORE_MAX` or less asks for a follow-up by the agent's supervisor.
"""

from __future__ import annotations

SCORE_MIN = 1
SCORE_MAX = 5
TOP_TWO = (4, 5)
LOW_SCORE_MAX = 2


def is_valid_score(score: object) -> bool:
    return isinstance(score, int) and not isinstance(score, bool) and SCORE_MIN <= score <= SCORE_MAX


def is_low(score: int) -> bool:
    """A score that opens a follow-up (1 or 2 on the 1–5 scale)."""
    return score <= LOW_SCORE_MAX


def is_top_two(score: int) -> bool:
    return score in TOP_TWO
