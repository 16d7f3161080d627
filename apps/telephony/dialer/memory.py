"""An in-memory :class:`~apps.telephony.dialer.contract.ContactSource` for virtual-clock runs and tests.

It knows the policy a simulation needs and nothing more: contacts in list order, a retry rule
per outcome (minimum gap, maximum attempts; by default the one retry table,
:data:`apps.telephony.dialer.retry.DEFAULT_OUTCOME_RULES`, which production uses too), a contact handed out at most once until its
attempt is reported. Calling windows, holidays, do-not-call and consent are the database
source's business (``apps.telephony.services.campaigns.source``).

A list can be given as :class:`~apps.telephony.dialer.contract.DialTarget` objects, or as a
count of synthetic contacts that are only built when taken (a 200,000-contact benchmark list
costs nothing until dialled).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from apps.telephony.dialer.contract import (
    OUTCOME_ANSWERED,
    OUTCOME_BLOCKED,
    OUTCOMES,
    DialTarget,
)
from apps.telephony.dialer.retry import DEFAULT_OUTCOME_RULES, RetryPolicy


@dataclass(frozen=True)
class RetryRule:
    """Dial again after at least ``min_gap_seconds``, as long as the contact has had fewer than
    ``max_attempts`` attempts. ``max_attempts=1``: never retry."""

    min_gap_seconds: float
    max_attempts: int

    @classmethod
    def from_policy(cls, policy: RetryPolicy) -> RetryRule:
        """The in-memory form of a row of the retry table (a policy that never retries: one attempt)."""
        return cls(policy.min_gap_seconds, policy.max_attempts if policy.retry and not policy.do_not_call else 1)


# The one retry table (dialer/retry.py), the one production seeds new campaigns with: a
# simulation paces against the policy production dials with.
DEFAULT_RULES: dict[str, RetryRule] = {
    outcome: RetryRule.from_policy(policy) for outcome, policy in DEFAULT_OUTCOME_RULES.items()
}


@dataclass
class _Contact:
    target: DialTarget
    attempts: int = 0
    dialing: bool = False
    finished: bool = False
    last_outcome: str | None = None
    history: list[tuple[float, str]] = field(default_factory=list)


class _Campaign:
    def __init__(self, rules: dict[str, RetryRule]) -> None:
        self.rules = dict(rules)
        self.contacts: dict[int, _Contact] = {}
        self.due: list[tuple[float, int, int]] = []  # (due time, order, contact id)
        self.order = itertools.count()
        self.fresh_next = 0  # synthetic contacts: the next index to build
        self.fresh_count = 0
        self.fresh_base_id = 0
        self.fresh_prefix = ""
        self.attempted = 0
        self.finished = 0


class MemoryContactSource:
    """Contacts per campaign, due in list order; retries become due after their rule's gap."""

    def __init__(self, *, rules: dict[str, RetryRule] | None = None) -> None:
        self.default_rules = dict(DEFAULT_RULES if rules is None else rules)
        self._campaigns: dict[int, _Campaign] = {}

    def _campaign(self, campaign_id: int) -> _Campaign:
        campaign = self._campaigns.get(campaign_id)
        if campaign is None:
            campaign = self._campaigns[campaign_id] = _Campaign(self.default_rules)
        return campaign

    # --- loading ---------------------------------------------------------------------------
    def set_rules(self, campaign_id: int, rules: dict[str, RetryRule]) -> None:
        self._campaign(campaign_id).rules = dict(rules)

    def add(self, campaign_id: int, targets: Iterable[DialTarget], *, due: float = 0.0) -> None:
        campaign = self._campaign(campaign_id)
        for target in targets:
            if target.contact_id in campaign.contacts:
                raise ValueError(f"contact {target.contact_id} is already in campaign {campaign_id}")
            campaign.contacts[target.contact_id] = _Contact(target=target)
            heapq.heappush(campaign.due, (due, next(campaign.order), target.contact_id))

    def add_synthetic(self, campaign_id: int, count: int, *, first_id: int = 1, prefix: str = "+86138") -> None:
        """``count`` made-up contacts (ids from ``first_id``, numbers ``prefix`` + 8 digits),
        built lazily in order when taken."""
        campaign = self._campaign(campaign_id)
        if campaign.fresh_count:
            raise ValueError("this campaign already has synthetic contacts")
        campaign.fresh_count = count
        campaign.fresh_base_id = first_id
        campaign.fresh_prefix = prefix

    # --- the ContactSource protocol ---------------------------------------------------------------
    def take(self, campaign_id: int, count: int, now: float) -> list[DialTarget]:
        campaign = self._campaigns.get(campaign_id)
        if campaign is None or count <= 0:
            return []
        taken: list[DialTarget] = []
        due = campaign.due
        while due and len(taken) < count and due[0][0] <= now:
            _when, _order, contact_id = heapq.heappop(due)
            contact = campaign.contacts.get(contact_id)
            if contact is None or contact.finished or contact.dialing:
                continue
            contact.dialing = True
            taken.append(replace(contact.target, attempt=contact.attempts + 1))
        while len(taken) < count and campaign.fresh_next < campaign.fresh_count:
            index = campaign.fresh_next
            campaign.fresh_next += 1
            contact_id = campaign.fresh_base_id + index
            target = DialTarget(
                contact_id=contact_id,
                number=f"{campaign.fresh_prefix}{index:08d}",
                attempt=1,
                name=f"Contact {contact_id}",
            )
            campaign.contacts[contact_id] = _Contact(target=target, dialing=True)
            taken.append(target)
        return taken

    def report(
        self,
        campaign_id: int,
        target: DialTarget,
        outcome: str,
        now: float,
        *,
        call_uid: str = "",
        agent_id: int | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        campaign = self._campaigns[campaign_id]
        contact = campaign.contacts[target.contact_id]
        if not contact.dialing:
            return  # a late or repeated report: the first one counted
        contact.dialing = False
        if outcome == OUTCOME_BLOCKED:
            # Not an attempt: the contact is due again at once, as it was.
            heapq.heappush(campaign.due, (now, next(campaign.order), target.contact_id))
            return
        if contact.attempts == 0:
            campaign.attempted += 1
        contact.attempts += 1
        contact.last_outcome = outcome
        contact.history.append((now, outcome))
        rule = campaign.rules.get(outcome)
        if outcome == OUTCOME_ANSWERED or rule is None or contact.attempts >= rule.max_attempts:
            contact.finished = True
            campaign.finished += 1
            return
        heapq.heappush(campaign.due, (now + rule.min_gap_seconds, next(campaign.order), target.contact_id))

    def release(self, campaign_id: int, target: DialTarget) -> None:
        campaign = self._campaigns.get(campaign_id)
        contact = campaign.contacts.get(target.contact_id) if campaign is not None else None
        if campaign is None or contact is None or not contact.dialing:
            return
        contact.dialing = False
        heapq.heappush(campaign.due, (float("-inf"), next(campaign.order), target.contact_id))

    def counts(self, campaign_id: int) -> dict[str, int]:
        campaign = self._campaigns.get(campaign_id)
        if campaign is None:
            return {"remaining": 0, "attempted": 0, "finished": 0}
        total = len(campaign.contacts) + (campaign.fresh_count - campaign.fresh_next)
        return {"remaining": total - campaign.finished, "attempted": campaign.attempted, "finished": campaign.finished}

    # --- reading (tests, simulations) --------------------------------------------------------------
    def attempts(self, campaign_id: int, contact_id: int) -> list[tuple[float, str]]:
        """``(time, outcome)`` of every attempt reported for the contact."""
        return list(self._campaigns[campaign_id].contacts[contact_id].history)

    def is_finished(self, campaign_id: int, contact_id: int) -> bool:
        return self._campaigns[campaign_id].contacts[contact_id].finished
