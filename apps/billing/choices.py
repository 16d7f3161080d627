from django.db import models
from django.utils.translation import gettext_lazy as _


class UsageItem(models.TextChoices):
    """What the meter counts per tenant and day (one row per item and reference)."""

    SEAT_DAYS = "seat_days", _("Seats")
    MINUTES_INBOUND = "minutes_inbound", _("Inbound minutes")
    MINUTES_OUTBOUND = "minutes_outbound", _("Outbound minutes")
    TRUNK_DAYS = "trunk_days", _("Trunk rental")
    NUMBER_DAYS = "number_days", _("Number rental")
    STORAGE_GB_DAYS = "storage_gb_days", _("Recording storage")


class UsageUnit(models.TextChoices):
    SEAT_DAY = "seat_day", _("seat-day")
    MINUTE = "minute", _("minute")
    TRUNK_DAY = "trunk_day", _("trunk-day")
    NUMBER_DAY = "number_day", _("number-day")
    GB_DAY = "gb_day", _("GB-day")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
