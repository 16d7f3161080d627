"""The audit log as a CSV or XLSX download, through the product's one safe-export helper
(``apps.core.exports``: formula-like text neutralised, XLSX cells written as strings)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.selectors import audit_export_rows
from apps.audit.services import AuditTarget, audit_record
from apps.core import exports

FORMATS = exports.FORMATS
XLSX_MAX_ROWS = exports.XLSX_MAX_ROWS


def export_response(request, queryset: QuerySet, file_format: str, filters: dict[str, Any]):
    """The filtered log as a download, the same for the page and the API. Exporting the audit
    log is itself an export, so it is audited (with the filters used) before the first byte.
    The caller has checked the format, the filters and the XLSX size."""
    audit_record(
        action=AuditAction.EXPORT_DOWNLOADED,
        actor=request.user,
        request=request,
        target=AuditTarget("audit.auditentry", "", "audit log"),
        extra={"kind": "audit_log", "format": file_format, "filters": filters},
    )
    return exports.export_response(
        request,
        audit_export_rows(queryset),
        file_format=file_format,
        filename=f"audit-{timezone.localdate():%Y%m%d}.{file_format}",
        sheet_title="audit",
    )
