"""The platform console's billing pages (public host, platform staff only)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from apps.billing.documents import LANGUAGES, invoice_pdf, invoice_pdf_filename
from apps.billing.models import Invoice
from apps.billing.periods import (
    billing_today,
    month_is_over,
    month_last_day,
    next_month,
    parse_month,
    previous_month,
)
from apps.billing.selectors.invoices import invoice_for, platform_month
from apps.billing.selectors.usage import month_figures
from apps.billing.services.invoices import billing_close_month, invoice_issue
from apps.billing.services.metering import usage_meter
from apps.core.errors import ApplicationError
from apps.tenants.models import Tenant
from apps.tenants.views.platform import staff_required


def _month_or_404(text: str) -> date:
    try:
        return parse_month(text)
    except ValueError:
        raise Http404 from None


def _tenant(slug: str) -> Tenant:
    return get_object_or_404(Tenant.objects.exclude(schema_name="public").select_related("plan"), slug=slug)


@require_GET
@staff_required
def billing_month(request: HttpRequest) -> HttpResponse:
    """One row per tenant for the month picked (default: last month, the one to close)."""
    default = previous_month(billing_today().replace(day=1))
    month_error = ""
    try:
        month = parse_month(request.GET["month"]) if request.GET.get("month") else default
    except ValueError:
        month, month_error = default, _("Pick a month as YYYY-MM.")
    rows = platform_month(month=month)
    context = {
        "month": month,
        "month_code": f"{month:%Y-%m}",
        "month_error": month_error,
        "previous_code": f"{previous_month(month):%Y-%m}",
        "next_code": f"{next_month(month):%Y-%m}",
        "month_over": month_is_over(month),
        "rows": rows,
        "grand_total": sum((row.total for row in rows), start=0),
        "drafts": sum(1 for row in rows if row.state == "draft"),
    }
    return render(request, "billing/platform_month.html", context)


def _back(month: date, slug: str = "") -> HttpResponseBase:
    if slug:
        return redirect("platform:billing_invoice", month=f"{month:%Y-%m}", slug=slug)
    return redirect(f"{reverse('platform:billing')}?month={month:%Y-%m}")


@require_POST
@staff_required
def billing_close(request: HttpRequest, month: str) -> HttpResponseBase:
    """Close the month for one tenant (``slug`` posted) or for every tenant (none posted)."""
    first_day = _month_or_404(month)
    slug = request.POST.get("slug", "")
    tenants = [_tenant(slug)] if slug else [row.tenant for row in platform_month(month=first_day)]
    closed = 0
    for tenant in tenants:
        try:
            billing_close_month(tenant=tenant, month=first_day)
            closed += 1
        except ApplicationError as error:
            messages.error(request, f"{tenant.name}: {error.message}")
            if error.code == "billing_month_open":
                break
    if closed:
        messages.success(
            request,
            ngettext(
                "%(count)d draft invoice written for %(month)s.",
                "%(count)d draft invoices written for %(month)s.",
                closed,
            )
            % {"count": closed, "month": month},
        )
    return _back(first_day, slug if request.POST.get("back") == "invoice" else "")


@require_POST
@staff_required
def billing_meter(request: HttpRequest, month: str) -> HttpResponseBase:
    """Re-read the month's usage for every tenant now (the nightly meter, on demand)."""
    first_day = _month_or_404(month)
    results = usage_meter(
        tenants=[row.tenant for row in platform_month(month=first_day)],
        first_day=first_day,
        last_day=month_last_day(first_day),
    )
    messages.success(
        request,
        ngettext(
            "Usage of %(month)s read again for %(tenants)d tenant.",
            "Usage of %(month)s read again for %(tenants)d tenants.",
            len(results),
        )
        % {"month": month, "tenants": len(results)},
    )
    return _back(first_day)


@require_POST
@staff_required
def billing_issue(request: HttpRequest, month: str, slug: str) -> HttpResponseBase:
    first_day = _month_or_404(month)
    invoice = get_object_or_404(Invoice, tenant=_tenant(slug), month=first_day)
    try:
        invoice = invoice_issue(invoice=invoice, issued_by=getattr(request.user, "email", ""))
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("Invoice %(number)s is issued: the tenant can see and download it.") % {"number": invoice.number}
        )
    return _back(first_day, slug if request.POST.get("back") == "invoice" else "")


@require_GET
@staff_required
def invoice_detail(request: HttpRequest, month: str, slug: str) -> HttpResponse:
    """The invoice's lines once closed; before that, the lines rated from the meter so far."""
    first_day = _month_or_404(month)
    tenant = _tenant(slug)
    invoice = invoice_for(tenant=tenant, month=first_day)
    figures = None if invoice is not None else month_figures(tenant=tenant, month=first_day)
    context = {
        "tenant": tenant,
        "month": first_day,
        "month_code": f"{first_day:%Y-%m}",
        "month_over": month_is_over(first_day),
        "invoice": invoice,
        "lines": list(invoice.lines.all()) if invoice is not None else figures.lines if figures else [],
        "figures": figures,
        "languages": list(LANGUAGES),
    }
    return render(request, "billing/platform_invoice.html", context)


@require_GET
@staff_required
def invoice_download(request: HttpRequest, month: str, slug: str, language: str) -> HttpResponse:
    if language not in LANGUAGES:
        raise Http404
    invoice = get_object_or_404(
        Invoice.objects.select_related("tenant"), tenant=_tenant(slug), month=_month_or_404(month)
    )
    return pdf_response(invoice=invoice, language=language)


def pdf_response(*, invoice: Invoice, language: str) -> HttpResponse:
    response = HttpResponse(invoice_pdf(invoice=invoice, language=language), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{invoice_pdf_filename(invoice=invoice, language=language)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
