"""GET /api/v1/agents/me/sip: the softphone's credentials go to the agent logged into the seat only."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.models import Seat
from apps.telephony.services import seat_reset_secret
from apps.tenants.models import SipDirectoryEntry
from tests.telephony.agent_helpers import make_agent

ME_SIP = "/api/v1/agents/me/sip"
ME_LOGIN = "/api/v1/agents/me/login"
ME_LOGOUT = "/api/v1/agents/me/logout"


def _not_found(response) -> None:
    assert response.status_code == 404, response.content[:400]
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == "not_logged_in"


def test_the_agent_logged_into_a_seat_gets_that_seats_credentials(acme):
    subject = make_agent(acme, seat=False)
    client = acme.api(subject.user)
    assert client.post(ME_LOGIN, {"seat": "1002"}, format="json").status_code == 200
    with tenant_context(acme.tenant):
        seat = Seat.objects.get(extension="1002")
        # A browser seat: resetting the seat secret (a desk phone's) does not change the login's credential.
        secret = seat_reset_secret(tenant=acme.tenant, seat=seat).secret

    response = client.get(ME_SIP)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    realm = f"acme.{settings.PLATFORM_DOMAIN}"
    body = response.json()
    # The TURN part (tests/sip/test_turn_credentials.py) comes with it.
    ice = {key: body.pop(key) for key in ("ice_servers", "ice_expires_at", "ice_transport_policy")}
    assert ice["ice_transport_policy"] == "all"
    assert [server["username"].split(":")[1:] for server in ice["ice_servers"]] == [["acme", str(subject.user.pk)]]
    assert body == {
        "extension": "1002",
        "uri": f"sip:1002@{realm}",
        "authorization_user": "1002@acme",
        "realm": realm,
        "ha1": SipDirectoryEntry.objects.get(username="1002@acme").ha1,
        "ws_url": settings.SIP_WS_PUBLIC_URL,
    }
    # The HA1 is the one Kamailio checks (above), issued for this login: not the seat secret's digest,
    # which only a desk phone gets (tests/telephony/test_seat_credentials.py).
    seat_digest = hashlib.md5(f"1002@acme:{realm}:{secret}".encode()).hexdigest()  # noqa: S324 - SIP digest
    assert response.json()["ha1"] != seat_digest


def test_moving_to_another_seat_hands_out_the_new_seat_only(acme):
    subject = make_agent(acme, seat=False)
    client = acme.api(subject.user)
    client.post(ME_LOGIN, {"seat": "1001"}, format="json")
    assert client.get(ME_SIP).json()["extension"] == "1001"
    assert client.post(ME_LOGIN, {"seat": "1003"}, format="json").status_code == 200
    body = client.get(ME_SIP).json()
    assert (body["extension"], body["authorization_user"]) == ("1003", "1003@acme")


def test_each_agent_gets_their_own_seat(acme):
    first = make_agent(acme, state="ready")
    second = make_agent(acme, state="not_ready", reason="break")
    assert acme.api(first.user).get(ME_SIP).json()["extension"] == first.seat.extension
    assert acme.api(second.user).get(ME_SIP).json()["extension"] == second.seat.extension
    assert first.seat.extension != second.seat.extension


def test_an_agent_logged_out_gets_nothing(acme):
    subject = make_agent(acme, seat=False)
    client = acme.api(subject.user)
    client.post(ME_LOGIN, {"seat": "1001"}, format="json")
    assert client.get(ME_SIP).status_code == 200
    assert client.post(ME_LOGOUT).status_code == 200
    _not_found(client.get(ME_SIP))


def test_an_offline_agent_still_linked_to_a_seat_gets_nothing(acme):
    # Rows written directly: an agent offline with a seat left over is not "logged in".
    subject = make_agent(acme, state="offline", seat=True)
    assert subject.seat is not None
    _not_found(acme.api(subject.user).get(ME_SIP))


def test_an_agent_who_never_logged_in_gets_nothing(acme):
    _not_found(acme.api(acme.user(Role.AGENT)).get(ME_SIP))


def test_other_roles_are_refused(acme):
    for role in (Role.SUPERVISOR, Role.TENANT_ADMIN):
        response = acme.api(acme.user(role)).get(ME_SIP)
        assert response.status_code == 403, (role, response.content)
    assert acme.api().get(ME_SIP).status_code in (401, 403)


def test_another_tenants_agent_cannot_use_their_token_here(acme, globex):
    subject = make_agent(globex, state="ready")
    assert globex.api(subject.user).get(ME_SIP).json()["realm"] == f"globex.{settings.PLATFORM_DOMAIN}"
    token = globex.token(subject.user)
    response = acme.api().get(ME_SIP, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code in (401, 403)


def test_only_get_is_allowed(acme):
    subject = make_agent(acme, state="ready")
    response = acme.api(subject.user).post(ME_SIP, {}, format="json")
    assert response.status_code == 405
