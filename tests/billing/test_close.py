"""The monthly close: the invoice from known usage, idempotent re-close, issued invoices locked."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from apps.audit.choices import AuditAction
from apps.audit.models import AuditEntry
from apps.billing.models import Invoice, InvoiceLine
from apps.billing.periods import billing_today, days_in_month
from apps.billing.services.invoices import billing_close_month, invoice_issue
from apps.core.errors import ApplicationError
from tests.factories import CallFactory

from .conftest import at, console


def _fen(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _per_day(monthly: str, month) -> Decimal:
    return (Decimal(monthly) / days_in_month(month)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def _lines(invoice: Invoice) -> list[tuple]:
    return list(
        InvoiceLine.objects.filter(invoice=invoice)
        .order_by("position")
        .values_list(
            "position", "item", "ref", "description_en", "description_zh", "quantity", "unit", "unit_price", "amount"
        )
    )


def test_close_writes_the_invoice_hand_computed(acme, known_month):
    month, dim = known_month.month, days_in_month(known_month.month)
    invoice = billing_close_month(tenant=acme.tenant, month=month)
    unicom, default = str(known_month.unicom.pk), str(known_month.acme_default.pk)
    got = {(item, ref): (quantity, amount) for _p, item, ref, _e, _z, quantity, _u, _up, amount in _lines(invoice)}
    number_days = dim - 8  # from the 9th
    gb_days = Decimal(2) + Decimal("2.5") * (dim - 9)
    expected = {
        ("seat_days", ""): (Decimal(5), _fen(5 * _per_day("299.00", month))),
        ("trunk_days", unicom): (Decimal(dim), Decimal("310.00")),
        ("number_days", ""): (Decimal(number_days), _fen(number_days * _per_day("30.00", month))),
        ("minutes_inbound", default): (Decimal(1), Decimal("0.12")),
        ("minutes_inbound", unicom): (Decimal(3), Decimal("0.24")),
        ("minutes_outbound", unicom): (Decimal(4), Decimal("0.32")),
        ("storage_gb_days", ""): (gb_days, _fen(gb_days * _per_day("1.00", month))),
    }
    assert got == expected
    assert invoice.total == sum(amount for _q, amount in expected.values())
    assert (invoice.number, invoice.status, invoice.currency) == (f"INV-{month:%Y%m}-ACME", "draft", "CNY")
    assert [line[1] for line in _lines(invoice)] == [
        "seat_days",
        "trunk_days",
        "number_days",
        "minutes_inbound",
        "minutes_inbound",
        "minutes_outbound",
        "storage_gb_days",
    ]


def test_close_twice_gives_the_same_invoice(acme, known_month):
    first = billing_close_month(tenant=acme.tenant, month=known_month.month)
    lines = _lines(first)
    second = billing_close_month(tenant=acme.tenant, month=known_month.month)
    assert (second.pk, second.number, second.total, second.status) == (first.pk, first.number, first.total, "draft")
    assert _lines(second) == lines
    assert Invoice.objects.filter(tenant=acme.tenant, month=known_month.month).count() == 1


def test_a_draft_is_rebuilt_from_the_meter(acme, known_month):
    invoice = billing_close_month(tenant=acme.tenant, month=known_month.month)
    with tenant_context(acme.tenant):
        CallFactory(
            direction="outbound", trunk=known_month.unicom, arrived_at=at(known_month.day, 18), talk_seconds=600
        )
    call_command("meter_usage", "--tenant", "acme", "--since", f"{known_month.day}", "--until", f"{known_month.day}")
    rebuilt = billing_close_month(tenant=acme.tenant, month=known_month.month)
    assert rebuilt.pk == invoice.pk
    assert rebuilt.total == invoice.total + Decimal("0.80")  # 10 more minutes at 0.08


def test_an_issued_invoice_is_locked(acme, known_month):
    invoice = invoice_issue(
        invoice=billing_close_month(tenant=acme.tenant, month=known_month.month), issued_by="ops@x.test"
    )
    lines = _lines(invoice)
    assert (invoice.status, invoice.issued_by) == ("issued", "ops@x.test") and invoice.issued_at is not None
    with tenant_context(acme.tenant):
        CallFactory(
            direction="outbound", trunk=known_month.unicom, arrived_at=at(known_month.day, 18), talk_seconds=600
        )
    call_command("meter_usage", "--tenant", "acme", "--since", f"{known_month.day}", "--until", f"{known_month.day}")
    with pytest.raises(ApplicationError) as refused:
        billing_close_month(tenant=acme.tenant, month=known_month.month)
    assert refused.value.code == "invoice_issued" and invoice.number in str(refused.value.message)
    with pytest.raises(ApplicationError, match="can no longer change"):
        invoice_issue(invoice=invoice, issued_by="someone@x.test")
    again = Invoice.objects.get(pk=invoice.pk)
    assert (_lines(again), again.total, again.issued_by) == (lines, invoice.total, "ops@x.test")


def test_the_open_month_cannot_be_closed(acme):
    with pytest.raises(ApplicationError) as refused:
        billing_close_month(tenant=acme.tenant, month=billing_today().replace(day=1))
    assert refused.value.code == "billing_month_open"
    assert not Invoice.objects.filter(tenant=acme.tenant).exists()


def test_close_billing_month_command(acme, globex, known_month, capsys):
    month = f"{known_month.month:%Y-%m}"
    call_command("close_billing_month", "--month", month)
    out = capsys.readouterr().out
    assert f"acme: INV-{known_month.month:%Y%m}-ACME draft" in out and "globex:" in out
    invoice_issue(invoice=Invoice.objects.get(tenant=acme.tenant, month=known_month.month), issued_by="ops")
    with pytest.raises(CommandError, match="issued"):
        call_command("close_billing_month", "--month", month, "--tenant", "acme")
    assert "can no longer change" in capsys.readouterr().err
    call_command("close_billing_month", "--month", month)  # all: the issued one is reported, the rest closed
    captured = capsys.readouterr()
    assert "globex: INV-" in captured.out and "acme" in captured.err


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-01", "abc"])
def test_close_billing_month_command_refuses_a_bad_month(acme, month):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("close_billing_month", "--month", month)
    assert not Invoice.objects.exists()


def test_close_billing_month_command_refuses_the_open_month(acme):
    with pytest.raises(CommandError, match="not over"):
        call_command("close_billing_month", "--month", f"{billing_today():%Y-%m}", "--tenant", "acme")


def test_issuing_is_written_to_the_tenants_audit_log(staff, acme, known_month):
    invoice = billing_close_month(tenant=acme.tenant, month=known_month.month)
    console(staff).post(f"/platform/billing/{known_month.month:%Y-%m}/acme/issue/")
    invoice.refresh_from_db()
    with tenant_context(acme.tenant):
        entry = AuditEntry.objects.get(action=AuditAction.PLATFORM_INVOICE_ISSUED)
    assert (entry.actor_kind, entry.actor_email) == ("platform", staff.email)
    assert (entry.after["number"], entry.after["total"]) == (invoice.number, str(invoice.total))
