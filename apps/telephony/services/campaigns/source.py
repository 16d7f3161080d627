"""The engine's contact source on the campaign tables (apps/telephony/dialer/contract.py).

Hand-out is ``SELECT … FOR UPDATE SKIP LOCKED`` over the due-contacts query, and every contact
handed out is marked ``dialing`` with an open ``DialAttempt`` in the same transaction: two
engines (or two ticks) never take the same contact, and a contact being dialled is never due.

Restart rule (:meth:`DbContactSource.recover`, called by the engine on start): an attempt still
open when an engine died may or may not have rung the phone. It is closed as ``failed`` with
``recovered`` set, **counted** as an attempt (the callee's side is the one to protect), and the
contact is settled by the campaign's ``failed`` rule with the retry gap counted from when the
contact was *taken* — so nobody is dialled again before the gap, and a contact whose attempts
are used up is closed. A disposition the agent already gave for that attempt still wins.

An attempt row is never deleted. A contact handed back undialled (:meth:`DbContactSource.release`:
a prefetched contact that waited too long, a skipped preview, a stopped campaign, a blocked dial)
keeps its row, closed with the outcome ``returned``; the contact goes back as it was (its attempt
count and last attempt), and no figure counts the row as a dial (selectors/campaigns/monitor.py).

Every method runs in the current database schema (the engine's tenant context); pass
``tenant`` to have the source enter that tenant's context itself.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import Callable, Iterator

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.telephony.choices import CampaignStatus, ContactStatus, DialOutcome
from apps.telephony.dialer import contract
from apps.telephony.dialer.contract import DialTarget
from apps.telephony.dialer.windows import open_time_zones
from apps.telephony.models import Agent, Call, Campaign, Contact, DialAttempt
from apps.telephony.models.campaigns import OPEN_CONTACT_STATUSES
from apps.telephony.selectors.campaigns.dialing import contact_counts, due_contacts
from apps.telephony.services.campaigns.dnc import is_on_dnc
from apps.telephony.services.campaigns.lifecycle import (
    RetryRules,
    contact_card,
    contact_settle,
    marketing_requires_consent,
)
from apps.telephony.services.campaigns.windows import campaign_window

logger = logging.getLogger(__name__)

REPORTABLE = frozenset(contract.OUTCOMES) - {contract.OUTCOME_BLOCKED}


class DbContactSource:
    """:class:`apps.telephony.dialer.contract.ContactSource` on PostgreSQL.

    ``to_datetime`` turns engine-clock seconds into aware datetimes (``clock.wall``).
    """

    def __init__(self, to_datetime: Callable[[float], datetime.datetime], *, tenant=None) -> None:
        self.to_datetime = to_datetime
        self.tenant = tenant
        # (campaign id, its updated_at, the UTC minute) → open zones; windows are set in whole
        # minutes, so a zone's openness cannot change within one.
        self._zones: dict[int, tuple[tuple, list[str]]] = {}

    @contextlib.contextmanager
    def _context(self) -> Iterator[None]:
        if self.tenant is None:
            yield
        else:
            with tenant_context(self.tenant):
                yield

    def _open_zones(self, campaign: Campaign, at: datetime.datetime) -> list[str]:
        key = (campaign.updated_at, at.replace(second=0, microsecond=0))
        cached = self._zones.get(campaign.pk)
        if cached is None or cached[0] != key:
            cached = (key, open_time_zones(campaign_window(campaign), at))
            self._zones[campaign.pk] = cached
        return cached[1]

    # --- the contract -----------------------------------------------------------------------------

    def take(self, campaign_id: int, count: int, now: float) -> list[DialTarget]:
        if count <= 0:
            return []
        at = self.to_datetime(now)
        with self._context(), transaction.atomic():
            campaign = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.RUNNING).first()
            if campaign is None:
                return []
            zones = self._open_zones(campaign, at)
            if not zones:
                return []
            requires_consent = campaign.is_marketing and marketing_requires_consent()
            contacts = list(
                due_contacts(campaign, at, zones=zones, requires_consent=requires_consent).select_for_update(
                    skip_locked=True, of=("self",)
                )[:count]
            )
            if not contacts:
                return []
            rules = RetryRules(campaign.pk)
            taken: list[Contact] = []
            exhausted: list[int] = []
            for contact in contacts:
                limit = rules.limit_for(contact)
                if limit is not None and contact.attempts >= limit:
                    exhausted.append(contact.pk)  # the rules were tightened since it was scheduled
                else:
                    taken.append(contact)
            if exhausted:
                Contact.objects.filter(pk__in=exhausted).update(status=ContactStatus.DONE)
            DialAttempt.objects.bulk_create(
                [
                    DialAttempt(
                        campaign=campaign,
                        contact=contact,
                        attempt_no=contact.attempts + 1,
                        number=contact.phone,
                        started_at=at,
                    )
                    for contact in taken
                ]
            )
            Contact.objects.filter(pk__in=[contact.pk for contact in taken]).update(
                status=ContactStatus.DIALING, attempts=F("attempts") + 1, last_attempt_at=at
            )
            return [
                DialTarget(
                    contact_id=contact.pk,
                    number=contact.phone,
                    attempt=contact.attempts + 1,
                    name=contact.name,
                    data=contact_card(contact),
                    owner_agent_id=contact.owner_agent_id,
                )
                for contact in taken
            ]

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
        if outcome == contract.OUTCOME_BLOCKED:
            self.release(campaign_id, target, now)
            return
        if outcome not in REPORTABLE:
            raise ValueError(f"unknown outcome {outcome!r}")
        at = self.to_datetime(now)
        with self._context(), transaction.atomic():
            # Lock order everywhere: contact, then its attempts.
            contact = (
                Contact.objects.select_for_update(of=("self",))
                .select_related("campaign")
                .filter(pk=target.contact_id, campaign_id=campaign_id)
                .first()
            )
            attempt = self._open_attempt(target) if contact is not None else None
            if contact is None or attempt is None:
                # Already closed by recover() after a restart, or the contact was deleted.
                logger.info("campaign %s: late report for contact %s ignored", campaign_id, target.contact_id)
                return
            attempt.outcome = outcome
            attempt.ended_at = at
            if call_uid:
                attempt.call_uid = call_uid[:64]
                attempt.call = Call.objects.filter(uid=call_uid).select_related("disposition").first()
                if attempt.call is not None and attempt.disposition_id is None and attempt.call.disposition_id:
                    # The agent's wrap-up was stored on the CDR before this report reached us.
                    attempt.disposition = attempt.call.disposition
            if agent_id is not None and Agent.objects.filter(pk=agent_id).exists():
                attempt.agent_id = agent_id
            attempt.save(update_fields=["outcome", "ended_at", "call_uid", "call", "agent", "disposition"])
            fields = contact_settle(contact, attempt, rules=RetryRules(campaign_id), at=at)
            self._dnc_guard(contact, fields)
            contact.save(update_fields=fields)

    def release(self, campaign_id: int, target: DialTarget, now: float | None = None) -> None:
        with self._context(), transaction.atomic():
            contact = Contact.objects.select_for_update().filter(pk=target.contact_id, campaign_id=campaign_id).first()
            if contact is None:
                return
            attempt = self._open_attempt(target)
            if attempt is None:
                return
            # Recorded as handed back, never erased: the row stays, out of every dial figure, and
            # its number is free again for the next real attempt (the unique constraint skips it).
            attempt.outcome = DialOutcome.RETURNED
            # The engine hands back without a time of its own: the wall clock, never before the take.
            attempt.ended_at = self.to_datetime(now) if now is not None else max(timezone.now(), attempt.started_at)
            attempt.save(update_fields=["outcome", "ended_at"])
            if contact.status != ContactStatus.DIALING:
                return
            contact.attempts = max(0, contact.attempts - 1)
            previous = (
                DialAttempt.objects.filter(contact=contact)
                .exclude(outcome__in=("", DialOutcome.RETURNED))
                .order_by("-attempt_no")
                .first()
            )
            contact.last_attempt_at = previous.started_at if previous else None
            contact.status = ContactStatus.RETRY if previous else ContactStatus.NEW
            fields = ["attempts", "last_attempt_at", "status"]
            self._dnc_guard(contact, fields)
            contact.save(update_fields=fields)

    def counts(self, campaign_id: int) -> dict[str, int]:
        with self._context():
            return contact_counts(campaign_id)

    # --- restart ---------------------------------------------------------------------------------------

    def recover(self, now: float, campaign_id: int | None = None) -> int:
        """Close the attempts a previous engine left open (see the module docstring); returns how many."""
        at = self.to_datetime(now)
        closed = 0
        with self._context(), transaction.atomic():
            open_attempts = DialAttempt.objects.filter(outcome="")
            stray = Contact.objects.filter(status=ContactStatus.DIALING).filter(
                ~Exists(DialAttempt.objects.filter(contact=OuterRef("pk"), outcome=""))
            )
            if campaign_id is not None:
                open_attempts = open_attempts.filter(campaign_id=campaign_id)
                stray = stray.filter(campaign_id=campaign_id)
            contact_ids = sorted(set(open_attempts.values_list("contact_id", flat=True)))
            rules: dict[int, RetryRules] = {}
            for contact in (
                Contact.objects.select_for_update(of=("self",))
                .filter(pk__in=contact_ids)
                .select_related("campaign")
                .order_by("pk")
            ):
                attempts = list(
                    DialAttempt.objects.select_for_update(of=("self",))
                    .filter(contact=contact, outcome="")
                    .select_related("disposition")
                    .order_by("attempt_no")
                )
                if not attempts:
                    continue
                for attempt in attempts:
                    attempt.outcome = contract.OUTCOME_FAILED
                    attempt.ended_at = at
                    attempt.recovered = True
                    attempt.save(update_fields=["outcome", "ended_at", "recovered"])
                    closed += 1
                last = attempts[-1]
                campaign_rules = rules.setdefault(contact.campaign_id, RetryRules(contact.campaign_id))
                fields = contact_settle(contact, last, rules=campaign_rules, at=at, gap_from=last.started_at)
                self._dnc_guard(contact, fields)
                contact.save(update_fields=fields)
            # A contact marked dialling without an open attempt (should not happen): back in line,
            # not before the failed-retry gap from its last attempt.
            for contact in stray.select_for_update().order_by("pk"):
                campaign_rules = rules.setdefault(contact.campaign_id, RetryRules(contact.campaign_id))
                gap = campaign_rules.for_outcome(contract.OUTCOME_FAILED).min_gap_minutes
                contact.status = ContactStatus.RETRY if contact.attempts else ContactStatus.NEW
                contact.next_attempt_at = (contact.last_attempt_at or at) + datetime.timedelta(minutes=gap)
                contact.save(update_fields=["status", "next_attempt_at"])
        return closed

    # --- helpers ---------------------------------------------------------------------------------------

    @staticmethod
    def _open_attempt(target: DialTarget) -> DialAttempt | None:
        return (
            DialAttempt.objects.select_for_update(of=("self",))
            .select_related("disposition")
            .filter(contact_id=target.contact_id, attempt_no=target.attempt, outcome="")
            .first()
        )

    @staticmethod
    def _dnc_guard(contact: Contact, fields: list[str]) -> None:
        """A number put on do-not-call while it was being dialled is closed now, not next time."""
        if contact.status in OPEN_CONTACT_STATUSES and is_on_dnc(contact.phone, contact.campaign_id):
            contact.status = ContactStatus.DNC
            if "status" not in fields:
                fields.append("status")
