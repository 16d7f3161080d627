"""Customers: phone normalisation, lookup by caller number, screen pop, history, API, pages."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.crm.models import Customer
from apps.crm.phones import is_valid_phone, normalize_phone, phone_variants
from apps.crm.selectors import customer_by_phone, customer_history, customers_by_phones, screen_pop
from apps.crm.services import customer_create, customer_delete, customer_update
from apps.telephony.choices import CallEndReason
from apps.telephony.models import Call
from apps.telephony.services import cdr
from tests.accounts.helpers import web_login
from tests.telephony.call_factories import at, make_agent, make_disposition, make_queue, uid


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


# --- phone numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("+86 138-0013-8000", "+8613800138000"),
        ("0086 138 0013 8000", "+8613800138000"),
        ("(010) 6552.9988", "01065529988"),
        ("  95588 ", "95588"),
    ],
)
def test_phone_numbers_are_normalised(raw, normal):
    assert normalize_phone(raw) == normal


@pytest.mark.parametrize("value", ["12", "abc", "+", "1" * 21, "138x0013"])
def test_malformed_phone_numbers_are_invalid(value):
    assert not is_valid_phone(normalize_phone(value))


def test_international_and_national_forms_are_variants():
    assert set(phone_variants("+8613800138000")) >= {"13800138000"}
    assert set(phone_variants("13800138000")) >= {"+8613800138000"}
    assert set(phone_variants("01065529988")) >= {"+861065529988"}
    assert set(phone_variants("+861065529988")) >= {"01065529988"}


# --- services -----------------------------------------------------------------------------


def test_create_stores_normalised_unique_numbers(tenant):
    customer = customer_create(name="  Li Lei ", phones=["138 0013 8000", "13800138000", "", "+1 415 555 0100"])

    customer.refresh_from_db()
    assert customer.name == "Li Lei"
    assert customer.phones == ["13800138000", "+14155550100"]
    assert customer.is_vip is False


def test_create_needs_a_name(tenant):
    with pytest.raises(ApplicationError) as error:
        customer_create(name="  ", phones=["13800138000"])

    assert "name" in error.value.fields
    assert not Customer.objects.filter(phones__contains=["13800138000"]).exists()


def test_create_refuses_a_malformed_number(tenant):
    with pytest.raises(ApplicationError) as error:
        customer_create(name="Li Lei", phones=["call me"])

    assert error.value.code == "invalid_phone"
    assert "phones" in error.value.fields


def test_a_number_belongs_to_one_customer(tenant):
    customer_create(name="Li Lei", phones=["13800138000"])

    with pytest.raises(ApplicationError) as error:
        customer_create(name="Han Meimei", phones=["+86 138 0013 8000"])

    assert error.value.code == "phone_taken"
    assert "Li Lei" in str(error.value.message)
    assert Customer.objects.filter(name="Han Meimei").count() == 0


def test_update_changes_only_given_fields(tenant):
    customer = customer_create(name="Li Lei", phones=["13800138000"], notes="Prefers mornings")

    customer_update(customer=customer, is_vip=True)

    customer.refresh_from_db()
    assert customer.is_vip is True
    assert customer.name == "Li Lei"
    assert customer.notes == "Prefers mornings"
    assert customer.phones == ["13800138000"]


def test_update_may_keep_its_own_numbers(tenant):
    customer = customer_create(name="Li Lei", phones=["13800138000"])

    customer_update(customer=customer, phones=["13800138000", "13900139000"])

    customer.refresh_from_db()
    assert customer.phones == ["13800138000", "13900139000"]


def test_update_refuses_unknown_fields(tenant):
    customer = customer_create(name="Li Lei")

    with pytest.raises(ApplicationError):
        customer_update(customer=customer, credit_limit=5)


def test_delete_keeps_the_calls(tenant):
    customer = customer_create(name="Li Lei", phones=["13800138000"])
    call = cdr.call_open(uid=uid(), direction="inbound", caller="13800138000", callee="400", at=at(0))

    customer_delete(customer=customer)

    call.refresh_from_db()
    assert call.customer_id is None


# --- lookup -------------------------------------------------------------------------------


def test_caller_number_finds_the_customer_in_either_form(tenant):
    customer = customer_create(name="Li Lei", phones=["13800138000"])

    assert customer_by_phone("+8613800138000") == customer
    assert customer_by_phone("138-0013-8000") == customer


def test_unknown_number_finds_nobody(tenant):
    customer_create(name="Li Lei", phones=["13800138000"])

    assert customer_by_phone("13800138001") is None
    assert customer_by_phone("") is None


def test_bulk_lookup_matches_the_single_lookup(tenant):
    li = customer_create(name="Li Lei", phones=["13800138000"])
    han = customer_create(name="Han Meimei", phones=["+861065529988"])

    found = customers_by_phones(["+8613800138000", "01065529988", "999"])

    assert found == {"+8613800138000": li, "01065529988": han}


# --- screen pop and history ---------------------------------------------------------------


def _finished_call(*, caller: str, start: float, agent=None, queue=None, disposition=None, talk: float = 60):
    call = cdr.call_open(uid=uid(), direction="inbound", caller=caller, callee="400", at=at(start))
    if queue is not None:
        cdr.call_queued(call, queue=queue, at=at(start))
    if agent is not None:
        cdr.call_answered(call, agent=agent, at=at(start + 1))
    cdr.call_close(call, at=at(start + 1 + talk), end_reason=CallEndReason.COMPLETED, wrapup=False)
    if disposition is not None:
        cdr.call_wrapup_end(call, at=at(start + 2 + talk), disposition=disposition)
    return call


@pytest.fixture
def vip_with_calls(tenant):
    customer = customer_create(name="Han Meimei", phones=["13900139000"], is_vip=True, notes="Gold member")
    queue = make_queue(name="Billing")
    user = tenant.user("agent")
    user.name = "Wang Fang"
    user.save(update_fields=["name"])
    agent = make_agent(user)
    solved = make_disposition()
    calls = [
        _finished_call(caller="13900139000", start=n * 1000, agent=agent, queue=queue, disposition=solved, talk=n)
        for n in range(1, 8)
    ]
    live = cdr.call_open(uid=uid(), direction="inbound", caller="13900139000", callee="400", at=at(99_000))
    return {"customer": customer, "calls": calls, "live": live, "queue": queue, "agent": agent}


def test_screen_pop_of_an_unknown_caller_is_none(tenant):
    assert screen_pop("13700000000") is None


def test_screen_pop_names_the_vip_customer(vip_with_calls):
    pop = screen_pop("+86 139 0013 9000")

    assert pop["customer_id"] == vip_with_calls["customer"].pk
    assert pop["name"] == "Han Meimei"
    assert pop["is_vip"] is True
    assert pop["notes"] == "Gold member"


def test_screen_pop_lists_the_last_five_finished_calls_newest_first(vip_with_calls):
    pop = screen_pop("13900139000")

    newest = list(reversed(vip_with_calls["calls"]))[:5]
    assert [c["uid"] for c in pop["last_calls"]] == [call.uid for call in newest]
    assert vip_with_calls["live"].uid not in [c["uid"] for c in pop["last_calls"]]


def test_screen_pop_call_summary(vip_with_calls):
    last = screen_pop("13900139000")["last_calls"][0]
    call = vip_with_calls["calls"][-1]

    assert last == {
        "uid": call.uid,
        "arrived_at": call.arrived_at.isoformat(),
        "queue": "Billing",
        "agent": "Wang Fang",
        "disposition": "Solved (H8)",
        "talk_seconds": 7.0,
    }


def test_screen_pop_leaves_out_the_offered_call(vip_with_calls):
    newest = vip_with_calls["calls"][-1]

    pop = screen_pop("13900139000", exclude_uid=newest.uid)

    assert newest.uid not in [c["uid"] for c in pop["last_calls"]]
    assert len(pop["last_calls"]) == 5


def test_history_includes_calls_from_the_customers_numbers(tenant):
    customer = customer_create(name="Li Lei", phones=["13800138000"])
    before = Call.objects.create(uid=uid(), caller="+8613800138000", callee="400", arrived_at=at(-50))
    linked = cdr.call_open(uid=uid(), direction="inbound", caller="13800138000", callee="400", at=at(0))
    Call.objects.create(uid=uid(), caller="13800138001", callee="400", arrived_at=at(10))

    assert list(customer_history(customer=customer)) == [linked, before]


# --- API ----------------------------------------------------------------------------------


def test_agents_read_customers(acme):
    with tenant_context(acme.tenant):
        customer_create(name="Li Lei", phones=["13800138000"], is_vip=True)

    response = acme.api(acme.user("agent")).get("/api/v1/customers")

    assert response.status_code == 200
    row = next(r for r in response.json()["results"] if r["name"] == "Li Lei")
    assert row["phones"] == ["13800138000"]
    assert row["is_vip"] is True


def test_agents_may_not_create_customers(acme):
    response = acme.api(acme.user("agent")).post("/api/v1/customers", {"name": "X"}, format="json")

    assert response.status_code == 403


def test_supervisor_creates_updates_and_deletes_a_customer(acme):
    client = acme.api(acme.user("supervisor"))

    created = client.post("/api/v1/customers", {"name": "Li Lei", "phones": ["+86 138 0013 8000"]}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["phones"] == ["+8613800138000"]

    patched = client.patch(f"/api/v1/customers/{body['id']}", {"is_vip": True}, format="json")
    assert patched.status_code == 200
    assert patched.json()["is_vip"] is True
    assert patched.json()["name"] == "Li Lei"

    assert client.delete(f"/api/v1/customers/{body['id']}").status_code == 204
    with tenant_context(acme.tenant):
        assert not Customer.objects.filter(pk=body["id"]).exists()


def test_api_reports_a_taken_number_on_the_field(acme):
    client = acme.api(acme.admin())
    client.post("/api/v1/customers", {"name": "Li Lei", "phones": ["13800138000"]}, format="json")

    response = client.post("/api/v1/customers", {"name": "Twin", "phones": ["13800138000"]}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "phone_taken"
    assert response.json()["fields"]["phones"]


def test_api_searches_by_name_and_part_of_a_number(acme):
    with tenant_context(acme.tenant):
        customer_create(name="Li Lei", phones=["13800138000"])
        customer_create(name="Han Meimei", phones=["13900139000"])
    client = acme.api(acme.user("qa"))

    by_name = client.get("/api/v1/customers", {"q": "meimei"}).json()["results"]
    by_digits = client.get("/api/v1/customers", {"q": "0138000"}).json()["results"]
    by_phone = client.get("/api/v1/customers", {"phone": "+8613900139000"}).json()["results"]

    assert [r["name"] for r in by_name] == ["Han Meimei"]
    assert [r["name"] for r in by_digits] == ["Li Lei"]
    assert [r["name"] for r in by_phone] == ["Han Meimei"]


def test_api_lists_a_customers_calls(acme):
    with tenant_context(acme.tenant):
        customer = customer_create(name="Li Lei", phones=["13800138000"])
        call = cdr.call_open(uid=uid(), direction="inbound", caller="13800138000", callee="400", at=at(0))

    response = acme.api(acme.user("agent")).get(f"/api/v1/customers/{customer.pk}/calls")

    assert response.status_code == 200
    assert [r["uid"] for r in response.json()["results"]] == [call.uid]
    assert response.json()["results"][0]["customer"] == {"id": customer.pk, "name": "Li Lei"}


def test_another_tenants_token_is_refused(acme, globex):
    client = acme.api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")

    assert client.get("/api/v1/customers").status_code == 401
    assert client.post("/api/v1/customers", {"name": "Intruder"}, format="json").status_code == 401


def test_another_tenants_customer_is_not_found(acme, globex):
    with tenant_context(globex.tenant):
        theirs = customer_create(name="Globex customer", phones=["13600136000"])

    response = acme.api(acme.admin()).get(f"/api/v1/customers/{theirs.pk}")

    assert response.status_code == 404
    with tenant_context(acme.tenant):
        assert customer_by_phone("13600136000") is None


def test_roles_without_a_tenant_role_cannot_read(acme):
    assert acme.api(acme.user()).get("/api/v1/customers").status_code == 403


# --- pages --------------------------------------------------------------------------------


def test_customer_pages_for_an_agent(acme):
    with tenant_context(acme.tenant):
        customer = customer_create(name="Li Lei", phones=["13800138000"], is_vip=True)
    agent = acme.user("agent")
    client = web_login(acme, agent.email)

    listing = client.get("/customers/", {"q": "li"})
    detail = client.get(f"/customers/{customer.pk}/")

    assert listing.status_code == 200
    assert "Li Lei" in listing.content.decode()
    assert detail.status_code == 200
    assert "13800138000" in detail.content.decode()
    assert client.get("/customers/new/").status_code == 403


def test_supervisor_creates_a_customer_on_the_page(acme):
    client = web_login(acme, acme.user("supervisor").email)

    response = client.post(
        "/customers/new/", {"name": "Li Lei", "phones": "138 0013 8000, +1 415 555 0100", "notes": ""}
    )

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        customer = Customer.objects.get(name="Li Lei")
    assert customer.phones == ["13800138000", "+14155550100"]
    assert response["Location"] == f"/customers/{customer.pk}/"


def test_page_form_shows_a_taken_number(acme):
    with tenant_context(acme.tenant):
        customer_create(name="Li Lei", phones=["13800138000"])
    client = web_login(acme, acme.admin_email)

    response = client.post("/customers/new/", {"name": "Twin", "phones": "13800138000"})

    assert response.status_code == 200
    assert "already belongs to Li Lei" in response.content.decode()


def test_customer_detail_shows_the_call_history(acme):
    with tenant_context(acme.tenant):
        customer = customer_create(name="Li Lei", phones=["13800138000"])
        call = _finished_call(caller="13800138000", start=0)
    client = web_login(acme, acme.user("supervisor").email)

    page = client.get(f"/customers/{customer.pk}/").content.decode()

    assert f"/calls/{call.uid}/" in page


def test_customers_are_in_everyones_navigation_and_calls_are_not(acme):
    client = web_login(acme, acme.user("trainer").email)

    page = client.get("/customers/").content.decode()

    assert 'href="/customers/"' in page
    assert 'href="/calls/"' not in page
