"""Inbound DID routing for Kamailio: which tenant, number and trunk an INVITE belongs to.

Kamailio asks over HTTP (apps/sip/internal.py) for every INVITE from a trusted trunk address.
The answer must be fast and must never cross tenants: the number decides the tenant (the
platform's pool says who owns it), and the call is accepted only if it came from an address
of *that number's* trunk, so one tenant's carrier cannot inject calls into another tenant.

Channel caps: Kamailio counts live calls per trunk with a dialog profile (it sees every call
start and end, and its count dies with it, so it cannot leak) and refuses the call above the
``channels`` we return; it then reports the refusal here and :func:`did_blocked` writes the
blocked CDR exactly as the simulated switch does.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import time
from dataclasses import asdict, dataclass

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.sip.models import TrunkAddress
from apps.telephony.choices import CallDirection, CallEndReason
from apps.telephony.models import Call, PhoneNumber, Trunk
from apps.telephony.services.cdr import call_close, call_open
from apps.tenants.choices import PoolNumberStatus
from apps.tenants.models import PoolNumber, Tenant

logger = logging.getLogger(__name__)

ROUTE = "route"
UNKNOWN_NUMBER = "unknown_number"
REFUSED = "refused"
UNAVAILABLE = "unavailable"

DID_RE = re.compile(r"^\+?[0-9]{3,32}$")


@dataclass(frozen=True)
class RouteDecision:
    """What Kamailio does with the call; ``profile`` names the trunk's channel counter."""

    action: str
    tenant: str = ""
    number: int | None = None
    trunk: int | None = None
    channels: int | None = None
    profile: str = ""

    def as_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value not in (None, "")}


def _candidates(did: str) -> list[str]:
    """Carriers send a DID with or without '+': both spellings find the pool number."""
    bare = did.removeprefix("+")
    return [bare, f"+{bare}"]


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields={field: [message]})


@dataclass(frozen=True)
class _NumberRoute:
    """What the database says about one DID: everything :func:`did_route` decides from."""

    tenant_slug: str
    tenant_schema: str
    tenant_active: bool
    number_id: int | None = None
    trunk_id: int | None = None
    channels: int | None = None
    addresses: frozenset[str] = frozenset()


def _number_route(did: str) -> _NumberRoute | None:
    """Read a DID's route from the database (None: no tenant owns the number)."""
    pool = (
        PoolNumber.objects.select_related("tenant")
        .filter(number__in=_candidates(did), status=PoolNumberStatus.ASSIGNED, tenant__isnull=False)
        .first()
    )
    tenant = pool.tenant if pool is not None else None
    if pool is None or tenant is None:
        return None
    if not tenant.is_active:
        return _NumberRoute(tenant.slug, tenant.schema_name, False)
    with tenant_context(tenant):
        number = PhoneNumber.objects.select_related("trunk").filter(number=pool.number).first()
    if number is None:
        return _NumberRoute(tenant.slug, tenant.schema_name, True)
    addresses = TrunkAddress.objects.filter(tenant=tenant, trunk_id=number.trunk_id).values_list("address", flat=True)
    return _NumberRoute(
        tenant.slug,
        tenant.schema_name,
        True,
        number_id=number.pk,
        trunk_id=number.trunk_id,
        channels=number.trunk.channels,
        addresses=frozenset(filter(None, map(_address, addresses))),
    )


def _address(value: str) -> str:
    """One spelling per address (as PostgreSQL's ``inet`` equality compared them); "" if not one."""
    try:
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    except ValueError:
        return ""


def did_route(*, did: str, source: str) -> RouteDecision:
    """Route an INVITE to ``did`` that arrived from ``source`` (an IP address).

    The DID's route comes from :data:`route_cache` (see :class:`RouteCache`): no query on a hit."""
    if not DID_RE.match(did or ""):
        return RouteDecision(UNKNOWN_NUMBER)
    route = route_cache.get(did)
    if route is None:
        return RouteDecision(UNKNOWN_NUMBER)
    if not route.tenant_active:
        return RouteDecision(UNAVAILABLE)
    if route.number_id is None:
        return RouteDecision(UNKNOWN_NUMBER)
    if _address(source) not in route.addresses:
        return RouteDecision(REFUSED)
    return RouteDecision(
        ROUTE,
        tenant=route.tenant_slug,
        number=route.number_id,
        trunk=route.trunk_id,
        channels=route.channels,
        profile=f"{route.tenant_schema}:{route.trunk_id}",
    )


class RouteCache:
    """DID → :class:`_NumberRoute`, kept in the routing endpoint's process.

    Correctness first: an entry is used only while

    * the shared *route version* in Redis is the one it was read under. Every save or delete of
      what a route is made of — ``PoolNumber``, ``Tenant`` (its status), ``TrunkAddress``,
      ``PhoneNumber``, ``Trunk`` — bumps the version when its transaction commits
      (apps/sip/signals.py), which drops every process's entries at once: a suspended tenant,
      a released or reassigned number or a removed carrier address stops routing with the next
      INVITE;
    * and it is younger than :attr:`seconds` (2 s): the backstop for changes no signal sees
      (``QuerySet.update``, raw SQL, another database client) and for a version bump lost while
      Redis was down.

    The version is read *before* the database, so a change committed during a read leaves the
    entry under the old version, never a stale entry under the new one. Without Redis nothing
    is cached (one read per INVITE, as before), and neither inside a transaction (what it reads
    may still be rolled back).
    """

    version_key = "sip:route-version"
    seconds = 2.0
    max_entries = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[bytes, float, _NumberRoute | None]] = {}
        self._redis = None

    def _client(self):
        if self._redis is None:
            self._redis = redis.Redis.from_url(
                settings.CACHES["default"]["LOCATION"], socket_timeout=0.25, socket_connect_timeout=0.25
            )
        return self._redis

    def version(self) -> bytes | None:
        try:
            return self._client().get(self.version_key) or b"0"
        except redis.RedisError:
            logger.warning("sip routing: Redis unreachable; routing without the cache")
            return None

    def get(self, did: str) -> _NumberRoute | None:
        if connection.in_atomic_block:
            # Uncommitted rows (ours or a caller's transaction) must never reach other requests.
            return _number_route(did)
        key = did.removeprefix("+")
        version = self.version()
        now = time.monotonic()
        entry = self._entries.get(key)
        if version is not None and entry is not None and entry[0] == version and now - entry[1] < self.seconds:
            return entry[2]
        route = _number_route(did)
        if version is not None:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (version, now, route)
        return route

    def invalidate(self) -> None:
        """Drop every process's entries (call after the change is committed)."""
        self._entries.clear()
        try:
            self._client().incr(self.version_key)
        except redis.RedisError:
            logger.warning("sip routing: Redis unreachable; cached routes expire within %s s", self.seconds)

    def clear_local(self) -> None:
        self._entries.clear()


route_cache = RouteCache()


def call_uid(call_id: str) -> str:
    """A CDR uid from a SIP Call-ID (unbounded, any characters): stable, so a repeat is idempotent."""
    return "sip-" + hashlib.sha256(call_id.encode()).hexdigest()[:40]


def did_blocked(*, tenant: str, trunk: int, number: int, did: str, caller: str, call_id: str) -> Call:
    """Kamailio refused a call because the trunk was full: write the blocked CDR (once per Call-ID)."""
    target = Tenant.objects.filter(slug=tenant).first()
    if target is None:
        raise _invalid("tenant", _("Unknown tenant."))
    if not call_id:
        raise _invalid("call_id", _("This field is required."))
    uid = call_uid(call_id)
    with tenant_context(target), transaction.atomic():
        if not Trunk.objects.filter(pk=trunk).exists():
            raise _invalid("trunk", _("Unknown trunk."))
        if not PhoneNumber.objects.filter(pk=number, trunk_id=trunk).exists():
            raise _invalid("number", _("Unknown number on this trunk."))
        existing = Call.objects.filter(uid=uid).first()
        if existing is not None:
            return existing
        at = timezone.now()
        row = call_open(
            uid=uid,
            direction=CallDirection.INBOUND,
            caller=caller[:32],
            callee=did[:32],
            trunk=trunk,
            number=number,
            at=at,
        )
        return call_close(row, at=at, end_reason=CallEndReason.BLOCKED, blocked=True)
