"""The SIP plane's database side and routing logic, without the SIP processes.

What Kamailio reads (the ``kamailio`` schema views), what the app reads back (registrations),
the routing decisions and the internal endpoint's contract.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.sip.internal import RoutingApplication
from apps.sip.plane import PlaneError, kamailio_database, plane_from_settings, render, render_text
from apps.sip.selectors import seat_registrations
from apps.sip.services import call_uid, did_blocked, did_route, trunk_address_add, trunk_address_remove, trunk_gateways
from apps.telephony.models import Call, PhoneNumber, Seat, Trunk
from apps.telephony.services import seat_delete, seat_reset_secret, seats_add
from apps.telephony.services.seat_credentials import seat_set_registration_mode
from apps.tenants.choices import PoolNumberStatus
from apps.tenants.models import PoolNumber, SipDirectoryEntry
from apps.tenants.services.platform import tenant_suspend
from tests.accounts.helpers import web_login

SECRET = "s" * 32


def _subscriber(slug: str, extension: str):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ha1, ha1b FROM kamailio.subscriber WHERE username = %s AND domain = %s", [extension, slug]
        )
        return cursor.fetchone()


def _number(world, number: str = "4008881234") -> tuple[PhoneNumber, Trunk]:
    """Give the tenant a pool number on its default trunk (the test pool may be empty)."""
    PoolNumber.objects.create(number=number, status=PoolNumberStatus.ASSIGNED, tenant=world.tenant)
    with tenant_context(world.tenant):
        trunk = Trunk.objects.get(is_default=True)
        phone = PhoneNumber.objects.create(number=number, trunk=trunk)
    connection.set_schema_to_public()
    return phone, trunk


# --- the SIP directory and Kamailio's views ------------------------------------------------


def test_directory_follows_seats_through_add_reset_and_delete(acme):
    with tenant_context(acme.tenant):
        (seat,) = seats_add(tenant=acme.tenant, count=1)
        entry = SipDirectoryEntry.objects.get(username=seat.sip_username)
        # A new seat is a browser seat: its row holds no credential anyone was given.
        assert (entry.tenant_id, entry.extension) == (acme.tenant.pk, seat.extension)
        assert entry.ha1 != seat.sip_ha1

        seat_set_registration_mode(seat=seat, mode="desk_phone")
        assert SipDirectoryEntry.objects.get(username=seat.sip_username).ha1 == seat.sip_ha1
        issued = seat_reset_secret(tenant=acme.tenant, seat=seat)
        expected = hashlib.md5(f"{seat.sip_username}:{acme.host}:{issued.secret}".encode()).hexdigest()  # noqa: S324
        assert SipDirectoryEntry.objects.get(username=seat.sip_username).ha1 == expected

        seat_delete(tenant=acme.tenant, seat=seat)
        assert not SipDirectoryEntry.objects.filter(username=seat.sip_username).exists()


def test_every_seat_of_every_tenant_has_exactly_its_directory_entry(acme, globex):
    for world in (acme, globex):
        with tenant_context(world.tenant):
            seats = {seat.sip_username: seat for seat in Seat.objects.all()}
        entries = dict(SipDirectoryEntry.objects.filter(tenant=world.tenant).values_list("username", "ha1"))
        assert set(entries) == set(seats)
        for username, ha1 in entries.items():
            # Browser seats (the default) hold a per-login credential, never the seat secret's digest.
            assert (ha1 == seats[username].sip_ha1) == (seats[username].registration_mode == "desk_phone")


def test_kamailio_subscriber_view_serves_the_digest_per_tenant(acme, globex):
    with tenant_context(acme.tenant):
        seat = Seat.objects.get(extension="1001")
        seat_set_registration_mode(seat=seat, mode="desk_phone")
        issued = seat_reset_secret(tenant=acme.tenant, seat=seat)
    # auth_db looks up (user, domain) = ("1001", "acme") for the digest username "1001@acme".
    ha1, ha1b = _subscriber("acme", "1001")
    expected = hashlib.md5(f"1001@acme:{acme.host}:{issued.secret}".encode()).hexdigest()  # noqa: S324
    assert ha1 == ha1b == expected
    assert _subscriber("globex", "1001")[0] != expected


def test_suspended_tenants_seats_and_trunks_disappear_from_kamailios_views(acme):
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.get(is_default=True)
    trunk_address_add(tenant=acme.tenant, trunk_id=trunk.pk, address="192.0.2.10")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM kamailio.trusted WHERE src_ip = '192.0.2.10'")
        assert cursor.fetchone()[0] == 1
    tenant_suspend(tenant=acme.tenant)
    assert _subscriber("acme", "1001") is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM kamailio.trusted WHERE src_ip = '192.0.2.10'")
        assert cursor.fetchone()[0] == 0


# --- registrations ---------------------------------------------------------------------------


def _location(extension: str, domain: str, *, expires_in: int, agent: str = "desk", contact_port: int = 5062):
    expires = (timezone.now() + timedelta(seconds=expires_in)).replace(tzinfo=None)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO kamailio.location (ruid, username, domain, contact, expires, user_agent, received)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                f"ruid-{extension}-{domain}-{contact_port}",
                extension,
                domain,
                f"sip:{extension}@198.51.100.7:{contact_port}",
                expires,
                agent,
                None,
            ],
        )


def test_seat_registrations_lists_live_contacts_of_this_tenant_only(acme, globex):
    _location("1001", acme.host, expires_in=300, agent="Yealink T46U")
    _location("1001", acme.host, expires_in=60, agent="browser", contact_port=5063)
    _location("1002", acme.host, expires_in=-5)  # expired, not yet swept by Kamailio
    _location("1001", globex.host, expires_in=300, agent="globex phone")

    registrations = seat_registrations(acme.tenant)
    assert list(registrations) == ["1001"]
    assert [item.user_agent for item in registrations["1001"]] == ["Yealink T46U", "browser"]
    assert registrations["1001"][0].expires > timezone.now()
    assert [item.user_agent for item in seat_registrations(globex.tenant)["1001"]] == ["globex phone"]
    assert seat_registrations(acme.tenant, extensions=["1002"]) == {}


def test_wallboard_snapshot_says_whose_phone_is_registered(acme):
    from apps.telephony.models import Agent
    from apps.telephony.selectors.wallboard import wallboard_agents

    with tenant_context(acme.tenant):
        seat = Seat.objects.get(extension="1001")
        Agent.objects.create(user=acme.user("agent"), seat=seat)
        _location("1001", acme.host, expires_in=300)
        rows = wallboard_agents()
    assert [(row["extension"], row["phone_registered"]) for row in rows] == [("1001", True)]


def test_console_seats_page_shows_registration(acme):
    _location("1001", acme.host, expires_in=300, agent="Yealink T46U")
    page = web_login(acme, acme.admin_email).get("/console/seats/").content.decode()
    assert "Yealink T46U" in page
    assert page.count("Not registered") == 4  # the other four seats


# --- routing decisions -------------------------------------------------------------------------


def test_did_route_finds_tenant_number_and_trunk_for_its_carrier(acme):
    phone, trunk = _number(acme)
    trunk_address_add(tenant=acme.tenant, trunk_id=trunk.pk, address="203.0.113.5")
    decision = did_route(did="+4008881234", source="203.0.113.5")
    assert decision.as_dict() == {
        "action": "route",
        "tenant": "acme",
        "number": phone.pk,
        "trunk": trunk.pk,
        "channels": 30,
        "profile": f"{acme.tenant.schema_name}:{trunk.pk}",
    }


def test_did_route_refuses_a_carrier_of_another_trunk_or_tenant(acme, globex):
    _number(acme)
    with tenant_context(globex.tenant):
        globex_trunk = Trunk.objects.get(is_default=True)
    trunk_address_add(tenant=globex.tenant, trunk_id=globex_trunk.pk, address="203.0.113.9")
    assert did_route(did="4008881234", source="203.0.113.9").action == "refused"
    assert did_route(did="4008881234", source="198.51.100.1").action == "refused"


def test_did_route_answers_unknown_and_unavailable_numbers(acme):
    _, trunk = _number(acme)
    trunk_address_add(tenant=acme.tenant, trunk_id=trunk.pk, address="203.0.113.5")
    assert did_route(did="4000000000", source="203.0.113.5").action == "unknown_number"
    assert did_route(did="not-a-number", source="203.0.113.5").action == "unknown_number"
    tenant_suspend(tenant=acme.tenant)
    assert did_route(did="4008881234", source="203.0.113.5").action == "unavailable"


def test_blocked_call_is_written_as_a_blocked_cdr_once(acme):
    phone, trunk = _number(acme)
    first = did_blocked(tenant="acme", trunk=trunk.pk, number=phone.pk, did=phone.number, caller="139", call_id="c1@x")
    again = did_blocked(tenant="acme", trunk=trunk.pk, number=phone.pk, did=phone.number, caller="139", call_id="c1@x")
    assert first.pk == again.pk
    with tenant_context(acme.tenant):
        call = Call.objects.get(uid=call_uid("c1@x"))
        assert (call.blocked, call.end_reason, call.trunk_id, call.number_id, call.direction) == (
            True,
            "blocked",
            trunk.pk,
            phone.pk,
            "inbound",
        )
        assert list(call.events.values_list("kind", flat=True)) == ["arrived", "ended"]


def test_blocked_report_for_a_foreign_trunk_or_number_changes_nothing(acme, globex):
    phone, trunk = _number(acme)
    with pytest.raises(ApplicationError) as error:
        did_blocked(tenant="globex", trunk=trunk.pk + 1000, number=phone.pk, did="1", caller="", call_id="c2")
    assert "trunk" in error.value.fields
    with pytest.raises(ApplicationError):
        did_blocked(tenant="acme", trunk=trunk.pk, number=phone.pk + 1000, did="1", caller="", call_id="c3")
    with tenant_context(acme.tenant):
        assert not Call.objects.exists()


def test_trunk_addresses_are_validated(acme, globex):
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.get(is_default=True)
    for bad in ("", "example.com", "0.0.0.0", "224.0.0.1"):  # noqa: S104 - refused addresses
        with pytest.raises(ApplicationError) as error:
            trunk_address_add(tenant=acme.tenant, trunk_id=trunk.pk, address=bad)
        assert error.value.fields == {"address": error.value.fields["address"]}
    with pytest.raises(ApplicationError) as error:
        trunk_address_add(tenant=acme.tenant, trunk_id=trunk.pk + 1000, address="192.0.2.1")
    assert "trunk" in error.value.fields
    created = trunk_address_add(tenant=acme.tenant, trunk_id=trunk.pk, address="::ffff:192.0.2.1")
    assert created.address == "192.0.2.1"
    with pytest.raises(ApplicationError):
        trunk_address_add(tenant=acme.tenant, trunk_id=trunk.pk, address="192.0.2.1")
    with pytest.raises(ApplicationError):
        trunk_address_remove(tenant=globex.tenant, trunk_id=trunk.pk, address="192.0.2.1")
    trunk_address_remove(tenant=acme.tenant, trunk_id=trunk.pk, address="192.0.2.1")


# --- the internal endpoint --------------------------------------------------------------------------


def _call(app, method: str, path: str, body=None, *, secret: str | None = SECRET) -> tuple[int, dict]:
    headers = []
    if secret is not None:
        token = base64.b64encode(f"kamailio:{secret}".encode())
        headers.append((b"authorization", b"Basic " + token))
    payload = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    sent = []

    async def receive():
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    async_to_sync(app)(scope, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"])


def test_routing_endpoint_requires_the_secret(acme):
    app = RoutingApplication(secret=SECRET)
    body = {"did": "4008881234", "source": "203.0.113.5"}
    assert _call(app, "POST", "/sip/route", body, secret=None)[0] == 401
    assert _call(app, "POST", "/sip/route", body, secret="wrong-secret-0123456789")[0] == 401
    assert _call(app, "GET", "/sip/health", secret=None) == (200, {"ok": True})
    assert _call(app, "GET", "/sip/route")[0] == 404


def test_routing_endpoint_routes_and_records_blocked_calls(acme):
    phone, trunk = _number(acme)
    trunk_address_add(tenant=acme.tenant, trunk_id=trunk.pk, address="203.0.113.5")
    app = RoutingApplication(secret=SECRET)
    status, decision = _call(
        app, "POST", "/sip/route", {"did": phone.number, "source": "203.0.113.5", "caller": "1", "call_id": "a"}
    )
    assert status == 200
    assert (decision["action"], decision["trunk"], decision["number"]) == ("route", trunk.pk, phone.pk)

    report = {"tenant": "acme", "trunk": trunk.pk, "number": phone.pk, "did": phone.number, "call_id": "b"}
    assert _call(app, "POST", "/sip/blocked", report) == (200, {"uid": call_uid("b")})


def test_routing_endpoint_refuses_bad_input_with_the_error_shape(acme):
    app = RoutingApplication(secret=SECRET)
    status, body = _call(app, "POST", "/sip/route", {"did": 5, "source": ""})
    assert status == 400
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"did", "source"}
    assert _call(app, "POST", "/sip/route", b"[1, 2]")[0] == 400
    assert _call(app, "POST", "/sip/route", b"{not json")[0] == 400
    status, body = _call(app, "POST", "/sip/blocked", {"tenant": "acme", "trunk": "x", "number": 0, "call_id": "c"})
    assert (status, set(body["fields"])) == (400, {"trunk", "number"})
    with tenant_context(acme.tenant):
        assert not Call.objects.exists()


# --- configuration -------------------------------------------------------------------------------


def test_sip_config_renders_both_files_with_settings_and_no_password(tmp_path, settings):
    settings.SIP_PORT = 15060
    settings.SIP_WS_PORT = 18088
    call_command("sip_config", "--output", str(tmp_path))
    kamailio = (tmp_path / "kamailio.cfg").read_text()
    rtpengine = (tmp_path / "rtpengine.conf").read_text()
    assert "listen=udp:127.0.0.1:15060" in kamailio
    assert "listen=tcp:127.0.0.1:18088" in kamailio
    assert "{{" not in kamailio and "{{" not in rtpengine
    assert "table = -1" in rtpengine
    assert (tmp_path / "kamailio.cfg").stat().st_mode & 0o077 == 0


def test_kamailio_database_keeps_socket_and_password_out_of_the_url():
    database = kamailio_database(
        {"USER": "cc", "PASSWORD": "p@ss:word", "HOST": "/srv/pg", "PORT": "", "NAME": "contactcenter"}, url=""
    )
    assert database.url == "postgres://cc@/contactcenter"
    assert database.environment["PGHOST"] == "/srv/pg"
    assert database.environment["PGPASSWORD"] == "p@ss:word"
    assert database.environment["PGOPTIONS"] == "-c search_path=kamailio"
    remote = kamailio_database(url="postgresql://kam:secret@db.internal:5433/cc")
    assert remote.url == "postgres://kam@db.internal:5433/cc"
    assert remote.environment["PGPASSWORD"] == "secret"


def test_rendering_refuses_missing_values_and_bad_settings(tmp_path):
    with pytest.raises(PlaneError):
        render_text("listen={{ nowhere }}", {})
    plane = plane_from_settings(runtime_dir=tmp_path, rtp_port_min=31000, rtp_port_max=30000)
    with pytest.raises(PlaneError):
        render(plane)
    with pytest.raises(PlaneError):
        render(plane.with_changes(rtp_port_min=30000, rtp_port_max=30100, routing_secret="short"))
    assert not (tmp_path / "kamailio.cfg").exists()


def test_operators_manage_trunk_addresses_from_the_command_line(acme, capsys):
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.get(is_default=True)
    connection.set_schema_to_public()
    call_command("sip_trunk_address", "acme", str(trunk.pk), "--add", "203.0.113.7")
    assert f"trunk {trunk.pk}\t203.0.113.7" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("sip_trunk_address", "acme", str(trunk.pk), "--add", "nonsense")
    call_command("sip_trunk_address", "acme", str(trunk.pk), "--add", "203.0.113.9", "--port", "5080", "--outbound")
    assert f"trunk {trunk.pk}\t203.0.113.9:5080\tin+out" in capsys.readouterr().out
    assert trunk_gateways(acme.tenant) == {trunk.pk: ("203.0.113.9", 5080)}  # where its outbound calls go
    with pytest.raises(CommandError, match="port"):
        call_command("sip_trunk_address", "acme", str(trunk.pk), "--add", "203.0.113.10", "--port", "70000")
    call_command("sip_trunk_address", "acme", str(trunk.pk), "--remove", "203.0.113.9")
    capsys.readouterr()
    call_command("sip_trunk_address", "acme", str(trunk.pk), "--remove", "203.0.113.7")
    assert "203.0.113.7" not in capsys.readouterr().out
    assert trunk_gateways(acme.tenant) == {}
