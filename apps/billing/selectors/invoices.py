"""Reads of invoices and the platform's month overview (one row per tenant, one per tenant and item)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from apps.billing.choices import InvoiceStatus, UsageUnit
from apps.billing.models import Invoice
from apps.billing.periods import month_is_over
from apps.billing.rating import decimal_text
from apps.billing.selectors.usage import billed_tenants, month_figures
from apps.tenants.models import Tenant

# The API and export columns, in order (GET /api/v1/platform/billing/{YYYY-MM}).
EXPORT_COLUMNS = [
    "month",
    "tenant",
    "tenant_name",
    "status",
    "invoice",
    "item",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "currency",
]


@dataclass(frozen=True)
class TenantMonth:
    """One tenant's line on the platform's billing page."""

    tenant: Tenant
    invoice: Invoice | None
    total: Decimal
    # "open" (month not over), "unbilled" (over, no invoice yet), "draft", "issued".
    state: str


def invoice_for(*, tenant: Tenant, month: date) -> Invoice | None:
    return Invoice.objects.filter(tenant=tenant, month=month).prefetch_related("lines").first()


def tenant_invoices(*, tenant: Tenant, issued_only: bool = True) -> list[Invoice]:
    invoices = Invoice.objects.filter(tenant=tenant)
    if issued_only:
        invoices = invoices.filter(status=InvoiceStatus.ISSUED)
    return list(invoices.order_by("-month"))


def month_state(month: date, invoice: Invoice | None) -> str:
    """open (month not over), unbilled (over, no invoice), draft or issued."""
    if invoice is not None:
        return str(invoice.status)
    return "unbilled" if month_is_over(month) else "open"


def platform_month(*, month: date) -> list[TenantMonth]:
    """Every tenant's figure for ``month``: its invoice's total once closed, else rated from the meter."""
    invoices = {invoice.tenant_id: invoice for invoice in Invoice.objects.filter(month=month)}
    rows = []
    for tenant in billed_tenants(month=month):
        invoice = invoices.get(tenant.pk)
        total = invoice.total if invoice is not None else month_figures(tenant=tenant, month=month).total
        rows.append(TenantMonth(tenant=tenant, invoice=invoice, total=total, state=month_state(month, invoice)))
    return rows


def platform_month_lines(*, month: date) -> list[dict[str, Any]]:
    """One row per tenant and line: the invoice's lines once closed, else the month-to-date rating."""
    invoices = {invoice.tenant_id: invoice for invoice in Invoice.objects.filter(month=month).prefetch_related("lines")}
    rows: list[dict[str, Any]] = []
    for tenant in billed_tenants(month=month):
        invoice = invoices.get(tenant.pk)
        lines = list(invoice.lines.all()) if invoice is not None else month_figures(tenant=tenant, month=month).lines
        for line in lines:
            rows.append(
                {
                    "month": f"{month:%Y-%m}",
                    "tenant": tenant.slug,
                    "tenant_name": tenant.name,
                    "status": month_state(month, invoice),
                    "invoice": invoice.number if invoice is not None else "",
                    "item": line.item,
                    "description": line.description_en,
                    "quantity": decimal_text(line.quantity),
                    "unit": UsageUnit(line.unit).value,
                    "unit_price": decimal_text(line.unit_price),
                    "amount": str(line.amount),
                    "currency": invoice.currency if invoice is not None else "CNY",
                }
            )
    return rows
