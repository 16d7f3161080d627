"""Nightly retention purge of every tenant (beat: ``retention-purge``)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError
from django_tenants.utils import tenant_context

from apps.retention.services import retention_purge
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(name="retention.purge_all")
def retention_purge_task() -> dict[str, int]:
    """Run the purge in each tenant (suspended ones too); one tenant's failure does not stop
    the others, and the next night retries it."""
    totals = {"tenants": 0, "recordings": 0, "calls": 0, "contacts": 0}
    for tenant in Tenant.objects.exclude(schema_name="public").exclude(status="deleted").order_by("pk"):
        try:
            with tenant_context(tenant):
                run = retention_purge()
        except DatabaseError:
            logger.exception("retention purge failed for tenant %s", tenant.schema_name)
            continue
        totals["tenants"] += 1
        totals["recordings"] += run.recordings_deleted
        totals["calls"] += run.calls_deleted
        totals["contacts"] += run.contacts_deleted
    return totals
