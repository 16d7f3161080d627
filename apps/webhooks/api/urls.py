"""Webhook routes under /api/v1/ (config/api_tenant.py)."""

from django.urls import path

from apps.webhooks.api import webhooks

urlpatterns: list = [
    path("webhooks", webhooks.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/event-types", webhooks.WebhookEventTypesView.as_view(), name="webhook-event-types"),
    path("webhooks/<int:pk>", webhooks.WebhookDetailView.as_view(), name="webhook"),
    path("webhooks/<int:pk>/rotate-secret", webhooks.WebhookRotateSecretView.as_view(), name="webhook-rotate-secret"),
    path("webhooks/<int:pk>/test", webhooks.WebhookTestView.as_view(), name="webhook-test"),
    path("webhooks/<int:pk>/deliveries", webhooks.WebhookDeliveryListView.as_view(), name="webhook-deliveries"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>",
        webhooks.WebhookDeliveryDetailView.as_view(),
        name="webhook-delivery",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>/replay",
        webhooks.WebhookDeliveryReplayView.as_view(),
        name="webhook-delivery-replay",
    ),
]
