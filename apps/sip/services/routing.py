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
import re
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.sip.models import TrunkAddress
from apps.telephony.choices import CallDirection, CallEndReason
from apps.telephony.models import Call, PhoneNumber, Trunk
from apps.tenants.choices import PoolNumberStatus
from apps.tenants.models import PoolNumber, Tenant

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


def did_route(*, did: str, source: str) -> RouteDecision:
    """Route an INVITE to ``did`` that arrived from ``source`` (an IP address)."""
    if not DID_RE.match(did or ""):
        return RouteDecision(UNKNOWN_NUMBER)
    pool = (
        PoolNumber.objects.select_related("tenant")
        .filter(number__in=_candidates(did), status=PoolNumberStatus.ASSIGNED, tenant__isnull=False)
        .first()
    )
    if pool is None:
        return RouteDecision(UNKNOWN_NUMBER)
    tenant = pool.tenant
    if not tenant.is_active:
        return RouteDecision(UNAVAILABLE)
    with tenant_context(tenant):
        number = PhoneNumber.objects.select_related("trunk").filter(number=pool.number).first()
    if number is None:
        return RouteDecision(UNKNOWN_NUMBER)
    if not TrunkAddress.objects.filter(tenant=tenant, trunk_id=number.trunk_id, address=source).exists():
        return RouteDecision(REFUSED)
    return RouteDecision(
        ROUTE,
        tenant=tenant.slug,
        number=number.pk,
        trunk=number.trunk_id,
        channels=number.trunk.channels,
        profile=f"{tenant.schema_name}:{number.trunk_id}",
    )


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
        from apps.telephony.services.cdr import call_close, call_open

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
