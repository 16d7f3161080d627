"""Webhook subscriptions and their deliveries (docs/webhooks.md).

A subscription is a URL, the event types it wants and its signing secret. The secret must be
readable to sign every delivery, so it cannot be hashed like an API token: it is stored
encrypted (Fernet, a key derived from ``WEBHOOK_SECRET_KEY``, else ``SECRET_KEY``;
apps/webhooks/secret_box.py) and shown in clear exactly once, when it is made.

A delivery is one event for one subscription: the body it sends (``payload``: ``{"id",
"type", "created_at", "data"}``, the same event id for every subscription and for replays),
its state and the outcome of its last attempt. A replay is a new delivery of the same body
(``replay_of``), so the log keeps what really happened.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.webhooks.choices import DeliveryStatus, DisabledReason


class WebhookSubscription(models.Model):
    """An integrator's endpoint and the event types it receives, signed with its own secret."""

    url = models.URLField(_("URL"), max_length=2000)
    events = ArrayField(models.CharField(max_length=64), verbose_name=_("events"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret_encrypted = models.TextField(_("secret (encrypted)"))
    secret_hint = models.CharField(_("secret ends with"), max_length=8)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(
        _("disabled because"), max_length=16, choices=DisabledReason.choices, blank=True, default=""
    )
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("deliveries failed in a row"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["pk"]
        indexes = [models.Index(fields=["is_active"], name="webhooks_sub_active")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one subscription, with its attempts' outcome."""

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4)
    event_type = models.CharField(_("event type"), max_length=64)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_body = models.TextField(_("response (start)"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self", verbose_name=_("replay of"), null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhooks_delivery_log"),
            models.Index(
                fields=["next_attempt_at"],
                name="webhooks_delivery_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id}"


class IntegrationSecret(models.Model):
    """The tenant's secret for requests the product itself makes to the customer's systems (the
    IVR's http node, docs/ivr.md): one row, made on first use, encrypted like subscription
    secrets; rotating it replaces the row's secret."""

    secret_encrypted = models.TextField(_("secret (encrypted)"))
    secret_hint = models.CharField(_("secret ends with"), max_length=8)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    rotated_at = models.DateTimeField(_("rotated"), null=True, blank=True)

    class Meta:
        verbose_name = _("integration secret")
        verbose_name_plural = _("integration secrets")

    def __str__(self) -> str:
        return f"…{self.secret_hint}"
