"""What the meter recorded: one row per tenant, billing day, item and reference (a trunk).

Rows are written only by apps/billing/services/metering.py, which replaces a tenant's rows of a
day in one transaction, so metering the same day twice gives the same rows (idempotent).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.billing.choices import UsageItem


class UsageDay(models.Model):
    """A metered quantity: seat-days, billable minutes per trunk and direction, trunk-days held,
    numbers held, recording storage in GB held that day.

    ``rate`` is the trunk's price when it was metered (per minute for minutes, per month for a
    trunk-day), so that rating never reads a tenant's schema and a trunk deleted later is still
    charged what it cost that day. It is empty for items priced by the plan or the price list.
    """

    tenant = models.ForeignKey(
        "tenants.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="billing_usage"
    )
    day = models.DateField(_("day"))
    item = models.CharField(_("item"), max_length=32, choices=UsageItem.choices)
    ref = models.CharField(_("reference"), max_length=64, blank=True, default="")
    ref_label = models.CharField(_("reference name"), max_length=200, blank=True, default="")
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=6)
    rate = models.DecimalField(_("rate (CNY)"), max_digits=12, decimal_places=4, null=True, blank=True)
    metered_at = models.DateTimeField(_("metered at"), default=timezone.now)

    class Meta:
        ordering = ["tenant", "day", "item", "ref"]
        verbose_name = _("usage day")
        verbose_name_plural = _("usage days")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day", "item", "ref"], name="billing_usageday_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.day} {self.item} {self.ref} {self.quantity}"


class MeteredDay(models.Model):
    """A day the meter has read for a tenant: the monthly close meters only the days missing here,
    so a past day keeps the figures it had when it was read (retention may delete its
    recordings or calls later)."""

    tenant = models.ForeignKey(
        "tenants.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="billing_metered_days"
    )
    day = models.DateField(_("day"))
    metered_at = models.DateTimeField(_("metered at"), default=timezone.now)

    class Meta:
        ordering = ["tenant", "day"]
        verbose_name = _("metered day")
        verbose_name_plural = _("metered days")
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="billing_metered_day_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.day}"
