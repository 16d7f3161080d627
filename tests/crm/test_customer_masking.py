"""Customers with custom values through every door: API (CRUD, masking per role, a mask sent back
unchanged), list page, export (masked, audited), screen pop (masked per role, open tickets),
timeline and notes; tenant isolation and permissions."""

from __future__ import annotations

import csv
import io

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.models import Team
from apps.audit.models import AuditEntry
from apps.crm.models import Customer, CustomerNote, CustomField
from apps.crm.selectors import screen_pop
from apps.crm.selectors.customers import screen_pop_for_agent
from apps.crm.services import customer_create, ticket_category_create, ticket_create
from apps.crm.services.custom_fields import custom_field_create
from tests.accounts.helpers import web_login
from tests.telephony.call_factories import make_agent

ID_NUMBER = "110101199003071234"
MASKED = "1101**********1234"


@pytest.fixture
def world(acme):
    """Two custom fields (会员等级 for everyone, 身份证号 sensitive, whole for administrators) and a
    customer with both."""
    with tenant_context(acme.tenant):
        custom_field_create(actor=None, key="level", label="会员等级", field_type="choice", choices=["金卡", "银卡"])
        custom_field_create(actor=None, key="id_no", label="身份证号", field_type="text", sensitive=True, unique=True)
        acme.customer = customer_create(
            name="Li Lei",
            phones=["13800138000", "010 6552 9988"],
            emails=["li@example.com"],
            tags=["投诉"],
            vip_level=2,
            custom={"level": "金卡", "id_no": ID_NUMBER},
        )
    return acme


def _row(response, name="Li Lei"):
    return next(row for row in response.json()["results"] if row["name"] == name)


# --- API -------------------------------------------------------------------------------------------------


def test_api_creates_a_customer_with_everything(world):
    client = world.api(world.user("supervisor"))
    team = None
    with tenant_context(world.tenant):
        team = Team.objects.create(name="VIP desk")

    response = client.post(
        "/api/v1/customers",
        {
            "name": "Han Meimei",
            "phones": ["139 0013 9000", "+86 139 0013 9001"],
            "emails": ["Han@Example.com", "han@work.example"],
            "tags": ["新客户", "新客户", "VIP"],
            "vip_level": 1,
            "owner_team": team.pk,
            "custom": {"level": "银卡", "id_no": "110101199107081111"},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phones"] == ["13900139000", "+8613900139001"]
    assert body["primary_phone"] == "13900139000"
    assert body["primary_email"] == "han@example.com"
    assert body["tags"] == ["新客户", "VIP"]
    assert body["is_vip"] is True
    assert body["owner_team"] == team.pk
    assert body["custom"]["id_no"] == "1101**********1111"  # a supervisor sees it masked
    assert body["masked"] == ["id_no"]


def test_api_refuses_bad_custom_values_and_stores_nothing(world):
    response = world.api(world.admin()).post(
        "/api/v1/customers", {"name": "X", "phones": ["13700137000"], "custom": {"level": "铜卡"}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "custom.level" in response.json()["fields"]
    with tenant_context(world.tenant):
        assert not Customer.objects.filter(name="X").exists()


def test_api_refuses_a_taken_email_and_a_taken_unique_value(world):
    client = world.api(world.admin())

    email = client.post("/api/v1/customers", {"name": "X", "emails": ["LI@example.com"]}, format="json")
    unique = client.post("/api/v1/customers", {"name": "Y", "custom": {"id_no": ID_NUMBER}}, format="json")

    assert email.json()["code"] == "email_taken"
    assert unique.json()["code"] == "value_taken"
    assert "custom.id_no" in unique.json()["fields"]


def test_masking_per_role_in_the_api(world):
    as_admin = _row(world.api(world.admin()).get("/api/v1/customers"))
    as_agent = _row(world.api(world.user("agent")).get("/api/v1/customers"))
    one = world.api(world.user("qa")).get(f"/api/v1/customers/{world.customer.pk}").json()

    assert as_admin["custom"] == {"level": "金卡", "id_no": ID_NUMBER}
    assert as_admin["masked"] == []
    assert as_agent["custom"] == {"level": "金卡", "id_no": MASKED}
    assert as_agent["masked"] == ["id_no"]
    assert one["custom"]["id_no"] == MASKED


def test_a_mask_sent_back_unchanged_keeps_the_stored_value(world):
    client = world.api(world.user("supervisor"))
    shown = client.get(f"/api/v1/customers/{world.customer.pk}").json()

    response = client.patch(
        f"/api/v1/customers/{world.customer.pk}", {"custom": {**shown["custom"], "level": "银卡"}}, format="json"
    )

    assert response.status_code == 200
    with tenant_context(world.tenant):
        world.customer.refresh_from_db()
    assert world.customer.custom == {"level": "银卡", "id_no": ID_NUMBER}


def test_api_filters_by_email_tag_and_vip_level(world):
    client = world.api(world.user("agent"))

    assert [r["name"] for r in client.get("/api/v1/customers", {"email": "LI@example.com"}).json()["results"]] == [
        "Li Lei"
    ]
    assert [r["name"] for r in client.get("/api/v1/customers", {"tag": "投诉"}).json()["results"]] == ["Li Lei"]
    assert client.get("/api/v1/customers", {"vip_level": 3}).json()["results"] == []
    assert [r["name"] for r in client.get("/api/v1/customers", {"q": "65529988"}).json()["results"]] == ["Li Lei"]


def test_agents_may_not_write_export_or_merge(world):
    client = world.api(world.user("agent"))

    assert client.patch(f"/api/v1/customers/{world.customer.pk}", {"name": "Z"}, format="json").status_code == 403
    assert client.get("/api/v1/customers/export").status_code == 403
    assert client.post("/api/v1/customers/merge", {"survivor": 1, "other": 2}, format="json").status_code == 403
    assert client.get("/api/v1/customer-imports").status_code == 403


def test_another_tenant_sees_none_of_it(world, globex):
    client = globex.api(globex.admin())

    assert client.get(f"/api/v1/customers/{world.customer.pk}").status_code == 404
    assert client.get("/api/v1/customer-fields").json() == []
    assert all(row["name"] != "Li Lei" for row in client.get("/api/v1/customers").json()["results"])
    foreign = world.api()
    foreign.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")
    assert foreign.get("/api/v1/customer-fields").status_code == 401


# --- export --------------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_masks_for_the_supervisor_and_is_audited(world):
    response = world.api(world.user("supervisor")).get("/api/v1/customers/export", {"q": "Li"})

    rows = _csv(response)
    assert response.status_code == 200
    header, row = rows[0], rows[1]
    assert row[header.index("身份证号")] == MASKED
    assert row[header.index("会员等级")] == "金卡"
    with tenant_context(world.tenant):
        entry = AuditEntry.objects.get(action="export.downloaded", extra__kind="customers")
    assert entry.extra["rows"] == 1
    assert entry.extra["filters"] == {"q": "Li"}


def test_export_is_whole_for_the_administrator_and_neutralises_formulas(world):
    with tenant_context(world.tenant):
        customer_create(name="=HYPERLINK(evil)", phones=["13700137000"])

    rows = _csv(world.api(world.admin()).get("/api/v1/customers/export"))

    header = rows[0]
    by_name = {row[header.index("Name")]: row for row in rows[1:]}
    assert by_name["Li Lei"][header.index("身份证号")] == ID_NUMBER
    assert "'=HYPERLINK(evil)" in by_name


def test_export_xlsx_downloads(world):
    response = world.api(world.admin()).get("/api/v1/customers/export", {"file_format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_export_page_link_masks_too(world):
    client = web_login(world, world.user("supervisor").email)

    rows = _csv(client.get("/customers/export.csv"))

    assert MASKED in rows[1]


# --- screen pop ------------------------------------------------------------------------------------------------


def _open_ticket(world, agent_user):
    category = ticket_category_create(actor=None, name="Repairs")
    return ticket_create(actor=agent_user, title="Heater broken", category=category.pk, customer=world.customer.pk)


def test_screen_pop_masks_for_the_agent_and_lists_their_open_tickets(world):
    with tenant_context(world.tenant):
        user = world.user("agent")
        agent = make_agent(user=user)
        ticket = _open_ticket(world, user)

        pop = screen_pop_for_agent("+8613800138000", agent_id=agent.pk)

    assert pop["custom_fields"] == [
        {"key": "level", "label": "会员等级", "value": "金卡", "masked": False},
        {"key": "id_no", "label": "身份证号", "value": MASKED, "masked": True},
    ]
    assert [row["number"] for row in pop["open_tickets"]] == [ticket.number]
    assert pop["vip_level"] == 2
    assert pop["tags"] == ["投诉"]


def test_screen_pop_is_whole_for_an_administrator(world):
    with tenant_context(world.tenant):
        pop = screen_pop("13800138000", user=world.admin())

    assert {row["key"]: row["value"] for row in pop["custom_fields"]}["id_no"] == ID_NUMBER


def test_screen_pop_without_a_viewer_is_the_least_shown(world):
    with tenant_context(world.tenant):
        custom_field_create(actor=None, key="credit", label="Credit", field_type="text", visible_roles=["supervisor"])
        world.customer.custom["credit"] = "A"
        world.customer.save()

        pop = screen_pop("13800138000")

    assert [row["key"] for row in pop["custom_fields"]] == ["level", "id_no"]
    assert pop["custom_fields"][1]["value"] == MASKED
    assert pop["open_tickets"] == []


# --- pages, timeline, notes ---------------------------------------------------------------------------------------


def test_list_and_customer_pages_mask_for_an_agent(world):
    client = web_login(world, world.user("agent").email)

    listing = client.get("/customers/").content.decode()
    detail = client.get(f"/customers/{world.customer.pk}/").content.decode()

    for page in (listing, detail):
        assert MASKED in page
        assert ID_NUMBER not in page
    assert "金卡" in detail


def test_timeline_has_notes_and_tickets_newest_first(world):
    client = world.api(world.user("supervisor"))
    with tenant_context(world.tenant):
        _open_ticket(world, world.user("agent"))

    added = client.post(f"/api/v1/customers/{world.customer.pk}/notes", {"body": "Prefers mornings"}, format="json")
    timeline = client.get(f"/api/v1/customers/{world.customer.pk}/timeline").json()

    assert added.status_code == 201
    assert [item["kind"] for item in timeline] == ["note", "ticket"]
    assert timeline[0]["detail"] == "Prefers mornings"


def test_an_agent_adds_a_note_on_the_page(world):
    client = web_login(world, world.user("agent").email)

    response = client.post(f"/customers/{world.customer.pk}/notes/", {"body": "Called about the bill"})

    assert response.status_code == 302
    with tenant_context(world.tenant):
        assert CustomerNote.objects.get(customer=world.customer).body == "Called about the bill"


def test_an_empty_note_is_refused(world):
    response = world.api(world.user("agent")).post(
        f"/api/v1/customers/{world.customer.pk}/notes", {"body": " "}, format="json"
    )

    assert response.status_code == 400
    assert "body" in response.json()["fields"]


def test_supervisor_edits_custom_values_on_the_page_keeping_the_masked_one(world):
    client = web_login(world, world.user("supervisor").email)

    form = client.get(f"/customers/{world.customer.pk}/edit/").content.decode()
    response = client.post(
        f"/customers/{world.customer.pk}/edit/",
        {
            "name": "Li Lei",
            "phones": "13800138000",
            "emails": "li@example.com",
            "tags": "投诉, 回访",
            "vip_level": "1",
            "owner": "",
            "notes": "",
            "custom_level": "银卡",
            "custom_id_no": MASKED,
        },
    )

    assert MASKED in form and ID_NUMBER not in form
    assert response.status_code == 302
    with tenant_context(world.tenant):
        world.customer.refresh_from_db()
    assert world.customer.custom == {"level": "银卡", "id_no": ID_NUMBER}
    assert world.customer.tags == ["投诉", "回访"]


def test_custom_field_pages_are_for_administrators(world):
    assert web_login(world, world.user("supervisor").email).get("/customers/fields/").status_code == 403
    client = web_login(world, world.admin_email)

    page = client.get("/customers/fields/").content.decode()
    created = client.post(
        "/customers/fields/new/",
        {"key": "points", "label": "积分", "field_type": "number", "position": "3", "unmasked_roles": ["tenant_admin"]},
    )

    assert "身份证号" in page
    assert created.status_code == 302
    with tenant_context(world.tenant):
        assert CustomField.objects.get(key="points").label == "积分"
