"""Celery tasks of the webhooks (thin: the rules are services/deliveries.py's).

``webhooks.deliver`` makes one attempt of one delivery (queued after the commit that created
it, and by the sweep for retries); ``webhooks.deliveries_due`` (beat, every minute) sends each
active tenant's ``webhooks.deliveries_due_tenant`` from inside its schema (tenant-schemas-celery
carries it), which queues an attempt for every delivery whose time has come. An attempt claims
its delivery first, so a delivery queued twice is sent once.
"""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import tenant_context

from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant
from apps.webhooks.services.deliveries import deliveries_due, delivery_attempt


@shared_task(name="webhooks.deliver", acks_late=True)
def webhook_deliver_task(delivery_id: int) -> str | None:
    """One attempt of a delivery; returns its status afterwards (None: nothing was due)."""
    delivery = delivery_attempt(delivery_id=delivery_id)
    return None if delivery is None else delivery.status


@shared_task(name="webhooks.deliveries_due")
def webhook_deliveries_due_task() -> dict[str, int]:
    sent = 0
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        with tenant_context(tenant):
            webhook_deliveries_due_tenant_task.delay()
        sent += 1
    return {"tenants": sent}


@shared_task(name="webhooks.deliveries_due_tenant")
def webhook_deliveries_due_tenant_task() -> dict[str, int]:
    """Queue an attempt of each of the current tenant's due deliveries."""
    due = deliveries_due()
    for pk in due:
        webhook_deliver_task.delay(pk)
    return {"queued": len(due)}
