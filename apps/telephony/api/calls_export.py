"""``GET /api/v1/calls/export?since=…&until=…&format=csv|xlsx``: every call that arrived in
``[since, until)`` with every CDR field (docs/calls-and-recordings.md §1, columns in
:mod:`apps.telephony.selectors.calls_export`), as a download.

- **Who**: administrators and supervisors. Agents never (they see only their own calls), nor QA:
  a bulk copy of every caller's number and the agents' notes is a manager's decision, and QA
  reviews calls one by one in the call list.
- **Format**: ``?format=`` is DRF's format override, negotiated by the renderers of
  :mod:`apps.core.api.renderers` (an unknown one is a 400); CSV by default.
- **Streamed**: CSV comes from PostgreSQL's COPY in chunks (constant memory for millions of
  rows); XLSX is written row by row to a temporary file (openpyxl's write-only mode), then sent
  in chunks. Under ASGI both become asynchronous iterators (:func:`apps.core.http.stream_for`), so
  daphne sends chunk by chunk instead of buffering the whole file.
- **Bounded**: ``since`` and ``until`` are required, ``since < until``, at most
  :data:`MAX_RANGE_DAYS` apart; an XLSX holds at most one sheet of rows (``too_large``: use CSV
  or a shorter range). Every refusal is a JSON 400 with field messages, whatever format was asked.
- **Audited**: every download is an ``export.downloaded`` entry of the audit log (who, when, from
  where, the range and the format), written before the first byte.
"""

from __future__ import annotations

import datetime
import itertools

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.audit.choices import AuditAction
from apps.audit.services import AuditTarget, audit_record
from apps.core.api.permissions import HasRole
from apps.core.api.renderers import ExportFormatMixin, requested_file_format
from apps.core.errors import ApplicationError
from apps.core.exports import XLSX_CONTENT_TYPE, XLSX_MAX_ROWS, export_response
from apps.core.http import stream_for
from apps.telephony.selectors.calls_export import (
    KEYS,
    calls_csv_chunks,
    calls_export_count,
    calls_export_rows,
    export_columns,
    iso,
)

#: The longest range one export may cover: a year, leap day included.
MAX_RANGE_DAYS = 366
EXPORT_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR)


def _instant(raw: str | None, name: str, errors: dict[str, list[str]]) -> datetime.datetime | None:
    """An ISO 8601 date-time; without an offset it is the tenant's local time."""
    raw = (raw or "").strip().replace(" ", "+")  # an unencoded "+" of an offset arrives as " "
    if not raw:
        errors[name] = [_("Required: an ISO 8601 date-time, e.g. 2026-03-01T00:00:00+08:00.")]
        return None
    try:
        value = parse_datetime(raw)
        if value is not None:
            value = timezone.make_aware(value) if timezone.is_naive(value) else value
            value = value.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        value = None
    if value is None:
        errors[name] = [_("Give an ISO 8601 date-time, e.g. 2026-03-01T00:00:00+08:00.")]
    return value


def export_range(query) -> tuple[datetime.datetime, datetime.datetime]:
    """``since`` and ``until`` of the query, checked; a 400 naming every bad field otherwise."""
    errors: dict[str, list[str]] = {}
    since = _instant(query.get("since"), "since", errors)
    until = _instant(query.get("until"), "until", errors)
    if since is not None and until is not None:
        if until <= since:
            errors["until"] = [_("Must be after since.")]
        elif until - since > datetime.timedelta(days=MAX_RANGE_DAYS):
            errors["until"] = [
                _("At most %(days)d days after since; export a longer period in parts.") % {"days": MAX_RANGE_DAYS}
            ]
    if errors or since is None or until is None:
        raise ApplicationError("invalid", _("The request has invalid fields."), fields=errors)
    return since, until


class CallExportView(ExportFormatMixin, APIView):
    """Every call that arrived in [since, until), all CDR fields, as CSV (default) or XLSX."""

    permission_classes = [HasRole.of(*EXPORT_ROLES)]
    export_columns = staticmethod(export_columns)

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, required=True, description="Calls that arrived from."),
            OpenApiParameter(
                "until",
                OpenApiTypes.DATETIME,
                required=True,
                description=f"… until (excluded); at most {MAX_RANGE_DAYS} days after since.",
            ),
            OpenApiParameter("format", str, enum=["csv", "xlsx"], description="csv (default) or xlsx"),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (400, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    def get(self, request):
        """Every call (CDR) that arrived in [since, until), streamed; times in the tenant's time
        zone with their offset. Every export is written to the audit log."""
        since, until = export_range(request.query_params)
        file_format = requested_file_format(request)
        if file_format == "xlsx" and calls_export_count(since=since, until=until) > XLSX_MAX_ROWS:
            raise ApplicationError(
                "too_large",
                _("More calls than one XLSX sheet holds (%(rows)s); export CSV or choose a shorter range.")
                % {"rows": f"{XLSX_MAX_ROWS:,}"},
            )
        tz = timezone.get_current_timezone()
        audit_record(
            action=AuditAction.EXPORT_DOWNLOADED,
            actor=request.user,
            request=request,
            target=AuditTarget("telephony.call", "", "calls"),
            extra={"kind": "calls", "format": file_format, "since": since.isoformat(), "until": until.isoformat()},
        )
        filename = f"calls-{since.astimezone(tz):%Y%m%d}-{until.astimezone(tz):%Y%m%d}.{file_format}"
        if file_format == "xlsx":
            rows = calls_export_rows(since=since, until=until, tz=tz)
            # Lazily (a chain, not a tuple): openpyxl's write-only sheet takes one row at a time.
            cells = itertools.chain([list(KEYS)], ([iso(value) for value in row] for row in rows))
            return export_response(request, cells, file_format="xlsx", filename=filename, sheet_title="calls")
        response = StreamingHttpResponse(
            calls_csv_chunks(since=since, until=until, tz=tz), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        response["Cache-Control"] = "private, no-store"
        return stream_for(request, response)
