"""The monthly close and issuing of invoices.

``billing_close_month`` is idempotent: it meters the month's days not read yet, rates the month
and writes the tenant's draft invoice for it, replacing the draft's lines. The same usage and
prices give the same invoice (same number, same lines, same total), so a close can be re-run
after a late correction or a failed run. Once issued (a separate, deliberate action) an invoice
never changes: a close of its month is refused with ``invoice_issued``.

Lock order: the tenant row, then the invoice row.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import AuditTarget, audit_record_platform
from apps.billing.choices import InvoiceStatus
from apps.billing.models import Invoice, InvoiceLine
from apps.billing.periods import month_is_over, month_last_day, next_month
from apps.billing.selectors.usage import month_figures
from apps.billing.services.metering import usage_meter_missing
from apps.core.errors import ApplicationError
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant

CURRENCY = "CNY"


def invoice_number(*, tenant: Tenant, month: date) -> str:
    """Stable per tenant and month, so a re-close keeps the number: INV-202611-ACME."""
    return f"INV-{month:%Y%m}-{tenant.slug.upper()}"


def _refuse_issued(invoice: Invoice) -> None:
    raise ApplicationError(
        "invoice_issued",
        _("Invoice %(number)s was issued on %(when)s and can no longer change.")
        % {"number": invoice.number, "when": timezone.localtime(invoice.issued_at).strftime("%Y-%m-%d %H:%M")},
        status=409,
    )


def billing_close_month(*, tenant: Tenant, month: date) -> Invoice:
    """Meter, rate and write ``tenant``'s draft invoice for ``month`` (a month already over)."""
    month = month.replace(day=1)
    if not month_is_over(month):
        raise ApplicationError(
            "billing_month_open",
            _("%(month)s is not over yet: its month-to-date figures are shown, and it can be closed from %(day)s.")
            % {"month": f"{month:%Y-%m}", "day": f"{next_month(month):%Y-%m-%d}"},
        )
    existing = Invoice.objects.filter(tenant=tenant, month=month).first()
    if existing is not None and existing.is_issued:
        _refuse_issued(existing)
    usage_meter_missing(tenant=tenant, first_day=month, last_day=month_last_day(month))
    figures = month_figures(tenant=tenant, month=month)
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        invoice, _created = Invoice.objects.select_for_update().get_or_create(
            tenant=tenant,
            month=month,
            defaults={"number": invoice_number(tenant=tenant, month=month), "currency": CURRENCY},
        )
        if invoice.is_issued:  # issued by someone else while we metered
            _refuse_issued(invoice)
        invoice.lines.all().delete()
        InvoiceLine.objects.bulk_create(
            [
                InvoiceLine(
                    invoice=invoice,
                    position=position,
                    item=line.item,
                    ref=line.ref,
                    description_en=line.description_en,
                    description_zh=line.description_zh,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                    amount=line.amount,
                )
                for position, line in enumerate(figures.lines, start=1)
            ]
        )
        invoice.total = figures.total
        invoice.closed_at = timezone.now()
        invoice.save(update_fields=["total", "closed_at"])
    return invoice


def invoice_issue(*, invoice: Invoice, issued_by: str) -> Invoice:
    """Lock a draft for good: from now on the tenant sees it and no close changes it."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("tenant").get(pk=invoice.pk)
        if locked.is_issued:
            _refuse_issued(locked)
        locked.status = InvoiceStatus.ISSUED
        locked.issued_at = timezone.now()
        locked.issued_by = issued_by
        locked.save(update_fields=["status", "issued_at", "issued_by"])
        if locked.tenant.status != TenantStatus.DELETED:  # a deleted tenant's log went with its schema
            # In the tenant's own log: its administrators see what they were billed, and by whom.
            audit_record_platform(
                tenant=locked.tenant,
                action=AuditAction.PLATFORM_INVOICE_ISSUED,
                target=AuditTarget("billing.invoice", locked.pk, locked.number),
                after={"number": locked.number, "month": locked.month_code, "total": str(locked.total)},
                extra={"issued_by": issued_by},
            )
    return locked
