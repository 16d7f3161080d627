"""Retry, cancel and stall detection of customer imports — the rules of the contact-list jobs
(apps/telephony/services/campaigns/import_jobs.py, whose lease and checkpoint run the import), for
this table: a job whose heartbeat is older than ``IMPORT_STALL_SECONDS`` is stalled (marked on read
by the pages and the API, and by the beat task), and a stalled or failed job can be retried (it
resumes after its checkpoint) or cancelled (rows already imported stay).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.crm.choices import CustomerImportStatus
from apps.crm.models import CustomerImport
from apps.crm.services.customer_imports import _enqueue
from apps.telephony.services.campaigns.import_jobs import _tenant_language, stall_cutoff

RUNNING = (CustomerImportStatus.QUEUED, CustomerImportStatus.IMPORTING)
RETRYABLE = (CustomerImportStatus.STALLED, CustomerImportStatus.FAILED)
CANCELLABLE = (*RUNNING, CustomerImportStatus.STALLED)


def _lost_q() -> Q:
    cutoff = stall_cutoff()
    return Q(status__in=RUNNING) & (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))


def customer_imports_mark_stalled() -> int:
    """Mark this schema's lost customer imports stalled; returns how many."""
    with translation.override(_tenant_language()):
        message = _("The import's worker stopped answering at %(t)s; retry or cancel it.") % {
            "t": timezone.localtime().strftime("%Y-%m-%d %H:%M")
        }
    return CustomerImport.objects.filter(_lost_q()).update(status=CustomerImportStatus.STALLED, error_message=message)


def customer_import_refresh(job: CustomerImport) -> CustomerImport:
    """The job as a page or the API reads it, marked stalled first if its worker is lost."""
    if job.status in RUNNING and CustomerImport.objects.filter(_lost_q(), pk=job.pk).exists():
        customer_imports_mark_stalled()
        job.refresh_from_db()
    return job


@transaction.atomic
def customer_import_retry(*, job: CustomerImport) -> CustomerImport:
    """Queue a stalled or failed job again; it resumes after its checkpoint."""
    job = CustomerImport.objects.select_for_update().get(pk=job.pk)
    if job.status in RUNNING and CustomerImport.objects.filter(_lost_q(), pk=job.pk).exists():
        job.status = CustomerImportStatus.STALLED
    if job.status not in RETRYABLE:
        raise ApplicationError("invalid_state", _("Only a stalled or failed import can be retried."))
    job.status = CustomerImportStatus.QUEUED
    job.attempts = 0
    job.heartbeat_at = timezone.now()
    job.error_message = ""
    job.finished_at = None
    job.save(update_fields=["status", "attempts", "heartbeat_at", "error_message", "finished_at"])
    _enqueue(job)
    return job


@transaction.atomic
def customer_import_cancel(*, job: CustomerImport) -> CustomerImport:
    """Stop a job: a running worker stops at its next batch; customers already imported stay."""
    job = CustomerImport.objects.select_for_update().get(pk=job.pk)
    if job.status not in CANCELLABLE:
        raise ApplicationError("invalid_state", _("This import is not running."))
    job.status = CustomerImportStatus.CANCELLED
    job.error_message = _("Cancelled.")
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error_message", "finished_at"])
    return job
