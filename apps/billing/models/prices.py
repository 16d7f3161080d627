"""The platform's price list for what a tenant's plan and trunks do not price themselves."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class PriceList(models.Model):
    """Platform-level prices, valid from ``effective_from`` until the next row's date.

    Seats are priced by the tenant's plan and trunks by the trunk (per-minute rate and monthly
    rental, apps/telephony/models/plant.py); this list prices the rest: service numbers, recording
    storage, and optionally a separate inbound per-minute rate (empty: inbound minutes cost the
    trunk's rate, like outbound ones). A month is rated with the row in force on its first day;
    with no row at all, the field defaults below apply.
    """

    effective_from = models.DateField(_("effective from"), unique=True)
    number_rental_month = models.DecimalField(
        _("number rental per month (CNY)"), max_digits=10, decimal_places=2, default=Decimal("30.00")
    )
    storage_gb_month = models.DecimalField(
        _("recording storage per GB per month (CNY)"), max_digits=10, decimal_places=2, default=Decimal("1.00")
    )
    inbound_per_minute = models.DecimalField(
        _("inbound rate per minute (CNY)"),
        max_digits=8,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Empty: inbound minutes cost the trunk's per-minute rate."),
    )

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return f"{self.effective_from}"
