"""Contact lists in and campaign results out, in bounded memory.

Import: a file is uploaded (CSV or XLSX, at most ``IMPORT_MAX_UPLOAD_BYTES``); the request reads
only a bounded prefix for the header and a few rows (the mapping screen), then a Celery task
streams the rows through :mod:`apps.core.imports` — a bounded CSV reader and a streaming XLSX
reader with hard caps on decompressed bytes, shared strings, row length and row count (never
openpyxl, which loads all shared strings) — in batches of :data:`BATCH_SIZE`. Per batch, numbers
are normalised to E.164, duplicates (within the file, and against contacts the campaign already
has) and do-not-call numbers are dropped with an indexed lookup of just that batch's numbers,
and the rest is bulk-inserted; nothing proportional to the file's size is ever held.

Each batch commits together with the job's checkpoint (last row), counters, rejected rows
(:class:`ImportRowError`) and heartbeat, so a task delivered twice or after its worker died
resumes after the checkpoint and no row is imported or reported twice (:mod:`import_jobs`).
The CSV error report (row, value, reason) is built from the rejected rows at the end.

Export streams the campaign's contacts with their attempts, last outcome and disposition through
the safe-export helper (:mod:`apps.core.exports`); every export is logged.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.exports import XLSX_MAX_ROWS, csv_chunks, csv_write, xlsx_file
from apps.core.imports import SpreadsheetRows, read_preview, unneutralise
from apps.telephony.choices import CampaignStatus, ContactListStatus, ContactStatus, DoNotCallSource, ExportFormat
from apps.telephony.dialer.numbers import is_time_zone, normalize_number, normalize_number_and_zone
from apps.telephony.models import (
    Campaign,
    CampaignExport,
    Contact,
    ContactList,
    DoNotCall,
    DoNotCallImport,
    ImportRowError,
)
from apps.telephony.services.campaigns.dnc import dnc_bulk_add, dnc_scope_q
from apps.telephony.services.campaigns.import_jobs import LeaseLost, import_job_checkpoint, import_job_lease

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
SAMPLE_ROWS = 5
STANDARD_TARGETS = ("name", "phone", "time_zone", "email", "external_id")
CUSTOM_PREFIX = "custom."
CUSTOM_KEY_RE = re.compile(r"^[^\W\d]\w{0,49}$")
FIELD_LIMITS = {"name": 200, "email": 254, "external_id": 100, "custom": 1000}
# Header spellings our users' files come with (lower-cased, spaces and dashes removed).
HEADER_GUESSES = {
    "phone": {
        "phone",
        "mobile",
        "tel",
        "telephone",
        "number",
        "phonenumber",
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "号码",
        "联系电话",
        "电话号码",
    },
    "name": {"name", "fullname", "customer", "customername", "姓名", "名字", "客户", "客户姓名", "客户名称"},
    "time_zone": {"timezone", "time_zone", "tz", "时区"},
    "email": {"email", "e_mail", "mail", "邮箱", "电子邮箱", "电子邮件"},
    "external_id": {"id", "externalid", "external_id", "customerid", "crmid", "客户编号", "编号", "客户id"},
}


def _invalid(fields: dict[str, list[Any]]) -> ApplicationError:
    return ApplicationError("invalid", _("The request has invalid fields."), fields=fields)


# --- reading files ----------------------------------------------------------------------------------


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


# --- mapping -----------------------------------------------------------------------------------------


def _normalised_header(header: str) -> str:
    return re.sub(r"[\s\-]+", "", header.strip().lower())


def _custom_key(header: str) -> str:
    key = re.sub(r"\W+", "_", header.strip().lower()).strip("_")[:50]
    if not key or key[0].isdigit():
        key = f"field_{key}".strip("_")
    return key


def mapping_suggest(columns: list[str]) -> dict[str, str]:
    """A first mapping from the headers; the user corrects it on the mapping screen."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        if not column or column in mapping:
            continue
        normalised = _normalised_header(column)
        target = next(
            (name for name, spellings in HEADER_GUESSES.items() if normalised in spellings and name not in taken), None
        )
        if target is None:
            target = CUSTOM_PREFIX + _custom_key(column)
        taken.add(target)
        mapping[column] = target
    return mapping


def mapping_validate(mapping: Any, columns: list[str]) -> dict[str, str]:
    """``{"column header": "phone" | "name" | "time_zone" | "email" | "external_id" | "custom.<key>" | ""}``;
    exactly one column is the phone; an empty target ignores the column."""
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise _invalid({"mapping": [_('An object {"column": "field"}.')]})
    problems: list[str] = []
    clean: dict[str, str] = {}
    seen: dict[str, str] = {}
    for column, target in mapping.items():
        target = target.strip()
        if column not in columns:
            problems.append(_("The file has no column %(c)s.") % {"c": column})
            continue
        if not target or target == "ignore":
            continue
        if target.startswith(CUSTOM_PREFIX):
            if not CUSTOM_KEY_RE.match(target[len(CUSTOM_PREFIX) :]):
                problems.append(_("%(t)s: a custom field is custom.<letters, digits, _>.") % {"t": target})
                continue
        elif target not in STANDARD_TARGETS:
            problems.append(_("%(t)s is not a contact field.") % {"t": target})
            continue
        if target in seen:
            problems.append(
                _("Columns %(a)s and %(b)s both map to %(t)s.") % {"a": seen[target], "b": column, "t": target}
            )
            continue
        seen[target] = column
        clean[column] = target
    if "phone" not in seen and not problems:
        problems.append(_("Map one column to the phone number."))
    if problems:
        raise _invalid({"mapping": problems})
    return clean


# --- upload and start --------------------------------------------------------------------------------


@transaction.atomic
def contact_list_upload(
    *, campaign: Campaign, upload: Any, name: str = "", mapping: Any = None, user: Any = None
) -> ContactList:
    """Store the file and read its header; with a ``mapping`` the import starts at once."""
    if campaign.status == CampaignStatus.FINISHED:
        raise ApplicationError("invalid_state", _("A finished campaign takes no more contacts."))
    errors: dict[str, list[Any]] = {}
    file_format = file_format_of(getattr(upload, "name", ""))
    if upload is None:
        errors["file"] = [_("Upload a file.")]
    elif file_format is None:
        errors["file"] = [_("Upload a CSV or XLSX file.")]
    elif problem := upload_limit_problem(upload):
        errors["file"] = [problem]
    name = (name or getattr(upload, "name", "") or "").strip()[:200]
    if errors or file_format is None:
        raise _invalid(errors)
    upload.seek(0)
    try:
        header = read_header(upload, file_format)
    except ApplicationError as error:
        raise _invalid({"file": [error.message]}) from error
    upload.seek(0)
    contact_list = ContactList(
        campaign=campaign,
        name=name,
        file_format=file_format,
        encoding=header["encoding"] if file_format == ExportFormat.CSV else "",
        columns=header["columns"],
        sample=header["sample"],
        created_by=user if getattr(user, "pk", None) else None,
    )
    if mapping is not None:
        contact_list.mapping = mapping_validate(mapping, header["columns"])
        contact_list.status = ContactListStatus.QUEUED
    else:
        contact_list.mapping = mapping_suggest(header["columns"])
    contact_list.file.save(f"contacts-{timezone.now():%H%M%S}.{file_format}", upload, save=False)
    contact_list.save()
    if contact_list.status == ContactListStatus.QUEUED:
        _enqueue(contact_list)
    return contact_list


@transaction.atomic
def contact_list_start(*, contact_list: ContactList, mapping: Any) -> ContactList:
    """Confirm the mapping and queue the import (again, after a failure: only missing rows are added)."""
    contact_list = ContactList.objects.select_for_update().select_related("campaign").get(pk=contact_list.pk)
    if contact_list.status not in (ContactListStatus.UPLOADED, ContactListStatus.FAILED):
        raise ApplicationError("invalid_state", _("This list is already imported or being imported."))
    if contact_list.campaign.status == CampaignStatus.FINISHED:
        raise ApplicationError("invalid_state", _("A finished campaign takes no more contacts."))
    contact_list.mapping = mapping_validate(mapping, contact_list.columns)
    contact_list.status = ContactListStatus.QUEUED
    contact_list.error_message = ""
    contact_list.attempts = 0
    contact_list.heartbeat_at = timezone.now()
    contact_list.save(update_fields=["mapping", "status", "error_message", "attempts", "heartbeat_at"])
    _enqueue(contact_list)
    return contact_list


def _enqueue(contact_list: ContactList) -> None:
    from apps.telephony.tasks import contact_list_import_task

    list_id = contact_list.pk
    transaction.on_commit(lambda: contact_list_import_task.delay(list_id))


@transaction.atomic
def contact_list_delete(*, contact_list: ContactList) -> None:
    """A list goes with its contacts, unless the campaign has dialled any of them."""
    if contact_list.status in (ContactListStatus.QUEUED, ContactListStatus.IMPORTING, ContactListStatus.STALLED):
        raise ApplicationError("invalid_state", _("Wait until the import has finished, or cancel it."))
    if contact_list.contacts.filter(attempts__gt=0).exists():
        raise ApplicationError("in_use", _("Contacts of this list were dialled; the list stays with the results."))
    contact_list.file.delete(save=False)
    if contact_list.error_report:
        contact_list.error_report.delete(save=False)
    contact_list.delete()


# --- the import itself ----------------------------------------------------------------------------------


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


@dataclass
class _Batch:
    rows: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)  # row, raw phone, values


@dataclass
class ImportCounters:
    processed: int = 0
    imported: int = 0
    invalid: int = 0
    duplicate: int = 0
    dnc: int = 0


def contact_list_import(contact_list_id: int) -> ContactList:
    """Run an import (the Celery task's body). Idempotent: a task that arrives twice, or after its
    worker died, resumes after the last committed row or does nothing (:mod:`import_jobs`)."""
    leased = import_job_lease(ContactList, contact_list_id)
    if leased is None:
        return ContactList.objects.get(pk=contact_list_id)
    contact_list = ContactList.objects.select_related("campaign").get(pk=contact_list_id)
    counters = ImportCounters(
        processed=contact_list.rows_processed,
        imported=contact_list.rows_imported,
        invalid=contact_list.rows_invalid,
        duplicate=contact_list.rows_duplicate,
        dnc=contact_list.rows_dnc,
    )
    try:
        with contact_list.file.open("rb") as stored:
            binary = getattr(stored, "file", stored)
            rows = SpreadsheetRows(binary, contact_list.file_format, encoding=contact_list.encoding)
            _import_rows(contact_list, rows, counters)
    except LeaseLost:
        logger.info("contact list %s: cancelled or taken over; this worker stops", contact_list_id)
        _finish(contact_list, counters, stopped=True)
    except ApplicationError as error:
        _finish(contact_list, counters, failed=str(error.message))
    except Exception as error:
        logger.exception("contact list %s: import failed", contact_list_id)
        _finish(contact_list, counters, failed=_("The import stopped: %(e)s") % {"e": type(error).__name__})
    else:
        _finish(contact_list, counters)
    contact_list.refresh_from_db()
    return contact_list


def _import_rows(contact_list: ContactList, rows: SpreadsheetRows, counters: ImportCounters) -> None:
    campaign = contact_list.campaign
    iterator = iter(rows)
    try:
        _row, header = next(iterator)
    except StopIteration:
        raise ApplicationError("invalid_file", _("The file is empty.")) from None
    columns = [column.strip() for column in header]
    index: dict[str, int] = {}
    for position, column in enumerate(columns):
        index.setdefault(column, position)
    targets = [(index[column], target) for column, target in contact_list.mapping.items() if column in index]
    if not any(target == "phone" for _position, target in targets):
        raise ApplicationError("invalid_file", _("The file has no column mapped to the phone number."))
    checkpoint = contact_list.rows_checkpoint
    batch = _Batch()
    row_number = checkpoint
    for row_number, values in iterator:
        if row_number <= checkpoint:
            continue  # committed by an earlier run of this job
        if not any(value.strip() if isinstance(value, str) else value for value in values):
            continue  # blank line
        picked: dict[str, Any] = {}
        for position, target in targets:
            picked[target] = unneutralise(values[position].strip()) if position < len(values) else ""
        batch.rows.append((row_number, picked.get("phone", ""), picked))
        if len(batch.rows) >= BATCH_SIZE:
            _import_batch(contact_list, campaign, batch, counters, last_row=row_number, percent=rows.progress())
            checkpoint = row_number
            batch = _Batch()
    if batch.rows or row_number > checkpoint:  # the last rows, or blank lines after them
        _import_batch(contact_list, campaign, batch, counters, last_row=row_number, percent=rows.progress())


#: Columns written by COPY, in order (every NOT NULL column of the table; the rest stay NULL).
COPY_COLUMNS = (
    "campaign_id",
    "contact_list_id",
    "name",
    "phone",
    "time_zone",
    "email",
    "external_id",
    "data",
    "status",
    "attempts",
    "next_attempt_at",
    "priority",
    "last_outcome",
    "created_at",
)


def _contact_fields(
    campaign: Campaign, phone: str, zone_of_number: str | None, values: dict[str, Any]
) -> tuple[dict[str, Any] | None, str, str]:
    """The contact a row describes as field values, or (None, value, reason)."""
    custom: dict[str, str] = {}
    standard = {"name": "", "email": "", "external_id": ""}
    zone = ""
    for target, value in values.items():
        if target.startswith(CUSTOM_PREFIX):
            if len(value) > FIELD_LIMITS["custom"]:
                return None, value[:50], _("%(f)s is too long.") % {"f": target}
            if value:
                custom[target[len(CUSTOM_PREFIX) :]] = value
        elif target == "time_zone":
            zone = value
        elif target != "phone":
            if len(value) > FIELD_LIMITS.get(target, 200):
                return None, value[:50], _("%(f)s is too long.") % {"f": target}
            standard[target] = value
    if zone and not is_time_zone(zone):
        return None, zone, _("Unknown time zone.")
    return {**standard, "time_zone": zone or zone_of_number or campaign.default_time_zone, "data": custom}, "", ""


def _write_contacts(contact_list: ContactList, campaign: Campaign, fresh: list[tuple[str, dict[str, Any]]]) -> None:
    """COPY the batch in (a bulk INSERT spends most of its time building SQL in Python). If another
    import of the same campaign took one of these numbers since the lookup, the unique constraint
    refuses the COPY and the batch goes in again as INSERT … ON CONFLICT DO NOTHING."""
    now = timezone.now()
    rows = [
        (
            campaign.pk,
            contact_list.pk,
            fields["name"],
            phone,
            fields["time_zone"],
            fields["email"],
            fields["external_id"],
            json.dumps(fields["data"], ensure_ascii=False),
            ContactStatus.NEW.value,
            0,
            contact_list.created_at,
            0,
            "",
            now,
        )
        for phone, fields in fresh
    ]
    statement = f"COPY {Contact._meta.db_table} ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    try:
        # The raw psycopg cursor: wrap_database_errors turns its errors into Django's.
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(statement) as copy,
        ):
            for row in rows:
                copy.write_row(row)
    except IntegrityError:
        Contact.objects.bulk_create(
            [
                Contact(
                    campaign=campaign,
                    contact_list=contact_list,
                    phone=phone,
                    next_attempt_at=contact_list.created_at,
                    **fields,
                )
                for phone, fields in fresh
            ],
            batch_size=BATCH_SIZE,
            ignore_conflicts=True,
        )


def _import_batch(
    contact_list: ContactList,
    campaign: Campaign,
    batch: _Batch,
    counters: ImportCounters,
    *,
    last_row: int,
    percent: int,
) -> None:
    """One batch, committed with the job's checkpoint, counters, rejected rows and heartbeat."""
    first_row = batch.rows[0][0] if batch.rows else last_row
    with transaction.atomic():
        import_job_checkpoint(ContactList, contact_list.pk, first_row=first_row)
        before = ImportCounters(**vars(counters))
        report = RowErrors(contact_list=contact_list)
        try:
            _import_batch_rows(contact_list, campaign, batch, report, counters)
            report.save()
            ContactList.objects.filter(pk=contact_list.pk).update(
                status=ContactListStatus.IMPORTING,
                rows_checkpoint=last_row,
                heartbeat_at=timezone.now(),
                rows_processed=counters.processed,
                rows_imported=counters.imported,
                rows_invalid=counters.invalid,
                rows_duplicate=counters.duplicate,
                rows_dnc=counters.dnc,
                progress_percent=percent,
            )
        except BaseException:
            vars(counters).update(vars(before))  # the batch rolls back: so do its counts
            raise


def _import_batch_rows(
    contact_list: ContactList, campaign: Campaign, batch: _Batch, report: RowErrors, counters: ImportCounters
) -> None:
    candidates: dict[str, tuple[int, str, dict[str, Any], str | None]] = {}
    for row_number, raw_phone, values in batch.rows:
        counters.processed += 1
        if not raw_phone:
            counters.invalid += 1
            report.add(row_number, "", _("No phone number."))
            continue
        normalised = normalize_number_and_zone(raw_phone)
        if normalised is None:
            counters.invalid += 1
            report.add(row_number, raw_phone, _("Not a valid phone number."))
            continue
        phone, zone_of_number = normalised
        if phone in candidates:
            counters.duplicate += 1
            report.add(row_number, raw_phone, _("Duplicate of row %(row)d.") % {"row": candidates[phone][0]})
            continue
        candidates[phone] = (row_number, raw_phone, values, zone_of_number)
    phones = list(candidates)
    with transaction.atomic():
        existing = dict(
            Contact.objects.filter(campaign=campaign, phone__in=phones).values_list("phone", "contact_list_id")
        )
        blocked = set(
            DoNotCall.objects.filter(dnc_scope_q(campaign.pk), number__in=phones).values_list("number", flat=True)
        )
        fresh: list[tuple[str, dict[str, Any]]] = []
        for phone, (row_number, raw_phone, values, zone_of_number) in candidates.items():
            if phone in existing:
                counters.duplicate += 1
                reason = (
                    _("Duplicate of an earlier row.")
                    if existing[phone] == contact_list.pk
                    else _("Already in this campaign.")
                )
                report.add(row_number, raw_phone, reason)
            elif phone in blocked:
                counters.dnc += 1
                report.add(row_number, raw_phone, _("On the do-not-call list."))
            else:
                fields, value, reason = _contact_fields(campaign, phone, zone_of_number, values)
                if fields is None:
                    counters.invalid += 1
                    report.add(row_number, value, reason)
                else:
                    fresh.append((phone, fields))
        if fresh:
            _write_contacts(contact_list, campaign, fresh)
        counters.imported += len(fresh)


def _finish(contact_list: ContactList, counters: ImportCounters, *, failed: str | None = None, stopped=False) -> None:
    """Close the job: its error report, final counts and status (a cancelled job keeps
    ``cancelled``; a job taken over by another worker is left to that worker)."""
    with transaction.atomic():
        try:
            contact_list = ContactList.objects.select_for_update().get(pk=contact_list.pk)
        except ContactList.DoesNotExist:
            return
        if stopped and contact_list.status != ContactListStatus.CANCELLED:
            return
        if contact_list.status not in (ContactListStatus.IMPORTING, ContactListStatus.CANCELLED):
            return
        error_report_store(
            contact_list.error_report, f"contact-list-{contact_list.pk}-errors.csv", contact_list=contact_list
        )
        contact_list.rows_imported = Contact.objects.filter(contact_list=contact_list).count()
        contact_list.finished_at = timezone.now()
        if contact_list.status == ContactListStatus.CANCELLED:
            pass
        elif failed is None:
            contact_list.status = ContactListStatus.DONE
            contact_list.progress_percent = 100
            contact_list.rows_total = contact_list.rows_processed
        else:
            contact_list.status = ContactListStatus.FAILED
            contact_list.error_message = failed
        contact_list.save()
    if counters.imported:
        # Fresh statistics: right after a bulk load the planner would otherwise pick a plan
        # for an empty table and the dialer's due-contacts query would scan the campaign.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Contact._meta.db_table}")


# --- do-not-call imports --------------------------------------------------------------------------------


@transaction.atomic
def dnc_import_upload(
    *, upload: Any, campaign: Campaign | None = None, column: str = "", reason: str = "", user: Any = None
) -> DoNotCallImport:
    """Queue a file of numbers for a do-not-call list (tenant-wide without ``campaign``). ``column``
    names the number column; by default the one whose header looks like a phone, else the first."""
    errors: dict[str, list[Any]] = {}
    file_format = file_format_of(getattr(upload, "name", ""))
    if upload is None:
        errors["file"] = [_("Upload a file.")]
    elif file_format is None:
        errors["file"] = [_("Upload a CSV or XLSX file.")]
    elif problem := upload_limit_problem(upload):
        errors["file"] = [problem]
    reason = (reason or "").strip()
    if len(reason) > 200:
        errors["reason"] = [_("At most %(n)d characters.") % {"n": 200}]
    if errors or file_format is None:
        raise _invalid(errors)
    upload.seek(0)
    try:
        header = read_header(upload, file_format)
    except ApplicationError as error:
        raise _invalid({"file": [error.message]}) from error
    upload.seek(0)
    columns = header["columns"]
    column = (column or "").strip()
    if column and column not in columns:
        raise _invalid({"column": [_("The file has no column %(c)s.") % {"c": column}]})
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
    from apps.telephony.tasks import dnc_import_task

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


# --- export -------------------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "phone",
    "name",
    "external_id",
    "list",
    "status",
    "attempts",
    "last_attempt_at",
    "last_outcome",
    "disposition",
    "disposition_name",
    "next_attempt_at",
)


@transaction.atomic
def export_log(*, campaign: Campaign, user: Any, file_format: str, ip_address: str | None = None) -> CampaignExport:
    export = CampaignExport.objects.create(
        campaign=campaign,
        user=user if getattr(user, "pk", None) else None,
        file_format=file_format,
        ip_address=ip_address,
    )
    audit_record(
        action=AuditAction.EXPORT_DOWNLOADED,
        actor=user if getattr(user, "pk", None) else None,
        target=campaign,
        ip=ip_address,
        extra={"kind": "campaign_results", "format": file_format},
    )
    return export


def error_report_downloaded(*, source: ContactList | DoNotCallImport, user: Any) -> None:
    """An import's error report leaves the product (it holds the rejected rows' phone numbers
    and names): audited like every other export."""
    audit_record(
        action=AuditAction.EXPORT_DOWNLOADED,
        actor=user if getattr(user, "pk", None) else None,
        target=source,
        extra={"kind": "import_error_report"},
    )


def export_rows(campaign: Campaign) -> Iterator[list[Any]]:
    """The header, then one row per contact, read in chunks (never the whole campaign at once)."""
    yield list(EXPORT_COLUMNS)
    contacts = (
        Contact.objects.filter(campaign=campaign)
        .select_related("contact_list", "last_disposition")
        .order_by("id")
        .only(
            "phone",
            "name",
            "external_id",
            "status",
            "attempts",
            "last_attempt_at",
            "last_outcome",
            "next_attempt_at",
            "contact_list__name",
            "last_disposition__code",
            "last_disposition__name",
        )
    )
    for contact in contacts.iterator(chunk_size=BATCH_SIZE):
        yield [
            contact.phone,
            contact.name,
            contact.external_id,
            contact.contact_list.name if contact.contact_list else "",
            contact.status,
            contact.attempts,
            _iso(contact.last_attempt_at),
            contact.last_outcome,
            contact.last_disposition.code if contact.last_disposition else "",
            contact.last_disposition.name if contact.last_disposition else "",
            _iso(contact.next_attempt_at) if contact.status in ("new", "retry") else "",
        ]


def _iso(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def export_csv_chunks(rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV text in chunks (the safe-export helper: formulas neutralised, UTF-8 with a BOM)."""
    return csv_chunks(rows)


def export_xlsx_file(rows: Iterable[list[Any]]) -> IO[bytes]:
    """An XLSX of ``rows`` in a temporary file (the safe-export helper: text cells are strings)."""
    return xlsx_file(rows, sheet_title="results")


def export_check_size(campaign: Campaign, file_format: str) -> None:
    if file_format == ExportFormat.XLSX and Contact.objects.filter(campaign=campaign).count() > XLSX_MAX_ROWS:
        raise ApplicationError("too_large", _("Too many contacts for one XLSX sheet; export CSV instead."))


@dataclass(frozen=True)
class ResultsExport:
    """What a results download writes: the rows (header first, read lazily) and the file's name.
    The page and the API turn it into a response with :func:`apps.core.exports.export_response`."""

    rows: Iterator[list[Any]]
    filename: str
    file_format: str


def campaign_export(*, campaign: Campaign, file_format: str, user: Any, ip_address: str | None) -> ResultsExport:
    """Log a results export of ``campaign`` (who, when, from where) and answer its rows — the
    same for the console page and the API. The caller has checked the format and the size
    (:func:`export_check_size`)."""
    export_log(campaign=campaign, user=user, file_format=file_format, ip_address=ip_address)
    return ResultsExport(
        rows=export_rows(campaign), filename=f"campaign-{campaign.pk}-results.{file_format}", file_format=file_format
    )
