"""GET /api/v1/platform/billing/{YYYY-MM}: JSON, CSV, XLSX, bad input, platform staff only."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from apps.accounts.choices import Role
from apps.billing.models import Invoice, UsageDay
from apps.billing.periods import billing_today
from apps.billing.services.invoices import billing_close_month, invoice_issue
from apps.billing.services.metering import usage_meter_tenant

from .conftest import platform_api

COLUMNS = [
    "month",
    "tenant",
    "tenant_name",
    "status",
    "invoice",
    "item",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "currency",
]


def test_json_has_one_row_per_tenant_and_item_of_the_invoice(staff, acme, globex, known_month):
    invoice = invoice_issue(invoice=billing_close_month(tenant=acme.tenant, month=known_month.month), issued_by="ops")
    usage_meter_tenant(tenant=globex.tenant, first_day=known_month.month, last_day=known_month.day)  # the daily meter
    response = platform_api(staff).get(f"/api/v1/platform/billing/{known_month.month:%Y-%m}")
    assert response.status_code == 200
    rows = response.json()
    acme_rows = [row for row in rows if row["tenant"] == "acme"]
    assert list(acme_rows[0]) == COLUMNS
    assert {row["status"] for row in acme_rows} == {"issued"}
    assert sum(float(row["amount"]) for row in acme_rows) == pytest.approx(float(invoice.total))
    seats = next(row for row in acme_rows if row["item"] == "seat_days")
    assert (seats["quantity"], seats["unit"], seats["currency"], seats["invoice"]) == (
        "5",
        "seat_day",
        "CNY",
        invoice.number,
    )
    globex_rows = [row for row in rows if row["tenant"] == "globex"]
    assert {row["status"] for row in globex_rows} == {"unbilled"}  # not closed: rated from the meter
    assert not Invoice.objects.filter(tenant=globex.tenant).exists()


def test_the_open_month_gives_month_to_date_figures(staff, acme):
    response = platform_api(staff).get(f"/api/v1/platform/billing/{billing_today():%Y-%m}?format=json")
    assert response.status_code == 200
    assert {row["status"] for row in response.json()} <= {"open"}


def test_csv_and_xlsx(staff, acme, globex, known_month):
    billing_close_month(tenant=acme.tenant, month=known_month.month)
    client = platform_api(staff)
    path = f"/api/v1/platform/billing/{known_month.month:%Y-%m}"
    csv_response = client.get(path, {"format": "csv"})
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    assert f"billing-{known_month.month:%Y-%m}.csv" in csv_response["Content-Disposition"]
    text = csv_response.content.decode("utf-8-sig").splitlines()
    assert text[0] == ",".join(COLUMNS)
    assert any(line.startswith(f"{known_month.month:%Y-%m},acme,") and ",draft," in line for line in text[1:])
    xlsx_response = client.get(path, {"format": "xlsx"})
    assert xlsx_response.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    values = list(sheet.values)
    assert list(values[0]) == COLUMNS and len(values) == len(text)


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "202611", "abc", "2026-11-01"])
def test_a_bad_month_is_a_400_naming_the_field(staff, month):
    response = platform_api(staff).get(f"/api/v1/platform/billing/{month}", {"format": "csv"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "month" in response.json()["fields"]


def test_an_unknown_format_is_a_400(staff, known_month):
    response = platform_api(staff).get(f"/api/v1/platform/billing/{known_month.month:%Y-%m}", {"format": "pdf"})
    assert response.status_code == 400 and "format" in response.json()["fields"]


def test_only_platform_staff(outsider, acme, known_month):
    path = f"/api/v1/platform/billing/{known_month.month:%Y-%m}"
    assert platform_api().get(path).status_code in (401, 403)
    assert platform_api(outsider).get(path).status_code == 403
    tenant_admin = acme.api(acme.admin())
    assert tenant_admin.get(path).status_code == 404  # not routed on a tenant host


def test_close_and_issue_through_the_api(staff, acme, globex, known_month):
    client = platform_api(staff)
    base = f"/api/v1/platform/billing/{known_month.month:%Y-%m}"
    first = client.post(f"{base}/close", {"tenant": "acme"}, format="json")
    assert first.status_code == 200
    [invoice] = first.json()["invoices"]
    assert (invoice["number"], invoice["status"], invoice["currency"]) == (
        f"INV-{known_month.month:%Y%m}-ACME",
        "draft",
        "CNY",
    )
    again = client.post(f"{base}/close", {"tenant": "acme"}, format="json").json()["invoices"][0]
    assert again == {**invoice, "closed_at": again["closed_at"]}
    issued = client.post(f"{base}/acme/issue")
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    assert client.post(f"{base}/acme/issue").json()["code"] == "invoice_issued"
    refused = client.post(f"{base}/close", {"tenant": "acme"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "invoice_issued")
    everyone = client.post(f"{base}/close", {}, format="json").json()
    assert [row["tenant"] for row in everyone["refused"]] == ["acme"]
    assert "globex" in [row["tenant"] for row in everyone["invoices"]]
    detail = client.get(f"{base}/acme").json()
    assert detail["status"] == "issued" and detail["lines"][0]["item"] == "seat_days"


def test_api_close_refuses_the_open_month_and_unknown_tenants(staff, acme):
    client = platform_api(staff)
    open_month = f"/api/v1/platform/billing/{billing_today():%Y-%m}"
    response = client.post(f"{open_month}/close", {"tenant": "acme"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "billing_month_open")
    assert client.post("/api/v1/platform/billing/2020-01/close", {"tenant": "nobody"}, format="json").status_code == 404
    assert client.post("/api/v1/platform/billing/2020-01/acme/issue").status_code == 404  # nothing closed
    assert client.get(f"{open_month}/acme").json()["status"] == "open"
    assert not Invoice.objects.exists()


def test_api_close_and_issue_are_platform_staff_only(outsider, acme, known_month):
    base = f"/api/v1/platform/billing/{known_month.month:%Y-%m}"
    assert platform_api(outsider).post(f"{base}/close", {}, format="json").status_code == 403
    assert acme.api(acme.admin()).post(f"{base}/close", {}, format="json").status_code == 404
    assert not Invoice.objects.exists()


def test_the_tenant_api_shows_its_own_usage_and_issued_invoices(acme, globex, known_month):
    acme_invoice = invoice_issue(
        invoice=billing_close_month(tenant=acme.tenant, month=known_month.month), issued_by="ops"
    )
    invoice_issue(invoice=billing_close_month(tenant=globex.tenant, month=known_month.month), issued_by="ops")
    client = acme.api(acme.user(Role.BILLING))
    invoices = client.get("/api/v1/billing/invoices").json()
    assert [invoice["number"] for invoice in invoices] == [acme_invoice.number]
    assert invoices[0]["total"] == str(acme_invoice.total)
    usage = client.get("/api/v1/billing/usage").json()
    assert usage["month"] == f"{billing_today():%Y-%m}" and usage["currency"] == "CNY"
    assert acme.api(acme.user(Role.AGENT)).get("/api/v1/billing/invoices").status_code == 403


def test_the_tenant_api_hides_drafts(acme, known_month):
    billing_close_month(tenant=acme.tenant, month=known_month.month)
    assert acme.api(acme.admin()).get("/api/v1/billing/invoices").json() == []


def test_api_meter_reads_the_month_again(staff, acme, globex, known_month):
    response = platform_api(staff).post(f"/api/v1/platform/billing/{known_month.month:%Y-%m}/meter")
    assert response.status_code == 200
    assert {row["tenant"] for row in response.json()["tenants"]} >= {"acme", "globex"}
    assert UsageDay.objects.filter(tenant=globex.tenant, day=known_month.day).exists()
    assert platform_api(staff).post("/api/v1/platform/billing/2026-13/meter").status_code == 400
