"""What became of campaign contacts, for a department that added them (the CRM's callback visits
read their outcome back through here: the core never imports a department)."""

from __future__ import annotations

from dataclasses import dataclass

from apps.telephony.choices import CampaignStatus, CampaignType, ContactStatus
from apps.telephony.models import Campaign, Contact, DialAttempt
from apps.telephony.models.campaigns import OPEN_CONTACT_STATUSES

# The campaign types a callback visit (回访) may be handed to.
VISIT_CAMPAIGN_TYPES = (CampaignType.CALLBACK_VISIT, CampaignType.SURVEY)


@dataclass(frozen=True)
class ContactOutcome:
    contact_id: int
    status: str
    attempts: int
    last_outcome: str
    disposition_id: int | None
    call_id: int | None  # the last attempt's call, when it was connected
    finished: bool  # the dialer will not call this contact again


def contact_outcomes(contact_ids: list[int]) -> dict[int, ContactOutcome]:
    """The state of each of ``contact_ids`` (contacts that no longer exist are left out)."""
    if not contact_ids:
        return {}
    last_calls: dict[int, int | None] = {}
    attempts = (
        DialAttempt.objects.filter(contact_id__in=contact_ids)
        .order_by("contact_id", "-attempt_no", "-id")
        .distinct("contact_id")
        .values_list("contact_id", "call_id")
    )
    for contact_id, call_id in attempts:
        last_calls[contact_id] = call_id
    found = {}
    for row in Contact.objects.filter(pk__in=contact_ids).values(
        "pk", "status", "attempts", "last_outcome", "last_disposition_id"
    ):
        found[row["pk"]] = ContactOutcome(
            contact_id=row["pk"],
            status=row["status"],
            attempts=row["attempts"],
            last_outcome=row["last_outcome"],
            disposition_id=row["last_disposition_id"],
            call_id=last_calls.get(row["pk"]),
            finished=row["status"] not in (*OPEN_CONTACT_STATUSES, ContactStatus.DIALING),
        )
    return found


def visit_campaigns() -> list[Campaign]:
    """Campaigns a callback visit may be handed to: callback-visit and survey campaigns still dialling
    or about to (drafts included: a manager may fill one before starting it)."""
    return list(
        Campaign.objects.filter(type__in=VISIT_CAMPAIGN_TYPES).exclude(status=CampaignStatus.FINISHED).order_by("name")
    )
