"""Merging two records of one customer (a duplicate from an import, a second number called in).

The survivor keeps its name and its values; it gains the other's phone numbers, e-mail addresses
and tags (its own primary ones stay first), the custom values it lacks, the higher VIP level, an
owner if it had none, and the other's notes text appended. Every row that points at the other
customer — calls, tickets, timeline notes, survey answers, and whatever table a later department
adds with a foreign key to ``Customer`` — is moved to the survivor by walking the model's
relations, so a new relation cannot be forgotten. Then the other record is deleted.

There is no undo; the audit entry keeps both records as they were (``before``), the result
(``after``) and how many rows of each kind moved.

Lock order: the phone book (every customer write takes it), then the two customers by id.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ForeignKey, ManyToOneRel
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.crm.models import Customer
from apps.crm.phones import phone_variants
from apps.crm.services.customers import MAX_EMAILS, MAX_PHONES, MAX_TAGS, custom_fields_by_key, lock_phone_book
from apps.crm.services.customers import customer_snapshot as snapshot


def _union_phones(first: list[str], second: list[str]) -> list[str]:
    merged = list(first)
    for phone in second:
        if not any(variant in merged for variant in phone_variants(phone)):
            merged.append(phone)
    return merged


def _moved_relations() -> list[ManyToOneRel]:
    """Every foreign key to Customer (reverse one-to-many relations), whichever app declares it."""
    return [
        relation
        for relation in Customer._meta.get_fields()
        if isinstance(relation, ManyToOneRel) and isinstance(relation.field, ForeignKey)
    ]


@transaction.atomic
def customer_merge(*, survivor: Customer, other: Customer, actor: Any = None) -> dict[str, Any]:
    """Merge ``other`` into ``survivor``; returns ``{"customer": survivor, "moved": {label: n}}``."""
    if survivor.pk == other.pk:
        raise ApplicationError(
            "invalid", _("Choose two different customers."), fields={"other": [_("The same customer.")]}
        )
    lock_phone_book()
    locked = {
        c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, other.pk]).order_by("pk")
    }
    if len(locked) != 2:
        raise ApplicationError("not_found", _("One of the customers no longer exists."), status=404)
    survivor, other = locked[survivor.pk], locked[other.pk]
    before = {"survivor": snapshot(survivor), "other": snapshot(other)}

    phones = _union_phones(survivor.phones, other.phones)
    emails = list(dict.fromkeys([*survivor.emails, *other.emails]))
    tags = list(dict.fromkeys([*survivor.tags, *other.tags]))
    too_many = {
        name: [_("Together they have more than %(n)d.") % {"n": limit}]
        for name, values, limit in (
            ("phones", phones, MAX_PHONES),
            ("emails", emails, MAX_EMAILS),
            ("tags", tags, MAX_TAGS),
        )
        if len(values) > limit
    }
    if too_many:
        raise ApplicationError("invalid", _("The merged customer would have too many entries."), fields=too_many)
    fields = custom_fields_by_key()
    custom = {key: value for key, value in other.custom.items() if key in fields}
    custom.update({key: value for key, value in survivor.custom.items() if key in fields})

    moved: dict[str, int] = {}
    for relation in _moved_relations():
        model = relation.related_model
        count = model._base_manager.filter(**{relation.field.name: other}).update(**{relation.field.name: survivor})
        if count:
            moved[model._meta.label] = count

    other.delete()  # frees its numbers, addresses and unique values for the survivor
    survivor.phones = phones
    survivor.emails = emails
    survivor.tags = tags
    survivor.custom = custom
    survivor.vip_level = (
        max(survivor.vip_level, other.vip_level)
        if min(survivor.vip_level, other.vip_level) == 0
        else min(survivor.vip_level, other.vip_level)
    )
    survivor.is_vip = survivor.vip_level > 0
    if survivor.owner_user_id is None and survivor.owner_team_id is None:
        survivor.owner_user_id, survivor.owner_team_id = other.owner_user_id, other.owner_team_id
    if other.notes.strip() and other.notes.strip() not in survivor.notes:
        survivor.notes = "\n\n".join(part for part in (survivor.notes.strip(), other.notes.strip()) if part)
    survivor.updated_at = timezone.now()
    survivor.save()
    audit_record(
        action=AuditAction.CUSTOMER_MERGED,
        actor=actor,
        target=survivor,
        before=before,
        after=snapshot(survivor),
        extra={"merged_id": before["other"]["id"], "moved": moved},
    )
    return {"customer": survivor, "moved": moved}
