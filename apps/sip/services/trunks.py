"""Trunk source addresses: which carrier IPs may send a tenant's trunk its calls."""

from __future__ import annotations

import ipaddress

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from apps.audit.choices import AuditAction
from apps.audit.services import AuditTarget, audit_record_platform
from apps.core.errors import ApplicationError
from apps.sip.models import TrunkAddress
from apps.telephony.models import Trunk
from apps.tenants.models import Tenant


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields={field: [message]})


def _normalised(address: str) -> str:
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        raise _invalid("address", _("Enter an IPv4 or IPv6 address.")) from None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    if parsed.is_unspecified or parsed.is_multicast:
        raise _invalid("address", _("Enter the address of one host."))
    return str(parsed)


@transaction.atomic
def trunk_address_add(
    *, tenant: Tenant, trunk_id: int, address: str, port: int = 5060, outbound: bool = False
) -> TrunkAddress:
    """Trust ``address`` as a source of ``trunk_id``'s calls (the trunk must be this tenant's);
    with ``outbound``, the trunk's outbound calls are sent to ``address:port`` too."""
    normalised = _normalised(address)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise _invalid("port", _("Enter a port between 1 and 65535."))
    with tenant_context(tenant):
        if not Trunk.objects.filter(pk=trunk_id).exists():
            raise _invalid("trunk", _("Unknown trunk."))
    try:
        with transaction.atomic():
            row = TrunkAddress.objects.create(
                tenant=tenant, trunk_id=trunk_id, address=normalised, port=port, outbound=outbound
            )
    except IntegrityError:
        raise _invalid("address", _("This address is already set for this trunk.")) from None
    audit_record_platform(
        tenant=tenant,
        action=AuditAction.PLATFORM_TRUNK_ADDRESS_ADDED,
        target=AuditTarget("telephony.trunk", trunk_id, f"{normalised}:{port}"),
        after={"address": normalised, "port": port, "outbound": outbound},
    )
    return row


def trunk_gateways(tenant: Tenant) -> dict[int, tuple[str, int]]:
    """Trunk id → where its outbound calls go (the first outbound address of each trunk)."""
    gateways: dict[int, tuple[str, int]] = {}
    rows = TrunkAddress.objects.filter(tenant=tenant, outbound=True).order_by("trunk_id", "created_at", "id")
    for trunk_id, address, port in rows.values_list("trunk_id", "address", "port"):
        gateways.setdefault(trunk_id, (address, port))
    return gateways


@transaction.atomic
def trunk_address_remove(*, tenant: Tenant, trunk_id: int, address: str) -> None:
    deleted, _count = TrunkAddress.objects.filter(
        tenant=tenant, trunk_id=trunk_id, address=_normalised(address)
    ).delete()
    if not deleted:
        raise ApplicationError("not_found", _("This address is not set for this trunk."), status=404)
    audit_record_platform(
        tenant=tenant,
        action=AuditAction.PLATFORM_TRUNK_ADDRESS_REMOVED,
        target=AuditTarget("telephony.trunk", trunk_id, _normalised(address)),
        before={"address": _normalised(address)},
    )
