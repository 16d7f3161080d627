"""Per-login seat credentials against the real registrar (Kamailio): the credential an agent reads
from ``GET /agents/me/sip`` registers the seat while the agent holds it, and is refused the moment
they log out; a seat keeps one contact (docs/sip.md, "Seat credentials").

The browser softphone authenticates with the HA1 itself (there is no password behind a per-login
credential), so this module answers Kamailio's digest challenge in Python, as SIP.js does.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket

from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.sip.selectors import seat_registrations, softphone_credentials
from apps.telephony.models import Agent, Seat
from apps.telephony.services.agent_state import agent_login, agent_logout
from apps.telephony.services.seat_credentials import seat_set_registration_mode
from tests.conftest import PASSWORD
from tests.sip import scenarios
from tests.sip.harness import free_port

EXTENSION = "1003"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - SIP digest (RFC 2617)


def _request(sock: socket.socket, kamailio_port: int, lines: list[str]) -> str:
    sock.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), ("127.0.0.1", kamailio_port))
    while True:
        data, _address = sock.recvfrom(65535)
        text = data.decode(errors="replace")
        if not text.startswith("SIP/2.0 1"):  # skip provisional replies
            return text


def register_with_ha1(kamailio_port: int, credentials, *, contact_port: int | None = None) -> int:
    """REGISTER the seat with a digest answer computed from ``credentials.ha1``; the final status."""
    domain = credentials.realm
    user = credentials.extension
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", contact_port or 0))
        sock.settimeout(5)
        port = sock.getsockname()[1]
        call_id = secrets.token_hex(8)
        tag = secrets.token_hex(4)

        def lines(cseq: int, extra: list[str]) -> list[str]:
            return [
                f"REGISTER sip:{domain} SIP/2.0",
                f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{secrets.token_hex(6)};rport",
                "Max-Forwards: 70",
                f"From: <sip:{user}@{domain}>;tag={tag}",
                f"To: <sip:{user}@{domain}>",
                f"Call-ID: {call_id}",
                f"CSeq: {cseq} REGISTER",
                f"Contact: <sip:{user}@127.0.0.1:{port}>",
                "Expires: 60",
                "User-Agent: per-login-test",
                *extra,
                "Content-Length: 0",
            ]

        challenge = _request(sock, kamailio_port, lines(1, []))
        status = int(challenge.split(" ", 2)[1])
        if status != 401:
            return status
        header = re.search(r"^WWW-Authenticate: Digest (.*)$", challenge, re.MULTILINE | re.IGNORECASE).group(1)
        params = dict(re.findall(r'(\w+)="?([^",]*)"?', header))
        uri = f"sip:{domain}"
        cnonce, nc = secrets.token_hex(4), "00000001"
        ha2 = _md5(f"REGISTER:{uri}")
        if "qop" in params:
            response = _md5(f"{credentials.ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
            qop = f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        else:
            response = _md5(f"{credentials.ha1}:{params['nonce']}:{ha2}")
            qop = ""
        authorization = (
            f'Authorization: Digest username="{credentials.authorization_user}", realm="{params["realm"]}", '
            f'nonce="{params["nonce"]}", uri="{uri}", response="{response}", algorithm=MD5{qop}'
        )
        final = _request(sock, kamailio_port, lines(2, [authorization]))
        return int(final.split(" ", 2)[1])


def test_the_login_credential_registers_one_contact_and_is_refused_after_logout(
    sip_plane, sip_world, django_db_blocker
):
    a = sip_world.a
    with django_db_blocker.unblock(), tenant_context(a.tenant):
        seat_set_registration_mode(seat=Seat.objects.get(extension=EXTENSION), mode="browser")
        user = User.objects.create_user(f"perlogin@{a.slug}.test", PASSWORD, name="Per Login", roles=[Role.AGENT])
        agent_login(user=user, seat_extension=EXTENSION)
        agent = Agent.objects.select_related("seat").get(user=user)
        credentials = softphone_credentials(a.tenant, agent)
    connection.set_schema_to_public()
    assert credentials is not None

    first_port, second_port = free_port(), free_port()
    assert register_with_ha1(sip_plane.sip_port, credentials, contact_port=first_port) == 200, sip_plane.logs()
    assert register_with_ha1(sip_plane.sip_port, credentials, contact_port=second_port) == 200
    with django_db_blocker.unblock():
        (only,) = seat_registrations(a.tenant, extensions=[EXTENSION])[EXTENSION]
    assert only.contact == f"sip:{EXTENSION}@127.0.0.1:{second_port}"  # the newer device replaced the first

    with django_db_blocker.unblock(), tenant_context(a.tenant):
        agent_logout(agent=agent)
    connection.set_schema_to_public()

    assert register_with_ha1(sip_plane.sip_port, credentials, contact_port=first_port) == 403
    with django_db_blocker.unblock():
        (still,) = seat_registrations(a.tenant, extensions=[EXTENSION])[EXTENSION]
    assert still.contact.endswith(f":{second_port}")  # the refused REGISTER added nothing


def test_a_desk_phone_keeps_registering_with_the_seat_secret_across_agent_logins(
    sip_plane, sip_world, django_db_blocker
):
    """Agents logging into and out of a desk phone seat change nothing for the phone, and get no credential."""
    a = sip_world.a
    with django_db_blocker.unblock(), tenant_context(a.tenant):
        assert Seat.objects.get(extension="1002").registration_mode == "desk_phone"  # the module's sipp seats
        user = User.objects.create_user(f"deskphone@{a.slug}.test", PASSWORD, name="Desk", roles=[Role.AGENT])
        agent_login(user=user, seat_extension="1002")
        agent = Agent.objects.select_related("seat").get(user=user)
        assert softphone_credentials(a.tenant, agent) is None
        agent_logout(agent=agent)
    connection.set_schema_to_public()

    run = sip_plane.sipp(
        scenarios.register(200),
        name="desk_phone_register",
        keys={"ext": "1002", "domain": a.domain},
        auth=(f"1002@{a.slug}", a.secrets["1002"]),
    )
    assert run.ok, run.explain() + sip_plane.logs()
