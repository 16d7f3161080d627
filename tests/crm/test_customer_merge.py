"""Merging two customers: every related row moves to the survivor, values are united, the other
record goes, and the audit log keeps both as they were."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError
from apps.crm.models import Customer, CustomerNote, Ticket
from apps.crm.selectors import customer_by_phone
from apps.crm.services import customer_create, ticket_category_create, ticket_create
from apps.crm.services.custom_fields import custom_field_create
from apps.crm.services.customer_merge import customer_merge
from apps.crm.services.customers import customer_note_add
from apps.telephony.models import Call
from apps.telephony.services import cdr
from tests.accounts.helpers import web_login
from tests.telephony.call_factories import at, uid


@pytest.fixture
def pair(acme):
    """Two records of one person, each with a call, a ticket and a note."""
    with tenant_context(acme.tenant):
        custom_field_create(actor=None, key="level", label="会员等级", field_type="text")
        custom_field_create(actor=None, key="id_no", label="身份证号", field_type="text", unique=True, sensitive=True)
        survivor = customer_create(
            name="Li Lei", phones=["13800138000"], emails=["li@example.com"], tags=["VIP"], custom={"level": "金卡"}
        )
        other = customer_create(
            name="李雷",
            phones=["+8613900139000", "010 6552 9988"],
            emails=["lei@work.example"],
            tags=["投诉", "VIP"],
            vip_level=2,
            notes="Prefers e-mail",
            custom={"level": "银卡", "id_no": "110101199003071234"},
        )
        category = ticket_category_create(actor=None, name="Repairs")
        agent = acme.user("agent")
        tickets = [
            ticket_create(actor=agent, title=title, category=category.pk, customer=customer.pk)
            for title, customer in (("Mine", survivor), ("Theirs", other))
        ]
        calls = [
            cdr.call_open(uid=uid(), direction="inbound", caller=number, callee="400", at=at(minute))
            for minute, number in ((0, "13800138000"), (5, "13900139000"))
        ]
        notes = [customer_note_add(customer=c, body=f"note of {c.name}") for c in (survivor, other)]
    acme.survivor, acme.other, acme.tickets, acme.calls, acme.notes = survivor, other, tickets, calls, notes
    return acme


def test_merge_moves_every_related_row_and_unites_the_values(pair):
    with tenant_context(pair.tenant):
        result = customer_merge(survivor=pair.survivor, other=pair.other, actor=pair.admin())

        survivor = Customer.objects.get(pk=pair.survivor.pk)
        assert not Customer.objects.filter(pk=pair.other.pk).exists()
        assert survivor.name == "Li Lei"
        assert survivor.phones == ["13800138000", "+8613900139000", "01065529988"]
        assert survivor.emails == ["li@example.com", "lei@work.example"]
        assert survivor.tags == ["VIP", "投诉"]
        assert survivor.custom == {"level": "金卡", "id_no": "110101199003071234"}  # the survivor's own win
        assert survivor.vip_level == 2
        assert survivor.is_vip is True
        assert "Prefers e-mail" in survivor.notes
        assert set(Ticket.objects.filter(customer=survivor).values_list("pk", flat=True)) == {
            t.pk for t in pair.tickets
        }
        assert set(Call.objects.filter(customer=survivor).values_list("pk", flat=True)) == {c.pk for c in pair.calls}
        assert CustomerNote.objects.filter(customer=survivor).count() == 2
        assert result["moved"] == {"crm.Ticket": 1, "telephony.Call": 1, "crm.CustomerNote": 1}


def test_merge_is_audited_with_both_records_before(pair):
    with tenant_context(pair.tenant):
        customer_merge(survivor=pair.survivor, other=pair.other, actor=pair.admin())

        entry = AuditEntry.objects.get(action="customer.merged")

    assert entry.target_id == str(pair.survivor.pk)
    assert entry.before["other"]["name"] == "李雷"
    assert entry.before["other"]["phones"] == ["+8613900139000", "01065529988"]
    assert entry.before["survivor"]["custom"] == {"level": "金卡"}
    assert entry.after["emails"] == ["li@example.com", "lei@work.example"]
    assert entry.extra["merged_id"] == pair.other.pk


def test_after_a_merge_the_others_number_pops_the_survivor(pair):
    with tenant_context(pair.tenant):
        customer_merge(survivor=pair.survivor, other=pair.other)

        assert customer_by_phone("13900139000").pk == pair.survivor.pk


def test_a_customer_cannot_be_merged_into_itself(pair):
    with tenant_context(pair.tenant), pytest.raises(ApplicationError):
        customer_merge(survivor=pair.survivor, other=pair.survivor)


def test_api_merge_for_supervisors_only(pair):
    body = {"survivor": pair.survivor.pk, "other": pair.other.pk}

    refused = pair.api(pair.user("agent")).post("/api/v1/customers/merge", body, format="json")
    merged = pair.api(pair.user("supervisor")).post("/api/v1/customers/merge", body, format="json")
    again = pair.api(pair.user("supervisor")).post("/api/v1/customers/merge", body, format="json")

    assert refused.status_code == 403
    assert merged.status_code == 200
    assert merged.json()["moved"]["crm.Ticket"] == 1
    assert again.status_code == 404
    assert again.json()["code"] == "not_found"


def test_api_merge_refuses_bad_input(pair):
    response = pair.api(pair.admin()).post("/api/v1/customers/merge", {"survivor": "x"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) >= {"survivor", "other"}


def test_another_tenant_cannot_merge_our_customers(pair, globex):
    response = globex.api(globex.admin()).post(
        "/api/v1/customers/merge", {"survivor": pair.survivor.pk, "other": pair.other.pk}, format="json"
    )

    assert response.status_code == 404
    with tenant_context(pair.tenant):
        assert Customer.objects.filter(pk=pair.other.pk).exists()


def test_merge_on_the_customer_page(pair):
    client = web_login(pair, pair.user("supervisor").email)

    response = client.post(f"/customers/{pair.survivor.pk}/merge/", {"other": pair.other.pk})

    assert response.status_code == 302
    with tenant_context(pair.tenant):
        assert not Customer.objects.filter(pk=pair.other.pk).exists()
