"""Workforce's periodic work (beat: ``workforce-discipline-due``, daily).

The beat task fans out one task per active tenant (tenant-schemas-celery carries the schema),
each applying the discipline thresholds to that tenant's people. Idempotent: a flag is made
only for evidence newer than the person's last flag for that rule.
"""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import tenant_context

from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant
from apps.workforce.services.discipline import discipline_check_all


@shared_task(name="workforce.discipline_due")
def discipline_due_task() -> dict[str, int]:
    sent = 0
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        with tenant_context(tenant):
            discipline_tenant_task.delay()
        sent += 1
    return {"tenants": sent}


@shared_task(name="workforce.discipline_tenant")
def discipline_tenant_task() -> dict[str, int]:
    """Flag the current tenant's people who reached a discipline threshold."""
    return {"flags": discipline_check_all()}


# --- live adherence on the wallboard (beat ``workforce-adherence-live``, every 5 s) --------------


@shared_task(name="workforce.adherence_live")
def adherence_live_task() -> dict[str, int]:
    """Each active tenant's live adherence to its wallboard, in this task (one small query set per
    tenant; a fan-out would only add queueing delay to a 5-second promise)."""
    from apps.workforce.services.adherence import adherence_publish_live  # noqa: PLC0415 -- keeps this block separable

    agents = 0
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        with tenant_context(tenant):
            agents += adherence_publish_live()
    return {"agents": agents}
