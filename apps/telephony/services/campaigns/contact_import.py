"""Contact lists in, in bounded memory.

A file is uploaded (CSV or XLSX, at most ``IMPORT_MAX_UPLOAD_BYTES``); the request reads only a
bounded prefix for the header and a few rows (the mapping screen), then a Celery task streams the
rows through :mod:`apps.core.imports` — a bounded CSV reader and a streaming XLSX reader with hard
caps on decompressed bytes, shared strings, row length and row count (never openpyxl, which loads
all shared strings) — in batches of :data:`BATCH_SIZE`. Per batch, numbers are normalised to
E.164, duplicates (within the file, and against contacts the campaign already has) and
do-not-call numbers are dropped with an indexed lookup of just that batch's numbers, and the rest
is bulk-inserted; nothing proportional to the file's size is ever held.

Each batch commits together with the job's checkpoint (last row), counters, rejected rows
(:class:`ImportRowError`) and heartbeat, so a task delivered twice or after its worker died
resumes after the checkpoint and no row is imported or reported twice (:mod:`import_jobs`).
The CSV error report (row, value, reason) is built from the rejected rows at the end
(:mod:`import_files`, shared with the do-not-call import in :mod:`dnc_import`). Campaign results
go out through :mod:`results_export`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.imports import SpreadsheetRows, unneutralise
from apps.telephony.choices import CampaignStatus, ContactListStatus, ContactStatus, ExportFormat
from apps.telephony.dialer.numbers import is_time_zone, normalize_number_and_zone
from apps.telephony.models import Campaign, Contact, ContactList, DoNotCall
from apps.telephony.services.campaigns.dnc import dnc_scope_q
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
        raise invalid_fields({"mapping": [_('An object {"column": "field"}.')]})
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
        raise invalid_fields({"mapping": problems})
    return clean


# --- upload and start --------------------------------------------------------------------------------


@transaction.atomic
def contact_list_upload(
    *, campaign: Campaign, upload: Any, name: str = "", mapping: Any = None, user: Any = None
) -> ContactList:
    """Store the file and read its header; with a ``mapping`` the import starts at once."""
    if campaign.status == CampaignStatus.FINISHED:
        raise ApplicationError("invalid_state", _("A finished campaign takes no more contacts."))
    file_format, errors = upload_check(upload)
    name = (name or getattr(upload, "name", "") or "").strip()[:200]
    if errors or file_format is None:
        raise invalid_fields(errors)
    header = upload_header(upload, file_format)
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
    from apps.telephony.tasks import contact_list_import_task  # noqa: PLC0415 -- import cycle: tasks imports this module

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
