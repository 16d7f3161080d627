"""One contact added to a campaign by another part of the product (the CRM's callback visits,
回访), rather than by a file: the same rules as an import — the number in E.164, do-not-call
honoured, one contact per number in a campaign — and no department writes Contact rows itself.

A number the campaign already has is dialled again: a finished contact is put back in the line
(attempts start over); one still waiting is left as it is and returned.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.telephony.choices import CampaignStatus, ContactStatus
from apps.telephony.dialer.numbers import normalize_number_and_zone
from apps.telephony.models import Campaign, Contact
from apps.telephony.models.campaigns import OPEN_CONTACT_STATUSES
from apps.telephony.services.campaigns.contact_import import FIELD_LIMITS
from apps.telephony.services.campaigns.dnc import is_on_dnc

# A contact added by hand jumps ahead of the imported list (below scheduled callbacks, 10).
ADDED_PRIORITY = 5


@transaction.atomic
def campaign_contact_add(
    *,
    campaign: Campaign,
    phone: Any,
    name: str = "",
    external_id: str = "",
    data: dict[str, str] | None = None,
) -> Contact:
    """Add ``phone`` to ``campaign`` (or dial it again), due now.

    Raises ``ApplicationError``: ``invalid`` (no valid number), ``campaign_finished`` (the
    campaign dials no more), ``do_not_call`` (the number is on a do-not-call list)."""
    parsed = normalize_number_and_zone(phone)
    if parsed is None:
        raise ApplicationError("invalid", _("Not a valid phone number."), fields={"phone": [str(phone)[:50]]})
    number, zone = parsed
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status in (CampaignStatus.FINISHED,):
        raise ApplicationError("campaign_finished", _("This campaign has finished and dials no more."))
    if is_on_dnc(number, locked.pk):
        raise ApplicationError("do_not_call", _("This number is on a do-not-call list."), fields={"phone": [number]})
    fields = {
        "name": name[: FIELD_LIMITS["name"]],
        "external_id": external_id[: FIELD_LIMITS["external_id"]],
        "data": {key: str(value)[: FIELD_LIMITS["custom"]] for key, value in (data or {}).items()},
    }
    now = timezone.now()
    contact = Contact.objects.select_for_update().filter(campaign=locked, phone=number).first()
    if contact is None:
        return Contact.objects.create(
            campaign=locked,
            phone=number,
            time_zone=zone or locked.default_time_zone,
            next_attempt_at=now,
            priority=ADDED_PRIORITY,
            **fields,
        )
    if contact.status in (*OPEN_CONTACT_STATUSES, ContactStatus.DIALING):
        return contact
    if contact.status == ContactStatus.DNC:
        raise ApplicationError("do_not_call", _("This number is on a do-not-call list."), fields={"phone": [number]})
    contact.status = ContactStatus.NEW
    contact.attempts = 0
    contact.next_attempt_at = now
    contact.priority = ADDED_PRIORITY
    contact.last_outcome = ""
    contact.last_disposition = None
    for key, value in fields.items():
        setattr(contact, key, value)
    contact.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "priority",
            "last_outcome",
            "last_disposition",
            *fields,
        ]
    )
    return contact
