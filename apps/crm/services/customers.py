"""Writes to customers.

Phone numbers are normalised and unique across customers, so that a caller number pops exactly one
customer on the agent desktop; e-mail addresses are lower-cased and unique too (imports dedupe on
both). Custom values are checked against the administrator's field definitions
(apps/crm/custom_fields.py): type, required, unique. Every write of a tenant's customers takes one
advisory lock (the "phone book"), so two writes cannot claim one number, address or unique value at
once; the lock is held only for the transaction.

:func:`customer_values_clean` is the one validation of a customer's fields without the database;
the import runs it on every row and does the uniqueness checks per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Team, User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.tenancy import current_schema
from apps.crm.choices import VIP_LEVEL_MAX
from apps.crm.custom_fields import InvalidValue, clean_value, display_text
from apps.crm.models import Customer, CustomerNote, CustomField
from apps.crm.phones import is_valid_phone, normalize_phone, phone_variants

MAX_PHONES = 10
MAX_EMAILS = 10
MAX_TAGS = 20
TAG_MAX = 50
NOTE_MAX = 5000
NAME_MAX = 200


def lock_phone_book() -> None:
    """Serialise customer writes of this tenant (numbers, addresses, unique custom values)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{current_schema()}.crm.phones"])


def custom_fields_by_key() -> dict[str, CustomField]:
    return {field.key: field for field in CustomField.objects.order_by("position", "id")}


# --- cleaning without the database ---------------------------------------------------------------------


def _clean_name(name: Any, errors: dict[str, list[Any]]) -> str:
    name = str(name or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most 200 characters.")]
    return name


def clean_phones(phones: Iterable[Any], errors: dict[str, list[Any]]) -> list[str]:
    cleaned: list[str] = []
    for raw in phones or []:
        value = normalize_phone(str(raw))
        if not value:
            continue
        if not is_valid_phone(value):
            errors.setdefault("phones", []).append(_("%(phone)s is not a phone number.") % {"phone": raw})
            continue
        if not any(variant in cleaned for variant in phone_variants(value)):
            cleaned.append(value)
    if len(cleaned) > MAX_PHONES:
        errors.setdefault("phones", []).append(_("At most %(n)d phone numbers.") % {"n": MAX_PHONES})
    return cleaned


def clean_emails(emails: Iterable[Any], errors: dict[str, list[Any]]) -> list[str]:
    cleaned: list[str] = []
    for raw in emails or []:
        value = str(raw).strip().lower()
        if not value:
            continue
        try:
            validate_email(value)
        except ValidationError:
            errors.setdefault("emails", []).append(_("%(v)s is not an e-mail address.") % {"v": raw})
            continue
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_EMAILS:
        errors.setdefault("emails", []).append(_("At most %(n)d e-mail addresses.") % {"n": MAX_EMAILS})
    return cleaned


def _clean_tags(tags: Iterable[Any], errors: dict[str, list[Any]]) -> list[str]:
    cleaned: list[str] = []
    for raw in tags or []:
        value = " ".join(str(raw).split())
        if not value:
            continue
        if len(value) > TAG_MAX:
            errors.setdefault("tags", []).append(_("%(v)s: at most 50 characters.") % {"v": value[:20]})
        elif value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_TAGS:
        errors.setdefault("tags", []).append(_("At most %(n)d tags.") % {"n": MAX_TAGS})
    return cleaned


def _clean_vip_level(raw: Any, errors: dict[str, list[Any]]) -> int:
    try:
        level = int(raw)
    except (TypeError, ValueError):
        level = -1
    if isinstance(raw, bool) or not 0 <= level <= VIP_LEVEL_MAX:
        errors["vip_level"] = [_("A whole number from 0 (not a VIP) to %(n)d.") % {"n": VIP_LEVEL_MAX}]
        return 0
    return level


def clean_custom(
    values: Any, *, fields: Mapping[str, CustomField], base: Mapping[str, Any], errors: dict[str, list[Any]]
) -> dict[str, Any]:
    """``base`` with ``values`` applied (None or "" removes a value), each checked against its
    field; then every required field must have a value. Values of fields since deleted are dropped."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        errors["custom"] = [_('An object {"field key": value}.')]
        return dict(base)
    merged = {key: value for key, value in base.items() if key in fields}
    for key, raw in values.items():
        field = fields.get(str(key))
        if field is None:
            errors[f"custom.{key}"] = [_("There is no custom field %(k)s.") % {"k": key}]
            continue
        try:
            value = clean_value(field, raw)
        except InvalidValue as error:
            errors[f"custom.{key}"] = [str(error)]
            continue
        if value is None:
            merged.pop(field.key, None)
        else:
            merged[field.key] = value
    for field in fields.values():
        if field.required and field.key not in merged and f"custom.{field.key}" not in errors:
            errors[f"custom.{field.key}"] = [_("%(f)s is required.") % {"f": field.label}]
    return merged


def customer_values_clean(
    data: Mapping[str, Any], *, fields: Mapping[str, CustomField], customer: Customer | None = None
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The model values ``data`` asks for and the field errors, without touching the database.
    On an update (``customer`` given) only the keys present in ``data`` change; ``custom`` is
    merged key by key into the customer's values."""
    errors: dict[str, list[Any]] = {}
    clean: dict[str, Any] = {}
    creating = customer is None
    if creating or "name" in data:
        clean["name"] = _clean_name(data.get("name"), errors)
    if "phones" in data:
        clean["phones"] = clean_phones(data["phones"] or [], errors)
    if "emails" in data:
        clean["emails"] = clean_emails(data["emails"] or [], errors)
    if "tags" in data:
        clean["tags"] = _clean_tags(data["tags"] or [], errors)
    if "vip_level" in data:
        clean["vip_level"] = _clean_vip_level(data["vip_level"], errors)
    elif "is_vip" in data:  # the older API: a flag; a VIP without a level is level 1
        current = customer.vip_level if customer is not None else 0
        clean["vip_level"] = (current or 1) if data["is_vip"] else 0
    if "vip_level" in clean:
        clean["is_vip"] = clean["vip_level"] > 0
    if "notes" in data:
        clean["notes"] = str(data["notes"] or "")
    if creating or "custom" in data:
        base = customer.custom if customer is not None else {}
        clean["custom"] = clean_custom(data.get("custom"), fields=fields, base=base, errors=errors)
    return clean, errors


def _invalid(errors: dict[str, list[Any]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=errors)


# --- checks against the other customers ---------------------------------------------------------------


def _check_phones_free(phones: list[str], customer: Customer | None) -> None:
    variants = sorted({v for value in phones for v in phone_variants(value)})
    if not variants:
        return
    others = Customer.objects.filter(phones__overlap=variants)
    if customer is not None:
        others = others.exclude(pk=customer.pk)
    holder = others.order_by("id").first()
    if holder is not None:
        taken = next(v for v in phones if set(phone_variants(v)) & set(holder.phones))
        message = _("%(phone)s already belongs to %(name)s.") % {"phone": taken, "name": holder.name}
        raise ApplicationError("phone_taken", message, fields={"phones": [message]})


def _check_emails_free(emails: list[str], customer: Customer | None) -> None:
    if not emails:
        return
    others = Customer.objects.filter(emails__overlap=emails)
    if customer is not None:
        others = others.exclude(pk=customer.pk)
    holder = others.order_by("id").first()
    if holder is not None:
        taken = next(e for e in emails if e in holder.emails)
        message = _("%(email)s already belongs to %(name)s.") % {"email": taken, "name": holder.name}
        raise ApplicationError("email_taken", message, fields={"emails": [message]})


def _check_unique_values(custom: dict[str, Any], fields: Mapping[str, CustomField], customer: Customer | None) -> None:
    errors: dict[str, list[Any]] = {}
    for key, value in custom.items():
        field = fields.get(key)
        if field is None or not field.unique:
            continue
        if customer is not None and customer.custom.get(key) == value:
            continue  # unchanged: it was unique when it was written
        others = Customer.objects.filter(custom__contains={key: value})
        if customer is not None:
            others = others.exclude(pk=customer.pk)
        if others.exists():
            errors[f"custom.{key}"] = [_("Another customer has this %(f)s.") % {"f": field.label}]
    if errors:
        raise ApplicationError("value_taken", _("A unique field's value is taken."), fields=errors)


def _resolve_owner(data: Mapping[str, Any], errors: dict[str, list[Any]]) -> dict[str, Any]:
    """``owner_user`` / ``owner_team`` (ids or instances, None clears); a customer has one owner."""
    clean: dict[str, Any] = {}
    if "owner_user" in data:
        value = data["owner_user"]
        user_id = getattr(value, "pk", value)
        user = User.objects.filter(pk=user_id, is_active=True).first() if user_id not in (None, "") else None
        if user_id not in (None, "") and user is None:
            errors["owner_user"] = [_("No such active user.")]
        clean["owner_user"] = user
    if "owner_team" in data:
        value = data["owner_team"]
        team_id = getattr(value, "pk", value)
        team = Team.objects.filter(pk=team_id).first() if team_id not in (None, "") else None
        if team_id not in (None, "") and team is None:
            errors["owner_team"] = [_("No such team.")]
        clean["owner_team"] = team
    if clean.get("owner_user") is not None and clean.get("owner_team") is not None:
        errors["owner_team"] = [_("A customer is owned by a person or by a team, not both.")]
    elif clean.get("owner_user") is not None:
        clean["owner_team"] = None
    elif clean.get("owner_team") is not None:
        clean["owner_user"] = None
    return clean


_FIELDS = ("name", "phones", "emails", "tags", "vip_level", "is_vip", "notes", "custom", "owner_user", "owner_team")


def _write(customer: Customer | None, data: Mapping[str, Any]) -> Customer:
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise ApplicationError("invalid", _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    lock_phone_book()
    if customer is not None:
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
    fields = custom_fields_by_key()
    clean, errors = customer_values_clean(data, fields=fields, customer=customer)
    clean.update(_resolve_owner(data, errors))
    if set(errors) == {"phones"}:  # the older contract's code for a number that is not one
        raise ApplicationError("invalid_phone", errors["phones"][0], fields=errors)
    if errors:
        raise _invalid(errors)
    if "phones" in clean:
        _check_phones_free(clean["phones"], customer)
    if "emails" in clean:
        _check_emails_free(clean["emails"], customer)
    if "custom" in clean:
        _check_unique_values(clean["custom"], fields, customer)
    if customer is None:
        customer = Customer(**clean)
        customer.save()
        return customer
    for name, value in clean.items():
        setattr(customer, name, value)
    customer.updated_at = timezone.now()
    customer.save(update_fields=[*clean, "updated_at"])
    return customer


@transaction.atomic
def customer_create(
    *,
    name: str,
    phones: Iterable[str] = (),
    is_vip: bool = False,
    notes: str = "",
    **fields: Any,
) -> Customer:
    """A new customer. Keyword fields: ``emails``, ``tags``, ``vip_level`` (0–5; ``is_vip`` is the
    older flag), ``owner_user``/``owner_team``, ``custom`` ``{key: value}``."""
    data: dict[str, Any] = {"name": name, "phones": list(phones or []), "notes": notes, **fields}
    if "vip_level" not in data:
        data["is_vip"] = is_vip
    return _write(None, data)


@transaction.atomic
def customer_update(*, customer: Customer, **fields: Any) -> Customer:
    """Change any of the fields of :func:`customer_create`; fields not given stay as they are,
    ``custom`` changes only the keys it names (a None or empty value removes one)."""
    return _write(customer, fields) if fields else customer


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    """What the audit log keeps of a customer (the before of a merge or a deletion)."""
    return {
        "id": customer.pk,
        "name": customer.name,
        "phones": list(customer.phones),
        "emails": list(customer.emails),
        "tags": list(customer.tags),
        "vip_level": customer.vip_level,
        "owner_user": customer.owner_user_id,
        "owner_team": customer.owner_team_id,
        "custom": {
            key: display_text(value) if isinstance(value, list) else value for key, value in customer.custom.items()
        },
        "notes": customer.notes,
    }


@transaction.atomic
def customer_delete(*, customer: Customer, actor: Any = None) -> None:
    """Calls and tickets keep their rows; their link to the customer is cleared. Audited with
    what the customer held."""
    audit_record(
        action=AuditAction.CUSTOMER_DELETED,
        actor=actor,
        target=customer,
        before=customer_snapshot(customer),
    )
    customer.delete()


@transaction.atomic
def customer_note_add(*, customer: Customer, body: str, author: Any = None) -> CustomerNote:
    """A note on the customer's timeline."""
    body = (body or "").strip()
    if not body:
        raise _invalid({"body": [_("This field is required.")]})
    if len(body) > NOTE_MAX:
        raise _invalid({"body": [_("At most %(n)d characters.") % {"n": NOTE_MAX}]})
    return CustomerNote.objects.create(
        customer=customer, body=body, author=author if getattr(author, "pk", None) else None
    )


def roles_of(user: Any) -> Sequence[str]:
    return list(getattr(user, "roles", None) or [])
