"""Celery tasks of report runs and scheduled delivery (listed in CELERY_IMPORTS: the app's
``tasks.py`` holds the KPI rollup task).

Thin: the work is in apps/reports/services/runs.py and schedules.py. Tasks sent from inside a
tenant carry its schema (tenant-schemas-celery); the beat task walks the tenants itself, like
``reports.rollups_refresh``.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_init
from django.db import DatabaseError
from django.utils.dateparse import parse_datetime
from django_tenants.utils import tenant_context

from apps.reports.services.runs import run_render, runs_purge
from apps.reports.services.schedules import schedule_record_failure, schedule_send, schedules_claim_due
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)

SEND_MAX_RETRIES = 3
SEND_BACKOFF_SECONDS = 60  # 1, 2, then 4 minutes between attempts


@worker_init.connect
def _load_pdf_renderer(**_kwargs) -> None:
    """Import WeasyPrint (Pango, HarfBuzz, fontconfig bindings) once when the worker starts,
    before prefork children are forked: importing it takes ~1-3 s, which the first report of
    every worker process would otherwise spend."""
    import weasyprint  # noqa: F401, PLC0415 -- loaded for its side effect, see above


@shared_task(name="reports.render_run")
def render_run_task(run_id: int) -> str:
    """Render one requested report run (the outcome is on the run)."""
    return run_render(run_id).status


@shared_task(name="reports.schedules_due")
def schedules_due_task() -> dict[str, int]:
    """Every minute: in each active tenant, claim the due schedules and send each in its own
    task. One tenant's failure does not stop the others; the next minute tries again."""
    totals = {"tenants": 0, "sent": 0}
    for tenant in Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE).order_by("pk"):
        try:
            with tenant_context(tenant):
                claimed = schedules_claim_due()
                for schedule_id, occurrence in claimed:
                    send_schedule_task.delay(schedule_id, occurrence)
        except DatabaseError:
            logger.exception("report schedules failed for tenant %s", tenant.schema_name)
            continue
        totals["tenants"] += 1
        totals["sent"] += len(claimed)
    return totals


@shared_task(name="reports.runs_purge")
def runs_purge_task() -> dict[str, int]:
    """Nightly: in each tenant, delete report runs and their files older than RUN_KEEP_DAYS."""
    totals = {"tenants": 0, "runs": 0}
    for tenant in Tenant.objects.exclude(schema_name="public").exclude(status=TenantStatus.DELETED).order_by("pk"):
        try:
            with tenant_context(tenant):
                totals["runs"] += runs_purge()
        except DatabaseError:
            logger.exception("report runs purge failed for tenant %s", tenant.schema_name)
            continue
        totals["tenants"] += 1
    return totals


@shared_task(bind=True, name="reports.send_schedule", max_retries=SEND_MAX_RETRIES)
def send_schedule_task(self, schedule_id: int, occurrence: str) -> str:
    """Render and e-mail one occurrence of a schedule; on failure record it and retry with
    exponential backoff, at most :data:`SEND_MAX_RETRIES` times."""
    when = parse_datetime(occurrence)
    if when is None:
        raise ValueError(f"bad occurrence {occurrence!r}")
    attempt = self.request.retries + 1
    try:
        run = schedule_send(schedule_id, when, attempt=attempt)
    except Exception as error:  # noqa: BLE001 -- every failure is shown on the schedule, then retried
        final = self.request.retries >= SEND_MAX_RETRIES
        logger.warning("report schedule %s attempt %s failed: %r", schedule_id, attempt, error)
        schedule_record_failure(schedule_id, error, final=final)
        if final:
            return "failed"
        raise self.retry(exc=error, countdown=SEND_BACKOFF_SECONDS * 2**self.request.retries) from error
    return "sent" if run is not None else "skipped"
