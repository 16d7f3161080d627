"""Phone numbers and time zones for campaigns: everything stored is E.164, every zone a real IANA name.

Numbers written without a country code are read as Chinese (``DEFAULT_REGION``), the way our
users' lists are written. A number's own time zone (from its country and prefix) is used when
the list has no time-zone column and the number maps to exactly one zone; otherwise the
campaign's default applies.
"""

from __future__ import annotations

import functools
import zoneinfo

import phonenumbers
from phonenumbers import timezone as phone_timezone

DEFAULT_REGION = "CN"
UNKNOWN_ZONE = "Etc/Unknown"


def _parse(raw: object, region: str) -> phonenumbers.PhoneNumber | None:
    text = str(raw or "").strip()
    if not text:
        return None
    # Spreadsheets hand numbers over as floats ("13812345678.0") or with a leading apostrophe.
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    text = text.lstrip("'")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


def normalize_number(raw: object, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form of ``raw`` (``+8613812345678``), or None when it is not a valid number."""
    parsed = _parse(raw, region)
    return None if parsed is None else phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_number_and_zone(raw: object, region: str = DEFAULT_REGION) -> tuple[str, str | None] | None:
    """E.164 and the number's own time zone (see :func:`number_time_zone`) from one parse: imports
    do this a million times."""
    parsed = _parse(raw, region)
    if parsed is None:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), _zone_of(parsed)


def _zone_of(parsed: phonenumbers.PhoneNumber) -> str | None:
    zones = [zone for zone in phone_timezone.time_zones_for_number(parsed) if zone != UNKNOWN_ZONE]
    return zones[0] if len(zones) == 1 and is_time_zone(zones[0]) else None


def number_time_zone(e164: str) -> str | None:
    """The one IANA zone a number belongs to, or None when unknown or ambiguous (the US has several)."""
    try:
        return _zone_of(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None


@functools.cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: object) -> bool:
    return isinstance(name, str) and name in time_zone_names()
