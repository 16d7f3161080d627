"""Campaign results out: the campaign's contacts with their attempts, last outcome and
disposition, streamed through the safe-export helper (:mod:`apps.core.exports`) in chunks, never
the whole campaign at once; every export is logged (who, when, from where) and audited.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.exports import XLSX_MAX_ROWS, csv_chunks, xlsx_file
from apps.telephony.choices import ExportFormat
from apps.telephony.models import Campaign, CampaignExport, Contact

#: Contacts read per query while the file streams out.
CHUNK_SIZE = 2000

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
    for contact in contacts.iterator(chunk_size=CHUNK_SIZE):
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
