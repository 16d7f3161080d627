"""Platform console: the carrier addresses of tenants' trunks (public host, platform staff only).

Carrier addresses are platform business, not a tenant's: an address trusted here lets that
carrier inject calls for the tenant's numbers, and the outbound address is where the tenant's
calls (and their cost) go. Hence the console, not the tenant's own admin pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.sip.models import TrunkAddress
from apps.sip.services import trunk_address_add, trunk_address_remove
from apps.telephony.models import Trunk
from apps.tenants.models import Tenant
from apps.tenants.views.platform import staff_required


def _error_text(error: ApplicationError) -> str:
    detail = "; ".join(str(m) for found in (error.fields or {}).values() for m in found)
    return f"{error.message} {detail}".strip()


@staff_required
def trunk_addresses(request: HttpRequest) -> HttpResponse:
    addresses = list(TrunkAddress.objects.select_related("tenant").order_by("tenant__slug", "trunk_id", "address"))
    trunks: dict[tuple[int, int], str] = {}
    for tenant in {address.tenant for address in addresses}:
        with tenant_context(tenant):
            for pk, name in Trunk.objects.values_list("pk", "name"):
                trunks[(tenant.pk, pk)] = name
    # The trunk's name lives in the tenant's schema, the address in public: shown side by side.
    rows = [(address, trunks.get((address.tenant_id, address.trunk_id), "?")) for address in addresses]
    tenants = Tenant.objects.exclude(schema_name="public").order_by("slug").values_list("slug", flat=True)
    return render(request, "sip/platform_trunks.html", {"rows": rows, "tenants": tenants[:1000]})


def _trunk_id(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


@require_POST
@staff_required
def trunk_address_create(request: HttpRequest) -> HttpResponse:
    tenant = Tenant.objects.exclude(schema_name="public").filter(slug=request.POST.get("tenant", "")).first()
    trunk_id = _trunk_id(request.POST.get("trunk", ""))
    port = _trunk_id(request.POST.get("port", "") or "5060")
    if tenant is None:
        messages.error(request, _("Unknown tenant."))
    elif trunk_id is None:
        messages.error(request, _("Enter the trunk's number (its id)."))
    else:
        try:
            row = trunk_address_add(
                tenant=tenant,
                trunk_id=trunk_id,
                address=request.POST.get("address", ""),
                port=port if port is not None else 0,
                outbound=request.POST.get("outbound") == "on",
            )
        except ApplicationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                _("%(address)s added to trunk %(trunk)s of %(slug)s.")
                % {"address": f"{row.address}:{row.port}", "trunk": trunk_id, "slug": tenant.slug},
            )
    return redirect("platform:trunk_addresses")


@require_POST
@staff_required
def trunk_address_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(TrunkAddress.objects.select_related("tenant"), pk=pk)
    try:
        trunk_address_remove(tenant=row.tenant, trunk_id=row.trunk_id, address=row.address)
    except ApplicationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("%(address)s removed.") % {"address": row.address})
    return redirect("platform:trunk_addresses")
