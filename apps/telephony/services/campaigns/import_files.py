"""What the two background imports (contact lists, do-not-call numbers) share: reading an
upload's format, size limit and header in the request, the rows a batch rejects, and the CSV error
report built from them at the end — whose download is audited like every other export.
"""

from __future__ import annotations

import io
import os
import tempfile
from itertools import chain
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.exports import csv_write
from apps.core.imports import read_preview
from apps.telephony.choices import ExportFormat
from apps.telephony.models import ContactList, DoNotCallImport, ImportRowError

#: Rows per committed batch of an import (and per chunk when reading rows back).
BATCH_SIZE = 2000
SAMPLE_ROWS = 5


def invalid_fields(fields: dict[str, list[Any]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=fields)


def file_format_of(filename: str) -> str | None:
    extension = os.path.splitext(filename or "")[1].lower()
    return {".csv": ExportFormat.CSV, ".txt": ExportFormat.CSV, ".xlsx": ExportFormat.XLSX}.get(extension)


def upload_limit_problem(upload: Any) -> str | None:
    """Why the web request refuses this upload before reading it, or None."""
    if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
        return _("At most %(n)d MB: split the list, or ask your operator about a larger limit.") % {
            "n": settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)
        }
    return None


def read_header(binary: IO[bytes], file_format: str) -> dict[str, Any]:
    """Columns, a few rows and the detected encoding, for the mapping screen: from a bounded
    prefix of the file (the request never parses a whole upload; the worker does, with limits)."""
    return read_preview(binary, file_format, sample_rows=SAMPLE_ROWS)


def upload_check(upload: Any) -> tuple[str | None, dict[str, list[Any]]]:
    """The upload's format and what is wrong with it as field errors, which the caller completes
    with its own fields' before raising them all together (one 400 names every bad field)."""
    errors: dict[str, list[Any]] = {}
    file_format = file_format_of(getattr(upload, "name", ""))
    if upload is None:
        errors["file"] = [_("Upload a file.")]
    elif file_format is None:
        errors["file"] = [_("Upload a CSV or XLSX file.")]
    elif problem := upload_limit_problem(upload):
        errors["file"] = [problem]
    return file_format, errors


def upload_header(upload: Any, file_format: str) -> dict[str, Any]:
    """:func:`read_header` of a checked upload, an unreadable one being a 400 on ``file``; the
    upload is left rewound for storing."""
    upload.seek(0)
    try:
        header = read_header(upload, file_format)
    except ApplicationError as error:
        raise invalid_fields({"file": [error.message]}) from error
    upload.seek(0)
    return header


# --- rejected rows and the error report ----------------------------------------------------------


class RowErrors:
    """Rejected rows of one batch, written with the batch (see :mod:`import_jobs`)."""

    def __init__(self, **job: Any) -> None:
        self.job = job
        self.rows: list[ImportRowError] = []

    def add(self, row: int, value: str, reason: str) -> None:
        self.rows.append(ImportRowError(row=row, value=(value or "")[:200], reason=str(reason)[:200], **self.job))

    def save(self) -> None:
        ImportRowError.objects.bulk_create(self.rows, ignore_conflicts=True)
        self.rows = []


def error_report_store(field_file, filename: str, **job: Any) -> int:
    """Write the job's rejected rows as the CSV error report (through the safe-export helper:
    the rejected values are the uploader's text), then drop the rows. Returns how many."""
    rows = ImportRowError.objects.filter(**job).order_by("row").values_list("row", "value", "reason")
    with tempfile.TemporaryFile(mode="w+b") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        count = csv_write(text, chain([[_("row"), _("value"), _("reason")]], rows.iterator(chunk_size=BATCH_SIZE)))
        text.flush()
        binary.seek(0)
        if count > 1:
            field_file.save(filename, File(binary), save=False)
        text.detach()
    ImportRowError.objects.filter(**job).delete()
    return count - 1


def error_report_downloaded(*, source: ContactList | DoNotCallImport, user: Any) -> None:
    """An import's error report leaves the product (it holds the rejected rows' phone numbers
    and names): audited like every other export."""
    audit_record(
        action=AuditAction.EXPORT_DOWNLOADED,
        actor=user if getattr(user, "pk", None) else None,
        target=source,
        extra={"kind": "import_error_report"},
    )
