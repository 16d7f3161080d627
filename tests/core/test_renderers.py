"""CSV and XLSX renderers (apps/core/api/renderers.py): ``?format=`` picks them, cells are safe,
columns follow the view, errors stay JSON; and the campaign export answers both ``format`` and
the older ``file_format``."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django_tenants.utils import tenant_context
from openpyxl import load_workbook
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from apps.accounts.choices import Role
from apps.core.api.renderers import CSVRenderer, ExportFormatMixin, XLSXRenderer, table_of
from apps.core.errors import ApplicationError
from apps.telephony.models import CampaignExport
from tests.telephony.campaign_factories import make_campaign, make_contact

ROWS = [
    {"name": "王伟", "note": '=HYPERLINK("http://evil")', "phone": "+8613800138000", "n": 3, "tags": ["a", "b"]},
    {"name": "@SUM(A1)", "note": "ok", "phone": "-12", "n": None, "tags": {"k": "v"}},
]


class TableView(ExportFormatMixin, APIView):
    authentication_classes: list = []
    permission_classes: list = []
    export_columns = [("phone", "Phone"), ("name", "Name"), ("note", "Note"), ("n", "N"), ("tags", "Tags")]
    export_filename = "people"

    def get(self, request):
        if request.query_params.get("fail"):
            raise ApplicationError("invalid", "Bad.", fields={"since": ["Give a date."]})
        return Response({"count": 2, "results": ROWS})


class PlainView(ExportFormatMixin, APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        return Response({"settings": {"t": 15}, "rows": [{"b": 1, "a": "x"}]})


def get(view, **query):
    request = APIRequestFactory().get("/x", query)
    response = view.as_view()(request)
    response.render()
    return response


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_format_csv_writes_the_views_columns_with_safe_cells():
    response = get(TableView, format="csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="people.csv"'
    assert response.content.startswith("\ufeff".encode())
    assert csv_rows(response) == [
        ["phone", "name", "note", "n", "tags"],
        ["+8613800138000", "王伟", '\'=HYPERLINK("http://evil")', "3", '["a", "b"]'],
        ["-12", "'@SUM(A1)", "ok", "", '{"k": "v"}'],
    ]


def test_format_xlsx_is_a_workbook_of_strings_never_formulas():
    response = get(TableView, format="xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSXRenderer.media_type
    assert response["Content-Disposition"] == 'attachment; filename="people.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["phone", "name", "note", "n", "tags"]
    assert values[1][:4] == ["+8613800138000", "王伟", '\'=HYPERLINK("http://evil")', 3]
    assert values[2][:2] == ["-12", "'@SUM(A1)"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_json_stays_the_default():
    response = get(TableView)

    assert response["Content-Type"] == "application/json"
    assert response.data["count"] == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_error_is_json_even_when_a_file_was_asked_for(fmt):
    response = get(TableView, format=fmt, fail="1")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "Content-Disposition" not in response
    assert response.content.startswith(b"{")
    assert response.data["fields"] == {"since": ["Give a date."]}


def test_an_unknown_format_is_a_400_naming_the_formats():
    response = get(TableView, format="pdf")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.data["code"] == "invalid"
    assert "csv" in response.data["fields"]["format"][0] and "xlsx" in response.data["fields"]["format"][0]


def test_rows_of_a_report_without_declared_columns_follow_the_first_row():
    response = get(PlainView, format="csv")

    assert csv_rows(response) == [["b", "a"], ["1", "x"]]
    assert response["Content-Disposition"] == 'attachment; filename="export.csv"'


def test_table_of_accepts_a_list_a_page_a_report_and_one_row():
    assert table_of([{"a": 1}])[2] == [[1]]
    assert table_of({"results": [{"a": 1}], "count": 1})[2] == [[1]]
    assert table_of({"rows": [{"a": 2}], "totals": {}})[2] == [[2]]
    assert table_of({"a": 3})[2] == [[3]]
    assert table_of([])[2] == []


def test_renderer_formats():
    assert (CSVRenderer.format, XLSXRenderer.format) == ("csv", "xlsx")


# --- the campaign export: ?format= and ?file_format= ---------------------------------------------------


@pytest.fixture
def campaign(acme):
    with tenant_context(acme.tenant):
        campaign = make_campaign()
        make_contact(campaign, phone="+8613800000001", name="=cmd|' /C calc'!A0")
    return campaign


@pytest.mark.parametrize(
    "query",
    [{"format": "csv"}, {"file_format": "csv"}, {}, {"format": "csv", "file_format": "csv"}],
)
def test_campaign_export_as_csv_by_format_or_file_format(acme, campaign, query):
    api = acme.api(acme.user(Role.SUPERVISOR))

    response = api.get(f"/api/v1/campaigns/{campaign.pk}/export", query)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "+8613800000001,'=cmd|' /C calc'!A0" in text


@pytest.mark.parametrize("query", [{"format": "xlsx"}, {"file_format": "xlsx"}])
def test_campaign_export_as_xlsx_by_format_or_file_format(acme, campaign, query):
    api = acme.api(acme.user(Role.SUPERVISOR))

    response = api.get(f"/api/v1/campaigns/{campaign.pk}/export", query)

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [cell.value for cell in next(sheet.iter_rows(min_row=2))][:2] == ["+8613800000001", "'=cmd|' /C calc'!A0"]
    with tenant_context(acme.tenant):
        assert CampaignExport.objects.get(campaign=campaign).file_format == "xlsx"


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"format": "pdf"}, ["format"]),
        ({"format": "json"}, ["format"]),
        ({"file_format": "pdf"}, ["file_format"]),
        ({"format": "xlsx", "file_format": "csv"}, ["file_format", "format"]),
    ],
)
def test_campaign_export_bad_formats_are_json_400s_and_export_nothing(acme, campaign, query, fields):
    api = acme.api(acme.user(Role.SUPERVISOR))

    response = api.get(f"/api/v1/campaigns/{campaign.pk}/export", query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert sorted(response.json()["fields"]) == fields
    with tenant_context(acme.tenant):
        assert not CampaignExport.objects.filter(campaign=campaign).exists()


def test_campaign_export_is_still_refused_to_agents_as_json(acme, campaign):
    response = acme.api(acme.user(Role.AGENT)).get(f"/api/v1/campaigns/{campaign.pk}/export", {"format": "csv"})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


def test_an_xlsx_over_one_sheet_is_a_json_400(monkeypatch):
    monkeypatch.setattr("apps.core.exports.XLSX_MAX_ROWS", 1)

    response = get(TableView, format="xlsx")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == "too_large"
    assert "Content-Disposition" not in response


def test_the_filename_may_come_from_a_callable():
    class Named(TableView):
        def export_filename(self, extension):
            return f"people-2026.{extension}"

    assert get(Named, format="xlsx")["Content-Disposition"] == 'attachment; filename="people-2026.xlsx"'
