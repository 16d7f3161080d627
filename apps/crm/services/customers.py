"""Writes to customers. Phone numbers are normalised and must be unique across customers, so that
a caller number pops exactly one customer on the agent desktop."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.tenancy import current_schema
from apps.crm.models import Customer
from apps.crm.phones import is_valid_phone, normalize_phone, phone_variants

MAX_PHONES = 10


def _lock_phone_book() -> None:
    """Serialise customer writes of this tenant so two of them cannot claim one number at once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{current_schema()}.crm.phones"])


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("invalid", _("The name is required."), fields={"name": [_("This field is required.")]})
    max_length = Customer._meta.get_field("name").max_length
    if max_length is not None and len(name) > max_length:
        raise ApplicationError("invalid", _("The name is too long."), fields={"name": [_("At most 200 characters.")]})
    return name


def _clean_phones(phones: Iterable[str], *, customer: Customer | None) -> list[str]:
    cleaned: list[str] = []
    for raw in phones or []:
        value = normalize_phone(str(raw))
        if not value:
            continue
        if not is_valid_phone(value):
            raise ApplicationError(
                "invalid_phone",
                _("%(phone)s is not a phone number.") % {"phone": raw},
                fields={"phones": [_("%(phone)s is not a phone number.") % {"phone": raw}]},
            )
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_PHONES:
        raise ApplicationError(
            "invalid",
            _("At most %(n)d phone numbers.") % {"n": MAX_PHONES},
            fields={"phones": [_("At most %(n)d phone numbers.") % {"n": MAX_PHONES}]},
        )
    variants = sorted({v for value in cleaned for v in phone_variants(value)})
    if variants:
        others = Customer.objects.filter(phones__overlap=variants)
        if customer is not None:
            others = others.exclude(pk=customer.pk)
        holder = others.order_by("id").first()
        if holder is not None:
            taken = next(v for v in cleaned if set(phone_variants(v)) & set(holder.phones))
            message = _("%(phone)s already belongs to %(name)s.") % {"phone": taken, "name": holder.name}
            raise ApplicationError("phone_taken", message, fields={"phones": [message]})
    return cleaned


@transaction.atomic
def customer_create(*, name: str, phones: Iterable[str] = (), is_vip: bool = False, notes: str = "") -> Customer:
    _lock_phone_book()
    customer = Customer(name=_clean_name(name), is_vip=bool(is_vip), notes=notes or "")
    customer.phones = _clean_phones(phones, customer=None)
    customer.save()
    return customer


_UPDATABLE = ("name", "phones", "is_vip", "notes")


@transaction.atomic
def customer_update(*, customer: Customer, **fields) -> Customer:
    """Change any of name, phones, is_vip, notes; fields not given stay as they are."""
    unknown = set(fields) - set(_UPDATABLE)
    if unknown:
        raise ApplicationError("invalid", _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    _lock_phone_book()
    if "name" in fields:
        customer.name = _clean_name(fields["name"])
    if "phones" in fields:
        customer.phones = _clean_phones(fields["phones"], customer=customer)
    if "is_vip" in fields:
        customer.is_vip = bool(fields["is_vip"])
    if "notes" in fields:
        customer.notes = fields["notes"] or ""
    if fields:
        customer.save(update_fields=[name for name in _UPDATABLE if name in fields])
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer) -> None:
    """Calls keep their CDRs; their link to the customer is cleared."""
    customer.delete()
