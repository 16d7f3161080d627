"""The platform console's billing pages and the tenant's own billing page."""

from __future__ import annotations

from django.urls import reverse
from django_tenants.utils import schema_context

from apps.accounts.choices import Role
from apps.billing.models import Invoice, UsageDay
from apps.billing.periods import billing_today
from apps.billing.services.invoices import billing_close_month, invoice_issue
from apps.billing.services.metering import usage_meter_tenant
from tests.accounts.helpers import web_login

from .conftest import console


def test_month_page_lists_tenants_with_totals_and_close_issue_buttons(staff, acme, globex, known_month):
    code = f"{known_month.month:%Y-%m}"
    billing_close_month(tenant=acme.tenant, month=known_month.month)
    response = console(staff).get(f"/platform/billing/?month={code}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-tenant="acme"' in html and 'data-tenant="globex"' in html
    assert f"INV-{known_month.month:%Y%m}-ACME" in html
    assert f"/platform/billing/{code}/acme/issue/" in html and "data-confirm" in html
    assert f"/platform/billing/{code}/close/" in html


def test_a_bad_month_says_so_and_shows_last_month(staff, acme):
    response = console(staff).get("/platform/billing/?month=2026-13")
    assert response.status_code == 200 and "Pick a month as YYYY-MM." in response.content.decode()


def test_close_and_issue_through_the_console(staff, acme, known_month):
    code = f"{known_month.month:%Y-%m}"
    client = console(staff)
    response = client.post(f"/platform/billing/{code}/close/", {"slug": "acme"})
    assert response.status_code == 302
    invoice = Invoice.objects.get(tenant=acme.tenant, month=known_month.month)
    assert invoice.status == "draft"
    client.post(f"/platform/billing/{code}/acme/issue/")
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.issued_by == staff.email
    response = client.post(f"/platform/billing/{code}/close/", {"slug": "acme"}, follow=True)
    assert "can no longer change" in response.content.decode()


def test_invoice_detail_shows_lines(staff, acme, known_month):
    code = f"{known_month.month:%Y-%m}"
    client = console(staff)
    usage_meter_tenant(tenant=acme.tenant, first_day=known_month.month, last_day=known_month.day)
    preview = client.get(f"/platform/billing/{code}/acme/").content.decode()
    assert "Not closed yet" in preview and 'data-item="seat_days"' in preview
    invoice = billing_close_month(tenant=acme.tenant, month=known_month.month)
    html = client.get(f"/platform/billing/{code}/acme/").content.decode()
    assert invoice.number in html and str(invoice.total) in html and "invoice-zh.pdf" in html


def test_console_pages_are_platform_staff_only(outsider, acme, known_month):
    code = f"{known_month.month:%Y-%m}"
    billing_close_month(tenant=acme.tenant, month=known_month.month)
    for client in (console(), console(outsider)):
        for path in (
            "/platform/billing/",
            f"/platform/billing/{code}/acme/",
            f"/platform/billing/{code}/acme/invoice-en.pdf",
        ):
            response = client.get(path)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert client.post(f"/platform/billing/{code}/close/", {"slug": "acme"}).status_code == 302
    assert Invoice.objects.get(tenant=acme.tenant).status == "draft"
    # The console does not exist on a tenant host.
    admin_client = web_login(acme, acme.admin_email)
    assert admin_client.get("/platform/billing/").status_code == 404


def test_tenant_billing_page_shows_only_its_own_issued_invoices(acme, globex, known_month):
    acme_invoice = invoice_issue(
        invoice=billing_close_month(tenant=acme.tenant, month=known_month.month), issued_by="ops"
    )
    globex_invoice = invoice_issue(
        invoice=billing_close_month(tenant=globex.tenant, month=known_month.month), issued_by="ops"
    )
    user = acme.user(Role.BILLING)
    client = web_login(acme, user.email)
    html = client.get(reverse("billing:usage", urlconf="config.urls_tenant")).content.decode()
    assert f'data-invoice="{acme_invoice.number}"' in html
    assert globex_invoice.number not in html
    assert client.get(f"/billing/invoices/{globex_invoice.number}/en.pdf").status_code == 404
    assert client.get(f"/billing/invoices/{acme_invoice.number}/xx.pdf").status_code == 404


def test_tenant_billing_page_hides_drafts_and_refuses_other_roles(acme, known_month):
    draft = billing_close_month(tenant=acme.tenant, month=known_month.month)
    client = web_login(acme, acme.user(Role.BILLING).email)
    html = client.get("/billing/").content.decode()
    assert draft.number not in html and "No invoice issued yet." in html
    assert client.get(f"/billing/invoices/{draft.number}/en.pdf").status_code == 404
    agent = web_login(acme, acme.user(Role.AGENT).email)
    assert agent.get("/billing/").status_code == 403
    with schema_context("public"):
        assert Invoice.objects.get(pk=draft.pk).status == "draft"


def test_the_console_links_to_billing(staff, acme):
    html = console(staff).get("/platform/").content.decode()
    assert 'href="/platform/billing/"' in html


def test_read_usage_now_meters_the_month_for_every_tenant(staff, acme, globex, known_month):
    code = f"{known_month.month:%Y-%m}"
    html = console(staff).get(f"/platform/billing/?month={code}").content.decode()
    assert f"/platform/billing/{code}/meter/" in html
    response = console(staff).post(f"/platform/billing/{code}/meter/", follow=True)
    assert f"Usage of {code} read again for" in response.content.decode()
    assert UsageDay.objects.filter(tenant=globex.tenant, day=known_month.day, item="minutes_outbound").exists()
    assert UsageDay.objects.filter(tenant=acme.tenant, day=known_month.day, item="seat_days").exists()


def test_read_usage_now_is_staff_only(outsider, acme, known_month):
    response = console(outsider).post(f"/platform/billing/{known_month.month:%Y-%m}/meter/")
    assert response.status_code == 302 and not UsageDay.objects.exists()


def test_the_tenant_page_says_when_the_figures_were_metered(acme):
    client = web_login(acme, acme.user(Role.BILLING).email)
    assert "nothing metered in this month yet" in client.get("/billing/").content.decode()
    usage_meter_tenant(tenant=acme.tenant, first_day=billing_today().replace(day=1), last_day=billing_today())
    assert "as metered at" in client.get("/billing/").content.decode()
