"""Periodic audit jobs (beat: ``audit-purge`` in ``CELERY_BEAT_SCHEDULE``)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError
from django_tenants.utils import tenant_context

from apps.audit.services import audit_purge_expired
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(name="apps.audit.tasks.audit_purge_task")
def audit_purge_task() -> int:
    """Purge expired audit rows in every tenant (suspended ones too: retention still runs).

    One tenant's failure is logged and the others still run; the next night retries it."""
    total = 0
    for tenant in Tenant.objects.exclude(schema_name="public").order_by("pk"):
        try:
            with tenant_context(tenant):
                deleted = audit_purge_expired()
        except DatabaseError:
            logger.exception("audit purge failed for tenant %s", tenant.schema_name)
            continue
        if deleted:
            logger.info("audit purge: %s rows removed from %s", deleted, tenant.schema_name)
        total += deleted
    return total
