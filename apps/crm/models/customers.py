"""Customers: enough for screen pop, VIP priority and the interaction history."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    """A person or company that calls in; found by any of its phone numbers (ANI)."""

    name = models.CharField(_("name"), max_length=200)
    phones = ArrayField(models.CharField(max_length=32), verbose_name=_("phone numbers"), default=list, blank=True)
    is_vip = models.BooleanField(_("VIP"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [GinIndex(fields=["phones"], name="customer_phones_gin")]

    def __str__(self) -> str:
        return self.name
