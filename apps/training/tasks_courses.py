"""Training's hourly work on courses (beat: ``training-courses-hourly``): the QA rules that assign
courses, and programmes whose last step (a passed exam) was done outside a training page.

Fans out like the certificate run (apps/training/tasks.py): one task per active tenant, sent from
inside that tenant's context. Both passes are idempotent (apps/training/services/qa_link.py,
programmes.py), so a run repeated or overlapping does no harm.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError
from django_tenants.utils import tenant_context

from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant
from apps.training.services.programmes import programmes_refresh_all
from apps.training.services.qa_link import qa_rules_run

logger = logging.getLogger(__name__)


@shared_task(name="training.courses_hourly")
def courses_hourly_task() -> dict[str, int]:
    """Send each active tenant's run."""
    sent = 0
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        with tenant_context(tenant):
            courses_tenant_task.delay()
        sent += 1
    return {"tenants": sent}


@shared_task(name="training.courses_tenant")
def courses_tenant_task() -> dict[str, int]:
    """Apply the QA rules and complete finished programmes in the current tenant."""
    try:
        return {"assigned": qa_rules_run(), "programmes_completed": programmes_refresh_all()}
    except DatabaseError:
        logger.exception("training courses run failed")
        raise
