"""The one retry table: what happens to a contact after a dial outcome. Plain Python.

Production reads it (``apps/telephony/services/campaigns/lifecycle.py``: a new campaign's
rules are seeded from it by ``retry_rules_seed``, and ``RetryRules`` falls back to it for an
outcome the campaign has no rule for); so do the simulations (``dialer/memory.py``'s
``MemoryContactSource``, hence ``simulate_campaign`` and ``bench/dialer.py``). A simulation
therefore paces against the policy production dials with.

Until this module, the simulations carried a table of their own (busy 10 min × 3, no answer
30 min × 3, machine 60 min × 2, failed 60 min × 2, abandoned 30 min × 3) that production never
used. The production values won: they are the ones campaigns were created with, and users see
and edit them on the campaign page. (The issue that asked for this module quoted the two
tables the other way round; the code is what counted.)

Keys are the outcome codes of ``apps/telephony/dialer/contract.py`` (the same strings as the
``RetryOutcome`` choices a ``CampaignRetryRule`` row names). An answered contact is finished
unless its disposition's rule says otherwise; a disposition without a rule is final; the
"do not call me" disposition always puts the number on the do-not-call list (DOMAIN.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.telephony.dialer.contract import (
    OUTCOME_ABANDONED,
    OUTCOME_ANSWERED,
    OUTCOME_BUSY,
    OUTCOME_FAILED,
    OUTCOME_MACHINE,
    OUTCOME_NO_ANSWER,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Dial again after at least ``min_gap_minutes`` while the contact has had fewer than
    ``max_attempts`` attempts (only when ``retry``); ``do_not_call``: the number goes on the list."""

    retry: bool
    min_gap_minutes: int
    max_attempts: int
    do_not_call: bool = False

    @property
    def min_gap_seconds(self) -> float:
        return self.min_gap_minutes * 60.0

    def retries_after(self, attempts: int) -> bool:
        """Whether a contact that has had ``attempts`` attempts is dialled again."""
        return self.retry and not self.do_not_call and attempts < self.max_attempts


#: Used for an outcome a campaign has no rule for; also the rules a new campaign starts with.
DEFAULT_OUTCOME_RULES: dict[str, RetryPolicy] = {
    OUTCOME_BUSY: RetryPolicy(True, 30, 5),
    OUTCOME_NO_ANSWER: RetryPolicy(True, 120, 3),
    OUTCOME_MACHINE: RetryPolicy(True, 240, 2),
    OUTCOME_FAILED: RetryPolicy(True, 60, 2),
    OUTCOME_ABANDONED: RetryPolicy(True, 60, 3),
}
#: A disposition without a rule closes the contact: the agent spoke to the callee.
FINAL = RetryPolicy(False, 0, 1)
#: The callee asked not to be called: never configurable away.
DO_NOT_CALL = RetryPolicy(False, 0, 1, do_not_call=True)


def outcome_policy(outcome: str, own: dict[str, RetryPolicy] | None = None) -> RetryPolicy:
    """The policy for a dial outcome: the campaign's own rule (``own``), else the default table;
    an answered call is final (its disposition, if any, decides instead)."""
    if outcome == OUTCOME_ANSWERED:
        return FINAL
    return (own or {}).get(outcome) or DEFAULT_OUTCOME_RULES.get(outcome, FINAL)
