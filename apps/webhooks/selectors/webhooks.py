"""Reads of the webhooks shared by the API and the pages."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.webhooks.models import WebhookDelivery, WebhookSubscription

DELIVERY_LOG_LIMIT = 200


def subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("pk")


def subscription_get(pk: int) -> WebhookSubscription | None:
    return WebhookSubscription.objects.filter(pk=pk).first()


def delivery_list(subscription: WebhookSubscription, *, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """The subscription's deliveries, newest first."""
    rows = WebhookDelivery.objects.filter(subscription=subscription)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-pk")


def delivery_get(subscription: WebhookSubscription, pk: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.filter(subscription=subscription, pk=pk).first()
