"""Periodic platform jobs (public schema)."""

from __future__ import annotations

import zoneinfo

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant
from apps.tenants.services.deletion import tenants_delete_due
from apps.tenants.services.spares import spare_schemas_fill
from apps.tenants.services.usage import seat_days_record


@shared_task(name="apps.tenants.tasks.meter_seat_days_task")
def meter_seat_days_task() -> int:
    """Open today's seat-day row for every active tenant (days without seat changes count too)."""
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    tenants = Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE)
    count = 0
    for tenant in tenants.only("pk", "seat_count"):
        seat_days_record(tenant_id=tenant.pk, seats=tenant.seat_count, day=today)
        count += 1
    return count


@shared_task(name="apps.tenants.tasks.spare_schemas_fill_task")
def spare_schemas_fill_task() -> int:
    """Keep TENANT_SPARE_SCHEMAS schemas ready for sign-ups (see apps/tenants/services/spares.py)."""
    return spare_schemas_fill()


@shared_task(name="tenants.delete_due")
def tenants_delete_due_task() -> list[str]:
    """Remove the tenants whose deletion grace period is over (apps/tenants/services/deletion.py)."""
    return tenants_delete_due()
