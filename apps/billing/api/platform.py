"""/api/v1/platform/billing/… on the public host (platform staff only): the month's figures as
JSON/CSV/XLSX, one tenant's invoice, and the API twins of the console's Close and Issue."""

from __future__ import annotations

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing.api.serializers import invoice_data, line_data
from apps.billing.models import Invoice
from apps.billing.periods import month_last_day, parse_month
from apps.billing.selectors.invoices import (
    EXPORT_COLUMNS,
    invoice_for,
    month_state,
    platform_month,
    platform_month_lines,
)
from apps.billing.selectors.usage import month_figures
from apps.billing.services.invoices import billing_close_month, invoice_issue
from apps.billing.services.metering import usage_meter
from apps.core.api.renderers import EXPORT_RENDERER_CLASSES, ExportNegotiation
from apps.core.errors import ApplicationError
from apps.tenants.models import Tenant


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except ValueError:
        raise ApplicationError(
            "invalid", _("The request has invalid fields."), fields={"month": [_("Expected a month as YYYY-MM.")]}
        ) from None


def _tenant(slug: str) -> Tenant:
    return get_object_or_404(Tenant.objects.exclude(schema_name="public").select_related("plan"), slug=slug)


class PlatformBillingMonthView(APIView):
    """One row per tenant and invoice line of a month, in CNY: the invoice's lines once the month
    is closed, the month-to-date rating while it is open (``status``: open, unbilled, draft,
    issued). ``?format=json|csv|xlsx``."""

    permission_classes = [IsAdminUser]
    renderer_classes = EXPORT_RENDERER_CLASSES
    content_negotiation_class = ExportNegotiation  # an unknown ?format= is a 400, not a 404
    export_columns = [(key, key) for key in EXPORT_COLUMNS]
    export_sheet_title = "billing"

    @extend_schema(parameters=[OpenApiParameter("format", str, enum=["json", "csv", "xlsx"])])
    def get(self, request, month: str):
        first_day = _month(month)
        self.export_filename = f"billing-{first_day:%Y-%m}"
        return Response(platform_month_lines(month=first_day))


class PlatformBillingCloseView(APIView):
    """``POST {"tenant"?: slug}``: close the month for one tenant (an issued invoice: 409
    ``invoice_issued``) or for all (issued ones are listed under ``refused``, the rest closed)."""

    permission_classes = [IsAdminUser]

    def post(self, request, month: str):
        first_day = _month(month)
        slug = str(request.data.get("tenant", "") or "")
        if slug:
            return Response(
                {"invoices": [invoice_data(billing_close_month(tenant=_tenant(slug), month=first_day))], "refused": []}
            )
        invoices, refused = [], []
        for row in platform_month(month=first_day):
            try:
                invoices.append(invoice_data(billing_close_month(tenant=row.tenant, month=first_day)))
            except ApplicationError as error:
                if error.code != "invoice_issued":
                    raise
                refused.append({"tenant": row.tenant.slug, "code": error.code, "message": str(error.message)})
        return Response({"invoices": invoices, "refused": refused})


class PlatformBillingMeterView(APIView):
    """``POST``: read the month's usage again for every tenant now (the nightly meter, on demand):
    ``{"tenants": [{"tenant", "days", "rows"}]}``. Issued invoices do not change."""

    permission_classes = [IsAdminUser]

    def post(self, request, month: str):
        first_day = _month(month)
        results = usage_meter(
            tenants=[row.tenant for row in platform_month(month=first_day)],
            first_day=first_day,
            last_day=month_last_day(first_day),
        )
        return Response({"tenants": [{"tenant": r.tenant, "days": r.days, "rows": r.rows} for r in results]})


class PlatformBillingInvoiceView(APIView):
    """One tenant's month: its invoice with lines, or (not closed) the lines rated so far."""

    permission_classes = [IsAdminUser]

    def get(self, request, month: str, slug: str):
        first_day = _month(month)
        tenant = _tenant(slug)
        invoice = invoice_for(tenant=tenant, month=first_day)
        if invoice is not None:
            return Response(invoice_data(invoice))
        figures = month_figures(tenant=tenant, month=first_day)
        return Response(
            {
                "number": None,
                "tenant": tenant.slug,
                "month": f"{first_day:%Y-%m}",
                "status": month_state(first_day, None),
                "currency": "CNY",
                "total": str(figures.total),
                "lines": [line_data(line) for line in figures.lines],
            }
        )


class PlatformBillingIssueView(APIView):
    """``POST``: issue the month's draft invoice (no invoice: 404; already issued: 409)."""

    permission_classes = [IsAdminUser]

    def post(self, request, month: str, slug: str):
        invoice = get_object_or_404(Invoice.objects.select_related("tenant"), tenant=_tenant(slug), month=_month(month))
        return Response(invoice_data(invoice_issue(invoice=invoice, issued_by=getattr(request.user, "email", ""))))
