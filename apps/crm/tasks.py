"""CRM periodic jobs (beat, every minute): the ticket SLA sweep (``crm-tickets-sla``) and the survey
and callback-visit sync (``crm-surveys-sync``) in each tenant."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError
from django_tenants.utils import tenant_context

from apps.crm.services.surveys import survey_responses_sync
from apps.crm.services.ticket_sla import tickets_sla_sweep
from apps.crm.services.visits import visit_tasks_sync
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(name="crm.tickets_sla_sweep")
def tickets_sla_sweep_task() -> dict[str, int]:
    """Warn before, mark, supervise and escalate missed ticket targets in each active tenant. One
    tenant's failure does not stop the others; the next minute retries it."""
    totals = {"tenants": 0, "warned": 0, "breached": 0, "escalated": 0}
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        try:
            with tenant_context(tenant):
                done = tickets_sla_sweep()
        except DatabaseError:
            logger.exception("ticket SLA sweep failed for tenant %s", tenant.schema_name)
            continue
        totals["tenants"] += 1
        for key, value in done.items():
            totals[key] += value
    return totals


@shared_task(name="crm.surveys_sync")
def surveys_sync_task() -> dict[str, int]:
    """Beat ``crm-surveys-sync``, every minute: survey responses from the newly surveyed calls (and
    the follow-ups of low scores), then the dialer's outcome of callback visits, in each active
    tenant. Both are idempotent; one tenant's failure does not stop the others."""
    totals = {"tenants": 0, "created": 0, "follow_ups": 0, "visits_finished": 0}
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        try:
            with tenant_context(tenant):
                done = survey_responses_sync()
                visits = visit_tasks_sync()
        except DatabaseError:
            logger.exception("survey sync failed for tenant %s", tenant.schema_name)
            continue
        totals["tenants"] += 1
        totals["created"] += done["created"]
        totals["follow_ups"] += done["follow_ups"]
        totals["visits_finished"] += visits
    return totals
