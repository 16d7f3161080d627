"""Customer imports in the background (listed in ``CELERY_IMPORTS``): the import itself, and the
beat ``crm-customer-imports-stalled`` that marks imports whose worker is gone."""

from __future__ import annotations

import logging

from celery import shared_task
from django_tenants.utils import tenant_context

from apps.crm.models import CustomerImport
from apps.crm.services.customer_import_jobs import customer_imports_mark_stalled
from apps.crm.services.customer_imports import customer_import_run
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(name="crm.customer_import")
def customer_import_task(job_id: int) -> int:
    """Import a customer file (apps/crm/services/customer_imports.py); returns the customers it
    added. A job deleted before its turn came is nothing to do."""
    try:
        return customer_import_run(job_id).rows_imported
    except CustomerImport.DoesNotExist:
        logger.warning("customer import %s is gone; nothing to do", job_id)
        return 0


@shared_task(name="crm.customer_imports_mark_stalled")
def customer_imports_mark_stalled_task() -> int:
    """Every minute: mark customer imports whose worker stopped sending heartbeats as stalled (they
    then offer Retry and Cancel), in each active tenant."""
    count = 0
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        with tenant_context(tenant):
            count += customer_imports_mark_stalled()
    return count
