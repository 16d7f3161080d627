"""The tenant's dialling policy: read, edit, and check a number, a dial or a caller ID against it.

Where it applies (toll fraud and misuse, docs/user-guide.md "Dialling policy"):

- click-to-dial (``call_control.call_dial``): :func:`dial_check` — the number rule
  (``apps/telephony/dialer/dialling.py``), the tenant-wide do-not-call list and the per-agent rate limit;
- numbers calls are transferred to (a queue's overflow number, an IVR transfer node):
  :func:`transfer_number_check` — the number rule only (an administrator sets them once; the
  caller is already on the line, so do-not-call and the agent rate limit do not apply);
- every caller ID the tenant sets (trunk, phone number, campaign): :func:`caller_id_check` —
  one of the tenant's own numbers unless the platform allows any (Tenant.caller_id_unrestricted).

Refusals are ``ApplicationError`` with stable codes: ``dial_premium``, ``dial_blocked_prefix``,
``dial_dnc`` (400), ``dial_rate_limited`` (429), ``caller_id_not_owned`` (400).

The rate limit counts the manual calls an agent places, in two fixed windows (a minute and an
hour, each starting with the first call in it) kept in Redis and changed by one Lua script, so
two requests at once cannot both take the last call. Only dials that pass every other check
are counted. If Redis cannot be reached the limit is not applied (logged): the dial cannot leave
anyway, since the command to the engine travels over the same Redis.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.events import publish_on_commit
from apps.core.tenancy import current_schema
from apps.telephony.dialer import dialling
from apps.telephony.dialer.numbers import normalize_number
from apps.telephony.models import Agent, DiallingPolicy, PhoneNumber
from apps.telephony.services.campaigns.dnc import is_on_dnc
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)

RATE_LIMITED_STATUS = 429
REDIS_TIMEOUT_SECONDS = 0.5
MINUTE = 60
HOUR = 3600

# KEYS: minute counter, hour counter. ARGV: per-minute limit, per-hour limit.
# Returns {0, 0} when counted, or {1|2, seconds until that window ends} when refused (the hour
# first: when both are used up, the longer wait is the true one).
_RATE_SCRIPT = """
local minute = tonumber(redis.call('GET', KEYS[1]) or '0')
local hour = tonumber(redis.call('GET', KEYS[2]) or '0')
if hour >= tonumber(ARGV[2]) then return {2, redis.call('TTL', KEYS[2])} end
if minute >= tonumber(ARGV[1]) then return {1, redis.call('TTL', KEYS[1])} end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], 60) end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], 3600) end
return {0, 0}
"""

_redis_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _redis_client  # noqa: PLW0603 - one connection pool per process
    if _redis_client is None:
        _redis_client = redis.Redis.from_url(
            settings.CACHES["default"]["LOCATION"],
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
    return _redis_client


def _invalid(fields: dict[str, list[Any]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=fields)


# --- the policy row ---------------------------------------------------------------------------------


def dialling_policy_get() -> DiallingPolicy:
    """The tenant's policy, created with the defaults on first use (a singleton row)."""
    policy = DiallingPolicy.objects.filter(pk=DiallingPolicy.SINGLETON_ID).first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return DiallingPolicy.objects.create(pk=DiallingPolicy.SINGLETON_ID)
    except IntegrityError:  # created by a concurrent request in the meantime
        return DiallingPolicy.objects.get(pk=DiallingPolicy.SINGLETON_ID)


def _prefix_list(raw: Any, field: str, errors: dict[str, list[Any]]) -> list[str] | None:
    if isinstance(raw, str):
        raw = [part for part in raw.replace(",", "\n").splitlines()]
    if not isinstance(raw, list | tuple):
        errors[field] = [_("Give a list of prefixes.")]
        return None
    prefixes: list[str] = []
    bad: list[str] = []
    for item in raw:
        if not isinstance(item, str | int):
            bad.append(str(item))
            continue
        if not str(item).strip():
            continue
        prefix = dialling.normalise_prefix(item)
        if prefix is None:
            bad.append(str(item))
        elif prefix not in prefixes:
            prefixes.append(prefix)
    if bad:
        errors[field] = [
            _("Not a prefix: %(items)s. Write +<country code><digits> (e.g. +852) or the digits of a short number.")
            % {"items": ", ".join(bad[:5])}
        ]
        return None
    if len(prefixes) > dialling.PREFIXES_MAX:
        errors[field] = [_("At most %(n)d prefixes.") % {"n": dialling.PREFIXES_MAX}]
        return None
    return prefixes


def _rate(raw: Any, field: str, maximum: int, errors: dict[str, list[Any]]) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip().isdigit():
        errors[field] = [_("Enter a whole number.")]
        return None
    value = int(raw)
    if not 1 <= value <= maximum:
        errors[field] = [_("Between %(low)d and %(high)d.") % {"low": 1, "high": maximum}]
        return None
    return value


@transaction.atomic
def dialling_policy_update(
    *,
    user: Any = None,
    allow_international: bool | None = None,
    allowed_prefixes: Any = None,
    blocked_prefixes: Any = None,
    rate_per_minute: Any = None,
    rate_per_hour: Any = None,
) -> DiallingPolicy:
    """Change the given settings (None: keep). Any bad value refuses the whole change."""
    dialling_policy_get()
    policy = DiallingPolicy.objects.select_for_update().get(pk=DiallingPolicy.SINGLETON_ID)
    before = _audited_fields(policy)
    errors: dict[str, list[Any]] = {}
    international = policy.allow_international
    if allow_international is not None:
        if not isinstance(allow_international, bool):
            errors["allow_international"] = [_("Must be true or false.")]
        else:
            international = allow_international
    allowed = policy.allowed_prefixes
    if allowed_prefixes is not None:
        allowed = _prefix_list(allowed_prefixes, "allowed_prefixes", errors)
        if allowed is not None:
            if not allowed:
                errors["allowed_prefixes"] = [_("Allow at least one prefix (+86 for Chinese numbers).")]
            elif not all(prefix.startswith("+") for prefix in allowed):
                errors["allowed_prefixes"] = [_("Allowed prefixes start with + and the country code (+86, +852).")]
    if allowed is not None and "allowed_prefixes" not in errors and not international:
        abroad = [prefix for prefix in allowed if dialling.is_international_prefix(prefix)]
        if abroad:
            errors["allowed_prefixes"] = [
                _("%(prefixes)s: switch international dialling on to allow numbers outside China.")
                % {"prefixes": ", ".join(abroad[:5])}
            ]
    blocked = policy.blocked_prefixes
    if blocked_prefixes is not None:
        blocked = _prefix_list(blocked_prefixes, "blocked_prefixes", errors)
    per_minute: int | None = policy.rate_per_minute
    if rate_per_minute is not None:
        per_minute = _rate(rate_per_minute, "rate_per_minute", dialling.RATE_PER_MINUTE_MAX, errors)
    per_hour: int | None = policy.rate_per_hour
    if rate_per_hour is not None:
        per_hour = _rate(rate_per_hour, "rate_per_hour", dialling.RATE_PER_HOUR_MAX, errors)
    if per_minute is not None and per_hour is not None and per_minute > per_hour and "rate_per_hour" not in errors:
        errors["rate_per_hour"] = [_("At least the number of calls per minute.")]
    if errors or per_minute is None or per_hour is None:  # a None value always comes with its error
        raise _invalid(errors)
    policy.allow_international = international
    policy.allowed_prefixes = allowed
    policy.blocked_prefixes = blocked
    policy.rate_per_minute = per_minute
    policy.rate_per_hour = per_hour
    policy.updated_at = timezone.now()
    policy.updated_by = user if getattr(user, "pk", None) else None
    policy.save()
    after = _audited_fields(policy)
    if after != before:
        audit_record(action=AuditAction.DIALLING_POLICY_CHANGED, actor=user, target=policy, before=before, after=after)
    # The engine checks callback numbers itself (engine/config.py): it reloads the policy.
    publish_on_commit("engine", {"type": "config.changed", "kind": "dialling_policy", "id": None})
    return policy


def _audited_fields(policy: DiallingPolicy) -> dict[str, Any]:
    return {
        "allow_international": policy.allow_international,
        "allowed_prefixes": list(policy.allowed_prefixes),
        "blocked_prefixes": list(policy.blocked_prefixes),
        "rate_per_minute": policy.rate_per_minute,
        "rate_per_hour": policy.rate_per_hour,
    }


# --- checks -----------------------------------------------------------------------------------------


def _refusal(verdict: dialling.Verdict, field: str) -> ApplicationError:
    shown = verdict.number.raw if verdict.number else ""
    if verdict.code == dialling.PREMIUM:
        return ApplicationError(
            dialling.PREMIUM,
            _("%(number)s is a premium-rate or blocked number (%(prefix)s); calls to it are not allowed.")
            % {"number": shown, "prefix": verdict.matched},
            fields={field: [_("Blocked by the dialling policy.")]},
        )
    if verdict.code == dialling.BLOCKED_PREFIX:
        if verdict.number is not None and verdict.number.kind == dialling.KIND_INTERNATIONAL:
            message = _("%(number)s is an international number; the dialling policy does not allow it.")
        else:
            message = _("%(number)s is outside the prefixes the dialling policy allows.")
        return ApplicationError(
            dialling.BLOCKED_PREFIX,
            message % {"number": shown},
            fields={field: [_("Not an allowed prefix.")]},
        )
    return _invalid({field: [_("Digits only (3–20), optionally starting with +.")]})


def number_check(*, number: Any, field: str = "number", policy: DiallingPolicy | None = None) -> dialling.Classified:
    """The number rule alone (premium and prefixes); returns the classified number."""
    policy = policy or dialling_policy_get()
    verdict = dialling.check_number(number, policy.rules())
    if not verdict.allowed or verdict.number is None:
        raise _refusal(verdict, field)
    return verdict.number


def transfer_number_check(*, number: Any, field: str) -> None:
    """A number calls will be transferred to (queue overflow, IVR transfer node)."""
    number_check(number=number, field=field)


def _rate_take(*, agent_id: int, policy: DiallingPolicy) -> None:
    base = f"dialling:rate:{current_schema()}:{agent_id}"
    try:
        refused, seconds = _redis().eval(
            _RATE_SCRIPT, 2, f"{base}:minute", f"{base}:hour", policy.rate_per_minute, policy.rate_per_hour
        )
    except redis.RedisError:
        logger.warning("dialling rate limit not applied: Redis unreachable", exc_info=True)
        return
    if refused:
        window = MINUTE if refused == 1 else HOUR
        retry = int(seconds) if int(seconds) > 0 else window
        limit = policy.rate_per_minute if refused == 1 else policy.rate_per_hour
        message = (
            _("You placed %(n)d calls this minute, the most the dialling policy allows. Try again in %(s)d s.")
            if refused == 1
            else _("You placed %(n)d calls this hour, the most the dialling policy allows. Try again in %(s)d s.")
        )
        raise ApplicationError(
            "dial_rate_limited",
            message % {"n": limit, "s": retry},
            status=RATE_LIMITED_STATUS,
            headers={"Retry-After": str(retry)},
        )


def dial_check(*, agent: Agent, number: Any) -> dialling.Classified:
    """Click-to-dial: the number rule, the tenant-wide do-not-call list, then the agent's rate limit."""
    policy = dialling_policy_get()
    classified = number_check(number=number, policy=policy)
    # The do-not-call list stores E.164 from phonenumbers (services/dnc.py): look it up the same way.
    e164 = normalize_number(classified.raw)
    if e164 is not None and is_on_dnc(e164):
        raise ApplicationError(
            "dial_dnc",
            _("%(number)s is on the do-not-call list.") % {"number": classified.raw},
            fields={"number": [_("On the do-not-call list.")]},
        )
    _rate_take(agent_id=agent.pk, policy=policy)
    return classified


def caller_id_unrestricted() -> bool:
    """The platform's per-tenant flag (public schema), read fresh."""
    value = Tenant.objects.filter(schema_name=current_schema()).values_list("caller_id_unrestricted", flat=True).first()
    return bool(value)


def caller_id_check(*, value: Any, field: str = "caller_id") -> None:
    """A caller ID must be one of the tenant's numbers, unless the platform allows any; empty means
    "the default" (the number's or the trunk's) and is always fine."""
    text = dialling.clean(value)
    if not text or caller_id_unrestricted():
        return
    owned = PhoneNumber.objects.values_list("number", flat=True)
    if not dialling.caller_id_matches(text, owned):
        raise ApplicationError(
            "caller_id_not_owned",
            _("%(number)s is not one of your numbers; a caller ID must be a number of this contact center.")
            % {"number": text},
            fields={field: [_("Not one of your numbers.")]},
        )
