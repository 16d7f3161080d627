"""The invoice PDF, in Chinese or English, through the report framework's renderer (apps/reports/pdf.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.billing.choices import UsageUnit
from apps.billing.models import Invoice
from apps.billing.periods import billing_zone, month_last_day
from apps.billing.rating import decimal_text
from apps.reports.pdf import render_pdf

LANGUAGES = {"zh": "zh-hans", "en": "en"}
TEMPLATE = "billing/invoice_pdf.html"


@dataclass(frozen=True)
class PrintedLine:
    position: int
    description: str
    quantity_text: str
    unit_label: str
    unit_price_text: str
    amount: Decimal


def invoice_pdf(*, invoice: Invoice, language: str) -> bytes:
    """``language``: "zh" or "en" (the keys of LANGUAGES). The header names the billed tenant and
    the platform's billing time zone, not whichever tenant the request runs in."""
    with translation.override(LANGUAGES[language]):
        zone = billing_zone()
        lines = [
            PrintedLine(
                position=line.position,
                description=line.description,
                quantity_text=decimal_text(line.quantity),
                unit_label=str(UsageUnit(line.unit).label),
                unit_price_text=decimal_text(line.unit_price),
                amount=line.amount,
            )
            for line in invoice.lines.order_by("position")
        ]
        context = {
            "document_title": _("Invoice %(number)s") % {"number": invoice.number},
            "tenant_name": invoice.tenant.name,
            "tenant_time_zone": str(zone),
            "generated_at": timezone.now().astimezone(zone),
            "invoice": invoice,
            "issued_at": invoice.issued_at.astimezone(zone) if invoice.issued_at else None,
            "period_first": invoice.month,
            "period_last": month_last_day(invoice.month),
            "lines": lines,
        }
        return render_pdf(TEMPLATE, context)


def invoice_pdf_filename(*, invoice: Invoice, language: str) -> str:
    return f"{invoice.number}-{language}.pdf"
