"""KPI rollup refresh of every tenant (beat: ``reports-rollups-refresh``, every minute)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError
from django_tenants.utils import tenant_context

from apps.reports.services.rollups import rollups_refresh
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(name="reports.rollups_refresh")
def rollups_refresh_task() -> dict[str, int]:
    """Refresh the last two hours of rollups (and the buckets whose FCR just changed) in each active
    tenant. One tenant's failure does not stop the others; the next minute retries it."""
    totals = {"tenants": 0, "call_rows": 0, "fcr_buckets": 0}
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        try:
            with tenant_context(tenant):
                written = rollups_refresh()
        except DatabaseError:
            logger.exception("KPI rollup refresh failed for tenant %s", tenant.schema_name)
            continue
        totals["tenants"] += 1
        totals["call_rows"] += written["call_rows"]
        totals["fcr_buckets"] += written["fcr_buckets"]
    return totals
