"""The tenant's integration secret: what signs the IVR http node's requests (docs/ivr.md).

Same scheme as webhook deliveries (``X-CC-Signature``, apps/webhooks/signing.py), a separate
secret: one per tenant, made on first use, encrypted at rest (apps/webhooks/secret_box.py).
Call inside the tenant's schema.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.webhooks.models import IntegrationSecret
from apps.webhooks.secret_box import secret_decrypt, secret_encrypt, secret_generate


def _store(row: IntegrationSecret | None, secret: str) -> IntegrationSecret:
    if row is None:
        row = IntegrationSecret()
    else:
        row.rotated_at = timezone.now()
    row.secret_encrypted = secret_encrypt(secret)
    row.secret_hint = secret[-4:]
    row.save()
    return row


@transaction.atomic
def integration_secret() -> str:
    """The secret in clear (made now when the tenant has none)."""
    row = IntegrationSecret.objects.select_for_update().order_by("pk").first()
    if row is None:
        secret = secret_generate()
        _store(None, secret)
        return secret
    return secret_decrypt(row.secret_encrypted)


@transaction.atomic
def integration_secret_rotate() -> str:
    """A new secret (returned in clear once more); the old one stops signing at the engine's next
    read (at most a minute later)."""
    row = IntegrationSecret.objects.select_for_update().order_by("pk").first()
    secret = secret_generate()
    _store(row, secret)
    return secret


def integration_secret_hint() -> str | None:
    row = IntegrationSecret.objects.order_by("pk").first()
    return row.secret_hint if row is not None else None


def integration_secret_set(secret: str) -> None:
    """Store a given secret (the demo's endpoint and tests share one they know)."""
    with transaction.atomic():
        row = IntegrationSecret.objects.select_for_update().order_by("pk").first()
        _store(row, secret)
