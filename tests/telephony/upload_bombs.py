"""Hostile uploads, built in the test (no binaries in the repository): zip-bombed and
shared-strings-bombed XLSX files written as Excel writes them (a minimal package with a
shared-strings table), a CSV without a newline, formula injections and control characters."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)


def xlsx_package(sheet_chunks: Iterable[bytes], string_chunks: Iterable[bytes]) -> bytes:
    """An XLSX whose sheet and shared-strings XML are streamed from the given chunks."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        for name, chunks in (("xl/worksheets/sheet1.xml", sheet_chunks), ("xl/sharedStrings.xml", string_chunks)):
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
    return out.getvalue()


def _shared(strings: Iterable[str]) -> Iterator[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
    for text in strings:
        yield f"<si><t>{escape(text)}</t></si>".encode()
    yield b"</sst>"


def _sheet(rows: Iterable[list[str]], padding: Iterable[bytes] = ()) -> Iterator[bytes]:
    """Cells are shared-string indexes given as ``"#n"`` or inline text."""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
    for number, row in enumerate(rows, start=1):
        cells = []
        for column, value in enumerate(row):
            ref = f"{chr(65 + column)}{number}"
            if value.startswith("#"):
                cells.append(f'<c r="{ref}" t="s"><v>{value[1:]}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        yield f'<row r="{number}">{"".join(cells)}</row>'.encode()
    yield from padding
    yield b"</sheetData></worksheet>"


def xlsx_with_strings(rows: list[list[str]], strings: Iterable[str]) -> bytes:
    return xlsx_package(_sheet(rows), _shared(strings))


def zip_bomb_xlsx(expanded_mb: int = 300) -> bytes:
    """A valid XLSX of two rows whose sheet XML carries ``expanded_mb`` MB of whitespace after
    them: about 1000× smaller zipped than expanded."""
    block = b" " * (1024 * 1024)
    return xlsx_package(_sheet([["#0"], ["13800138000"]], (block for _ in range(expanded_mb))), _shared(["phone"]))


def shared_strings_bomb_xlsx(count: int, width: int = 40) -> bytes:
    """A small sheet whose shared-strings table holds ``count`` distinct strings."""
    pad = "x" * width
    return xlsx_with_strings([["#0"], ["13800138000"]], ("phone", *(f"{pad}{i}" for i in range(count))))


def csv_without_newline(megabytes: int) -> bytes:
    return b"phone," + b"a" * (megabytes * 1024 * 1024)


FORMULA_CELLS = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]
SAFE_NUMBERS = ["+8613800138000", "-12.5", "13800138000", "+1", "-0.5"]
CONTROL_TEXT = "ok\x00\x01\x08\x0b\x0c\x1f text\ttab"
