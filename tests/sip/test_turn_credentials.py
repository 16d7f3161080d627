"""TURN credentials for remote seats: coturn's REST-API format, their expiry, and the softphone API."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.sip.plane import PlaneError
from apps.sip.turn import turn_credentials, turn_password, turn_secret, turn_urls
from tests.telephony.agent_helpers import make_agent

ME_SIP = "/api/v1/agents/me/sip"
ME_LOGIN = "/api/v1/agents/me/login"
NOW = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
SECRET = "secret-secret-secret"


def test_the_password_is_base64_hmac_sha1_of_the_username_under_the_shared_secret():
    # The vector is openssl's: printf '1700000000:acme:7' | openssl dgst -sha1 -hmac secret-secret-secret -binary | base64
    assert turn_password(SECRET, "1700000000:acme:7") == "m9dpWjIKmgJuLq3PMfZCdlV0kD8="


def test_a_credential_names_expiry_tenant_and_user_and_expires_after_the_ttl(settings):
    settings.TURN_SECRET = SECRET
    settings.TURN_CREDENTIAL_TTL_SECONDS = 600
    credentials = turn_credentials(tenant_slug="acme", user_id=7, now=NOW)
    expiry = int((NOW + timedelta(seconds=600)).timestamp())
    assert credentials.username == f"{expiry}:acme:7"
    assert credentials.expires_at == NOW + timedelta(seconds=600)
    digest = hmac.new(SECRET.encode(), credentials.username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(credentials.credential) == digest
    assert credentials.ice_server() == {
        "urls": credentials.urls,
        "username": credentials.username,
        "credential": credentials.credential,
    }


def test_a_credential_never_outlives_the_agents_web_session(settings):
    settings.TURN_SECRET = SECRET
    session_ends = NOW + timedelta(seconds=90)
    credentials = turn_credentials(tenant_slug="acme", user_id=7, now=NOW, not_after=session_ends)
    assert credentials.expires_at == session_ends
    assert credentials.username.startswith(f"{int(session_ends.timestamp())}:")
    # A session that lasts longer changes nothing: the TTL is the limit.
    later = turn_credentials(tenant_slug="acme", user_id=7, now=NOW, not_after=NOW + timedelta(days=1))
    assert later.expires_at == NOW + timedelta(seconds=settings.TURN_CREDENTIAL_TTL_SECONDS)


def test_urls_offer_udp_and_tcp_and_tls_only_with_a_certificate(settings):
    settings.TURN_ADDRESS = "127.0.0.1"
    settings.TURN_PORT = 3478
    settings.TURN_TLS_PORT = 5349
    settings.TURN_PUBLIC_HOST = ""
    settings.SIP_TLS_CERT_FILE = ""
    assert turn_urls() == ["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"]
    settings.SIP_TLS_CERT_FILE = "/etc/ssl/cc/cert.pem"
    settings.TURN_PUBLIC_HOST = "turn.example.com"
    assert turn_urls() == [
        "turn:turn.example.com:3478?transport=udp",
        "turn:turn.example.com:3478?transport=tcp",
        "turns:turn.example.com:5349?transport=tcp",
    ]
    settings.TURN_PUBLIC_HOST = "2001:db8::7"
    assert turn_urls(tls=False)[0] == "turn:[2001:db8::7]:3478?transport=udp"


def test_turn_off_gives_no_credentials_and_bad_settings_are_named(settings):
    settings.TURN_ENABLED = False
    assert turn_credentials(tenant_slug="acme", user_id=7) is None
    settings.TURN_ENABLED = True
    settings.TURN_CREDENTIAL_TTL_SECONDS = 5
    with pytest.raises(PlaneError, match="TURN_CREDENTIAL_TTL_SECONDS must be between 60 and 86400"):
        turn_credentials(tenant_slug="acme", user_id=7)
    settings.TURN_CREDENTIAL_TTL_SECONDS = 600
    settings.TURN_SECRET = "short"
    with pytest.raises(PlaneError, match="TURN_SECRET must be 16-128"):
        turn_secret()
    # Unset, the secret derives from SECRET_KEY: stable, and not the routing endpoint's.
    settings.TURN_SECRET = ""
    assert turn_secret() == turn_secret()
    assert len(turn_secret()) == 64


# --- the softphone's API ---------------------------------------------------------------------------


def test_the_softphone_gets_a_turn_credential_for_this_agent_with_its_sip_credential(acme, settings):
    settings.TURN_SECRET = SECRET
    settings.TURN_CREDENTIAL_TTL_SECONDS = 600
    settings.SOFTPHONE_FORCE_RELAY = False
    subject = make_agent(acme, seat=False)
    client = acme.api(subject.user)
    assert client.post(ME_LOGIN, {"seat": "1002"}, format="json").status_code == 200
    before = timezone.now()

    body = client.get(ME_SIP).json()

    (server,) = body["ice_servers"]
    expiry, tenant, user = server["username"].split(":")
    assert (tenant, user) == ("acme", str(subject.user.pk))
    assert before.timestamp() + 590 <= int(expiry) <= before.timestamp() + 610
    assert server["credential"] == turn_password(SECRET, server["username"])
    assert server["urls"] == turn_urls()
    assert datetime.fromisoformat(body["ice_expires_at"]).timestamp() == int(expiry)
    assert body["ice_transport_policy"] == "all"

    # The platform may send every softphone's media through the relay.
    settings.SOFTPHONE_FORCE_RELAY = True
    assert client.get(ME_SIP).json()["ice_transport_policy"] == "relay"
    # Without TURN there is no relay to force.
    settings.TURN_ENABLED = False
    body = client.get(ME_SIP).json()
    assert (body["ice_servers"], body["ice_expires_at"], body["ice_transport_policy"]) == ([], None, "all")


def test_on_the_desk_the_credential_ends_with_the_agents_web_session(acme, settings):
    settings.TURN_SECRET = SECRET
    settings.TURN_CREDENTIAL_TTL_SECONDS = 3600
    subject = make_agent(acme, seat=False)
    assert acme.api(subject.user).post(ME_LOGIN, {"seat": "1001"}, format="json").status_code == 200
    client = acme.client()
    with tenant_context(acme.tenant):
        client.force_login(subject.user)
    session = client.session
    session.set_expiry(120)  # a web session that ends in two minutes
    session.save()

    body = client.get(ME_SIP).json()

    expires = datetime.fromisoformat(body["ice_expires_at"])
    assert expires <= timezone.now() + timedelta(seconds=121)
    assert body["ice_servers"][0]["username"].startswith(f"{int(expires.timestamp())}:acme:")


def test_nobody_but_the_agent_on_a_browser_seat_gets_a_turn_credential(acme):
    subject = make_agent(acme, seat=False)
    response = acme.api(subject.user).get(ME_SIP)  # not logged into a seat
    assert response.status_code == 404
    assert "ice_servers" not in response.json()
    supervisor = acme.user("supervisor")
    assert acme.api(supervisor).get(ME_SIP).status_code in (403, 404)
