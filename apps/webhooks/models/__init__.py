from apps.webhooks.models.webhooks import IntegrationSecret, WebhookDelivery, WebhookSubscription

__all__ = ["IntegrationSecret", "WebhookDelivery", "WebhookSubscription"]
