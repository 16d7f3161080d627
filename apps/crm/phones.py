"""Phone numbers as customers give them and as the network delivers them (ANI).

Numbers are stored normalised: digits only, with a leading ``+`` when the number was given in
international form. Matching an ANI also tries the national/international twin for the default
country (China, +86), because carriers deliver both ``13800138000`` and ``+8613800138000``.
"""

from __future__ import annotations

import re

DEFAULT_COUNTRY_CODE = "86"
MIN_DIGITS = 3  # short service numbers (110, 95588) are real numbers too
MAX_DIGITS = 20
_SEPARATORS = re.compile(r"[\s\-().\u3000]")
_VALID = re.compile(r"^\+?\d+$")


def normalize_phone(raw: str) -> str:
    """``"+86 138-0013-8000"`` → ``"+8613800138000"``; ``"0086…"`` → ``"+86…"``. Does not validate."""
    value = _SEPARATORS.sub("", (raw or "").strip())
    if value.startswith("00") and len(value) > 4:
        value = "+" + value[2:]
    return value


def is_valid_phone(value: str) -> bool:
    """``value`` must already be normalised."""
    if not _VALID.match(value):
        return False
    return MIN_DIGITS <= len(value.lstrip("+")) <= MAX_DIGITS


def phone_variants(raw: str) -> list[str]:
    """Every stored form an ANI may match: itself and its default-country twin."""
    value = normalize_phone(raw)
    if not value:
        return []
    variants = [value]
    prefix = f"+{DEFAULT_COUNTRY_CODE}"
    if value.startswith(prefix) and len(value) > len(prefix):
        national = value[len(prefix) :]
        variants += [national, "0" + national]  # mobiles are dialled bare, landlines with the trunk 0
    elif not value.startswith("+"):
        variants.append(prefix + value.removeprefix("0"))
    return list(dict.fromkeys(variants))
