"""Files of numbers into a do-not-call list (tenant-wide or one campaign's), in the background.

The same bounded reading and the same job discipline as a contact list import
(:mod:`contact_import`): batches of normalised numbers added with one query each
(:func:`dnc.dnc_bulk_add`), each committed with the job's checkpoint, counters, rejected rows and
heartbeat, so a task delivered twice or after its worker died resumes after the checkpoint
(:mod:`import_jobs`); the error report is built at the end (:mod:`import_files`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.imports import SpreadsheetRows, unneutralise
from apps.telephony.choices import ContactListStatus, DoNotCallSource
from apps.telephony.dialer.numbers import normalize_number
from apps.telephony.models import Campaign, DoNotCallImport
from apps.telephony.services.campaigns.contact_import import mapping_suggest
from apps.telephony.services.campaigns.dnc import dnc_bulk_add
from apps.telephony.services.campaigns.import_files import (
    BATCH_SIZE,
    RowErrors,
    error_report_store,
    invalid_fields,
    upload_check,
    upload_header,
)
from apps.telephony.services.campaigns.import_jobs import LeaseLost, import_job_checkpoint, import_job_lease

logger = logging.getLogger(__name__)


@transaction.atomic
def dnc_import_upload(
    *, upload: Any, campaign: Campaign | None = None, column: str = "", reason: str = "", user: Any = None
) -> DoNotCallImport:
    """Queue a file of numbers for a do-not-call list (tenant-wide without ``campaign``). ``column``
    names the number column; by default the one whose header looks like a phone, else the first."""
    file_format, errors = upload_check(upload)
    reason = (reason or "").strip()
    if len(reason) > 200:
        errors["reason"] = [_("At most %(n)d characters.") % {"n": 200}]
    if errors or file_format is None:
        raise invalid_fields(errors)
    header = upload_header(upload, file_format)
    columns = header["columns"]
    column = (column or "").strip()
    if column and column not in columns:
        raise invalid_fields({"column": [_("The file has no column %(c)s.") % {"c": column}]})
    if not column:
        guessed = [c for c, target in mapping_suggest(columns).items() if target == "phone"]
        column = guessed[0] if guessed else columns[0]
    dnc_import = DoNotCallImport(
        campaign=campaign,
        file_format=file_format,
        column=column,
        reason=reason,
        created_by=user if getattr(user, "pk", None) else None,
    )
    dnc_import.file.save(f"dnc-{timezone.now():%H%M%S}.{file_format}", upload, save=False)
    dnc_import.save()
    from apps.telephony.tasks import dnc_import_task  # noqa: PLC0415 -- import cycle: tasks imports this module

    import_id = dnc_import.pk
    transaction.on_commit(lambda: dnc_import_task.delay(import_id))
    return dnc_import


def dnc_import_run(import_id: int) -> DoNotCallImport:
    """The DNC import task's body: batches of normalised numbers added with one query each, each
    committed with the job's checkpoint (idempotent like :func:`contact_list_import`)."""
    if import_job_lease(DoNotCallImport, import_id) is None:
        return DoNotCallImport.objects.get(pk=import_id)
    dnc_import = DoNotCallImport.objects.select_related("campaign", "created_by").get(pk=import_id)
    counts = {
        "rows_processed": dnc_import.rows_processed,
        "rows_added": dnc_import.rows_added,
        "rows_invalid": dnc_import.rows_invalid,
        "rows_duplicate": dnc_import.rows_duplicate,
    }
    failed = None
    stopped = False
    try:
        with dnc_import.file.open("rb") as stored:
            rows = iter(SpreadsheetRows(getattr(stored, "file", stored), dnc_import.file_format))
            _row, header = next(rows, (0, []))
            columns = [column.strip() for column in header]
            position = columns.index(dnc_import.column) if dnc_import.column in columns else 0
            checkpoint = dnc_import.rows_checkpoint
            pending: dict[str, int] = {}
            batch: list[tuple[int, str]] = []

            def flush(last_row: int) -> None:
                nonlocal checkpoint
                first_row = batch[0][0] if batch else last_row
                with transaction.atomic():
                    import_job_checkpoint(DoNotCallImport, import_id, first_row=first_row)
                    report = RowErrors(dnc_import=dnc_import)
                    new = dict(counts)
                    for row_number, raw in batch:
                        new["rows_processed"] += 1
                        number = normalize_number(raw)
                        if number is None:
                            new["rows_invalid"] += 1
                            report.add(row_number, raw, _("Not a valid phone number."))
                        elif number in pending:
                            new["rows_duplicate"] += 1
                        else:
                            pending[number] = row_number
                    fresh = dnc_bulk_add(
                        numbers=list(pending),
                        campaign=dnc_import.campaign,
                        reason=dnc_import.reason,
                        source=DoNotCallSource.IMPORT,
                        user=dnc_import.created_by,
                    )
                    new["rows_added"] += len(fresh)
                    new["rows_duplicate"] += len(pending) - len(fresh)
                    report.save()
                    DoNotCallImport.objects.filter(pk=import_id).update(
                        status=ContactListStatus.IMPORTING,
                        rows_checkpoint=last_row,
                        heartbeat_at=timezone.now(),
                        **new,
                    )
                counts.update(new)
                pending.clear()
                batch.clear()
                checkpoint = last_row

            row_number = checkpoint
            for row_number, values in rows:
                if row_number <= checkpoint:
                    continue
                raw = unneutralise(values[position].strip()) if position < len(values) else ""
                if raw:
                    batch.append((row_number, raw))
                if len(batch) >= BATCH_SIZE:
                    flush(row_number)
            if batch or row_number > checkpoint:
                flush(row_number)
    except LeaseLost:
        logger.info("do-not-call import %s: cancelled or taken over; this worker stops", import_id)
        stopped = True
    except ApplicationError as error:
        failed = str(error.message)
    except Exception as error:
        logger.exception("do-not-call import %s failed", import_id)
        failed = _("The import stopped: %(e)s") % {"e": type(error).__name__}
    with transaction.atomic():
        dnc_import = DoNotCallImport.objects.select_for_update().get(pk=import_id)
        if (stopped and dnc_import.status != ContactListStatus.CANCELLED) or dnc_import.status not in (
            ContactListStatus.IMPORTING,
            ContactListStatus.CANCELLED,
        ):
            return dnc_import
        error_report_store(dnc_import.error_report, f"dnc-import-{import_id}-errors.csv", dnc_import=dnc_import)
        if dnc_import.status != ContactListStatus.CANCELLED:
            dnc_import.status = ContactListStatus.FAILED if failed else ContactListStatus.DONE
            dnc_import.error_message = failed or ""
        dnc_import.finished_at = timezone.now()
        dnc_import.save()
    return dnc_import
