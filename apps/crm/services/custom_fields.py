"""The administrator's custom fields of customers: create, change, delete (each audited).

A field's key and type are fixed once created: values already stored are in the type's form
(apps/crm/custom_fields.py), and integrations and import mappings name the key. Making a field
unique checks the values already stored; deleting a field removes its values from every customer.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.crm.choices import CustomFieldType
from apps.crm.custom_fields import KEY_RE, InvalidValue, clean_choices, clean_value
from apps.crm.models import Customer, CustomField
from apps.crm.services.customers import lock_phone_book

MAX_FIELDS = 100
DEFAULT_UNMASKED_ROLES = [Role.TENANT_ADMIN.value]
_EDITABLE = ("label", "choices", "required", "unique", "sensitive", "visible_roles", "unmasked_roles", "position")


def _invalid(errors: dict[str, list[Any]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=errors)


def _roles(value: Any, name: str, errors: dict[str, list[Any]]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or any(role not in Role.values for role in value):
        errors[name] = [_("A list of roles: %(r)s.") % {"r": ", ".join(Role.values)}]
        return []
    return sorted(set(value))


def _snapshot(field: CustomField) -> dict[str, Any]:
    return {name: getattr(field, name) for name in ("key", "field_type", *_EDITABLE)}


def _clean(field: CustomField, data: dict[str, Any], errors: dict[str, list[Any]]) -> None:
    if "label" in data:
        field.label = str(data["label"] or "").strip()
        if not field.label or len(field.label) > 100:
            errors["label"] = [_("A label of 1 to 100 characters.")]
    if "choices" in data or field._state.adding:
        try:
            field.choices = clean_choices(field.field_type, data.get("choices", field.choices) or [])
        except InvalidValue as error:
            errors["choices"] = [str(error)]
    for flag in ("required", "unique", "sensitive"):
        if flag in data:
            setattr(field, flag, bool(data[flag]))
    if "visible_roles" in data:
        field.visible_roles = _roles(data["visible_roles"], "visible_roles", errors)
    if "unmasked_roles" in data:
        field.unmasked_roles = _roles(data["unmasked_roles"], "unmasked_roles", errors)
    if "position" in data:
        try:
            field.position = max(0, min(int(data["position"]), 32767))
        except (TypeError, ValueError):
            errors["position"] = [_("A whole number.")]
    if field.unique and field.field_type == CustomFieldType.MULTI_CHOICE:
        errors["unique"] = [_("A multiple-choice field cannot be unique.")]


def _check_stored_values(field: CustomField, before: dict[str, Any] | None) -> None:
    """A field made unique must not hold a value twice already; choices taken away must not be in use."""
    if field.unique and not (before or {}).get("unique"):
        value = KeyTextTransform(field.key, "custom")
        duplicated = (
            Customer.objects.filter(custom__has_key=field.key)
            .annotate(value=value)
            .values_list("value", flat=True)
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by("value")
            .first()
        )
        if duplicated is not None:
            raise ApplicationError(
                "value_taken",
                _("Several customers already have %(v)s in this field: make them unique first.") % {"v": duplicated},
                fields={"unique": [_("Values are not unique yet.")]},
            )
    if before is not None and field.field_type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE):
        removed = set(before["choices"]) - set(field.choices)
        for customer in Customer.objects.filter(custom__has_key=field.key).only("custom").iterator(chunk_size=2000):
            try:
                clean_value(field, customer.custom[field.key])
            except InvalidValue:
                raise ApplicationError(
                    "in_use",
                    _("Customers still have a choice you removed (%(c)s).") % {"c": ", ".join(sorted(removed))},
                    fields={"choices": [_("A removed choice is in use.")]},
                ) from None


@transaction.atomic
def custom_field_create(*, actor: Any = None, **data: Any) -> CustomField:
    """``key``, ``label``, ``field_type`` and the options of :data:`_EDITABLE`. A sensitive field is
    shown whole to administrators unless ``unmasked_roles`` says otherwise."""
    errors: dict[str, list[Any]] = {}
    key = str(data.pop("key", "") or "").strip()
    field_type = str(data.pop("field_type", "") or "text")
    if not KEY_RE.match(key):
        errors["key"] = [_("Lower-case letters, digits and _, starting with a letter (at most 50).")]
    elif CustomField.objects.filter(key=key).exists():
        errors["key"] = [_("A field with this key exists.")]
    if field_type not in CustomFieldType.values:
        errors["field_type"] = [_("One of: %(t)s.") % {"t": ", ".join(CustomFieldType.values)}]
        field_type = CustomFieldType.TEXT
    unknown = set(data) - set(_EDITABLE)
    if unknown:
        errors.update({name: [_("Unknown field.")] for name in sorted(unknown)})
    field = CustomField(key=key, field_type=field_type, unmasked_roles=list(DEFAULT_UNMASKED_ROLES))
    if "position" not in data:
        field.position = CustomField.objects.count()
    data.setdefault("label", key)
    _clean(field, data, errors)
    if CustomField.objects.count() >= MAX_FIELDS:
        errors["key"] = [_("At most %(n)d custom fields.") % {"n": MAX_FIELDS}]
    if errors:
        raise _invalid(errors)
    lock_phone_book()
    _check_stored_values(field, None)
    field.save()
    audit_record(action=AuditAction.CUSTOMER_FIELD_CREATED, actor=actor, target=field, after=_snapshot(field))
    return field


@transaction.atomic
def custom_field_update(*, field: CustomField, actor: Any = None, **data: Any) -> CustomField:
    """Change the label, choices, flags, roles or position; the key and the type stay."""
    errors: dict[str, list[Any]] = {}
    for fixed in ("key", "field_type"):
        if fixed in data and data.pop(fixed) != getattr(field, fixed):
            errors[fixed] = [_("The key and the type of a field cannot change.")]
    unknown = set(data) - set(_EDITABLE)
    errors.update({name: [_("Unknown field.")] for name in sorted(unknown)})
    lock_phone_book()
    field = CustomField.objects.select_for_update().get(pk=field.pk)
    before = _snapshot(field)
    _clean(field, data, errors)
    if errors:
        raise _invalid(errors)
    _check_stored_values(field, before)
    field.save()
    audit_record(
        action=AuditAction.CUSTOMER_FIELD_CHANGED, actor=actor, target=field, before=before, after=_snapshot(field)
    )
    return field


@transaction.atomic
def custom_field_delete(*, field: CustomField, actor: Any = None) -> int:
    """Delete the field and its values; returns how many customers had one."""
    lock_phone_book()
    before = _snapshot(field)
    count = Customer.objects.filter(custom__has_key=field.key).update(custom=RawSQL("custom - %s", (field.key,)))
    audit_record(
        action=AuditAction.CUSTOMER_FIELD_DELETED,
        actor=actor,
        target=field,
        before=before,
        extra={"values_removed": count},
    )
    field.delete()
    return count
