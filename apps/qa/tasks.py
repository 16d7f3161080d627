"""QA's periodic work (beat: ``qa-sampling-due``, hourly).

Sampling fans out: the beat task sends one task per active tenant from inside that tenant's
context (tenant-schemas-celery carries the schema in the task's headers), so a large tenant's
draw does not hold up the others and one tenant's failure is retried on its own. Hourly,
because "the period that just ended" ends at each tenant's own local midnight; a rule that has
its samples for that period already is skipped (apps/qa/services/sampling.py
``sampling_run_due``), so the other 23 runs a day cost one small query per rule.
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.db import DatabaseError
from django_tenants.utils import tenant_context

from apps.qa.services.sampling import sampling_run_due
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(name="qa.sampling_due")
def sampling_due_task(today: str | None = None) -> dict[str, int]:
    """Send each active tenant's sampling task (``today``: an ISO date, for a catch-up run)."""
    sent = 0
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        with tenant_context(tenant):
            sampling_tenant_task.delay(today)
        sent += 1
    return {"tenants": sent}


@shared_task(name="qa.sampling_tenant")
def sampling_tenant_task(today: str | None = None) -> dict[str, int]:
    """Create the current tenant's samples of the periods that have just ended."""
    try:
        return sampling_run_due(today=date.fromisoformat(today) if today else None)
    except DatabaseError:
        logger.exception("QA sampling failed")
        raise
