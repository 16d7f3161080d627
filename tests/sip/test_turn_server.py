"""The rendered coturn, spoken to over TURN itself: who gets a relay, and where it may relay to.

coturn runs from ``sip_run turn``'s command and the rendered turnserver.conf on free loopback
ports; a small TURN client (RFC 5766 Allocate and CreatePermission with the long-term credential
mechanism, below) asks it what a browser would. Credentials are made by apps.sip.turn exactly as
the softphone gets them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
import socket
import struct
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address

import pytest
from django.db import connection

from apps.sip.plane import SipPlane, kamailio_database, plane_from_settings, render, turn_command
from apps.sip.turn import turn_credentials
from tests.sip.harness import Process, free_port, free_port_range, start, wait_for

SECRET = "turn-server-test-0123456789"
COOKIE = 0x2112A442
ALLOCATE, CREATE_PERMISSION, BINDING = 0x0003, 0x0008, 0x0001
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, REALM, NONCE = 0x0006, 0x0008, 0x0009, 0x0014, 0x0015
XOR_PEER_ADDRESS, XOR_RELAYED_ADDRESS, REQUESTED_TRANSPORT = 0x0012, 0x0016, 0x0019


# --- a minimal TURN client ---------------------------------------------------------------------------


def _attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def _xor_address(address: str, port: int) -> bytes:
    return struct.pack("!BBHI", 0, 1, port ^ (COOKIE >> 16), int(IPv4Address(address)) ^ COOKIE)


def _parse(data: bytes) -> tuple[int, dict[int, bytes]]:
    kind, length = struct.unpack("!HH", data[:4])
    attributes: dict[int, bytes] = {}
    index = 20
    while index < 20 + length:
        attribute, size = struct.unpack("!HH", data[index : index + 4])
        attributes.setdefault(attribute, data[index + 4 : index + 4 + size])
        index += 4 + size + (-size % 4)
    return kind, attributes


class TurnClient:
    """One UDP 5-tuple (or TCP connection) towards coturn: one allocation at most, like one ICE candidate."""

    def __init__(self, port: int, *, tcp: bool = False):
        self.server = ("127.0.0.1", port)
        self.tcp = tcp
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
        self.sock.settimeout(5)
        if tcp:
            self.sock.connect(self.server)
        else:
            self.sock.bind(("127.0.0.1", 0))
        self.key = b""
        self.realm = b""
        self.nonce = b""
        self.username = b""

    def close(self) -> None:
        self.sock.close()

    def request(self, method: int, attributes: bytes, *, signed: bool) -> tuple[int, dict[int, bytes]]:
        transaction = secrets.token_bytes(12)
        if signed:
            attributes += _attribute(USERNAME, self.username) + _attribute(REALM, self.realm)
            attributes += _attribute(NONCE, self.nonce)
            header = struct.pack("!HHI", method, len(attributes) + 24, COOKIE) + transaction
            digest = hmac.new(self.key, header + attributes, hashlib.sha1).digest()
            attributes += _attribute(MESSAGE_INTEGRITY, digest)
        message = struct.pack("!HHI", method, len(attributes), COOKIE) + transaction + attributes
        if self.tcp:  # STUN over TCP: the messages themselves, delimited by their length fields
            self.sock.sendall(message)
            while True:
                header = self._read(20)
                data = header + self._read(struct.unpack("!H", header[2:4])[0])
                if data[8:20] == transaction:
                    return _parse(data)
        self.sock.sendto(message, self.server)
        while True:
            data = self.sock.recv(4096)
            if data[8:20] == transaction:
                return _parse(data)

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            assert chunk, "coturn closed the connection"
            data += chunk
        return data

    def allocate(self, username: str, password: str, *, protocol: int = 17) -> tuple[int, dict[int, bytes]]:
        """Allocate a relay (UDP: 17, TCP: 6): the unauthenticated try for realm and nonce, then the signed one."""
        transport = _attribute(REQUESTED_TRANSPORT, bytes([protocol, 0, 0, 0]))
        kind, attributes = self.request(ALLOCATE, transport, signed=False)
        assert kind == 0x0113 and _error(attributes) == 401, (hex(kind), attributes)
        self.realm, self.nonce = attributes[REALM], attributes[NONCE]
        self.username = username.encode()
        self.key = hashlib.md5(b"%s:%s:%s" % (self.username, self.realm, password.encode())).digest()  # noqa: S324 - RFC 5389
        return self.request(ALLOCATE, transport, signed=True)

    def permit(self, address: str, port: int = 40000) -> tuple[int, dict[int, bytes]]:
        return self.request(CREATE_PERMISSION, _attribute(XOR_PEER_ADDRESS, _xor_address(address, port)), signed=True)


def _error(attributes: dict[int, bytes]) -> int:
    value = attributes.get(ERROR_CODE, b"\0\0\0\0")
    return value[2] * 100 + value[3]


def _relayed(attributes: dict[int, bytes]) -> tuple[str, int]:
    _, _, port, address = struct.unpack("!BBHI", attributes[XOR_RELAYED_ADDRESS][:8])
    return str(IPv4Address(address ^ COOKIE)), port ^ (COOKIE >> 16)


# --- coturn ----------------------------------------------------------------------------------------------


def _binding_ok(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(0.3)
        transaction = secrets.token_bytes(12)
        udp.sendto(struct.pack("!HHI", BINDING, 0, COOKIE) + transaction, ("127.0.0.1", port))
        try:
            return udp.recv(2048)[8:20] == transaction
        except OSError:
            return False


@pytest.fixture(scope="module")
def coturn(tmp_path_factory) -> Iterator[tuple[SipPlane, Process]]:
    if shutil.which("turnserver") is None:
        if os.environ.get("CI"):
            pytest.fail("coturn is not installed (Debian: coturn)")
        pytest.skip("coturn is not installed (Debian: coturn; docs/sip.md)")
    directory = tmp_path_factory.mktemp("coturn")
    relay_min, relay_max = free_port_range(20)
    rtp_min, rtp_max = free_port_range(20)
    plane = plane_from_settings(
        runtime_dir=directory,
        database=kamailio_database(connection.settings_dict, url=""),
        rtp_address="127.0.0.1",
        rtp_port_min=rtp_min,
        rtp_port_max=rtp_max,
        turn_enabled=True,
        turn_address="127.0.0.1",
        turn_port=free_port(),
        turn_relay_port_min=relay_min,
        turn_relay_port_max=relay_max,
        turn_realm="turn.cc.test",
        turn_secret=SECRET,
        turn_allow_loopback=True,  # rtpengine's address here is 127.0.0.1
        tls_cert_file="",
        tls_key_file="",
    )
    render(plane)
    process = start("turn", turn_command(plane), directory)
    try:
        wait_for(lambda: _binding_ok(plane.turn_port), "coturn", seconds=30)
        yield plane, process
    except AssertionError:
        raise AssertionError(f"coturn did not start:\n{process.tail()}") from None
    finally:
        process.stop()


@pytest.fixture
def client(coturn) -> Iterator[TurnClient]:
    turn = TurnClient(coturn[0].turn_port)
    try:
        yield turn
    finally:
        turn.close()


def _credentials(settings, **kwargs):
    settings.TURN_SECRET = SECRET
    settings.TURN_ENABLED = True
    return turn_credentials(tenant_slug="acme", user_id=7, **kwargs)


def test_an_agents_credential_gets_a_relay_that_may_reach_rtpengine_only(coturn, client, settings):
    plane, process = coturn
    credentials = _credentials(settings)

    kind, attributes = client.allocate(credentials.username, credentials.credential)

    assert kind == 0x0103, (hex(kind), _error(attributes))
    address, port = _relayed(attributes)
    assert address == "127.0.0.1"
    assert plane.turn_relay_port_min <= port <= plane.turn_relay_port_max
    # rtpengine's address is the one peer allowed...
    assert client.permit(plane.rtp_address)[0] == 0x0108
    # ...and nothing else: the LAN, the Internet, link-local.
    for peer in ("127.0.0.2", "10.1.2.3", "192.168.1.10", "172.16.5.5", "198.51.100.7", "169.254.169.254"):
        kind, attributes = client.permit(peer)
        assert (kind, _error(attributes)) == (0x0118, 403), peer
    wait_for(
        lambda: f"user <{credentials.username}>" in process.log.read_text(errors="replace"), "coturn's session log"
    )


def test_no_tcp_relay_is_handed_out(coturn, settings):
    """A TCP relay (RFC 6062) could open connections to any port of rtpengine's host: refused.
    TURN over TCP itself (a browser behind a UDP-blocking firewall) still gets its UDP relay."""
    credentials = _credentials(settings)
    tcp = TurnClient(coturn[0].turn_port, tcp=True)
    try:
        kind, attributes = tcp.allocate(credentials.username, credentials.credential, protocol=6)
        assert (kind, _error(attributes)) == (0x0113, 442), hex(kind)  # Unsupported Transport Protocol
    finally:
        tcp.close()
    tcp = TurnClient(coturn[0].turn_port, tcp=True)
    try:
        kind, attributes = tcp.allocate(credentials.username, credentials.credential)
        assert kind == 0x0103, (hex(kind), _error(attributes))
    finally:
        tcp.close()


def test_an_expired_or_forged_credential_gets_no_relay(coturn, settings):
    expired = _credentials(settings, now=datetime.now(UTC) - timedelta(hours=1))
    assert expired.expires_at < datetime.now(UTC)
    forged = _credentials(settings)
    for username, password in (
        (expired.username, expired.credential),
        (forged.username, forged.credential[:-4] + "AAA="),
        # Another tenant's name under this credential's signature.
        (forged.username.replace(":acme:", ":other:"), forged.credential),
    ):
        client = TurnClient(coturn[0].turn_port)
        try:
            kind, attributes = client.allocate(username, password)
        finally:
            client.close()
        assert (kind, _error(attributes)) == (0x0113, 401), username


def test_a_relay_outlives_the_credential_it_was_allocated_with(coturn, client, settings):
    """An expiry stops new allocations, not a call in progress: coturn keeps the session's key."""
    settings.TURN_CREDENTIAL_TTL_SECONDS = 60
    soon = _credentials(settings, not_after=datetime.now(UTC) + timedelta(seconds=3))
    kind, _ = client.allocate(soon.username, soon.credential)
    assert kind == 0x0103
    wait_for(lambda: datetime.now(UTC) > soon.expires_at + timedelta(seconds=1), "the credential's expiry", 10)
    time.sleep(0.1)
    # A permission (as a browser adds for each remote candidate) still goes through, signed with it.
    assert client.permit(coturn[0].rtp_address, 40002)[0] == 0x0108
    # A new allocation with the same credential does not.
    other = TurnClient(coturn[0].turn_port)
    try:
        kind, attributes = other.allocate(soon.username, soon.credential)
    finally:
        other.close()
    assert (kind, _error(attributes)) == (0x0113, 401)
