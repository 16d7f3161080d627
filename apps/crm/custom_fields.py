"""Custom fields of customers: what each type accepts, and what a role is shown.

Plain Python (no queries): the services validate with :func:`clean_value`, and every reader — the
list, the customer page, the API, the export and the screen pop — shows values through
:func:`present`, so a sensitive value is masked the same way everywhere.

Stored forms (``Customer.custom``, JSON): text, choice, phone (normalised) and e-mail as strings;
number as a JSON number; date as ``YYYY-MM-DD``; multi-choice as a list in the order of the
field's choices. An empty value is no value (the key is absent).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from apps.crm.phones import is_valid_phone, normalize_phone

TEXT_MAX = 1000
CHOICES_MAX = 100
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MULTI_SEPARATORS = re.compile(r"[,，;；|、]")
MASK = "*"


class FieldLike(Protocol):
    key: str
    label: str
    field_type: str
    choices: list[str]
    required: bool
    unique: bool
    sensitive: bool
    visible_roles: list[str]
    unmasked_roles: list[str]


class InvalidValue(ValueError):
    """A value the field does not accept; ``str()`` is the message for the user."""


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise InvalidValue(_("A number."))
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise InvalidValue(_("A number.")) from None
    if not value.is_finite() or abs(value) >= Decimal("1e15"):
        raise InvalidValue(_("A number."))
    return int(value) if value == value.to_integral_value() else float(value)


def _date(raw: Any) -> str:
    if isinstance(raw, datetime.datetime):
        return raw.date().isoformat()
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    text = str(raw).strip().replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat(text[:10] if len(text) > 10 and text[10] in " T" else text).isoformat()
    except ValueError:
        raise InvalidValue(_("A date, YYYY-MM-DD.")) from None


def _multi(field: FieldLike, raw: Any) -> list[str]:
    items = raw if isinstance(raw, list | tuple) else MULTI_SEPARATORS.split(str(raw))
    picked = {str(item).strip() for item in items if str(item).strip()}
    unknown = sorted(picked - set(field.choices))
    if unknown:
        raise InvalidValue(_("Not a choice: %(v)s.") % {"v": ", ".join(unknown)})
    return [choice for choice in field.choices if choice in picked]


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, list | tuple) and not raw)


def clean_value(field: FieldLike, raw: Any) -> Any:
    """The stored form of ``raw`` for ``field``, or None for an empty value. Raises
    :class:`InvalidValue`; ``required`` and ``unique`` are the service's (they need the row)."""
    if is_empty(raw):
        return None
    kind = field.field_type
    if kind == "number":
        return _number(raw)
    if kind == "date":
        return _date(raw)
    if kind == "multi_choice":
        return _multi(field, raw) or None
    if isinstance(raw, (list | tuple | dict, bool)):
        raise InvalidValue(_("A single value."))
    text = str(raw).strip()
    if kind == "choice":
        if text not in field.choices:
            raise InvalidValue(_("Not a choice: %(v)s.") % {"v": text})
        return text
    if kind == "phone":
        value = normalize_phone(text)
        if not is_valid_phone(value):
            raise InvalidValue(_("%(phone)s is not a phone number.") % {"phone": text})
        return value
    if kind == "email":
        try:
            validate_email(text)
        except ValidationError:
            raise InvalidValue(_("%(v)s is not an e-mail address.") % {"v": text}) from None
        return text.lower()
    if len(text) > TEXT_MAX:
        raise InvalidValue(_("At most %(n)d characters.") % {"n": TEXT_MAX})
    return text


def clean_choices(field_type: str, choices: Iterable[Any]) -> list[str]:
    """The choices of a (multi-)choice field: trimmed, unique, in order; none for other types."""
    if field_type not in ("choice", "multi_choice"):
        return []
    cleaned: list[str] = []
    for choice in choices or []:
        text = str(choice).strip()
        if text and text not in cleaned:
            if len(text) > CHOICES_MAX or MULTI_SEPARATORS.search(text):
                raise InvalidValue(_("%(v)s: at most 100 characters, no commas or semicolons.") % {"v": text[:50]})
            cleaned.append(text)
    if not cleaned:
        raise InvalidValue(_("A choice field needs its choices."))
    return cleaned


# --- what a role sees ---------------------------------------------------------------------------------


def mask_text(text: str) -> str:
    """``110101199003071234`` → ``1101**********1234``; ``13800138000`` → ``138****8000``: the
    ends people use to recognise a value, never enough to use it."""
    length = len(text)
    if length >= 12:
        keep_start, keep_end = 4, 4
    elif length >= 7:
        keep_start, keep_end = 3, 4
    elif length >= 3:
        keep_start, keep_end = 1, 1
    else:
        keep_start, keep_end = 0, 0
    return text[:keep_start] + MASK * (length - keep_start - keep_end) + (text[length - keep_end :] if keep_end else "")


def display_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def may_see(field: FieldLike, roles: Sequence[str]) -> bool:
    return not field.visible_roles or bool(set(field.visible_roles) & set(roles))


def may_unmask(field: FieldLike, roles: Sequence[str]) -> bool:
    return not field.sensitive or bool(set(field.unmasked_roles) & set(roles))


def present(field: FieldLike, value: Any, roles: Sequence[str]) -> tuple[Any, bool]:
    """``(value as this role may see it, masked?)``; a masked value is always text."""
    if value is None or may_unmask(field, roles):
        return value, False
    return mask_text(display_text(value)), True


def visible_values(fields: Iterable[FieldLike], custom: dict[str, Any], roles: Sequence[str]) -> list[dict[str, Any]]:
    """The custom values a role is shown, in the fields' order: ``key, label, type, value,
    display, masked`` — fields the role may not see are left out, empty ones included."""
    shown = []
    for field in fields:
        if not may_see(field, roles):
            continue
        value, masked = present(field, (custom or {}).get(field.key), roles)
        shown.append(
            {
                "key": field.key,
                "label": field.label,
                "type": field.field_type,
                "value": value,
                "display": value if masked else display_text(value),
                "masked": masked,
            }
        )
    return shown
