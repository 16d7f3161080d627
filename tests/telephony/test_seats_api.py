"""Seats, trunks and numbers through /api/v1/ and the admin console."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.telephony.models import PhoneNumber, Seat, Trunk
from apps.tenants.models import SeatUsageDay, SipDirectoryEntry, Tenant, UsageEvent
from tests.accounts.helpers import web_login

SECRET_FIELDS = {"secret", "sip_secret", "sip_ha1", "ha1", "password"}
ROLES_WITHOUT_PLANT_ACCESS = ["agent", "qa", "trainer", "hr", "billing"]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - SIP digest HA1 is MD5 by definition


def _seats(world) -> list[Seat]:
    with tenant_context(world.tenant):
        return list(Seat.objects.order_by("extension"))


def _seat_count(world) -> int:
    return Tenant.objects.get(pk=world.tenant.pk).seat_count


def _usage(world, kind: str) -> list[UsageEvent]:
    return list(UsageEvent.objects.filter(tenant=world.tenant, kind=kind).order_by("id"))


def _directory(world) -> dict[str, SipDirectoryEntry]:
    return {entry.username: entry for entry in SipDirectoryEntry.objects.filter(tenant=world.tenant)}


def _today_seat_days(world) -> int | None:
    row = SeatUsageDay.objects.filter(tenant=world.tenant, day=timezone.localdate()).first()
    return row.seats if row else None


@pytest.fixture
def admin_api(acme):
    return acme.api(acme.admin())


@pytest.fixture
def supervisor_api(acme):
    return acme.api(acme.user("supervisor"))


@pytest.fixture
def agent_api(acme):
    return acme.api(acme.user("agent"))


# --- GET /seats -----------------------------------------------------------------------------------


def test_list_shows_the_provisioned_seats(acme, admin_api):
    response = admin_api.get("/api/v1/seats")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [seat["extension"] for seat in results] == ["1001", "1002", "1003", "1004", "1005"]
    assert [seat["sip_username"] for seat in results] == [f"{n}@acme" for n in range(1001, 1006)]
    assert all(isinstance(seat["id"], int) for seat in results)


def test_list_never_shows_a_secret_or_ha1(acme, admin_api):
    response = admin_api.get("/api/v1/seats")

    for seat in response.json()["results"]:
        assert not SECRET_FIELDS & set(seat)
    for seat in _seats(acme):
        assert seat.sip_ha1.encode() not in response.content


def test_supervisor_may_list_seats(supervisor_api):
    response = supervisor_api.get("/api/v1/seats")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 5


def test_seat_detail(acme, admin_api):
    seat = _seats(acme)[0]

    response = admin_api.get(f"/api/v1/seats/{seat.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == seat.pk
    assert body["extension"] == seat.extension
    assert body["sip_username"] == seat.sip_username
    assert not SECRET_FIELDS & set(body)


def test_seats_of_another_tenant_are_not_listed(globex, admin_api):
    globex_usernames = {seat.sip_username for seat in _seats(globex)}

    response = admin_api.get("/api/v1/seats")

    listed = {seat["sip_username"] for seat in response.json()["results"]}
    assert listed.isdisjoint(globex_usernames)


# --- POST /seats ----------------------------------------------------------------------------------


def test_add_seats_with_consecutive_extensions(acme, admin_api):
    response = admin_api.post("/api/v1/seats", {"count": 3}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert [seat["extension"] for seat in body] == ["1006", "1007", "1008"]
    assert [seat["sip_username"] for seat in body] == ["1006@acme", "1007@acme", "1008@acme"]
    for seat in body:
        assert not SECRET_FIELDS & set(seat)
    assert len(_seats(acme)) == 8


def test_add_seats_updates_the_tenant_seat_count(acme, admin_api):
    admin_api.post("/api/v1/seats", {"count": 3}, format="json")

    assert _seat_count(acme) == 8


def test_add_seats_writes_a_usage_event(acme, admin_api):
    before = len(_usage(acme, "seats_added"))

    admin_api.post("/api/v1/seats", {"count": 3}, format="json")

    events = _usage(acme, "seats_added")
    assert len(events) == before + 1
    assert events[-1].quantity == 3
    assert events[-1].detail["total"] == 8


def test_add_seats_raises_todays_seat_days(acme, admin_api):
    admin_api.post("/api/v1/seats", {"count": 3}, format="json")

    assert _today_seat_days(acme) == 8


def test_add_seats_registers_them_in_the_sip_directory(acme, admin_api):
    body = admin_api.post("/api/v1/seats", {"count": 2}, format="json").json()

    directory = _directory(acme)
    stored = {seat.sip_username: seat for seat in _seats(acme)}
    for seat in body:
        entry = directory[seat["sip_username"]]
        assert entry.extension == seat["extension"]
        # New seats are browser seats: the registrar holds no credential until an agent logs in.
        assert seat["registration_mode"] == "browser"
        assert entry.ha1 != stored[seat["sip_username"]].sip_ha1


def test_extensions_continue_after_the_highest(acme, admin_api):
    admin_api.post("/api/v1/seats", {"count": 1}, format="json")
    first = _seats(acme)[0]
    admin_api.delete(f"/api/v1/seats/{first.pk}")

    body = admin_api.post("/api/v1/seats", {"count": 1}, format="json").json()

    assert [seat["extension"] for seat in body] == ["1007"]


def test_adding_up_to_the_plan_maximum_is_allowed(acme, admin_api):
    max_seats = acme.tenant.plan.max_seats

    response = admin_api.post("/api/v1/seats", {"count": max_seats - 5}, format="json")

    assert response.status_code == 201
    assert _seat_count(acme) == max_seats


def test_above_the_plan_maximum_is_400_plan_limit_and_adds_nothing(acme, admin_api):
    max_seats = acme.tenant.plan.max_seats
    usage_before = len(_usage(acme, "seats_added"))
    directory_before = len(_directory(acme))

    response = admin_api.post("/api/v1/seats", {"count": max_seats - 4}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "plan_limit"
    assert body["message"]
    assert "count" in body["fields"]
    assert len(_seats(acme)) == 5
    assert _seat_count(acme) == 5
    assert len(_usage(acme, "seats_added")) == usage_before
    assert len(_directory(acme)) == directory_before


@pytest.mark.parametrize("count", [0, -1, "abc", None, ""])
def test_bad_count_is_400_and_adds_nothing(acme, admin_api, count):
    response = admin_api.post("/api/v1/seats", {"count": count}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "count" in body["fields"]
    assert len(_seats(acme)) == 5
    assert _seat_count(acme) == 5


def test_missing_count_is_400(acme, admin_api):
    response = admin_api.post("/api/v1/seats", {}, format="json")

    assert response.status_code == 400
    assert "count" in response.json()["fields"]


# --- DELETE /seats/{id} -------------------------------------------------------------------------


def test_delete_removes_the_seat_and_its_directory_entry(acme, admin_api):
    seat = _seats(acme)[-1]

    response = admin_api.delete(f"/api/v1/seats/{seat.pk}")

    assert response.status_code == 204
    assert seat.pk not in {s.pk for s in _seats(acme)}
    assert seat.sip_username not in _directory(acme)
    assert _seat_count(acme) == 4


def test_delete_writes_a_usage_event(acme, admin_api):
    seat = _seats(acme)[-1]

    admin_api.delete(f"/api/v1/seats/{seat.pk}")

    event = _usage(acme, "seats_removed")[-1]
    assert event.quantity == 1
    assert event.detail == {"extension": seat.extension, "total": 4}


def test_delete_does_not_lower_todays_seat_days(acme, admin_api):
    admin_api.post("/api/v1/seats", {"count": 1}, format="json")
    seat = _seats(acme)[-1]

    admin_api.delete(f"/api/v1/seats/{seat.pk}")

    assert _today_seat_days(acme) == 6


def test_the_last_seat_cannot_be_deleted(acme, admin_api):
    seats = _seats(acme)
    for seat in seats[1:]:
        assert admin_api.delete(f"/api/v1/seats/{seat.pk}").status_code == 204

    response = admin_api.delete(f"/api/v1/seats/{seats[0].pk}")

    assert response.status_code == 400
    assert response.json()["code"] == "last_seat"
    assert [s.pk for s in _seats(acme)] == [seats[0].pk]
    assert seats[0].sip_username in _directory(acme)
    assert _seat_count(acme) == 1


def test_delete_unknown_seat_is_404(acme, admin_api):
    response = admin_api.delete("/api/v1/seats/999999")

    assert response.status_code == 404
    assert len(_seats(acme)) == 5


def test_supervisor_cannot_add_or_delete_seats(acme, supervisor_api):
    seat = _seats(acme)[0]

    assert supervisor_api.post("/api/v1/seats", {"count": 1}, format="json").status_code == 403
    assert supervisor_api.delete(f"/api/v1/seats/{seat.pk}").status_code == 403
    assert supervisor_api.post(f"/api/v1/seats/{seat.pk}/reset-secret").status_code == 403
    assert len(_seats(acme)) == 5


# --- POST /seats/{id}/reset-secret -----------------------------------------------------------------


def test_reset_secret_returns_the_secret_once(acme, admin_api):
    seat = _seats(acme)[0]

    response = admin_api.post(f"/api/v1/seats/{seat.pk}/reset-secret")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == seat.pk
    assert body["extension"] == seat.extension
    assert body["sip_username"] == seat.sip_username
    assert len(body["secret"]) >= 16
    later = admin_api.get(f"/api/v1/seats/{seat.pk}")
    assert body["secret"].encode() not in later.content
    assert later.json()["secret_reset_at"] is not None


def test_reset_secret_stores_only_the_ha1(acme, admin_api):
    seat = _seats(acme)[0]
    # The registrar takes the seat secret for a desk phone seat (browser seats: tests/telephony/test_seat_credentials.py).
    admin_api.patch(f"/api/v1/seats/{seat.pk}", {"registration_mode": "desk_phone"}, format="json")

    secret = admin_api.post(f"/api/v1/seats/{seat.pk}/reset-secret").json()["secret"]

    expected = _md5(f"{seat.sip_username}:acme.localhost:{secret}")
    with tenant_context(acme.tenant):
        stored = Seat.objects.get(pk=seat.pk)
    assert stored.sip_ha1 == expected
    assert stored.sip_ha1 != seat.sip_ha1
    assert _directory(acme)[seat.sip_username].ha1 == expected


def test_reset_secret_twice_gives_two_secrets(acme, admin_api):
    seat = _seats(acme)[0]

    first = admin_api.post(f"/api/v1/seats/{seat.pk}/reset-secret").json()["secret"]
    second = admin_api.post(f"/api/v1/seats/{seat.pk}/reset-secret").json()["secret"]

    assert first != second
    with tenant_context(acme.tenant):
        stored = Seat.objects.get(pk=seat.pk).sip_ha1
    assert stored == _md5(f"{seat.sip_username}:acme.localhost:{second}")


def test_reset_secret_leaves_other_seats_alone(acme, admin_api):
    seats = _seats(acme)

    admin_api.post(f"/api/v1/seats/{seats[0].pk}/reset-secret")

    after = {seat.pk: seat.sip_ha1 for seat in _seats(acme)}
    for seat in seats[1:]:
        assert after[seat.pk] == seat.sip_ha1


# --- trunks and numbers -------------------------------------------------------------------------


def _trunk(world) -> Trunk:
    with tenant_context(world.tenant):
        return Trunk.objects.get(is_default=True)


def _number(world) -> PhoneNumber:
    with tenant_context(world.tenant):
        return PhoneNumber.objects.get()


@pytest.mark.parametrize("client_fixture", ["admin_api", "supervisor_api"])
def test_trunks_are_listed_for_admin_and_supervisor(acme, request, client_fixture):
    client = request.getfixturevalue(client_fixture)

    response = client.get("/api/v1/trunks")

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 1
    assert results[0]["id"] == _trunk(acme).pk
    assert results[0]["channels"] == 30
    assert results[0]["is_default"] is True


@pytest.mark.parametrize("client_fixture", ["admin_api", "supervisor_api"])
def test_numbers_are_listed_for_admin_and_supervisor(acme, request, client_fixture):
    client = request.getfixturevalue(client_fixture)

    response = client.get("/api/v1/numbers")

    assert response.status_code == 200
    results = response.json()["results"]
    number = _number(acme)
    assert [n["number"] for n in results] == [number.number]
    assert results[0]["trunk"] == _trunk(acme).pk


def test_admin_renames_a_trunk_and_sets_its_caller_id(acme, admin_api):
    trunk = _trunk(acme)
    with tenant_context(acme.tenant):  # a caller ID must be one of the tenant's numbers (dialling policy)
        PhoneNumber.objects.create(number="02112345678", trunk=trunk)

    response = admin_api.patch(
        f"/api/v1/trunks/{trunk.pk}", {"name": "China Telecom", "caller_id": "+8602112345678"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "China Telecom"
    assert response.json()["caller_id"] == "+8602112345678"
    stored = _trunk(acme)
    assert stored.name == "China Telecom"
    assert stored.caller_id == "+8602112345678"


def test_admin_cannot_change_read_only_trunk_fields(acme, admin_api):
    trunk = _trunk(acme)

    admin_api.patch(f"/api/v1/trunks/{trunk.pk}", {"channels": 999, "name": "Renamed"}, format="json")

    stored = _trunk(acme)
    assert stored.channels == 30
    assert stored.name == "Renamed"


def test_admin_renames_a_number_and_sets_its_caller_id(acme, admin_api):
    number = _number(acme)
    with tenant_context(acme.tenant):  # a caller ID must be one of the tenant's numbers (dialling policy)
        PhoneNumber.objects.create(number="4008209999", trunk=number.trunk)

    response = admin_api.patch(
        f"/api/v1/numbers/{number.pk}", {"name": "Hotline", "caller_id": "4008209999"}, format="json"
    )

    assert response.status_code == 200
    with tenant_context(acme.tenant):
        stored = PhoneNumber.objects.get(pk=number.pk)
    assert stored.name == "Hotline"
    assert stored.caller_id == "4008209999"
    assert stored.number == number.number


@pytest.mark.parametrize("caller_id", ["abc", "12", "+86-21-1234", "1" * 21])
def test_invalid_caller_id_is_400_and_changes_nothing(acme, admin_api, caller_id):
    trunk = _trunk(acme)
    number = _number(acme)

    trunk_response = admin_api.patch(f"/api/v1/trunks/{trunk.pk}", {"caller_id": caller_id}, format="json")
    number_response = admin_api.patch(f"/api/v1/numbers/{number.pk}", {"caller_id": caller_id}, format="json")

    for response in (trunk_response, number_response):
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert "caller_id" in response.json()["fields"]
    assert _trunk(acme).caller_id == trunk.caller_id
    assert _number(acme).caller_id == number.caller_id


def test_blank_trunk_name_is_400(acme, admin_api):
    trunk = _trunk(acme)

    response = admin_api.patch(f"/api/v1/trunks/{trunk.pk}", {"name": "   "}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()["fields"]
    assert _trunk(acme).name == trunk.name


def test_trunks_and_numbers_cannot_be_created_or_deleted(acme, admin_api):
    trunk = _trunk(acme)
    number = _number(acme)

    assert admin_api.post("/api/v1/trunks", {"name": "x"}, format="json").status_code == 405
    assert admin_api.delete(f"/api/v1/trunks/{trunk.pk}").status_code == 405
    assert admin_api.delete(f"/api/v1/numbers/{number.pk}").status_code == 405
    assert _trunk(acme).pk == trunk.pk


def test_supervisor_cannot_patch_trunks_or_numbers(acme, supervisor_api):
    trunk = _trunk(acme)
    number = _number(acme)

    trunk_response = supervisor_api.patch(f"/api/v1/trunks/{trunk.pk}", {"name": "Hijacked"}, format="json")
    number_response = supervisor_api.patch(f"/api/v1/numbers/{number.pk}", {"name": "Hijacked"}, format="json")

    assert trunk_response.status_code == 403
    assert number_response.status_code == 403
    assert _trunk(acme).name == trunk.name
    assert _number(acme).name == number.name


@pytest.mark.parametrize("role", ROLES_WITHOUT_PLANT_ACCESS)
def test_other_roles_are_refused_everywhere(acme, role):
    client = acme.api(acme.user(role))
    seat = _seats(acme)[0]
    trunk = _trunk(acme)
    number = _number(acme)

    responses = [
        client.get("/api/v1/seats"),
        client.get(f"/api/v1/seats/{seat.pk}"),
        client.post("/api/v1/seats", {"count": 1}, format="json"),
        client.delete(f"/api/v1/seats/{seat.pk}"),
        client.post(f"/api/v1/seats/{seat.pk}/reset-secret"),
        client.get("/api/v1/trunks"),
        client.get(f"/api/v1/trunks/{trunk.pk}"),
        client.patch(f"/api/v1/trunks/{trunk.pk}", {"name": "x"}, format="json"),
        client.get("/api/v1/numbers"),
        client.get(f"/api/v1/numbers/{number.pk}"),
        client.patch(f"/api/v1/numbers/{number.pk}", {"name": "x"}, format="json"),
    ]

    assert [response.status_code for response in responses] == [403] * len(responses)
    assert len(_seats(acme)) == 5
    assert _seats(acme)[0].sip_ha1 == seat.sip_ha1


# --- console ------------------------------------------------------------------------------------


def test_console_seats_page_for_admin(acme):
    client = web_login(acme, acme.admin_email)

    response = client.get("/console/seats/")

    assert response.status_code == 200
    for seat in _seats(acme):
        assert seat.sip_username.encode() in response.content
        assert seat.sip_ha1.encode() not in response.content


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_console_seats_page_is_403_for_non_admins(acme, role):
    user = acme.user(role)
    client = web_login(acme, user.email)
    seat = _seats(acme)[0]

    assert client.get("/console/seats/").status_code == 403
    assert client.post("/console/seats/", {"count": 1}).status_code == 403
    assert client.post(f"/console/seats/{seat.pk}/reset-secret/").status_code == 403
    assert len(_seats(acme)) == 5


def test_console_adds_seats(acme):
    client = web_login(acme, acme.admin_email)

    response = client.post("/console/seats/", {"count": 2})

    assert response.status_code == 302
    assert response["Location"] == "/console/seats/"
    assert [seat.extension for seat in _seats(acme)][-2:] == ["1006", "1007"]
    assert _seat_count(acme) == 7
    assert _today_seat_days(acme) == 7


def test_console_shows_the_plan_limit_and_adds_nothing(acme):
    client = web_login(acme, acme.admin_email)

    response = client.post("/console/seats/", {"count": acme.tenant.plan.max_seats})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert len(_seats(acme)) == 5


def test_console_reset_secret_page_shows_the_secret(acme):
    client = web_login(acme, acme.admin_email)
    seat = _seats(acme)[0]
    client.post(f"/console/seats/{seat.pk}/mode/", {"registration_mode": "desk_phone"})

    response = client.post(f"/console/seats/{seat.pk}/reset-secret/")

    assert response.status_code == 200
    match = re.search(rb'<code class="secret">([^<]+)</code>', response.content)
    assert match
    secret = match.group(1).decode()
    with tenant_context(acme.tenant):
        stored = Seat.objects.get(pk=seat.pk).sip_ha1
    assert stored == _md5(f"{seat.sip_username}:acme.localhost:{secret}")
    assert _directory(acme)[seat.sip_username].ha1 == stored


def test_console_reset_secret_needs_post(acme):
    client = web_login(acme, acme.admin_email)
    seat = _seats(acme)[0]

    assert client.get(f"/console/seats/{seat.pk}/reset-secret/").status_code == 405
    assert _seats(acme)[0].sip_ha1 == seat.sip_ha1


def test_console_deletes_a_seat(acme):
    client = web_login(acme, acme.admin_email)
    seat = _seats(acme)[-1]

    response = client.post(f"/console/seats/{seat.pk}/delete/")

    assert response.status_code == 302
    assert seat.pk not in {s.pk for s in _seats(acme)}
    assert seat.sip_username not in _directory(acme)
