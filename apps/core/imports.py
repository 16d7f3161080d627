"""Reading uploaded spreadsheets (CSV, XLSX) in bounded memory: the one reader every import uses.

Why not openpyxl: its read-only mode still loads the whole shared-strings table into memory, so
a 100 kB zip-bombed XLSX expands to gigabytes before the first row is seen. Here an XLSX is read
as what it is — a zip of XML — with hard limits checked while reading, never after:

- the zip's central directory is checked first (member count, declared sizes, ratio), then every
  member is stream-decompressed in chunks and counted, so a member that lies about its size
  stops at the cap (:class:`ImportLimits` ``max_decompressed_bytes``);
- the shared strings are parsed incrementally (``XMLPullParser`` fed chunk by chunk, each ``si``
  dropped once read) with a cap on their number and total characters;
- the sheet XML is parsed the same way, one row at a time, with caps on the bytes of one row,
  the columns of a row and the number of rows; DTDs (entity declarations) are refused.

A CSV is decoded as a stream and handed to :mod:`csv` a bounded line at a time (a file with no
newline is refused once a line passes ``max_line_chars``, never read whole); the dialect is the
Excel one with only the delimiter detected, so doubled quotes inside a quoted field stay one
quote.

Every violation raises ``ApplicationError("invalid_file", …)`` with a message for the user.
The limits come from settings (``IMPORT_*``, documented in docs/operations.md); the request
uses :func:`preview_limits` (a few rows, a few megabytes) and the worker :func:`worker_limits`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import io
import posixpath
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from typing import IO, Any
from xml.etree.ElementTree import ParseError, XMLPullParser, fromstring

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError

CHUNK_BYTES = 64 * 1024
ENCODING_PROBE_BYTES = 256 * 1024
XLSX_MAX_MEMBERS = 1000
XLSX_MAX_RATIO = 200  # Excel's own files compress 5–30×; a bomb 1000× and more
EXCEL_MAX_COLUMNS = 16384
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# Built-in number formats that are dates or times (ECMA-376 18.8.30).
DATE_FORMAT_IDS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47}
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # noqa: DTZ001 - a naive calendar origin


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int
    max_columns: int
    max_line_chars: int  # CSV: one physical line; XLSX: the XML bytes of one row
    max_decompressed_bytes: int
    max_shared_strings: int
    max_shared_string_chars: int
    max_read_bytes: int  # what this reader may decompress (the preview reads less than the file)


def worker_limits() -> ImportLimits:
    return ImportLimits(
        max_rows=settings.IMPORT_MAX_ROWS,
        max_columns=settings.IMPORT_MAX_COLUMNS,
        max_line_chars=settings.IMPORT_MAX_LINE_CHARS,
        max_decompressed_bytes=settings.IMPORT_MAX_DECOMPRESSED_BYTES,
        max_shared_strings=settings.IMPORT_MAX_SHARED_STRINGS,
        max_shared_string_chars=settings.IMPORT_MAX_SHARED_STRING_CHARS,
        max_read_bytes=settings.IMPORT_MAX_DECOMPRESSED_BYTES,
    )


def preview_limits() -> ImportLimits:
    """What the web request may spend on a header and a few sample rows."""
    limits = worker_limits()
    return replace(limits, max_read_bytes=min(limits.max_decompressed_bytes, settings.IMPORT_PREVIEW_BYTES * 32))


def _refuse(message: str) -> ApplicationError:
    return ApplicationError("invalid_file", message)


def detect_encoding(binary: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes as such, else GB18030 —
    what Excel writes for "CSV" on a Chinese Windows."""
    start = binary.tell()
    probe = binary.read(ENCODING_PROBE_BYTES)
    binary.seek(start)
    if probe.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(probe, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


# --- CSV ---------------------------------------------------------------------------------------------


def _delimiter_of(line: str) -> str:
    """The most frequent of , ; TAB | outside quotes in the header line (comma on a tie)."""
    counts = dict.fromkeys(",;\t|", 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda char: (counts[char], char == ","))
    return best if counts[best] else ","


def _bounded_lines(text: IO[str], max_chars: int) -> Iterator[str]:
    while True:
        line = text.readline(max_chars + 1)
        if not line:
            return
        if len(line) > max_chars:
            raise _refuse(_("A line of the file is longer than %(n)d characters.") % {"n": max_chars})
        yield line


def csv_rows(binary: IO[bytes], *, encoding: str, limits: ImportLimits) -> Generator[list[str], None, None]:
    text = io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")
    try:
        lines = _bounded_lines(text, limits.max_line_chars)
        first = next(lines, "")
        dialect = csv.excel()
        dialect.delimiter = _delimiter_of(first)

        def all_lines() -> Iterator[str]:
            if first:
                yield first
            yield from lines

        try:
            for values in csv.reader(all_lines(), dialect):
                if len(values) > limits.max_columns:
                    raise _refuse(_("A row has more than %(n)d columns.") % {"n": limits.max_columns})
                yield values
        except csv.Error as error:
            raise _refuse(_("This CSV file cannot be read: %(e)s") % {"e": error}) from error
    finally:
        # The wrapper would close the stored file (or the upload) when collected.
        with contextlib.suppress(ValueError):  # already closed by its owner
            text.detach()


# --- XLSX --------------------------------------------------------------------------------------------


class _Budget:
    """Decompressed bytes left for the whole file."""

    def __init__(self, total: int) -> None:
        self.left = total

    def spend(self, amount: int) -> None:
        self.left -= amount
        if self.left < 0:
            raise _refuse(_("The XLSX file expands to too much data; split it or save it as CSV."))


def _open_zip(binary: IO[bytes], limits: ImportLimits) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(binary)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _refuse(_("This is not a readable XLSX file.")) from error
    members = archive.infolist()
    if len(members) > XLSX_MAX_MEMBERS:
        raise _refuse(_("This is not a readable XLSX file."))
    declared = sum(member.file_size for member in members)
    if declared > limits.max_decompressed_bytes:
        raise _refuse(_("The XLSX file expands to too much data; split it or save it as CSV."))
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > XLSX_MAX_RATIO * max(member.compress_size, 1):
            raise _refuse(_("The XLSX file expands to too much data; split it or save it as CSV."))
    return archive


def _member_chunks(archive: zipfile.ZipFile, name: str, budget: _Budget) -> Iterator[bytes]:
    """The member decompressed in chunks; the budget stops it, whatever its header declares."""
    try:
        with archive.open(name) as member:
            tail = b""
            while chunk := member.read(CHUNK_BYTES):
                budget.spend(len(chunk))
                # Entity declarations are how XML expands beyond its bytes: none in a spreadsheet.
                if b"<!ENTITY" in tail + chunk[:16] or b"<!ENTITY" in chunk or b"<!DOCTYPE" in chunk:
                    raise _refuse(_("This XLSX file is damaged."))
                tail = chunk[-16:]
                yield chunk
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise _refuse(_("This XLSX file is damaged.")) from error


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _small_xml(archive: zipfile.ZipFile, name: str, budget: _Budget):
    """A small part (workbook, relationships, styles) parsed whole, after its bytes are capped."""
    data = b"".join(_member_chunks(archive, name, budget))
    if len(data) > 16 * 1024 * 1024:
        raise _refuse(_("This XLSX file is damaged."))
    try:
        return fromstring(data)  # noqa: S314 - bounded bytes, no DTD (refused above), expat ≥ 2.4
    except ParseError as error:
        raise _refuse(_("This XLSX file is damaged.")) from error


def _first_sheet_path(archive: zipfile.ZipFile, names: set[str], budget: _Budget) -> str:
    if "xl/workbook.xml" in names and "xl/_rels/workbook.xml.rels" in names:
        workbook = _small_xml(archive, "xl/workbook.xml", budget)
        sheet = workbook.find(f"{{{MAIN_NS}}}sheets/{{{MAIN_NS}}}sheet")
        if sheet is not None:
            rel_id = sheet.get(f"{{{REL_NS}}}id")
            rels = _small_xml(archive, "xl/_rels/workbook.xml.rels", budget)
            for rel in rels:
                if rel.get("Id") == rel_id and rel.get("Target"):
                    target = rel.get("Target", "")
                    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
                    if path in names:
                        return path
    if "xl/worksheets/sheet1.xml" in names:
        return "xl/worksheets/sheet1.xml"
    raise _refuse(_("This is not a readable XLSX file."))


def _date_styles(archive: zipfile.ZipFile, names: set[str], budget: _Budget) -> set[int]:
    """Indexes of the cell styles that show a date or time."""
    if "xl/styles.xml" not in names:
        return set()
    styles = _small_xml(archive, "xl/styles.xml", budget)
    date_formats = set(DATE_FORMAT_IDS)
    for number_format in styles.iter(f"{{{MAIN_NS}}}numFmt"):
        code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", number_format.get("formatCode", "")).lower()
        if re.search(r"[ymdhs]", code):
            date_formats.add(int(number_format.get("numFmtId", "-1")))
    cell_xfs = styles.find(f"{{{MAIN_NS}}}cellXfs")
    if cell_xfs is None:
        return set()
    return {index for index, xf in enumerate(cell_xfs) if int(xf.get("numFmtId", "0")) in date_formats}


def _parse_incrementally(chunks: Iterator[bytes], tag: str, max_bytes: int, too_big: str) -> Iterator[tuple[Any, Any]]:
    """``(element, parent)`` for each completed ``tag`` element; the caller clears the parent.
    The XML between two such elements is capped at ``max_bytes``."""
    parser: Any = XMLPullParser(events=("start", "end"))
    parents: list[Any] = []
    since = 0
    try:
        for chunk in chunks:
            parser.feed(chunk)
            since += len(chunk)
            event: str
            element: Any
            for event, element in parser.read_events():
                if event == "start":
                    parents.append(element)
                    continue
                parents.pop()
                if _local(element.tag) == tag:
                    since = 0
                    yield element, parents[-1] if parents else None
            if since > max_bytes:
                raise _refuse(too_big)
        parser.close()
    except ParseError as error:
        raise _refuse(_("This XLSX file is damaged.")) from error


def _shared_strings(
    archive: zipfile.ZipFile, names: set[str], budget: _Budget, limits: ImportLimits, *, upto: int | None = None
) -> list[str]:
    """The shared-strings table (only up to index ``upto`` when given: the preview needs a few)."""
    path = "xl/sharedStrings.xml"
    if path not in names or (upto is not None and upto < 0):
        return []
    strings: list[str] = []
    chars = 0
    too_many = _("The XLSX file has too many distinct texts; split it or save it as CSV.")
    chunks = _member_chunks(archive, path, budget)
    for element, parent in _parse_incrementally(chunks, "si", limits.max_line_chars, too_many):
        # Rich text has several runs (r/t); phonetic hints (rPh) are not part of the value.
        parts: list[str] = []
        for child in element:
            name = _local(child.tag)
            if name == "t":
                parts.append(child.text or "")
            elif name == "r":
                parts.extend(node.text or "" for node in child if _local(node.tag) == "t")
        text = "".join(parts)
        chars += len(text)
        strings.append(text)
        if len(strings) > limits.max_shared_strings or chars > limits.max_shared_string_chars:
            raise _refuse(too_many)
        if parent is not None:
            parent.clear()
        if upto is not None and len(strings) > upto:
            break
    return strings


_REF_RE = re.compile(r"^([A-Z]{1,3})(\d*)$")


def _column_index(reference: str | None, fallback: int) -> int:
    match = _REF_RE.match(reference or "")
    if not match:
        return fallback
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - 64
    return index - 1


def _number_text(raw: str, is_date: bool) -> str:
    try:
        number = float(raw)
    except ValueError:
        return raw
    if is_date and 0 <= number < 2958466:
        moment = EXCEL_EPOCH + datetime.timedelta(days=number)
        return moment.date().isoformat() if number.is_integer() else moment.isoformat(timespec="seconds")
    if number.is_integer() and abs(number) < 1e16:
        return str(int(number))  # a phone number typed into a numeric cell
    return raw


RawCell = tuple[int, str, str, int]  # column, type, text, style


def _raw_rows(archive: zipfile.ZipFile, sheet_path: str, budget: _Budget, limits: ImportLimits):
    """The sheet's rows as raw cells, one row at a time (an empty list for a row the XML skips)."""
    too_long = _("A row of the file is longer than %(n)d characters.") % {"n": limits.max_line_chars}
    rows_seen = 0
    expected_row = 1
    chunks = _member_chunks(archive, sheet_path, budget)
    for row, parent in _parse_incrementally(chunks, "row", limits.max_line_chars, too_long):
        number = int(row.get("r") or expected_row)
        while expected_row < number:  # empty rows are left out of the XML
            expected_row += 1
            rows_seen += 1
            if rows_seen > limits.max_rows + 1:
                raise _refuse(_("The file has more than %(n)d rows.") % {"n": limits.max_rows})
            yield []
        expected_row = number + 1
        cells: list[RawCell] = []
        for position, cell in enumerate(row):
            if _local(cell.tag) != "c":
                continue
            kind = cell.get("t", "n")
            if kind == "inlineStr":
                text = "".join(node.text or "" for node in cell.iter() if _local(node.tag) == "t")
            else:
                text = next((node.text or "" for node in cell if _local(node.tag) == "v"), "")
            if not text:
                continue
            column = _column_index(cell.get("r"), cells[-1][0] + 1 if cells else position)
            if column >= limits.max_columns:
                raise _refuse(_("A row has more than %(n)d columns.") % {"n": limits.max_columns})
            cells.append((column, kind, text, int(cell.get("s", "0") or 0)))
        if parent is not None:
            parent.clear()
        rows_seen += 1
        if rows_seen > limits.max_rows + 1:
            raise _refuse(_("The file has more than %(n)d rows.") % {"n": limits.max_rows})
        yield cells


def _resolve(cells: list[RawCell], strings: list[str], date_styles: set[int]) -> list[str]:
    values: list[str] = []
    for column, kind, text, style in cells:
        values.extend([""] * (column - len(values) + 1))
        values[column] = _cell_value(kind, text, style, strings, date_styles)
    return values


def _cell_value(kind: str, text: str, style: int, strings: list[str], date_styles: set[int]) -> str:
    if kind == "s":
        try:
            return strings[int(text)].strip()
        except (ValueError, IndexError):
            return ""
    if kind == "b":
        return "True" if text == "1" else "False"  # as openpyxl read them before
    if kind == "n":
        return _number_text(text.strip(), style in date_styles)
    return text.strip()


def _open_parts(binary: IO[bytes], limits: ImportLimits):
    archive = _open_zip(binary, limits)
    names = set(archive.namelist())
    budget = _Budget(limits.max_read_bytes)
    return archive, names, budget, _first_sheet_path(archive, names, budget), _date_styles(archive, names, budget)


def xlsx_rows(binary: IO[bytes], *, limits: ImportLimits) -> Generator[list[str], None, None]:
    archive, names, budget, sheet_path, date_styles = _open_parts(binary, limits)
    try:
        strings = _shared_strings(archive, names, budget, limits)
        for cells in _raw_rows(archive, sheet_path, budget, limits):
            yield _resolve(cells, strings, date_styles)
    finally:
        archive.close()


def xlsx_first_rows(binary: IO[bytes], *, limits: ImportLimits, count: int) -> list[list[str]]:
    """The first ``count`` rows, reading the shared strings only as far as they need."""
    archive, names, budget, sheet_path, date_styles = _open_parts(binary, limits)
    try:
        raw: list[list[RawCell]] = []
        rows = _raw_rows(archive, sheet_path, budget, limits)
        for cells in rows:
            raw.append(cells)
            if len(raw) >= count:
                break
        rows.close()
        needed = max(
            (int(text) for cells in raw for _c, kind, text, _s in cells if kind == "s" and text.isdigit()), default=-1
        )
        strings = _shared_strings(archive, names, budget, limits, upto=needed)
        return [_resolve(cells, strings, date_styles) for cells in raw]
    finally:
        archive.close()


def unneutralise(value: str) -> str:
    """A cell our own exports neutralised (``'=…``, see :mod:`apps.core.exports`) reads back as
    its text, so that an error report or an export can be fixed and uploaded again."""
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") and value[1:2]:
        return value[1:]
    return value


# --- both -----------------------------------------------------------------------------------------------


class SpreadsheetRows:
    """The rows of an uploaded file as lists of strings, streamed and bounded. ``row_number`` is
    the spreadsheet row (the header is row 1). ``progress()`` is 0–100 by bytes read."""

    def __init__(
        self, binary: IO[bytes], file_format: str, *, encoding: str = "", limits: ImportLimits | None = None
    ) -> None:
        self.binary = binary
        self.file_format = file_format
        self.limits = limits or worker_limits()
        self.rows_total: int | None = None
        self._row = 0
        self.binary.seek(0, io.SEEK_END)
        self._size = self.binary.tell() or 1
        self.binary.seek(0)
        if file_format == "csv":
            self.encoding = encoding or detect_encoding(self.binary)
            self._rows = csv_rows(self.binary, encoding=self.encoding, limits=self.limits)
        elif file_format == "xlsx":
            self.encoding = ""
            self._rows = xlsx_rows(self.binary, limits=self.limits)
        else:
            raise _refuse(_("Upload a CSV or XLSX file."))

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for values in self._rows:
            self._row += 1
            if self._row > self.limits.max_rows + 1:
                raise _refuse(_("The file has more than %(n)d rows.") % {"n": self.limits.max_rows})
            yield self._row, values

    def close(self) -> None:
        self._rows.close()

    def progress(self) -> int:
        if self.file_format != "csv":
            return 0  # the zip's read position says little about the sheet's
        try:
            return min(99, int(self.binary.tell() * 100 / self._size))
        except (OSError, ValueError):
            return 0


class _ListedRows:
    encoding = ""

    def __init__(self, rows: list[list[str]]) -> None:
        self.rows = rows

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return iter(enumerate(self.rows, start=1))

    def close(self) -> None:
        pass


def read_preview(binary: IO[bytes], file_format: str, *, sample_rows: int = 5) -> dict[str, Any]:
    """Columns, a few rows and the detected encoding, for the mapping screen — from at most
    ``IMPORT_PREVIEW_BYTES`` of a CSV (the request never reads a whole upload) or within
    :func:`preview_limits` for an XLSX."""
    if file_format == "csv":
        prefix = binary.read(settings.IMPORT_PREVIEW_BYTES)
        truncated = bool(binary.read(1))
        binary.seek(0)
        rows: SpreadsheetRows | _ListedRows = SpreadsheetRows(io.BytesIO(prefix), file_format, limits=preview_limits())
    elif file_format == "xlsx":
        truncated = False
        first = xlsx_first_rows(binary, limits=preview_limits(), count=sample_rows + 1)
        binary.seek(0)
        rows = _ListedRows(first)
    else:
        raise _refuse(_("Upload a CSV or XLSX file."))
    iterator = iter(rows)
    try:
        try:
            _row, header = next(iterator)
        except StopIteration:
            raise _refuse(_("The file is empty.")) from None
        if truncated and not re.search(rb"[\r\n]", prefix):
            raise _refuse(
                _("The first line of the file is longer than %(n)d bytes.") % {"n": settings.IMPORT_PREVIEW_BYTES}
            )
        columns = [column.strip() for column in header]
        if not any(columns):
            raise _refuse(_("The first row must name the columns."))
        sample: list[list[str]] = []
        try:
            for _row, values in iterator:
                sample.append(values[: len(columns)])
                if len(sample) >= sample_rows:
                    break
        except ApplicationError:
            if not truncated:
                raise  # else the prefix ended inside a row: the rows before it are the sample
        if truncated and len(sample) < sample_rows and sample:
            sample.pop()  # the prefix may have cut the last row short
    finally:
        rows.close()
    return {"columns": columns, "sample": sample, "encoding": rows.encoding}
