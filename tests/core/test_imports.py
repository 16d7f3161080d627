"""The bounded spreadsheet reader: real files read as before, hostile ones refused within limits."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from openpyxl import Workbook

from apps.core.errors import ApplicationError
from apps.core.imports import SpreadsheetRows, read_preview, unneutralise
from tests.telephony.upload_bombs import (
    csv_without_newline,
    shared_strings_bomb_xlsx,
    xlsx_package,
    xlsx_with_strings,
    zip_bomb_xlsx,
)


def rows_of(data: bytes, file_format: str) -> list[list[str]]:
    return [values for _row, values in SpreadsheetRows(io.BytesIO(data), file_format)]


def refusal(data: bytes, file_format: str) -> str:
    with pytest.raises(ApplicationError) as refused:
        rows_of(data, file_format)
    assert refused.value.code == "invalid_file"
    return str(refused.value.message)


def test_doubled_quotes_inside_a_quoted_field_stay_one_quote():
    data = b'name,phone\r\n"=HYPERLINK(""http://x"",""y"")",13800138000\r\n'

    assert rows_of(data, "csv") == [["name", "phone"], ['=HYPERLINK("http://x","y")', "13800138000"]]


@pytest.mark.parametrize(("delimiter", "header"), [(";", "name;phone"), ("\t", "name\tphone"), ("|", "name|phone")])
def test_the_delimiter_is_detected_from_the_header(delimiter, header):
    data = f'{header}\n"a{delimiter}b"{delimiter}138\n'.encode()

    assert rows_of(data, "csv") == [["name", "phone"], [f"a{delimiter}b", "138"]]


def test_a_csv_without_a_newline_is_refused_without_reading_it_whole(settings):
    settings.IMPORT_MAX_LINE_CHARS = 64 * 1024

    message = refusal(csv_without_newline(2), "csv")

    assert message == "A line of the file is longer than 65536 characters."


def test_the_preview_reads_only_a_prefix_of_a_csv(settings):
    settings.IMPORT_PREVIEW_BYTES = 4096
    rows = "\n".join(f"name{i},1380000{i:04d}" for i in range(5000))
    data = io.BytesIO(f"name,phone\n{rows}\n".encode())

    preview = read_preview(data, "csv", sample_rows=3)

    assert preview["columns"] == ["name", "phone"]
    assert preview["sample"] == [["name0", "13800000000"], ["name1", "13800000001"], ["name2", "13800000002"]]
    assert data.tell() == 0


def test_the_preview_of_a_csv_without_a_newline_is_refused(settings):
    settings.IMPORT_PREVIEW_BYTES = 4096
    with pytest.raises(ApplicationError) as refused:
        read_preview(io.BytesIO(csv_without_newline(1)), "csv")
    assert refused.value.message == "The first line of the file is longer than 4096 bytes."


def test_too_many_columns_or_rows_are_refused(settings):
    settings.IMPORT_MAX_COLUMNS = 5
    assert refusal(b"a,b,c,d,e,f\n", "csv") == "A row has more than 5 columns."
    settings.IMPORT_MAX_COLUMNS = 200
    settings.IMPORT_MAX_ROWS = 3
    assert refusal(b"phone\n1\n2\n3\n4\n", "csv") == "The file has more than 3 rows."


def test_an_excel_file_reads_as_openpyxl_did():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "mobile", "vip", "when"])
    sheet.append(["Ann", 13800000001, True, 12.5])
    sheet.append([])
    sheet.append(["Bob", "'=1+1", None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert rows_of(buffer.getvalue(), "xlsx") == [
        ["name", "mobile", "vip", "when"],
        ["Ann", "13800000001", "True", "12.5"],
        [],
        ["Bob", "'=1+1"],
    ]


def test_shared_strings_and_rich_text_are_read():
    data = xlsx_package(
        iter(
            [
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
                b"</sheetData></worksheet>"
            ]
        ),
        iter(
            [
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<si><t>phone</t></si><si><r><t>Wang </t></r><r><t>Wei</t></r><rPh><t>wang</t></rPh></si></sst>"
            ]
        ),
    )

    assert rows_of(data, "xlsx") == [["phone", "", "Wang Wei"]]


def test_a_zip_bombed_xlsx_is_refused_before_it_expands():
    bomb = zip_bomb_xlsx(expanded_mb=30)
    assert len(bomb) < 100 * 1024  # 30 MB of sheet in well under 100 kB

    assert refusal(bomb, "xlsx") == "The XLSX file expands to too much data; split it or save it as CSV."


def test_the_decompression_cap_holds_while_streaming(settings):
    # Every member looks honest (ratio and declared sizes), but the whole is over the cap.
    settings.IMPORT_MAX_DECOMPRESSED_BYTES = 256 * 1024
    rows = [[f"#{i}", f"13{i:09d}"] for i in range(20_000)]

    message = refusal(xlsx_with_strings(rows, (f"name {i}" for i in range(20_000))), "xlsx")

    assert message == "The XLSX file expands to too much data; split it or save it as CSV."


def test_a_huge_shared_strings_table_is_refused(settings):
    settings.IMPORT_MAX_SHARED_STRINGS = 1000

    message = refusal(shared_strings_bomb_xlsx(5000), "xlsx")

    assert message == "The XLSX file has too many distinct texts; split it or save it as CSV."


def test_a_row_longer_than_the_cap_is_refused(settings):
    settings.IMPORT_MAX_LINE_CHARS = 100 * 1024
    assert refusal(xlsx_with_strings([["x" * 300_000]], []), "xlsx").startswith("A row of the file is longer")


def test_entity_declarations_are_refused():
    sheet = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'
    )
    assert refusal(xlsx_package(iter([sheet]), iter([b"<sst/>"])), "xlsx") == "This XLSX file is damaged."


def test_a_file_that_is_not_a_zip_is_refused():
    assert refusal(b"PK\x03\x04 not a workbook", "xlsx") == "This is not a readable XLSX file."
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("hello.txt", "no workbook here")
    assert refusal(broken.getvalue(), "xlsx") == "This is not a readable XLSX file."


def test_the_xlsx_preview_reads_only_the_strings_its_rows_need(settings):
    # The preview's budget is far smaller than the table: only the first strings are read.
    settings.IMPORT_PREVIEW_BYTES = 16 * 1024
    data = xlsx_with_strings(
        [["#0", "#1"], ["Ann", "13800000001"]],
        ["name", "phone", *(hashlib.sha256(b"%d" % i).hexdigest() for i in range(50_000))],
    )

    preview = read_preview(io.BytesIO(data), "xlsx")

    assert preview == {"columns": ["name", "phone"], "sample": [["Ann", "13800000001"]], "encoding": ""}


@pytest.mark.parametrize(
    ("cell", "read"),
    [("'=1+1", "=1+1"), ("'+86 138", "+86 138"), ("'@x", "@x"), ("'plain", "'plain"), ("'", "'"), ("x", "x")],
)
def test_cells_our_exports_neutralised_read_back_as_their_text(cell, read):
    assert unneutralise(cell) == read
