"""The invoice PDF renders in Chinese and English: its text names the tenant and the total."""

from __future__ import annotations

import subprocess

import pytest

from apps.accounts.choices import Role
from apps.billing.documents import invoice_pdf
from apps.billing.services.invoices import billing_close_month, invoice_issue
from tests.accounts.helpers import web_login
from tests.pending_po import pending_translations

from .conftest import console


def _text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60)  # noqa: S607
    return done.stdout.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh", ["坐席", "呼入分钟：中继 Unicom"]), ("en", ["Seats, plan", "Inbound minutes: trunk Unicom"])],
)
def test_invoice_pdf_in_both_languages(acme, known_month, language, words):
    invoice = billing_close_month(tenant=acme.tenant, month=known_month.month)
    pdf = invoice_pdf(invoice=invoice, language=language)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert acme.tenant.name in text and str(invoice.total) in text and invoice.number in text
    flat = "".join(text.split())  # table cells wrap where the column is narrow
    for word in words:
        assert "".join(word.split()) in flat


def test_pdf_downloads_for_staff_and_the_tenant(staff, acme, known_month):
    invoice = invoice_issue(invoice=billing_close_month(tenant=acme.tenant, month=known_month.month), issued_by="ops")
    response = console(staff).get(f"/platform/billing/{known_month.month:%Y-%m}/acme/invoice-en.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"{invoice.number}-en.pdf" in response["Content-Disposition"]
    client = web_login(acme, acme.user(Role.BILLING).email)
    response = client.get(f"/billing/invoices/{invoice.number}/zh.pdf")
    assert response.status_code == 200 and str(invoice.total) in _text(response.content)


def test_the_chinese_pdf_prints_chinese_labels(acme, known_month):
    invoice = billing_close_month(tenant=acme.tenant, month=known_month.month)
    with pending_translations("billing"):
        text = _text(invoice_pdf(invoice=invoice, language="zh"))
    for words in ("账单编号", "计费期间", "合计", "坐席天", "草稿"):
        assert words in text


def test_the_console_in_chinese(staff, acme, known_month):
    billing_close_month(tenant=acme.tenant, month=known_month.month)
    with pending_translations("billing"):
        html = (
            console(staff, language="zh-hans")
            .get(f"/platform/billing/?month={known_month.month:%Y-%m}")
            .content.decode()
        )
    assert "为所有租户月结" in html and "草稿" in html and "年-月" in html
