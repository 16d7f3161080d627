"""Do-not-call lists and marketing consent.

A number on the tenant-wide list is never dialled by any campaign; one on a campaign's list is
never dialled by that campaign. Adding a number also closes the matching open contacts at once
(status ``dnc``), and the dialer's query checks the lists again at hand-out time, so a number
added while a contact is being taken is still safe. A "do not call me" request also revokes the
number's marketing consent: in China, marketing calls stop when refused.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import AuditTarget, audit_record
from apps.core.errors import ApplicationError
from apps.telephony.choices import ContactStatus, DoNotCallSource
from apps.telephony.dialer.numbers import normalize_number
from apps.telephony.models import Campaign, Consent, Contact, DoNotCall
from apps.telephony.models.campaigns import OPEN_CONTACT_STATUSES

REASON_MAX = 200
SOURCE_MAX = 200


def _invalid(fields: dict[str, list[Any]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=fields)


def number_or_error(raw: Any, field: str = "number") -> str:
    number = normalize_number(raw)
    if number is None:
        raise _invalid({field: [_("Not a valid phone number.")]})
    return number


def dnc_scope_q(campaign_id: int | None) -> Q:
    """Entries that bind ``campaign_id``: the tenant-wide ones and that campaign's own."""
    if campaign_id is None:
        return Q(campaign__isnull=True)
    return Q(campaign__isnull=True) | Q(campaign_id=campaign_id)


def is_on_dnc(number: str, campaign_id: int | None = None) -> bool:
    return DoNotCall.objects.filter(dnc_scope_q(campaign_id), number=number).exists()


def _close_open_contacts(numbers: list[str], campaign: Campaign | None) -> int:
    """Open contacts with these numbers stop being dialled now. A contact being dialled at this
    moment keeps ``dialing`` (its attempt is reported later) and is closed by the report."""
    contacts = Contact.objects.filter(phone__in=numbers, status__in=OPEN_CONTACT_STATUSES)
    if campaign is not None:
        contacts = contacts.filter(campaign=campaign)
    return contacts.update(status=ContactStatus.DNC)


@transaction.atomic
def dnc_add(
    *,
    number: Any,
    campaign: Campaign | None = None,
    reason: str = "",
    source: str = DoNotCallSource.MANUAL,
    user: Any = None,
) -> tuple[DoNotCall, bool]:
    """Put a number on the tenant-wide list (``campaign`` None) or a campaign's; idempotent.
    Returns the entry and whether it was new."""
    errors: dict[str, list[Any]] = {}
    e164 = normalize_number(number)
    if e164 is None:
        errors["number"] = [_("Not a valid phone number.")]
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        errors["reason"] = [_("At most %(n)d characters.") % {"n": REASON_MAX}]
    if source not in DoNotCallSource.values:
        errors["source"] = [_("Unknown source.")]
    if errors or e164 is None:
        raise _invalid(errors)
    entry, created = DoNotCall.objects.get_or_create(
        number=e164,
        campaign=campaign,
        defaults={"reason": reason, "source": source, "added_by": user if getattr(user, "pk", None) else None},
    )
    _close_open_contacts([e164], campaign)
    return entry, created


@transaction.atomic
def dnc_bulk_add(
    *, numbers: list[str], campaign: Campaign | None, reason: str, source: str, user: Any = None
) -> set[str]:
    """Add already-normalised numbers; returns those that were not listed before (imports)."""
    if not numbers:
        return set()
    existing = set(DoNotCall.objects.filter(number__in=numbers, campaign=campaign).values_list("number", flat=True))
    fresh = [number for number in dict.fromkeys(numbers) if number not in existing]
    added_by = user if getattr(user, "pk", None) else None
    DoNotCall.objects.bulk_create(
        [
            DoNotCall(number=number, campaign=campaign, reason=reason, source=source, added_by=added_by)
            for number in fresh
        ],
        ignore_conflicts=True,
    )
    _close_open_contacts(fresh, campaign)
    return set(fresh)


@transaction.atomic
def dnc_remove(*, entry: DoNotCall) -> None:
    """Take a number off a list. Contacts closed as ``dnc`` stay closed: reopening them is a
    deliberate act (re-import them), never a side effect."""
    audit_record(
        action=AuditAction.DNC_DELETED,
        target=AuditTarget("telephony.donotcall", entry.pk, entry.number),
        before={
            "number": entry.number,
            "campaign": entry.campaign_id,
            "reason": entry.reason,
            "source": entry.source,
            "added_at": entry.created_at,
        },
    )
    entry.delete()


@transaction.atomic
def dnc_from_disposition(
    *, number: str, campaign: Campaign, reason: str, at: datetime.datetime, user: Any = None
) -> None:
    """The callee asked not to be called: tenant-wide DNC and consent revoked, at once."""
    dnc_add(number=number, campaign=None, reason=reason, source=DoNotCallSource.DISPOSITION, user=user)
    consent_revoke_number(number=number, at=at, reason=reason)


# --- consent --------------------------------------------------------------------------------------


def consent_active_q(at: datetime.datetime) -> Q:
    return Q(granted_at__lte=at) & (Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))


def has_consent(number: str, at: datetime.datetime | None = None) -> bool:
    return Consent.objects.filter(consent_active_q(at or timezone.now()), number=number).exists()


@transaction.atomic
def consent_record(
    *, number: Any, source: str, granted_at: datetime.datetime | None = None, user: Any = None
) -> Consent:
    errors: dict[str, list[Any]] = {}
    e164 = normalize_number(number)
    if e164 is None:
        errors["number"] = [_("Not a valid phone number.")]
    source = (source or "").strip()
    if not source:
        errors["source"] = [_("Say where and how consent was given.")]
    elif len(source) > SOURCE_MAX:
        errors["source"] = [_("At most %(n)d characters.") % {"n": SOURCE_MAX}]
    now = timezone.now()
    granted_at = granted_at or now
    if timezone.is_naive(granted_at):
        errors["granted_at"] = [_("Give a time zone.")]
    elif granted_at > now + datetime.timedelta(minutes=5):
        errors["granted_at"] = [_("Consent cannot be granted in the future.")]
    if errors or e164 is None:
        raise _invalid(errors)
    return Consent.objects.create(
        number=e164, source=source, granted_at=granted_at, added_by=user if getattr(user, "pk", None) else None
    )


@transaction.atomic
def consent_revoke(*, consent: Consent, reason: str = "", at: datetime.datetime | None = None) -> Consent:
    if consent.revoked_at is not None:
        raise ApplicationError("already_revoked", _("This consent was already revoked."))
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise _invalid({"reason": [_("At most %(n)d characters.") % {"n": REASON_MAX}]})
    consent.revoked_at = at or timezone.now()
    consent.revoke_reason = reason
    consent.save(update_fields=["revoked_at", "revoke_reason"])
    return consent


def consent_revoke_number(*, number: str, at: datetime.datetime, reason: str = "") -> int:
    return Consent.objects.filter(number=number, revoked_at__isnull=True).update(
        revoked_at=at, revoke_reason=reason[:REASON_MAX]
    )
