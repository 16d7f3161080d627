"""GET /api/v1/reports/kpis?format=csv|xlsx: the JSON rows as a file (one row per group, key,
label and the figures in the JSON's order); errors stay JSON; roles and tenants as for JSON."""

from __future__ import annotations

import csv
import io

import pytest
from django_tenants.utils import tenant_context
from openpyxl import load_workbook

from tests.reports.kpi_world import SINCE, UNTIL, build

URL = "/api/v1/reports/kpis"


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        built = build(acme)
    return {**built, "tenant": acme}


def _get(world, user, **params):
    params.setdefault("since", SINCE.isoformat())
    params.setdefault("until", UNTIL.isoformat())
    return world["tenant"].api(user).get(URL, params)


def _csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _text(value) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("group_by", ["queue", "agent", "day"])
def test_csv_rows_are_the_json_rows(world, group_by):
    supervisor = world["tenant"].user("supervisor")
    body = _get(world, supervisor, group_by=group_by).json()
    response = _get(world, supervisor, group_by=group_by, format="csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert f"kpis-{group_by}-" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == list(body["rows"][0])  # key, label, then the figures as the JSON orders them
    assert header[:2] == ["key", "label"] and "offered" in header and "fcr_percent" in header
    rows = _csv(response)
    assert len(rows) == len(body["rows"]) > 0  # one per group, no totals row
    for row, expected in zip(rows, body["rows"], strict=True):
        assert row == {key: _text(value) for key, value in expected.items()}


def test_queue_figures_in_the_csv(world):
    rows = _csv(_get(world, world["tenant"].admin(), group_by="queue", format="csv"))
    row = next(r for r in rows if r["key"] == str(world["a"].pk))
    assert row["label"] == world["a"].name
    assert (row["offered"], row["sl_percent"], row["abandon_rate"], row["fcr_percent"]) == (
        "11",
        "42.86",
        "27.27",
        "75.0",
    )


def test_xlsx_has_the_same_cells(world):
    supervisor = world["tenant"].user("supervisor")
    body = _get(world, supervisor, group_by="queue").json()
    response = _get(world, supervisor, group_by="queue", format="xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == list(body["rows"][0])
    assert values[1:] == [list(row.values()) for row in body["rows"]]


def test_a_period_without_calls_has_the_header_and_zero_rows(world):
    response = _get(
        world, world["tenant"].admin(), group_by="queue", since="2020-01-01", until="2020-01-02", format="csv"
    )
    assert response.status_code == 200
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:3] == ["key", "label", "offered"]
    rows = _csv(response)
    assert rows and {row["offered"] for row in rows} == {"0"}  # every queue, with nothing offered
    assert {row["sl_percent"] for row in rows} == {""}  # no denominator: an empty cell, as null in JSON


def test_bad_parameters_and_formats_are_json_400s(world):
    supervisor = world["tenant"].user("supervisor")
    response = _get(world, supervisor, group_by="colour", format="csv")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "Content-Disposition" not in response
    assert "group_by" in response.json()["fields"]

    response = _get(world, supervisor, group_by="queue", format="pdf")
    assert response.status_code == 400
    assert "format" in response.json()["fields"]


@pytest.mark.parametrize("role", ["agent", "qa", "billing"])
def test_other_roles_get_no_file(world, role):
    response = _get(world, world["tenant"].user(role), group_by="queue", format="csv")
    assert response.status_code == 403
    assert "Content-Disposition" not in response


def test_another_tenant_exports_none_of_it(world, globex):
    response = globex.api(globex.admin()).get(
        URL, {"group_by": "queue", "since": SINCE.isoformat(), "until": UNTIL.isoformat(), "format": "csv"}
    )
    assert response.status_code == 200
    assert world["a"].name not in response.content.decode("utf-8-sig")


def test_no_group_at_all_still_gives_the_header(world):
    params = {"group_by": "disposition", "since": "2020-01-01", "until": "2020-01-02"}
    body = _get(world, world["tenant"].admin(), **params).json()
    response = _get(world, world["tenant"].admin(), **params, format="csv")

    assert body["rows"] == []
    assert response.content.decode("utf-8-sig").splitlines() == [",".join(["key", "label", *body["totals"]])]
