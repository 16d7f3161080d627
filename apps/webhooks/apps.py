from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # The core announces business events through apps/core/domain_events.py without knowing
        # this app; here we start listening (the listener writes delivery rows in the caller's
        # transaction and queues the sending after the commit).
        from apps.core.domain_events import register_domain_event_listener  # noqa: PLC0415 -- models are ready only here
        from apps.webhooks.services.events import webhook_event_listener  # noqa: PLC0415

        register_domain_event_listener(webhook_event_listener)
