"""The administrators' webhook pages under /webhooks/ (config/urls_tenant.py), namespace "webhooks"."""

from django.urls import path

from apps.webhooks.views import webhooks

app_name = "webhooks"

urlpatterns = [
    path("", webhooks.webhooks, name="list"),
    path("new/", webhooks.webhook_new, name="new"),
    path("integration-secret/", webhooks.integration_rotate, name="integration_rotate"),
    path("<int:pk>/", webhooks.webhook_detail, name="detail"),
    path("<int:pk>/test/", webhooks.webhook_test, name="test"),
    path("<int:pk>/toggle/", webhooks.webhook_toggle, name="toggle"),
    path("<int:pk>/rotate/", webhooks.webhook_rotate, name="rotate"),
    path("<int:pk>/delete/", webhooks.webhook_delete, name="delete"),
    path("<int:pk>/deliveries/<int:delivery_id>/replay/", webhooks.delivery_replay_view, name="replay"),
]
