"""Seat credentials cannot be harvested (issue 10, item 4).

Browser seats get a per-login credential, issued at login and replaced at log-out (the directory
row Kamailio's registrar reads changes); desk phone seats keep the seat secret, which agents never
see; administrators restrict which seats an agent may use.
"""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.services import user_delete, user_update
from apps.telephony.models import Agent, Seat
from apps.telephony.services import seat_reset_secret
from apps.telephony.services.seat_credentials import seat_set_registration_mode
from apps.tenants.models import SipDirectoryEntry
from tests.accounts.helpers import web_login
from tests.telephony.agent_helpers import make_agent, reload

ME_SIP = "/api/v1/agents/me/sip"
ME_LOGIN = "/api/v1/agents/me/login"
ME_LOGOUT = "/api/v1/agents/me/logout"


def _registrar_ha1(world, extension: str) -> str:
    """What Kamailio's auth_db reads for the seat: the kamailio.subscriber view, not the model."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ha1 FROM kamailio.subscriber WHERE username = %s AND domain = %s", [extension, world.tenant.slug]
        )
        return cursor.fetchone()[0]


def _seat(world, extension: str) -> Seat:
    with tenant_context(world.tenant):
        return Seat.objects.get(extension=extension)


def _set_mode(world, extension: str, mode: str) -> None:
    with tenant_context(world.tenant):
        seat_set_registration_mode(seat=Seat.objects.get(extension=extension), mode=mode)


def _logged_in(world, extension: str = "1002"):
    subject = make_agent(world, seat=False)
    client = world.api(subject.user)
    response = client.post(ME_LOGIN, {"seat": extension}, format="json")
    assert response.status_code == 200, response.content
    return subject, client


# --- per-login credentials --------------------------------------------------------------------------


def test_an_agent_not_on_a_seat_gets_no_credential(acme):
    subject = make_agent(acme, seat=False)
    response = acme.api(subject.user).get(ME_SIP)
    assert response.status_code == 404
    assert response.json()["code"] == "not_logged_in"


def test_login_issues_the_credential_the_registrar_checks(acme):
    before = _registrar_ha1(acme, "1002")
    _subject, client = _logged_in(acme)

    ha1 = client.get(ME_SIP).json()["ha1"]

    assert ha1 == _registrar_ha1(acme, "1002") != before
    assert ha1 != _seat(acme, "1002").sip_ha1  # not the seat's long-lived secret


def test_each_login_gets_a_new_credential(acme):
    subject, client = _logged_in(acme)
    first = client.get(ME_SIP).json()["ha1"]
    client.post(ME_LOGOUT)
    client.post(ME_LOGIN, {"seat": "1002"}, format="json")
    second = client.get(ME_SIP).json()["ha1"]
    assert second != first
    assert second == _registrar_ha1(acme, "1002")


def test_the_credential_stops_working_after_logout(acme):
    _subject, client = _logged_in(acme)
    harvested = client.get(ME_SIP).json()["ha1"]

    assert client.post(ME_LOGOUT).status_code == 200

    assert _registrar_ha1(acme, "1002") != harvested
    assert client.get(ME_SIP).status_code == 404


def test_the_credential_stops_working_when_a_supervisor_forces_the_agent_offline(acme):
    subject, client = _logged_in(acme)
    harvested = client.get(ME_SIP).json()["ha1"]
    supervisor = acme.api(acme.user(Role.SUPERVISOR))

    response = supervisor.post(f"/api/v1/agents/{subject.agent.pk}/state", {"state": "offline"}, format="json")

    assert response.status_code == 200, response.content
    assert _registrar_ha1(acme, "1002") != harvested


def test_moving_seats_voids_the_old_seats_credential(acme):
    _subject, client = _logged_in(acme, "1002")
    old = client.get(ME_SIP).json()["ha1"]
    client.post(ME_LOGIN, {"seat": "1003"}, format="json")
    assert _registrar_ha1(acme, "1002") != old
    assert client.get(ME_SIP).json()["ha1"] == _registrar_ha1(acme, "1003")


def test_the_next_agent_on_a_seat_cannot_use_the_previous_agents_credential(acme):
    _first, first_client = _logged_in(acme, "1002")
    harvested = first_client.get(ME_SIP).json()["ha1"]
    first_client.post(ME_LOGOUT)
    _second, second_client = _logged_in(acme, "1002")
    assert second_client.get(ME_SIP).json()["ha1"] not in (harvested, None)
    assert _registrar_ha1(acme, "1002") != harvested


def test_a_deactivated_users_credential_is_invalid(acme):
    subject, client = _logged_in(acme)
    harvested = client.get(ME_SIP).json()["ha1"]

    with tenant_context(acme.tenant):
        user_update(user=subject.user, actor=acme.admin(), is_active=False)

    assert _registrar_ha1(acme, "1002") != harvested
    assert reload(acme, subject.agent).state == "offline"
    assert reload(acme, subject.agent).seat_id is None
    assert client.get(ME_SIP).status_code in (401, 403)


def test_a_deactivated_agent_in_a_call_loses_the_credential_at_once(acme):
    subject = make_agent(acme, state="talking", seat=True)
    extension = subject.seat.extension
    with tenant_context(acme.tenant):
        seat_set_registration_mode(seat=subject.seat, mode="desk_phone")
        seat_set_registration_mode(seat=subject.seat, mode="browser")  # a credential for the agent on it
    issued = _registrar_ha1(acme, extension)

    with tenant_context(acme.tenant):
        user_update(user=subject.user, actor=acme.admin(), is_active=False)

    assert _registrar_ha1(acme, extension) != issued
    assert reload(acme, subject.agent).state == "talking"  # the live call is not cut from here


def test_removing_the_agent_role_voids_the_credential(acme):
    subject, client = _logged_in(acme)
    harvested = client.get(ME_SIP).json()["ha1"]
    with tenant_context(acme.tenant):
        user_update(user=subject.user, actor=acme.admin(), roles=[Role.SUPERVISOR])
    assert _registrar_ha1(acme, "1002") != harvested


def test_deleting_the_user_voids_the_credential(acme):
    subject, client = _logged_in(acme)
    harvested = client.get(ME_SIP).json()["ha1"]
    with tenant_context(acme.tenant):
        user_delete(user=subject.user, actor=acme.admin())
    assert _registrar_ha1(acme, "1002") != harvested


def test_other_saves_of_an_active_agent_leave_the_credential_alone(acme):
    subject, client = _logged_in(acme)
    issued = client.get(ME_SIP).json()["ha1"]
    with tenant_context(acme.tenant):
        user_update(user=subject.user, actor=acme.admin(), name="Renamed")
    assert _registrar_ha1(acme, "1002") == issued


# --- desk phone seats ------------------------------------------------------------------------------


def test_a_desk_phone_seat_registers_with_its_secret_which_agents_never_get(acme):
    _set_mode(acme, "1002", "desk_phone")
    with tenant_context(acme.tenant):
        secret = seat_reset_secret(tenant=acme.tenant, seat=Seat.objects.get(extension="1002"))
    desk_ha1 = _seat(acme, "1002").sip_ha1
    assert secret.secret and _registrar_ha1(acme, "1002") == desk_ha1

    _subject, client = _logged_in(acme, "1002")
    response = client.get(ME_SIP)
    assert response.status_code == 404
    assert response.json()["code"] == "desk_phone_seat"
    assert desk_ha1.encode() not in response.content

    client.post(ME_LOGOUT)  # log-in and log-out leave the phone's secret alone
    assert _registrar_ha1(acme, "1002") == desk_ha1


def test_switching_modes_moves_the_directory_between_secret_and_login_credential(acme):
    _subject, client = _logged_in(acme, "1002")
    login_ha1 = client.get(ME_SIP).json()["ha1"]

    _set_mode(acme, "1002", "desk_phone")
    assert _registrar_ha1(acme, "1002") == _seat(acme, "1002").sip_ha1
    assert client.get(ME_SIP).json()["code"] == "desk_phone_seat"

    _set_mode(acme, "1002", "browser")
    reissued = client.get(ME_SIP).json()["ha1"]
    assert reissued == _registrar_ha1(acme, "1002")
    assert reissued not in (login_ha1, _seat(acme, "1002").sip_ha1)


def test_resetting_a_browser_seats_secret_does_not_open_it(acme):
    before = _registrar_ha1(acme, "1004")
    with tenant_context(acme.tenant):
        seat_reset_secret(tenant=acme.tenant, seat=Seat.objects.get(extension="1004"))
    assert _registrar_ha1(acme, "1004") == before != _seat(acme, "1004").sip_ha1


def test_new_seats_are_browser_seats_nobody_can_register_yet(acme):
    with tenant_context(acme.tenant):
        seat = Seat.objects.get(extension="1005")
    assert seat.registration_mode == "browser"
    entry = SipDirectoryEntry.objects.get(username=seat.sip_username)
    assert entry.ha1 != seat.sip_ha1


# --- the seats API ---------------------------------------------------------------------------------


def test_administrators_switch_a_seats_mode_over_the_api(acme):
    seat = _seat(acme, "1003")
    admin = acme.api(acme.admin())
    response = admin.patch(f"/api/v1/seats/{seat.pk}", {"registration_mode": "desk_phone"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["registration_mode"] == "desk_phone"
    assert "sip_ha1" not in response.json() and "ha1" not in response.json()
    assert _seat(acme, "1003").registration_mode == "desk_phone"
    assert admin.get(f"/api/v1/seats/{seat.pk}").json()["registration_mode"] == "desk_phone"


def test_a_bad_mode_is_refused_and_changes_nothing(acme):
    seat = _seat(acme, "1003")
    before = _registrar_ha1(acme, "1003")
    response = acme.api(acme.admin()).patch(f"/api/v1/seats/{seat.pk}", {"registration_mode": "fax"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"registration_mode"}
    assert _seat(acme, "1003").registration_mode == "browser"
    assert _registrar_ha1(acme, "1003") == before


def test_only_administrators_switch_a_seats_mode(acme):
    seat = _seat(acme, "1003")
    for role in (Role.SUPERVISOR, Role.AGENT):
        response = acme.api(acme.user(role)).patch(
            f"/api/v1/seats/{seat.pk}", {"registration_mode": "desk_phone"}, format="json"
        )
        assert response.status_code == 403, role
    assert _seat(acme, "1003").registration_mode == "browser"


def test_another_tenants_admin_cannot_see_or_switch_our_seats(acme, globex):
    seat = _seat(acme, "1003")
    token = globex.token(globex.admin())
    outsider = acme.api()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert outsider.patch(
        f"/api/v1/seats/{seat.pk}", {"registration_mode": "desk_phone"}, format="json"
    ).status_code in (
        401,
        403,
    )
    assert outsider.get(ME_SIP).status_code in (401, 403)
    assert _seat(acme, "1003").registration_mode == "browser"


# --- allowed seats -------------------------------------------------------------------------------


def _allow(world, agent: Agent, seats: list[str], *, as_user=None):
    client = world.api(as_user or world.admin())
    return client.put(f"/api/v1/agents/{agent.pk}/allowed-seats", {"seats": seats}, format="json")


def test_an_agent_cannot_log_into_a_seat_outside_the_allowed_list(acme):
    subject = make_agent(acme, seat=False)
    response = _allow(acme, subject.agent, ["1003", "1004"])
    assert response.status_code == 200, response.content
    assert response.json()["allowed_seats"] == ["1003", "1004"]
    client = acme.api(subject.user)
    before = _registrar_ha1(acme, "1002")

    refused = client.post(ME_LOGIN, {"seat": "1002"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "seat_not_allowed"
    assert set(refused.json()["fields"]) == {"seat"}
    assert reload(acme, subject.agent).seat_id is None
    assert _registrar_ha1(acme, "1002") == before
    assert client.post(ME_LOGIN, {"seat": "1004"}, format="json").status_code == 200


def test_an_empty_list_allows_any_seat_again(acme):
    subject = make_agent(acme, seat=False)
    _allow(acme, subject.agent, ["1003"])
    assert _allow(acme, subject.agent, []).json()["allowed_seats"] == []
    assert acme.api(subject.user).post(ME_LOGIN, {"seat": "1002"}, format="json").status_code == 200


def test_unknown_seats_are_refused_and_change_nothing(acme):
    subject = make_agent(acme, seat=False)
    _allow(acme, subject.agent, ["1003"])
    response = _allow(acme, subject.agent, ["1003", "9999"])
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_seat"
    assert "9999" in " ".join(response.json()["fields"]["seats"])
    with tenant_context(acme.tenant):
        assert list(subject.agent.allowed_seats.values_list("extension", flat=True)) == ["1003"]


def test_only_administrators_set_allowed_seats(acme):
    subject = make_agent(acme, seat=False)
    for role in (Role.SUPERVISOR, Role.AGENT):
        assert _allow(acme, subject.agent, ["1003"], as_user=acme.user(role)).status_code == 403, role
    with tenant_context(acme.tenant):
        assert not subject.agent.allowed_seats.exists()


def test_another_tenants_admin_cannot_restrict_our_agents(acme, globex):
    subject = make_agent(acme, seat=False)
    outsider = acme.api()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")
    response = outsider.put(f"/api/v1/agents/{subject.agent.pk}/allowed-seats", {"seats": ["1003"]}, format="json")
    assert response.status_code in (401, 403)
    with tenant_context(acme.tenant):
        assert not subject.agent.allowed_seats.exists()


def test_each_tenants_agent_reads_only_its_own_tenants_credential(acme, globex):
    ours, our_client = _logged_in(acme, "1002")
    theirs, their_client = _logged_in(globex, "1002")
    assert our_client.get(ME_SIP).json()["ha1"] == _registrar_ha1(acme, "1002")
    assert their_client.get(ME_SIP).json()["ha1"] == _registrar_ha1(globex, "1002")
    assert _registrar_ha1(acme, "1002") != _registrar_ha1(globex, "1002")


# --- console pages -----------------------------------------------------------------------------------


def test_console_switches_a_seats_mode(acme):
    client = web_login(acme, acme.admin_email)
    seat = _seat(acme, "1003")
    page = client.get("/console/seats/").content.decode()
    assert f'action="/console/seats/{seat.pk}/mode/"' in page

    response = client.post(f"/console/seats/{seat.pk}/mode/", {"registration_mode": "desk_phone"})

    assert response.status_code == 302
    assert _seat(acme, "1003").registration_mode == "desk_phone"
    assert client.post(f"/console/seats/{seat.pk}/mode/", {"registration_mode": "fax"}).status_code == 302
    assert _seat(acme, "1003").registration_mode == "desk_phone"


def test_console_seat_mode_is_for_administrators_only(acme):
    seat = _seat(acme, "1003")
    client = web_login(acme, acme.user(Role.SUPERVISOR).email)
    assert client.post(f"/console/seats/{seat.pk}/mode/", {"registration_mode": "desk_phone"}).status_code == 403
    assert _seat(acme, "1003").registration_mode == "browser"


def test_console_sets_an_agents_allowed_seats(acme):
    subject = make_agent(acme, seat=False)
    client = web_login(acme, acme.admin_email)
    assert client.get(f"/console/agents/{subject.agent.pk}/seats/").status_code == 200

    response = client.post(f"/console/agents/{subject.agent.pk}/seats/", {"seats": ["1001", "1003"]})

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert list(subject.agent.allowed_seats.values_list("extension", flat=True)) == ["1001", "1003"]
    assert "1001, 1003" in client.get("/console/agents/").content.decode()


def test_console_allowed_seats_page_is_for_administrators_only(acme):
    subject = make_agent(acme, seat=False)
    client = web_login(acme, acme.user(Role.SUPERVISOR).email)
    assert client.get(f"/console/agents/{subject.agent.pk}/seats/").status_code == 403
    assert client.post(f"/console/agents/{subject.agent.pk}/seats/", {"seats": ["1001"]}).status_code == 403


def test_the_desk_offers_only_the_agents_allowed_seats(acme):
    subject = make_agent(acme, seat=False)
    _allow(acme, subject.agent, ["1003"])
    page = web_login(acme, subject.user.email).get("/desk/").content.decode()
    assert '<option value="1003">' in page
    assert '<option value="1002"' not in page
