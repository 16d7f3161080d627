"""Customers in from CSV/XLSX, in bounded memory — the contact-list import's machinery applied to
customers.

The request stores the upload and reads only its header and a few rows (:mod:`apps.core.imports`
through the contact import's upload checks, ``import_files``); the column mapping is suggested from
the headers and confirmed by the user. A Celery task then streams the rows in batches of
:data:`BATCH_SIZE`. Each batch is validated row by row with the one customer validation
(:func:`customer_values_clean`: names, numbers, addresses, tags, VIP level, custom fields with
their types and required flags), deduplicated — a row whose phone number or e-mail address belongs
to an existing customer, or to an earlier row of the file, is a duplicate, as is a unique custom
value already taken — and bulk-inserted under the customers' advisory lock. The batch commits with
the job's checkpoint, counters, rejected rows and heartbeat through the contact import's lease and
checkpoint (``import_jobs``), so a task delivered twice or after its worker died resumes after the
last committed row; Retry and Cancel work as they do for contact lists. Rejected rows become a CSV
error report (row, value, reason) written through the safe-export helper.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
from collections.abc import Mapping
from itertools import chain
from typing import Any, cast

from django.core.files import File
from django.db import connection, transaction
from django.db.models import F
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.exports import csv_write
from apps.core.imports import SpreadsheetRows, unneutralise
from apps.crm.choices import CustomerImportStatus
from apps.crm.models import Customer, CustomerImport, CustomerImportRowError, CustomField
from apps.crm.phones import phone_variants
from apps.crm.services.customers import custom_fields_by_key, customer_values_clean, lock_phone_book
from apps.telephony.models import ContactList
from apps.telephony.services.campaigns.import_files import BATCH_SIZE, invalid_fields, upload_check, upload_header
from apps.telephony.services.campaigns.import_jobs import LeaseLost, import_job_checkpoint, import_job_lease

logger = logging.getLogger(__name__)

CUSTOM_PREFIX = "custom."
ANALYZE_EVERY = 10  # batches
REPEATABLE = ("phone", "email", "tags")  # several columns may feed these (home and mobile …)
STANDARD_TARGETS = ("name", "phone", "email", "tags", "vip_level", "notes", "owner")
LIST_SEPARATORS = re.compile(r"[,，;；/|、]")
HEADER_GUESSES = {
    "name": {"name", "fullname", "customer", "customername", "姓名", "名字", "客户", "客户姓名", "客户名称"},
    "phone": {
        "phone",
        "mobile",
        "tel",
        "telephone",
        "phonenumber",
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "联系电话",
        "电话号码",
    },
    "email": {"email", "e_mail", "mail", "邮箱", "电子邮箱", "电子邮件"},
    "tags": {"tags", "tag", "标签"},
    "vip_level": {"vip", "viplevel", "vip_level", "vip等级"},
    "notes": {"notes", "note", "remark", "remarks", "备注"},
    "owner": {"owner", "负责人", "归属", "归属坐席"},
}


def _normalised_header(header: str) -> str:
    return re.sub(r"[\s\-]+", "", header.strip().lower())


# --- mapping ----------------------------------------------------------------------------------------


def mapping_suggest(columns: list[str], fields: Mapping[str, CustomField]) -> dict[str, str]:
    """A first mapping from the headers (standard names in Chinese and English, custom fields by
    key or label); columns it cannot place are ignored until the user maps them."""
    by_label = {_normalised_header(field.label): key for key, field in fields.items()}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        if not column or column in mapping:
            continue
        normalised = _normalised_header(column)
        target = next(
            (
                name
                for name, spellings in HEADER_GUESSES.items()
                if normalised in spellings and (name in REPEATABLE or name not in taken)
            ),
            "",
        )
        if not target:
            key = normalised if normalised in fields else by_label.get(normalised)
            target = CUSTOM_PREFIX + key if key else ""
        if target:
            taken.add(target)
        mapping[column] = target
    return mapping


def mapping_validate(mapping: Any, columns: list[str], fields: Mapping[str, CustomField]) -> dict[str, str]:
    """``{"column": "name" | "phone" | "email" | "tags" | "vip_level" | "notes" | "owner" |
    "custom.<key>" | ""}``; the name and at least one phone number or e-mail must be mapped."""
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
            if target[len(CUSTOM_PREFIX) :] not in fields:
                problems.append(_("There is no custom field %(k)s.") % {"k": target[len(CUSTOM_PREFIX) :]})
                continue
        elif target not in STANDARD_TARGETS:
            problems.append(_("%(t)s is not a customer field.") % {"t": target})
            continue
        if target in seen and target not in REPEATABLE:
            problems.append(
                _("Columns %(a)s and %(b)s both map to %(t)s.") % {"a": seen[target], "b": column, "t": target}
            )
            continue
        seen.setdefault(target, column)
        clean[column] = target
    if not problems:
        if "name" not in seen:
            problems.append(_("Map one column to the name."))
        if "phone" not in seen and "email" not in seen:
            problems.append(_("Map a column to the phone number or the e-mail address (duplicates are found by them)."))
    if problems:
        raise invalid_fields({"mapping": problems})
    return clean


# --- upload, start, retry, cancel -----------------------------------------------------------------------


def _enqueue(job: CustomerImport) -> None:
    from apps.crm.tasks_customers import customer_import_task  # noqa: PLC0415 -- import cycle: the task module imports this one

    pk = job.pk
    transaction.on_commit(lambda: customer_import_task.delay(pk))


def _queue(job: CustomerImport, user: Any) -> None:
    job.status = CustomerImportStatus.QUEUED
    job.error_message = ""
    job.attempts = 0
    job.heartbeat_at = timezone.now()
    audit_record(
        action=AuditAction.CUSTOMER_IMPORT_STARTED,
        actor=user if getattr(user, "pk", None) else None,
        target=job,
        after={"file": job.file_name, "mapping": job.mapping},
    )


@transaction.atomic
def customer_import_upload(*, upload: Any, mapping: Any = None, user: Any = None) -> CustomerImport:
    """Store the file and read its header; with a ``mapping`` the import starts at once."""
    file_format, errors = upload_check(upload)
    if errors or file_format is None:
        raise invalid_fields(errors)
    header = upload_header(upload, file_format)
    fields = custom_fields_by_key()
    job = CustomerImport(
        file_name=(getattr(upload, "name", "") or "")[:200],
        file_format=file_format,
        encoding=header["encoding"] if file_format == "csv" else "",
        columns=header["columns"],
        sample=header["sample"],
        created_by=user if getattr(user, "pk", None) else None,
    )
    if mapping is not None:
        job.mapping = mapping_validate(mapping, header["columns"], fields)
    else:
        job.mapping = mapping_suggest(header["columns"], fields)
    job.file.save(f"customers-{timezone.now():%H%M%S}.{file_format}", upload, save=False)
    job.save()
    if mapping is not None:
        _queue(job, user)
        job.save()
        _enqueue(job)
    return job


@transaction.atomic
def customer_import_start(*, job: CustomerImport, mapping: Any, user: Any = None) -> CustomerImport:
    """Confirm the mapping and queue the import (again after a failure: it resumes after its checkpoint)."""
    job = CustomerImport.objects.select_for_update().get(pk=job.pk)
    if job.status not in (CustomerImportStatus.UPLOADED, CustomerImportStatus.FAILED):
        raise ApplicationError("invalid_state", _("This file is already imported or being imported."))
    job.mapping = mapping_validate(mapping, job.columns, custom_fields_by_key())
    _queue(job, user)
    job.save()
    _enqueue(job)
    return job


# --- the import itself ------------------------------------------------------------------------------------


def _job_model() -> type[ContactList]:
    """The contact import's lease and checkpoint are written for its two job tables; a customer
    import has the same job fields (status values, heartbeat, checkpoint, attempts) and runs on them."""
    return cast("type[ContactList]", CustomerImport)


def customer_import_run(job_id: int) -> CustomerImport:
    """The Celery task's body. Idempotent: a task that arrives twice, or after its worker died,
    resumes after the last committed row or does nothing."""
    leased = import_job_lease(_job_model(), job_id)
    if leased is None:
        return CustomerImport.objects.get(pk=job_id)
    job = CustomerImport.objects.get(pk=job_id)
    try:
        with job.file.open("rb") as stored:
            rows = SpreadsheetRows(getattr(stored, "file", stored), job.file_format, encoding=job.encoding)
            _import_rows(job, rows)
    except LeaseLost:
        logger.info("customer import %s: cancelled or taken over; this worker stops", job_id)
        _finish(job, stopped=True)
    except ApplicationError as error:
        _finish(job, failed=str(error.message))
    except Exception as error:
        logger.exception("customer import %s failed", job_id)
        _finish(job, failed=_("The import stopped: %(e)s") % {"e": type(error).__name__})
    else:
        _finish(job)
    job.refresh_from_db()
    return job


def _import_rows(job: CustomerImport, rows: SpreadsheetRows) -> None:
    iterator = iter(rows)
    try:
        _row, header = next(iterator)
    except StopIteration:
        raise ApplicationError("invalid_file", _("The file is empty.")) from None
    index: dict[str, int] = {}
    for position, column in enumerate(column.strip() for column in header):
        index.setdefault(column, position)
    targets = [(index[column], target) for column, target in job.mapping.items() if column in index]
    fields = custom_fields_by_key()
    owners = {email.lower(): pk for pk, email in User.objects.filter(is_active=True).values_list("pk", "email")}
    checkpoint = job.rows_checkpoint
    batches = 0
    batch: list[tuple[int, dict[str, Any]]] = []
    row_number = checkpoint
    for row_number, values in iterator:
        if row_number <= checkpoint:
            continue  # committed by an earlier run of this job
        if not any(value.strip() for value in values):
            continue  # a blank line
        picked: dict[str, list[str]] = {}
        for position, target in targets:
            cell = unneutralise(values[position].strip()) if position < len(values) else ""
            picked.setdefault(target, []).append(cell)
        batch.append((row_number, picked))
        if len(batch) >= BATCH_SIZE:
            _import_batch(job, batch, fields, owners, last_row=row_number, percent=rows.progress())
            checkpoint = row_number
            batch = []
            batches += 1
            if batches % ANALYZE_EVERY == 0:
                _analyze()  # the table grows under the import: keep the dedupe lookups on their indexes
    if batch or row_number > checkpoint:
        _import_batch(job, batch, fields, owners, last_row=row_number, percent=rows.progress())


def _split(cells: list[str]) -> list[str]:
    return [part.strip() for cell in cells for part in LIST_SEPARATORS.split(cell) if part.strip()]


def _row_data(picked: dict[str, list[str]], owners: dict[str, int]) -> tuple[dict[str, Any], str]:
    """The customer fields of one row, or ({}, reason) when the owner is unknown."""
    data: dict[str, Any] = {"name": (picked.get("name") or [""])[0], "custom": {}}
    if "phone" in picked:
        data["phones"] = _split(picked["phone"])
    if "email" in picked:
        data["emails"] = _split(picked["email"])
    if "tags" in picked:
        data["tags"] = _split(picked["tags"])
    if picked.get("vip_level", [""])[0]:
        data["vip_level"] = picked["vip_level"][0]
    if "notes" in picked:
        data["notes"] = picked["notes"][0]
    owner = (picked.get("owner") or [""])[0].lower()
    if owner:
        if owner not in owners:
            return {}, _("No active user with the e-mail %(e)s.") % {"e": owner}
        data["owner_user"] = owners[owner]
    for target, cells in picked.items():
        if target.startswith(CUSTOM_PREFIX):
            data["custom"][target[len(CUSTOM_PREFIX) :]] = cells[0]
    return data, ""


def _first_error(errors: dict[str, list[Any]]) -> str:
    name, messages = next(iter(errors.items()))
    return f"{name}: {messages[0]}"


def _import_batch(
    job: CustomerImport,
    batch: list[tuple[int, dict[str, Any]]],
    fields: Mapping[str, CustomField],
    owners: dict[str, int],
    *,
    last_row: int,
    percent: int,
) -> None:
    """One batch, committed with the job's checkpoint, counters, rejected rows and heartbeat."""
    first_row = batch[0][0] if batch else last_row
    with transaction.atomic():
        import_job_checkpoint(_job_model(), job.pk, first_row=first_row)  # the lease: raises LeaseLost
        lock_phone_book()
        rejected: list[CustomerImportRowError] = []

        def reject(row: int, value: Any, reason: str) -> None:
            rejected.append(
                CustomerImportRowError(job_id=job.pk, row=row, value=str(value or "")[:200], reason=reason[:200])
            )

        candidates: list[tuple[int, dict[str, Any]]] = []
        for row_number, picked in batch:
            data, reason = _row_data(picked, owners)
            if reason:
                reject(row_number, (picked.get("owner") or [""])[0], reason)
                continue
            owner = data.pop("owner_user", None)
            clean, errors = customer_values_clean(data, fields=fields)
            if errors:
                reject(row_number, (picked.get("name") or [""])[0], _first_error(errors))
                continue
            if not clean.get("phones") and not clean.get("emails"):
                reject(row_number, clean["name"], _("No phone number or e-mail address."))
                continue
            clean["owner_user_id"] = owner
            candidates.append((row_number, clean))
        fresh = _dedupe(candidates, fields, reject)
        _write_customers([clean for _row, clean in fresh])
        CustomerImportRowError.objects.bulk_create(rejected, ignore_conflicts=True)
        duplicates = sum(1 for error in rejected if error.reason.startswith(DUPLICATE_MARK))
        CustomerImport.objects.filter(pk=job.pk).update(
            status=CustomerImportStatus.IMPORTING,
            rows_checkpoint=last_row,
            heartbeat_at=timezone.now(),
            rows_processed=F("rows_processed") + len(batch),
            rows_imported=F("rows_imported") + len(fresh),
            rows_duplicate=F("rows_duplicate") + duplicates,
            rows_invalid=F("rows_invalid") + len(rejected) - duplicates,
            progress_percent=percent,
        )


DUPLICATE_MARK = "≡ "  # the reason of a duplicate row starts with it (counted apart from invalid rows)


#: Columns written by COPY, in order (every column of the table but the id).
COPY_COLUMNS = (
    ("name", "text"),
    ("phones", "varchar[]"),
    ("emails", "varchar[]"),
    ("tags", "varchar[]"),
    ("is_vip", "bool"),
    ("vip_level", "int2"),
    ("owner_user_id", "int8"),
    ("owner_team_id", "int8"),
    ("custom", "jsonb"),
    ("notes", "text"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)


def _write_customers(rows: list[dict[str, Any]]) -> None:
    """COPY the batch in: a bulk INSERT spends most of its time building SQL in Python. The rows
    are already validated and deduplicated under the customers' lock."""
    if not rows:
        return
    now = timezone.now()
    statement = f"COPY {Customer._meta.db_table} ({', '.join(name for name, _type in COPY_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        copy.set_types([kind for _name, kind in COPY_COLUMNS])
        for row in rows:
            copy.write_row(
                (
                    row["name"],
                    row.get("phones", []),
                    row.get("emails", []),
                    row.get("tags", []),
                    row.get("is_vip", False),
                    row.get("vip_level", 0),
                    row.get("owner_user_id"),
                    None,
                    Jsonb(row.get("custom", {})),
                    row.get("notes", ""),
                    now,
                    now,
                )
            )


def _holders(phones: list[str], emails: list[str]) -> list[tuple[int, str, list[str], list[str]]]:
    """The customers holding any of ``phones`` or ``emails``: one GIN lookup per value (a join on
    the unnested values). ``phones && ARRAY[…thousands…]`` would be planned as a scan of the whole
    table — PostgreSQL expects a large share of the rows to match so many values."""
    table = Customer._meta.db_table
    sql = (
        f"SELECT c.id, c.name, c.phones, c.emails FROM unnest(%s::varchar[]) AS v(value)"  # noqa: S608 -- the model's table
        f" JOIN {table} c ON c.phones @> ARRAY[v.value]::varchar[]"
        f" UNION SELECT c.id, c.name, c.phones, c.emails FROM unnest(%s::varchar[]) AS v(value)"
        f" JOIN {table} c ON c.emails @> ARRAY[v.value]::varchar[]"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [phones, emails])
        return list(cursor.fetchall())


def _dedupe(candidates: list[tuple[int, dict[str, Any]]], fields: Mapping[str, CustomField], reject) -> list:
    """The rows that are new customers: not matching an existing customer or an earlier row by
    any phone number (either national form) or e-mail address, nor taking a unique value."""
    phones = {v for _row, clean in candidates for phone in clean.get("phones", []) for v in phone_variants(phone)}
    emails = {email for _row, clean in candidates for email in clean.get("emails", [])}
    holders: dict[str, tuple[int, str]] = {}
    for pk, name, their_phones, their_emails in _holders(sorted(phones), sorted(emails)):
        for value in [*their_phones, *their_emails]:
            holders.setdefault(value, (pk, name))
    unique_keys = [key for key, field in fields.items() if field.unique]
    taken: set[tuple[str, str]] = set()
    for key in unique_keys:
        # Numbers and text compare as text (``->>``), as the stored JSON scalar reads back.
        wanted = sorted({str(clean["custom"][key]) for _row, clean in candidates if key in clean["custom"]})
        if wanted:
            found = (
                Customer.objects.filter(custom__has_key=key)
                .annotate(value=KeyTextTransform(key, "custom"))
                .filter(value__in=wanted)
                .values_list("value", flat=True)
            )
            taken.update((key, value) for value in found)
    seen: dict[str, int] = {}
    fresh = []
    for row_number, clean in candidates:
        keys = [v for phone in clean.get("phones", []) for v in phone_variants(phone)] + clean.get("emails", [])
        holder = next((holders[k] for k in keys if k in holders), None)
        if holder is not None:
            reject(
                row_number,
                clean["name"],
                DUPLICATE_MARK + _("Already a customer: %(n)s (#%(id)d).") % {"n": holder[1], "id": holder[0]},
            )
            continue
        earlier = next((seen[k] for k in keys if k in seen), None)
        if earlier is not None:
            reject(row_number, clean["name"], DUPLICATE_MARK + _("Duplicate of row %(row)d.") % {"row": earlier})
            continue
        clash = next((key for key in unique_keys if (key, str(clean["custom"].get(key))) in taken), None)
        if clash is not None:
            reject(
                row_number, clean["custom"][clash], _("Another customer has this %(f)s.") % {"f": fields[clash].label}
            )
            continue
        for k in keys:
            seen[k] = row_number
        taken.update((key, str(clean["custom"][key])) for key in unique_keys if key in clean["custom"])
        fresh.append((row_number, clean))
    return fresh


def _finish(job: CustomerImport, *, failed: str | None = None, stopped: bool = False) -> None:
    """Close the job: its error report, final counts and status (a cancelled job stays cancelled;
    one taken over by another worker is left to that worker)."""
    with transaction.atomic():
        locked = CustomerImport.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None:
            return
        job = locked
        if stopped and job.status != CustomerImportStatus.CANCELLED:
            return
        if job.status not in (CustomerImportStatus.IMPORTING, CustomerImportStatus.CANCELLED):
            return
        _error_report_store(job)
        job.finished_at = timezone.now()
        if job.status == CustomerImportStatus.CANCELLED:
            pass
        elif failed is None:
            job.status = CustomerImportStatus.DONE
            job.progress_percent = 100
            job.rows_total = job.rows_processed
        else:
            job.status = CustomerImportStatus.FAILED
            job.error_message = failed
        job.save()
    if job.rows_imported:
        _analyze()


def _analyze() -> None:
    """Fresh statistics after a bulk load: the planner would otherwise plan the caller-number and
    dedupe lookups for the table it saw before (and may scan it whole)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Customer._meta.db_table}")


def _error_report_store(job: CustomerImport) -> int:
    """The rejected rows as the CSV error report (through the safe-export helper: the values are
    the uploader's text), then drop the rows. Returns how many."""
    rows = CustomerImportRowError.objects.filter(job=job).order_by("row").values_list("row", "value", "reason")
    with tempfile.TemporaryFile(mode="w+b") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        cleaned = (
            (row, value, reason.removeprefix(DUPLICATE_MARK))
            for row, value, reason in rows.iterator(chunk_size=BATCH_SIZE)
        )
        count = csv_write(text, chain([[_("row"), _("value"), _("reason")]], cleaned))
        text.flush()
        binary.seek(0)
        if count > 1:
            if job.error_report:
                job.error_report.delete(save=False)
            job.error_report.save(f"customer-import-{job.pk}-errors.csv", File(binary), save=False)
        text.detach()
    CustomerImportRowError.objects.filter(job=job).delete()
    return count - 1
