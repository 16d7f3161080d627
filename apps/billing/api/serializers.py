"""Plain JSON shapes of invoices and rated lines (decimals as strings, amounts in CNY)."""

from __future__ import annotations

from typing import Any

from apps.billing.models import Invoice, InvoiceLine
from apps.billing.rating import RatedLine, decimal_text


def line_data(line: InvoiceLine | RatedLine) -> dict[str, Any]:
    return {
        "item": line.item,
        "ref": line.ref,
        "description_en": line.description_en,
        "description_zh": line.description_zh,
        "quantity": decimal_text(line.quantity),
        "unit": str(line.unit),
        "unit_price": decimal_text(line.unit_price),
        "amount": str(line.amount),
    }


def invoice_data(invoice: Invoice, *, lines: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": invoice.number,
        "tenant": invoice.tenant.slug,
        "month": invoice.month_code,
        "status": invoice.status,
        "currency": invoice.currency,
        "total": str(invoice.total),
        "closed_at": invoice.closed_at.isoformat(),
        "issued_at": invoice.issued_at.isoformat() if invoice.issued_at else None,
    }
    if lines:
        data["lines"] = [line_data(line) for line in invoice.lines.order_by("position")]
    return data
