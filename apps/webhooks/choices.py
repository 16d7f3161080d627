"""Choices of the webhooks app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting for its next attempt (next_attempt_at)
    DELIVERED = "delivered", _("Delivered")  # the receiver answered 2xx
    FAILED = "failed", _("Failed")  # every attempt failed, or the destination was refused
    CANCELLED = "cancelled", _("Cancelled")  # the subscription was disabled or deleted before it left


class DisabledReason(models.TextChoices):
    NONE = "", _("Enabled")
    ADMIN = "admin", _("Disabled by an administrator")
    FAILURES = "failures", _("Disabled after repeated failures")
