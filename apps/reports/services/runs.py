"""Report runs: a report rendered to a file in a Celery task, fetched through a signed link.

Why a task: a month's PDF of a large center takes seconds, longer than a request should hold a
worker; the API answers ``202`` with the run's id at once and the client polls it.

Why a signed, expiring link rather than a plain URL: the link is handed to browsers, mail
clients and scripts that do not carry the API token. The signature binds the run's id and the
tenant's schema (a link of one tenant is refused on another's host) and expires after
:data:`DOWNLOAD_MAX_AGE`; anyone holding a fresh link may download, as with any signed URL, so
links are only given to the requester and the tenant's administrators (apps/reports/api/runs.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.core.tenancy import current_schema
from apps.reports import registry
from apps.reports.models.runs import ReportFormat, ReportRun, RunStatus

logger = logging.getLogger(__name__)

DOWNLOAD_MAX_AGE = 60 * 60  # seconds a download link stays valid
# Run files are kept this long: long enough to fetch a file and to see what a schedule sent
# last month; the reports themselves can be rendered again at any time.
RUN_KEEP_DAYS = 35
SIGNER_SALT = "apps.reports.run-download"
ERROR_MAX_CHARS = 2000


def validate_request(data: Mapping[str, Any]) -> tuple[registry.Report, str, registry.ReportParams]:
    """The report, format and filters of a run request, or ``ValidationError`` naming each bad
    field (``report``, ``format``, ``since``, ``until``, ``queue``…). ``filters`` is an object of
    the report's filters (``{"queue": [1, 2]}``); ``since``/``until`` sit beside it."""
    errors: dict[str, list[str]] = {}
    report: registry.Report | None = None
    code = data.get("report")
    try:
        report = registry.get(str(code)) if code else None
    except KeyError:
        report = None
    if report is None:
        errors["report"] = [gettext("Unknown report.") if code else gettext("This field is required.")]
    fmt = data.get("format") or ReportFormat.PDF
    if fmt not in ReportFormat.values:
        errors["format"] = [gettext("Choose pdf, csv or xlsx.")]
    filters = data.get("filters") or {}
    if not isinstance(filters, Mapping):
        errors["filters"] = [gettext('Give the filters as an object, e.g. {"queue": [1]}.')]
        filters = {}
    query = {key: value for key, value in filters.items() if key not in ("since", "until")}
    for key in ("since", "until"):
        if data.get(key) not in (None, ""):
            query[key] = data[key]
    params = None
    try:
        params = registry.ReportParams.from_query(query)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    assert report is not None and params is not None  # noqa: S101 -- no errors means both are set
    return report, str(fmt), params


def run_request(*, user, data: Mapping[str, Any]) -> ReportRun:
    """Validate a request and queue its rendering (the task is sent once the run is committed)."""
    report, fmt, params = validate_request(data)
    if not user.has_role(*report.roles):  # a report for other roles reads as one that does not exist
        raise ValidationError({"report": [gettext("Unknown report.")]})
    run = ReportRun.objects.create(report_code=report.code, format=fmt, params=params.as_query(), requested_by=user)
    enqueue_render(run)
    return run


def enqueue_render(run: ReportRun) -> None:
    from apps.reports.tasks_delivery import render_run_task  # noqa: PLC0415 -- tasks import services

    run_id = run.pk
    transaction.on_commit(lambda: render_run_task.delay(run_id))


def run_render(run_id: int) -> ReportRun:
    """Render a queued run to its file. A run already done is left alone (a redelivered task);
    a failure is recorded on the run, not raised: the client reads it from the run's status."""
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().get(pk=run_id)
        if run.status == RunStatus.DONE:
            return run
        run.status = RunStatus.RUNNING
        run.attempts += 1
        run.error = ""
        run.save(update_fields=["status", "attempts", "error"])
    try:
        content, filename = render_file(run.report_code, run.params, run.format)
    except Exception as error:  # noqa: BLE001 -- any failure of a report's code is the run's, shown to its reader
        logger.exception("report run %s failed", run.pk)
        run.status = RunStatus.FAILED
        run.error = failure_text(error)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        return run
    run.file.save(filename, ContentFile(content), save=False)
    run.filename = filename
    run.size = len(content)
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["file", "filename", "size", "status", "finished_at"])
    return run


def render_file(report_code: str, params: Mapping[str, Any], fmt: str) -> tuple[bytes, str]:
    """The bytes and file name of a report with stored filters (a run's or a schedule's)."""
    report = registry.get(report_code)
    content, filename, _content_type = registry.render_report(report, registry.ReportParams.from_query(params), fmt)
    data = content if isinstance(content, bytes) else b"".join(content)
    return data, filename


def failure_text(error: BaseException) -> str:
    """What a reader is told about a failure: the kind of error and its message, kept short."""
    if isinstance(error, ValidationError):
        text = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:ERROR_MAX_CHARS]


def can_read(user, run: ReportRun) -> bool:
    """Only the requester or a tenant administrator reads a run (its filters may name agents)."""
    return bool(user and user.is_authenticated and (run.requested_by_id == user.pk or user.has_role("tenant_admin")))


def download_token(run: ReportRun) -> str:
    return signing.TimestampSigner(salt=SIGNER_SALT).sign_object({"s": current_schema(), "r": run.pk})


def download_path(run: ReportRun) -> str:
    """The signed link (a path on the tenant's host) to a done run's file."""
    url = reverse("report-run-download", kwargs={"pk": run.pk})
    return f"{url}?{urlencode({'token': download_token(run)})}"


def run_for_download(*, run_id: int, token: str, max_age: int | None = None) -> ReportRun:
    """The run a download link names. Refusals: a forged, altered or expired token, or one for
    another run or tenant (403 ``link_invalid`` / ``link_expired``); a run that is not done or
    no longer exists (404)."""
    try:
        payload = signing.TimestampSigner(salt=SIGNER_SALT).unsign_object(
            token or "", max_age=DOWNLOAD_MAX_AGE if max_age is None else max_age
        )
    except signing.SignatureExpired as error:
        raise PermissionDeniedError("link_expired", gettext("This link has expired.")) from error
    except signing.BadSignature as error:
        raise PermissionDeniedError("link_invalid", gettext("This link is not valid.")) from error
    if not isinstance(payload, dict) or payload.get("s") != current_schema() or payload.get("r") != run_id:
        raise PermissionDeniedError("link_invalid", gettext("This link is not valid."))
    run = ReportRun.objects.filter(pk=run_id, status=RunStatus.DONE).exclude(file="").first()
    if run is None:
        raise NotFoundError("not_found", gettext("The report file no longer exists."))
    return run


def runs_purge(*, now=None, keep_days: int = RUN_KEEP_DAYS) -> int:
    """Delete runs (and their files) older than ``keep_days``; returns how many. A file already
    gone from storage is not an error (the row goes anyway)."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    old = list(ReportRun.objects.filter(created_at__lt=cutoff).only("pk", "file"))
    for run in old:
        if run.file:
            try:
                run.file.delete(save=False)
            except OSError:
                logger.warning("report run %s: file %s could not be deleted", run.pk, run.file.name)
    ReportRun.objects.filter(pk__in=[run.pk for run in old]).delete()
    return len(old)
