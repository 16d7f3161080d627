"""The demo tenant's webhook (called by ``ensure_demo``; idempotent and fast).

One webhook to a receiver on this machine (``manage.py webhook_receiver --tenant demo``, port
9009) for calls that end and tickets that are created, **disabled**: while no receiver runs, an
enabled one would only pile up failed deliveries (and disable itself after a few hours). Start
the receiver, press *Enable* on /webhooks/, and every demo call and new ticket arrives signed.

Written directly rather than through ``subscription_create``: the address is a loopback one,
which only the development settings allow, and seeding must not depend on settings.
"""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from apps.webhooks.choices import DisabledReason
from apps.webhooks.models import WebhookSubscription
from apps.webhooks.secret_box import secret_encrypt, secret_generate

DEMO_PORT = 9009
DEMO_URL = f"http://127.0.0.1:{DEMO_PORT}/webhooks/demo"
DEMO_EVENTS = ["call.ended", "ticket.created"]


def webhooks_demo_ensure(tenant_schema: str) -> int:
    """The demo webhook's id (made the first time)."""
    with schema_context(tenant_schema):
        existing = WebhookSubscription.objects.filter(url=DEMO_URL).values_list("pk", flat=True).first()
        if existing is not None:
            return existing
        secret = secret_generate()
        now = timezone.now()
        return WebhookSubscription.objects.create(
            url=DEMO_URL,
            events=DEMO_EVENTS,
            description="Demo receiver: manage.py webhook_receiver --tenant demo, then Enable",
            secret_encrypted=secret_encrypt(secret),
            secret_hint=secret[-4:],
            is_active=False,
            disabled_reason=DisabledReason.ADMIN,
            disabled_at=now,
        ).pk
