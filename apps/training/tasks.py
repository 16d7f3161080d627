"""Training's periodic work (beat: ``training-certificates-due``, every 5 minutes).

Fans out like QA's sampling: one task per active tenant, sent from inside that tenant's context.
Each tenant's run (apps/training/services/certifications.py) warns holders and their supervisors of
certificates entering their renewal notice, applies the expiry of certificates past their date
(telling the engine to reload, the holder and the supervisors — each certificate once), and expires
exam attempts left open past their deadline. The engine stops routing an expired certificate's
skill by itself within its reload interval (60 s); this task makes it immediate and tells people.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError
from django_tenants.utils import tenant_context

from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant
from apps.training.services.attempts import attempts_expire_overdue
from apps.training.services.certifications import certificates_expire_due, certificates_warn_due

logger = logging.getLogger(__name__)


@shared_task(name="training.certificates_due")
def certificates_due_task() -> dict[str, int]:
    """Send each active tenant's certificate run."""
    sent = 0
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        with tenant_context(tenant):
            certificates_tenant_task.delay()
        sent += 1
    return {"tenants": sent}


@shared_task(name="training.certificates_tenant")
def certificates_tenant_task() -> dict[str, int]:
    """Warn, expire and close overdue attempts in the current tenant."""
    try:
        return {
            "warned": certificates_warn_due(),
            "expired": certificates_expire_due(),
            "attempts_expired": attempts_expire_overdue(),
        }
    except DatabaseError:
        logger.exception("training certificate run failed")
        raise
