"""The tenant's own billing page: month-to-date usage and its issued invoices (tenant host)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.billing.choices import InvoiceStatus
from apps.billing.documents import LANGUAGES
from apps.billing.models import Invoice
from apps.billing.periods import billing_today
from apps.billing.selectors.invoices import tenant_invoices
from apps.billing.selectors.usage import month_figures
from apps.billing.views.platform import pdf_response
from apps.tenants.models import Tenant


def _this_tenant(request: HttpRequest) -> Tenant:
    """The tenant of the host the request came on (never a parameter: one tenant sees only itself)."""
    host_tenant = request.tenant  # type: ignore[attr-defined]  # set by TenantMainMiddleware
    return Tenant.objects.select_related("plan").get(pk=host_tenant.pk)


@require_GET
@role_required(Role.TENANT_ADMIN, Role.BILLING)
def billing(request: HttpRequest) -> HttpResponse:
    tenant = _this_tenant(request)
    figures = month_figures(tenant=tenant, month=billing_today().replace(day=1))
    context = {
        "tenant": tenant,
        "figures": figures,
        "invoices": tenant_invoices(tenant=tenant, issued_only=True),
        "languages": list(LANGUAGES),
    }
    return render(request, "billing/tenant_billing.html", context)


@require_GET
@role_required(Role.TENANT_ADMIN, Role.BILLING)
def invoice_download(request: HttpRequest, number: str, language: str) -> HttpResponse:
    """An issued invoice of this tenant only; a draft or another tenant's number is a 404."""
    if language not in LANGUAGES:
        raise Http404
    invoice = get_object_or_404(
        Invoice.objects.select_related("tenant"),
        tenant_id=_this_tenant(request).pk,
        number=number,
        status=InvoiceStatus.ISSUED,
    )
    return pdf_response(invoice=invoice, language=language)
