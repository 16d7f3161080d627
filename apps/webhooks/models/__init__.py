from apps.webhooks.models.webhooks import WebhookDelivery, WebhookSubscription

__all__ = ["WebhookDelivery", "WebhookSubscription"]
