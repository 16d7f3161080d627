"""The dialling rule: which numbers a tenant's agents may dial out to (plain Python, no database).

Toll fraud on a hosted contact center is an agent, a stolen login or a script dialling premium
or far-away numbers through the tenant's trunk: the carrier bills the tenant, the fraudster is
paid by the premium line. Every number an agent dials (click-to-dial) and every number a call
is transferred to (queue overflow, IVR transfer node) goes through :func:`check_number` first;
the service (``services/dialling.py``) adds the do-not-call list, the per-agent rate limit and
the tenant's stored policy.

How a number is read (``classify``), the way Chinese users write numbers:

- ``+…`` or ``00…``: international form. ``+86…`` is a Chinese number (its national part is read
  as below, as if dialled with the trunk prefix ``0``); anything else is international.
- ``0…`` (one zero): a Chinese number with the trunk prefix: ``010 1234 5678`` → ``+861012345678``.
- ``1[3-9]…`` with 11 digits: a Chinese mobile number → ``+86…``.
- any other digits without a prefix: a Chinese *short or service number* dialled as such
  (``95588``, ``10086``, ``1259…``, ``160…``). It is shown as ``+86<digits>`` but matched by its
  dialled digits, because ``95…`` short codes and the ``0951`` (Yinchuan) area code share digits
  after ``+86``.

Prefix entries (``allowed_prefixes``, ``blocked_prefixes``) are written two ways:
``+<digits>`` matches the E.164 form of any number; ``<digits>`` (no ``+``) matches only short and
service numbers dialled without a prefix, by their digits (``95`` blocks 95588, never 0951…).

The order of the checks is fixed and every refusal has a stable code (docs/api.md):
``invalid`` (not a number) → ``dial_premium`` (platform or tenant blocked prefix, or a number
libphonenumber classifies as premium-rate) → ``dial_blocked_prefix`` (international while it is
off, or no allowed prefix matches).

Note: ``+86 190…`` is **not** premium: 190 is a China Telecom mobile range since 2019, so a
"1900" block would refuse real customers. NANP ``+1 900`` is premium and is blocked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from django.utils.translation import gettext_noop  # labels are translated where they are shown

CN = "+86"
CN_MOBILE_RE = re.compile(r"^1(3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])\d{8}$")
DIALLED_RE = re.compile(r"^\+?[0-9]{3,20}$")
PREFIX_RE = re.compile(r"^\+?[0-9]{1,15}$")
SEPARATORS_RE = re.compile(r"[\s\-().]")

KIND_MOBILE = "cn_mobile"
KIND_LANDLINE = "cn_landline"
KIND_SHORT = "cn_short"
KIND_INTERNATIONAL = "international"

# Refusal codes (part of the API contract: never rename one).
PREMIUM = "dial_premium"
BLOCKED_PREFIX = "dial_blocked_prefix"
INVALID = "invalid"

# Blocked for every tenant; a tenant cannot lift these (a tenant admin can add more blocks).
# Each entry: prefix, what it is. Sources: the national numbering plans of each country
# (MIIT 电信网码号资源 for China, Ofcom, ARCEP, BNetzA, AGCOM, CNMC, ACMA, NANPA) and ITU-T E.164
# assignments for the shared international codes. libphonenumber's premium-rate ranges
# (phonenumbers.PhoneNumberType.PREMIUM_RATE) are blocked as well, for every country it knows.
PLATFORM_BLOCKED: tuple[tuple[str, str], ...] = (
    ("160", gettext_noop("China: 160 voice information services (声讯台)")),
    ("168", gettext_noop("China: 168 voice information services (声讯台)")),
    ("1259", gettext_noop("China: 1259x value-added voice services (增值语音)")),
    ("+86160", gettext_noop("China: 160 voice information services, international form")),
    ("+86168", gettext_noop("China: 168 voice information services, international form")),
    ("+861259", gettext_noop("China: 1259x value-added voice services, international form")),
    ("+1900", gettext_noop("USA/Canada: 900 premium rate")),
    ("+1976", gettext_noop("USA/Canada: 976 pay-per-call (legacy)")),
    ("+449", gettext_noop("United Kingdom: 09 premium rate")),
    ("+4470", gettext_noop("United Kingdom: 070 personal numbers (fraud-prone)")),
    ("+3389", gettext_noop("France: 089 premium rate")),
    ("+49900", gettext_noop("Germany: 0900 premium rate")),
    ("+49137", gettext_noop("Germany: 0137 mass-calling / televoting")),
    ("+3989", gettext_noop("Italy: 89x premium rate")),
    ("+34803", gettext_noop("Spain: 803 premium rate")),
    ("+34806", gettext_noop("Spain: 806 premium rate")),
    ("+34807", gettext_noop("Spain: 807 premium rate")),
    ("+61190", gettext_noop("Australia: 190x premium rate")),
    ("+870", gettext_noop("Inmarsat satellite")),
    ("+881", gettext_noop("Global mobile satellite systems")),
    ("+882", gettext_noop("International networks")),
    ("+883", gettext_noop("International networks")),
    ("+979", gettext_noop("International premium rate service")),
)

# What a new tenant starts with: Chinese numbers only, international off, the 95/96 national
# short codes blocked (enterprise hotlines; a contact center has no reason to dial them, and a
# few 96xxx lines bill as information services). The tenant admin edits these.
DEFAULT_ALLOWED_PREFIXES: tuple[str, ...] = ("+86",)
DEFAULT_BLOCKED_PREFIXES: tuple[str, ...] = ("95", "96")
DEFAULT_RATE_PER_MINUTE = 6
DEFAULT_RATE_PER_HOUR = 60
RATE_PER_MINUTE_MAX = 60
RATE_PER_HOUR_MAX = 2000
PREFIXES_MAX = 200


@dataclass(frozen=True)
class Classified:
    """A dialled number read the Chinese way: ``e164`` for display and the do-not-call list,
    ``national`` (the digits dialled without prefix, for short numbers) and the ``kind``."""

    raw: str
    e164: str
    kind: str
    short_digits: str = ""


@dataclass(frozen=True)
class Rules:
    """The tenant's stored policy, as plain values (see models/dialling.py)."""

    allow_international: bool = False
    allowed_prefixes: tuple[str, ...] = DEFAULT_ALLOWED_PREFIXES
    blocked_prefixes: tuple[str, ...] = DEFAULT_BLOCKED_PREFIXES


@dataclass(frozen=True)
class Verdict:
    """``code`` is None when the number may be dialled; otherwise the refusal code and, for a
    blocked prefix, the entry that matched."""

    number: Classified | None
    code: str | None = None
    matched: str = ""

    @property
    def allowed(self) -> bool:
        return self.code is None


def clean(raw: object) -> str:
    return SEPARATORS_RE.sub("", str(raw or "").strip())


def classify(raw: object) -> Classified | None:
    """Read a dialled number (see the module docstring); None when it is not a number at all."""
    text = clean(raw)
    if not DIALLED_RE.match(text):
        return None
    if text.startswith("+") or text.startswith("00"):
        e164 = "+" + (text[1:] if text.startswith("+") else text[2:])
        if len(e164) < 4:
            return None
        if e164.startswith(CN):
            # "+86 (0)21 …": the trunk prefix written after the country code; no national number starts with 0.
            national = e164[len(CN) :].removeprefix("0")
            e164 = CN + national
            kind = KIND_MOBILE if CN_MOBILE_RE.match(national) else KIND_LANDLINE
            return Classified(raw=text, e164=e164, kind=kind)
        return Classified(raw=text, e164=e164, kind=KIND_INTERNATIONAL)
    if text.startswith("0"):
        national = text[1:]
        kind = KIND_MOBILE if CN_MOBILE_RE.match(national) else KIND_LANDLINE
        return Classified(raw=text, e164=CN + national, kind=kind)
    if CN_MOBILE_RE.match(text):
        return Classified(raw=text, e164=CN + text, kind=KIND_MOBILE)
    return Classified(raw=text, e164=CN + text, kind=KIND_SHORT, short_digits=text)


def prefix_matches(prefix: str, number: Classified) -> bool:
    """``+…`` prefixes match the E.164 form; bare digit prefixes match short numbers' dialled digits."""
    if prefix.startswith("+"):
        return number.e164.startswith(prefix)
    return number.kind == KIND_SHORT and number.short_digits.startswith(prefix)


def first_match(prefixes: Iterable[str], number: Classified) -> str:
    return next((prefix for prefix in prefixes if prefix_matches(prefix, number)), "")


def is_premium_rate(number: Classified) -> bool:
    """libphonenumber's premium-rate ranges (UK 09, US 900, China 160 …), for valid numbers."""
    try:
        parsed = phonenumbers.parse(number.e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.PREMIUM_RATE


def platform_blocked_prefixes() -> tuple[str, ...]:
    return tuple(prefix for prefix, _label in PLATFORM_BLOCKED)


def check_number(raw: object, rules: Rules) -> Verdict:
    """May ``raw`` be dialled under ``rules``? Blocked prefixes win over allowed ones."""
    number = classify(raw)
    if number is None:
        return Verdict(number=None, code=INVALID)
    matched = first_match(platform_blocked_prefixes(), number) or first_match(rules.blocked_prefixes, number)
    if matched:
        return Verdict(number=number, code=PREMIUM, matched=matched)
    if is_premium_rate(number):
        return Verdict(number=number, code=PREMIUM, matched=number.e164)
    if number.kind == KIND_INTERNATIONAL and not rules.allow_international:
        return Verdict(number=number, code=BLOCKED_PREFIX)
    # A short number's E.164 form is ``+86<digits>``: allowing ``+86`` allows it (unless blocked above).
    if not first_match(rules.allowed_prefixes, number):
        return Verdict(number=number, code=BLOCKED_PREFIX)
    return Verdict(number=number)


def normalise_prefix(raw: object) -> str | None:
    """``+86 10`` → ``+8610``; ``0086…`` → ``+86…``; ``95`` stays a short-number prefix; None if not one."""
    text = clean(raw)
    if text.startswith("00"):
        text = "+" + text[2:]
    return text if PREFIX_RE.match(text) else None


def is_international_prefix(prefix: str) -> bool:
    """An allowed prefix outside China (``+852``); ``+8`` alone would allow the world, so it counts."""
    return prefix.startswith("+") and not prefix.startswith(CN)


def caller_id_matches(value: object, owned: Iterable[str]) -> bool:
    """Is ``value`` one of the tenant's ``owned`` numbers? Compared in E.164 (``010…`` = ``+8610…``)."""
    wanted = classify(value)
    if wanted is None:
        return False
    return any((mine := classify(number)) is not None and mine.e164 == wanted.e164 for number in owned)
