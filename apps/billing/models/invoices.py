"""A tenant's monthly invoice and its lines (public schema, written by services/invoices.py)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.billing.choices import InvoiceStatus, UsageItem, UsageUnit


class Invoice(models.Model):
    """One tenant's bill for one calendar month. A draft is rebuilt by every close; once issued it
    never changes (services refuse), so what the tenant downloaded stays what it owes."""

    number = models.CharField(_("number"), max_length=64, unique=True)
    tenant = models.ForeignKey(
        "tenants.Tenant", verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="invoices"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the billed month."))
    status = models.CharField(_("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    closed_at = models.DateTimeField(_("closed at"), default=timezone.now)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.CharField(_("issued by"), max_length=254, blank=True)

    class Meta:
        ordering = ["-month", "tenant"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [models.UniqueConstraint(fields=["tenant", "month"], name="billing_invoice_tenant_month_uniq")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_issued(self) -> bool:
        return self.status == InvoiceStatus.ISSUED

    @property
    def month_code(self) -> str:
        return self.month.strftime("%Y-%m")


class InvoiceLine(models.Model):
    """One rated line: quantity × unit price = amount (rounded per line, see apps/billing/rating.py)."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    item = models.CharField(_("item"), max_length=32, choices=UsageItem.choices)
    ref = models.CharField(_("reference"), max_length=64, blank=True, default="")
    description_en = models.CharField(_("description (English)"), max_length=300)
    description_zh = models.CharField(_("description (Chinese)"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=6)
    unit = models.CharField(_("unit"), max_length=16, choices=UsageUnit.choices)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=6)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["invoice", "position"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="billing_invoiceline_position_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} #{self.position} {self.item}"

    @property
    def description(self) -> str:
        return self.description_zh if (get_language() or "").startswith("zh") else self.description_en
