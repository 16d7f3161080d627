"""The life of a background import job (contact lists and do-not-call files): lease, heartbeat,
stall detection, retry and cancel — so that no import stays "running" forever.

Celery acknowledges tasks late and requeues them when their worker dies (settings
``CELERY_TASK_ACKS_LATE``/``CELERY_TASK_REJECT_ON_WORKER_LOST``), so a task may arrive twice, or
arrive while an earlier copy still runs. The job row is the lease: a task runs a job only when
it is queued or stalled, or "importing" with a heartbeat older than ``IMPORT_STALL_SECONDS`` (its
worker is gone); otherwise it does nothing. The importer commits each batch together with the
job's checkpoint (last row committed), counters, rejected rows and heartbeat, so whoever runs
the job next resumes after the checkpoint and no row is imported or reported twice.

A job whose heartbeat is older than the threshold is marked ``stalled`` — by the beat task
:func:`import_jobs_mark_stalled` every minute, and on read by the pages and the API — and shows
Retry and Cancel. A job that was started ``IMPORT_MAX_ATTEMPTS`` times without finishing (a
file that kills its worker every time) fails instead of looping.

Lock order: the job row alone (``select_for_update``), then the rows the batch writes.
"""

from __future__ import annotations

import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.telephony.choices import ContactListStatus
from apps.telephony.models import ContactList, DoNotCallImport

Job = ContactList | DoNotCallImport
JobT = TypeVar("JobT", ContactList, DoNotCallImport)
RUNNING = (ContactListStatus.QUEUED, ContactListStatus.IMPORTING)
RETRYABLE = (ContactListStatus.STALLED, ContactListStatus.FAILED)
CANCELLABLE = (ContactListStatus.QUEUED, ContactListStatus.IMPORTING, ContactListStatus.STALLED)


class LeaseLost(Exception):  # noqa: N818 - a condition, not a failure
    """The job was cancelled, or another worker took it over: stop without touching it."""


def stall_cutoff() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALL_SECONDS)


def _lost_q() -> Q:
    cutoff = stall_cutoff()
    return Q(status__in=RUNNING) & (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))


def import_job_lease(model: type[Job], pk: int) -> Job | None:
    """Take the job for this task, or None when it is not this task's to run (done, cancelled,
    or held by a live worker). Counts the attempt; gives up after ``IMPORT_MAX_ATTEMPTS``."""
    with transaction.atomic():
        job = model.objects.select_for_update().get(pk=pk)
        now = timezone.now()
        if job.status == ContactListStatus.IMPORTING:
            if job.heartbeat_at and job.heartbeat_at >= stall_cutoff():
                return None
        elif job.status not in (ContactListStatus.QUEUED, ContactListStatus.STALLED):
            return None
        if job.attempts >= settings.IMPORT_MAX_ATTEMPTS:
            job.status = ContactListStatus.FAILED
            with translation.override(_tenant_language()):
                job.error_message = _(
                    "The import was started %(n)d times and never finished; the file may be too demanding. "
                    "Check it, then retry."
                ) % {"n": job.attempts}
            job.finished_at = now
            job.save(update_fields=["status", "error_message", "finished_at"])
            return None
        job.attempts += 1
        job.status = ContactListStatus.IMPORTING
        job.heartbeat_at = now
        job.started_at = job.started_at or now
        job.error_message = ""
        job.save(update_fields=["attempts", "status", "heartbeat_at", "started_at", "error_message"])
        return job


def import_job_checkpoint(model: type[Job], pk: int, *, first_row: int) -> Job:
    """Inside the batch's transaction: lock the job and check this worker still holds it — the
    job is not cancelled and nobody committed rows from ``first_row`` on meanwhile."""
    job = model.objects.select_for_update().get(pk=pk)
    if job.status not in (ContactListStatus.IMPORTING, ContactListStatus.STALLED) or job.rows_checkpoint >= first_row:
        raise LeaseLost
    return job


def _tenant_language() -> str:
    """Messages stored on a job are read later by anyone: write them in the company's language,
    not in whatever language the request or the beat process that noticed happened to have."""
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "default_language", None) or settings.LANGUAGE_CODE


def import_jobs_mark_stalled() -> int:
    """Mark this schema's lost jobs stalled; returns how many."""
    now = timezone.now()
    count = 0
    with translation.override(_tenant_language()):
        message = _("The import's worker stopped answering at %(t)s; retry or cancel it.") % {
            "t": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
        }
    for model in (ContactList, DoNotCallImport):
        count += model.objects.filter(_lost_q()).update(status=ContactListStatus.STALLED, error_message=message)
    return count


def import_job_refresh(job: JobT) -> JobT:
    """The job as read by a page or the API, marked stalled first if its worker is lost."""
    if job.status in RUNNING and type(job).objects.filter(_lost_q(), pk=job.pk).exists():
        import_jobs_mark_stalled()
        job.refresh_from_db()
    return job


@transaction.atomic
def import_job_retry(*, job: JobT) -> JobT:
    """Queue a stalled or failed job again; it resumes after its checkpoint."""
    job = type(job).objects.select_for_update().get(pk=job.pk)
    if job.status in RUNNING and type(job).objects.filter(_lost_q(), pk=job.pk).exists():
        job.status = ContactListStatus.STALLED
    if job.status not in RETRYABLE:
        raise ApplicationError("invalid_state", _("Only a stalled or failed import can be retried."))
    job.status = ContactListStatus.QUEUED
    job.attempts = 0
    job.heartbeat_at = timezone.now()
    job.error_message = ""
    job.finished_at = None
    job.save(update_fields=["status", "attempts", "heartbeat_at", "error_message", "finished_at"])
    _enqueue(job)
    return job


@transaction.atomic
def import_job_cancel(*, job: JobT) -> JobT:
    """Stop a job: a running worker stops at its next batch; rows already imported stay."""
    job = type(job).objects.select_for_update().get(pk=job.pk)
    if job.status not in CANCELLABLE:
        raise ApplicationError("invalid_state", _("This import is not running."))
    job.status = ContactListStatus.CANCELLED
    job.error_message = _("Cancelled.")
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error_message", "finished_at"])
    return job


def _enqueue(job: Any) -> None:
    from apps.telephony.tasks import contact_list_import_task, dnc_import_task  # noqa: PLC0415 -- import cycle: tasks imports this module

    task = contact_list_import_task if isinstance(job, ContactList) else dnc_import_task
    pk = job.pk
    transaction.on_commit(lambda: task.delay(pk))
