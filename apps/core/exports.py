"""The one way the product writes CSV and XLSX files for people to open (CONTRIBUTING.md, "Exports").

Exported cells hold what tenants' customers and callers typed (names, notes, custom fields), so
a spreadsheet must never run them: a text cell beginning with ``= + - @ TAB CR`` gets a leading
``'`` (OWASP's "CSV injection" advice), XLSX text is written as a string cell — never a formula —
and characters XML cannot hold (control characters other than TAB/LF/CR) are dropped, because
one of them makes Excel refuse the whole workbook. A value that is wholly a number, signed or
not (``-12.5``, ``+8613800138000``), is left as it is: a leading ``+``/``-`` on digits alone
cannot form a formula, and phone numbers must survive a round trip.

Rows are streamed: :func:`csv_chunks` is a generator for ``StreamingHttpResponse``;
:func:`xlsx_file` writes with openpyxl's write-only mode to a temporary file (no row is kept in
memory). :func:`export_response` is the download for a page or an API view.
"""

from __future__ import annotations

import csv
import datetime
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse

from apps.core.http import stream_for

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ASCII digits, up to the very end of the text (``$`` would also match before a final newline):
# the rule of safe_cell_sql too, so a CSV written by PostgreSQL and one written here agree.
PLAIN_NUMBER_RE = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\Z")
# XML 1.0 allows TAB, LF and CR among the control characters, nothing else below 0x20.
ILLEGAL_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def safe_cell(value: Any) -> Any:
    """``value`` as it may be written to a spreadsheet: None → "", text neutralised and cleaned,
    numbers, dates and booleans unchanged."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_XML_RE.sub("", value)
    if value.startswith(FORMULA_START) and not PLAIN_NUMBER_RE.match(value):
        return "'" + value
    return value


_XML_ILLEGAL_SQL = (
    "E'"
    + "".join(f"\\x{code:02x}" for code in [*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
    + "\\uFFFE\\uFFFF'"
)
_PLAIN_NUMBER_SQL = r"'^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$'"
# A formula-like first character, or anywhere a character XML cannot hold.
_SUSPECT_SQL = r"E'^[-=+@\t\r]|[\x01-\x08\x0b\x0c\x0e-\x1f\uFFFE\uFFFF]'"


def safe_cell_sql(expression: str) -> str:
    """:func:`safe_cell` as a PostgreSQL expression over the text ``expression``, for exports
    written by the database itself (``COPY (SELECT …) TO STDOUT``, see
    ``apps/telephony/selectors/calls_export.py``): the characters XML cannot hold are dropped,
    then a formula-like start gets a leading ``'`` unless the text is wholly a number. NULL stays
    NULL. (PostgreSQL text cannot hold NUL, the one character of ``ILLEGAL_XML_RE`` not here.)

    One regular expression decides whether a cell needs any of that; almost none does, and only
    those pay for the whole rule."""
    clean = f"translate({expression}, {_XML_ILLEGAL_SQL}, '')"
    starts = "('=', '+', '-', '@', E'\\t', E'\\r')"
    full = (
        f"CASE WHEN left({clean}, 1) IN {starts} AND {clean} !~ {_PLAIN_NUMBER_SQL}"
        f" THEN '''' || {clean} ELSE {clean} END"
    )
    return f"CASE WHEN {expression} ~ {_SUSPECT_SQL} THEN {full} ELSE {expression} END"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[Iterable[Any]], *, bom: bool = True) -> Iterator[str]:
    """CSV text in chunks, UTF-8 with a BOM (so that Excel shows Chinese correctly)."""
    writer = csv.writer(_Echo())
    if bom:
        yield "\ufeff"
    for row in rows:
        yield writer.writerow([_csv_value(value) for value in row])


def _csv_value(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return value


def csv_write(target: IO[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write safe CSV rows to an open text file (no BOM: the caller chooses the encoding).
    Returns the number of rows written."""
    writer = csv.writer(target)
    count = 0
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
        count += 1
    return count


def xlsx_file(rows: Iterable[Iterable[Any]], *, sheet_title: str = "export") -> IO[bytes]:
    """An XLSX of ``rows`` in a temporary file, positioned at its start (the caller closes it)."""
    # Not at the top: openpyxl takes 0.26 s to import and only XLSX downloads need it.
    from openpyxl import Workbook  # noqa: PLC0415 -- heavy, see above
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415 -- heavy, see above

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(ILLEGAL_XML_RE.sub("", sheet_title)[:31] or "export")
    for row in rows:
        cells = []
        for value in row:
            value = safe_cell(value)
            if isinstance(value, datetime.datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)  # XLSX has no time zones; the caller localised it
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a string, never a formula
            cells.append(cell)
        sheet.append(cells)
    target = tempfile.TemporaryFile()  # noqa: SIM115 - returned; the response closes it
    workbook.save(target)
    target.seek(0)
    return target


def export_response(request, rows: Iterable[Iterable[Any]], *, file_format: str, filename: str, sheet_title: str = ""):
    """The download of ``rows`` as CSV (streamed) or XLSX, for a page or an API view. The caller
    checks permissions, logs the export and refuses more than :data:`XLSX_MAX_ROWS` for XLSX."""
    if file_format == "csv":
        response = StreamingHttpResponse(csv_chunks(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    elif file_format == "xlsx":
        response = FileResponse(
            xlsx_file(rows, sheet_title=sheet_title or "export"),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_CONTENT_TYPE,
        )
    else:
        raise ValueError(f"unknown export format {file_format!r}")
    response["Cache-Control"] = "private, no-store"
    return stream_for(request, response)
