"""The safe-export helper: formulas neutralised, numbers and phone numbers kept, XLSX always opens."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from openpyxl import load_workbook

from apps.core.exports import csv_chunks, safe_cell, xlsx_file
from tests.telephony.upload_bombs import CONTROL_TEXT, FORMULA_CELLS, SAFE_NUMBERS


@pytest.mark.parametrize("value", FORMULA_CELLS)
def test_text_that_a_spreadsheet_would_run_gets_a_leading_quote(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", SAFE_NUMBERS)
def test_a_value_that_is_wholly_a_number_or_phone_number_is_kept(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", ["王伟", "a=b", "x+1", "", "Tom @ home", "'=already"])
def test_ordinary_text_is_kept(value):
    assert safe_cell(value) == value


def test_numbers_dates_and_none_pass_through():
    moment = datetime.datetime(2026, 3, 1, 9, 30)  # noqa: DTZ001
    assert [safe_cell(v) for v in (None, 3, -12.5, True, moment)] == ["", 3, -12.5, True, moment]


def test_csv_cells_are_neutralised():
    text = "".join(csv_chunks([["value"], *[[value] for value in FORMULA_CELLS + SAFE_NUMBERS]]))
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert [row[0] for row in rows[1:]] == ["'" + value for value in FORMULA_CELLS] + SAFE_NUMBERS


def test_xlsx_writes_strings_never_formulas_and_keeps_numbers():
    rows = [["value"], *[[value] for value in FORMULA_CELLS + SAFE_NUMBERS], [-12.5], [13800138000]]

    workbook = load_workbook(xlsx_file(rows))
    cells = [row[0] for row in workbook.active.iter_rows(min_row=2)]

    assert all(cell.data_type != "f" for cell in cells)
    formulas, numbers = cells[: len(FORMULA_CELLS)], cells[len(FORMULA_CELLS) :]
    # Through lxml a CR is written as a character reference and read back as CR (the pure-Python
    # writer let it become LF); either way the cell starts with the quote.
    assert [cell.value for cell in formulas] == ["'" + value for value in FORMULA_CELLS]
    assert [cell.value for cell in numbers] == [*SAFE_NUMBERS, -12.5, 13800138000]
    assert [cell.data_type for cell in cells[-2:]] == ["n", "n"]


def test_control_characters_never_break_an_xlsx():
    workbook = load_workbook(xlsx_file([["name"], [CONTROL_TEXT], ["\x07=1+1"]], sheet_title="bad\x01title"))

    values = [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert values == ["ok text\ttab", "'=1+1"]
    assert workbook.active.title == "badtitle"


def test_openpyxl_writes_through_lxml():
    """lxml is a requirement (decision 0020, "lxml"): openpyxl's write-only mode serialises the
    sheet's cells with it (about 1.3 times the rows per second of its pure-Python writer)."""
    import openpyxl  # noqa: PLC0415 -- openpyxl's flags, read where they are asserted
    from openpyxl.cell import _writer  # noqa: PLC0415

    assert openpyxl.LXML is True
    assert _writer.write_cell is _writer.lxml_write_cell
    sheet = load_workbook(xlsx_file([["王伟", 1]])).active
    assert [cell.value for cell in next(sheet.iter_rows())] == ["王伟", 1]
