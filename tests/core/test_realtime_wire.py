"""The hub's pre-framed fast path, through a real daphne and real websocket clients.

``GroupHub`` frames each event once and writes the same bytes to every daphne socket, straight
to the socket where Twisted has nothing buffered (apps/core/consumers.py). That reaches into
daphne, autobahn and Twisted internals, so these tests run the pinned versions for real: daphne
as a subprocess (tests/core/daphne_spy.py: the real server plus a note of which write path each
probe took) against this run's test database and Redis, and clients that check every byte on
the wire. A socket with permessage-deflate must get the ordinary, compressed send instead.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import functools
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from asgiref.sync import async_to_sync
from autobahn.websocket.protocol import PreparedMessage
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context
from websockets.sync.client import connect as websockets_connect

from apps.accounts.models import ApiToken, User
from apps.accounts.services import token_create
from apps.core.consumers import daphne_protocol, ws_text_frame
from apps.core.events import tenant_group
from apps.tenants.models import Tenant

ROOT = Path(__file__).resolve().parents[2]
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TIMEOUT = 10
PROBE = "wire-probe-"


# --- the frame itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "header"),
    [
        (0, b"\x81\x00"),
        (125, b"\x81\x7d"),
        (126, b"\x81\x7e\x00\x7e"),
        (65535, b"\x81\x7e\xff\xff"),
        (65536, b"\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
    ],
)
def test_text_frame_has_the_rfc_6455_header_for_each_length_form(length, header):
    payload = b"x" * length

    frame = ws_text_frame(payload)

    assert frame == header + payload
    # autobahn's own server framing of the same message is byte for byte the same.
    assert frame == PreparedMessage(payload, False, False, True).payloadHybi


def test_only_daphnes_own_send_is_recognised():
    class Server:
        async def handle_reply(self, protocol, message):
            pass

    assert daphne_protocol(functools.partial(Server().handle_reply, object())) is None
    assert daphne_protocol(lambda message: None) is None
    assert daphne_protocol(None) is None


# --- a real daphne ---------------------------------------------------------------------------


@dataclass
class Daphne:
    port: int
    host: str
    token: str
    group: str
    spy_log: Path

    def spied(self, probe: str) -> list[str]:
        """How daphne wrote ``probe``'s messages when not straight to the socket (the spy's notes)."""
        return [line.split()[0] for line in self.spy_log.read_text().splitlines() if line.endswith(" " + probe)]

    def publish(self, event: dict) -> None:
        """What ``apps.core.events.publish`` sends, with a fixed payload (no ``ts``)."""
        async_to_sync(get_channel_layer().group_send)(self.group, {"type": "event.forward", "event": event})


@pytest.fixture(scope="module")
def wallboard_access(django_db_setup, django_db_blocker):
    """A committed API token of acme's admin: daphne reads it through its own connection."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        tenant = Tenant.objects.get(slug="acme")
        with tenant_context(tenant):
            issued = token_create(user=User.objects.get(email="admin@acme.test"), name="wire test")
    yield tenant, issued.raw
    with django_db_blocker.unblock(), tenant_context(tenant):
        ApiToken.objects.filter(pk=issued.token.pk).delete()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the daphne child: SIGTERM when the test process dies, however it dies (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _start_daphne(tmp: Path, wallboard_access, *extra: str):
    tenant, token = wallboard_access
    port = _free_port()
    spy_log, log = tmp / "spy.log", tmp / "daphne.log"
    spy_log.touch()
    url = urlsplit(os.environ["DATABASE_URL"])  # the server this run uses, its test database
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"])),
    )
    command = [sys.executable, "tests/core/daphne_spy.py", str(spy_log), *extra]
    command += ["-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    with open(log, "wb") as output:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"daphne exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"daphne did not listen within 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
    host = f"{tenant.slug}.{settings.PLATFORM_DOMAIN}"
    return process, Daphne(port, host, token, tenant_group(tenant.schema_name, "wallboard"), spy_log)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(scope="module")
def daphne(wallboard_access, tmp_path_factory):
    process, server = _start_daphne(tmp_path_factory.mktemp("daphne"), wallboard_access)
    yield server
    _stop(process)


@pytest.fixture(scope="module")
def deflate_daphne(wallboard_access, tmp_path_factory):
    process, server = _start_daphne(tmp_path_factory.mktemp("daphne-deflate"), wallboard_access, "--deflate")
    yield server
    _stop(process)


# --- a client that sees every byte -------------------------------------------------------------


class RawSocket:
    """RFC 6455 client on a blocking socket: the handshake, then the raw byte stream."""

    def __init__(self, server: Daphne, *, deflate: bool = False, receive_buffer: int | None = None) -> None:
        self.sock = socket.socket()
        if receive_buffer:  # fixed and small, so that daphne's writes back up
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(("127.0.0.1", server.port))
        key = base64.b64encode(os.urandom(16)).decode()
        extensions = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if deflate else ""
        self.sock.sendall(
            f"GET /ws/wallboard/?token={server.token} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: http://{server.host}:{server.port}\r\n{extensions}\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin1").split("\r\n")
        assert lines[0].startswith("HTTP/1.1 101"), lines[0]
        self.headers = {name.strip().lower(): value.strip() for name, _, value in (x.partition(":") for x in lines[1:])}
        expected = base64.b64encode(hashlib.sha1((key + WS_GUID).encode(), usedforsecurity=False).digest()).decode()
        assert self.headers["sec-websocket-accept"] == expected
        self.inflater = zlib.decompressobj(-15)

    def _fill(self) -> None:
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionResetError("the server closed the connection")
        self.buffer += data

    def read_exact(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._fill()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def frame(self) -> tuple[int, int, bytes, bytes]:
        """(first header byte, opcode, payload, the frame's bytes) of the next frame."""
        head = self.read_exact(2)
        b0, b1 = head
        assert b1 & 0x80 == 0, "a server frame was masked"
        length = b1 & 0x7F
        if length in (126, 127):
            extended = self.read_exact(2 if length == 126 else 8)
            head, length = head + extended, int.from_bytes(extended, "big")
        payload = self.read_exact(length)
        return b0, b0 & 0x0F, payload, head + payload

    def message(self) -> tuple[int, str]:
        """(first header byte, text) of the next text message, inflated if it was compressed."""
        b0, opcode, payload, _ = self.frame()
        assert opcode == 0x1 and b0 & 0x80, f"expected one whole text frame, got byte 0 {b0:#x}"
        if b0 & 0x40:  # RSV1: permessage-deflate
            payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
        return b0, payload.decode()

    def send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked)  # payloads < 126 bytes

    def snapshot(self) -> dict:
        _, text = self.message()
        snapshot = json.loads(text)
        assert snapshot["type"] == "snapshot"
        return snapshot

    def close(self) -> None:
        self.sock.close()


def _event(probe: str, size: int) -> tuple[dict, bytes]:
    """A wallboard event of about ``size`` bytes, with non-ASCII text, and its JSON bytes."""
    event = {"type": "agent.state", "probe": probe, "reason": "休息", "pad": "", "end": probe}
    event["pad"] = "p" * max(0, size - len(json.dumps(event).encode()))
    return event, json.dumps(event).encode()


def _frame(payload: bytes) -> bytes:
    """The expected frame, written out here rather than trusted to the code under test."""
    if len(payload) < 126:
        return bytes((0x81, len(payload))) + payload
    if len(payload) < 65536:
        return b"\x81\x7e" + len(payload).to_bytes(2, "big") + payload
    return b"\x81\x7f" + len(payload).to_bytes(8, "big") + payload


def _websockets_client(server: Daphne):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    return websockets_connect(
        f"ws://{server.host}:{server.port}/ws/wallboard/?token={server.token}",
        sock=sock,
        origin=f"http://{server.host}:{server.port}",
        open_timeout=TIMEOUT,
        max_size=None,
    )


# --- through daphne ----------------------------------------------------------------------------


def test_every_socket_gets_the_same_byte_exact_frames_written_straight_to_it(daphne):
    probe = f"{PROBE}{uuid.uuid4().hex}"
    plain, browser_like = RawSocket(daphne), RawSocket(daphne, deflate=True)
    sockets = [plain, browser_like]
    try:
        for raw in sockets:
            raw.snapshot()
        events = [_event(probe, size) for size in (100, 3000, 70000)]  # the three length forms

        for event, _ in events:
            daphne.publish(event)

        expected = b"".join(_frame(payload) for _, payload in events)
        for raw in sockets:
            assert raw.read_exact(len(expected)) == expected
    finally:
        for raw in sockets:
            raw.close()
    # daphne declines the deflate offer browsers make, so browsers get the fast path too.
    assert "sec-websocket-extensions" not in browser_like.headers
    # Neither autobahn's send nor Twisted's buffer saw the events: written straight to the socket.
    assert daphne.spied(probe) == []


def test_a_backed_up_socket_gets_the_rest_through_twisteds_buffer_in_order(daphne):
    """A socket that cannot take a frame whole gets the rest, and every later frame, queued
    behind it by Twisted; a reply (pong) sent meanwhile arrives whole, between two frames."""
    probe = f"{PROBE}{uuid.uuid4().hex}"
    slow = RawSocket(daphne, receive_buffer=32 * 1024)
    try:
        slow.snapshot()
        big = [_event(probe, 700_000) for _ in range(10)]  # ~7 MB: more than the kernel buffers hold
        for event, _ in big:
            daphne.publish(event)
        slow.send(0x1, b'{"type": "ping"}')
        last, last_payload = _event(probe, 50)
        daphne.publish(last)

        frames, pongs = [], []
        while len(frames) < len(big) + 1:
            _, opcode, payload, raw = slow.frame()
            if json.loads(payload)["type"] == "pong":
                pongs.append(raw)
            else:
                frames.append(raw)
    finally:
        slow.close()
    assert frames == [_frame(payload) for _, payload in [*big, (last, last_payload)]]
    assert len(pongs) == 1
    assert "transport.write" in daphne.spied(probe)
    assert "sendMessage" not in daphne.spied(probe)


def test_a_closed_socket_gets_nothing_more_and_the_others_carry_on(daphne):
    probe = f"{PROBE}{uuid.uuid4().hex}"
    leaving, staying = RawSocket(daphne), RawSocket(daphne)
    try:
        leaving.snapshot()
        staying.snapshot()
        leaving.send(0x8, (1000).to_bytes(2, "big"))
        _, opcode, _, _ = leaving.frame()
        assert opcode == 0x8  # daphne answers the close

        event, payload = _event(probe, 200)
        daphne.publish(event)

        assert staying.read_exact(len(_frame(payload))) == _frame(payload)
        with pytest.raises(ConnectionResetError):  # the connection ends without another frame
            leaving.frame()
    finally:
        leaving.close()
        staying.close()


def test_a_websocket_library_client_reads_the_fast_path_frames(daphne):
    probe = f"{PROBE}{uuid.uuid4().hex}"
    with _websockets_client(daphne) as client:
        assert json.loads(client.recv(timeout=TIMEOUT))["type"] == "snapshot"
        offered_and_declined = client.protocol.extensions == []
        events = [_event(probe, size) for size in (10, 500, 90000)]

        for event, _ in events:
            daphne.publish(event)

        received = [client.recv(timeout=TIMEOUT) for _ in events]
    assert offered_and_declined
    assert received == [payload.decode() for _, payload in events]
    assert daphne.spied(probe) == []


def test_a_deflate_socket_gets_compressed_messages_through_the_ordinary_send(deflate_daphne):
    probe = f"{PROBE}{uuid.uuid4().hex}"
    compressed, plain = RawSocket(deflate_daphne, deflate=True), RawSocket(deflate_daphne)
    try:
        compressed.snapshot()
        plain.snapshot()
        assert compressed.headers["sec-websocket-extensions"].startswith("permessage-deflate")
        events = [_event(probe, size) for size in (100, 3000)]

        for event, _ in events:
            deflate_daphne.publish(event)

        for _, payload in events:
            b0, text = compressed.message()
            assert b0 & 0x40  # RSV1: compressed by autobahn, not the pre-framed bytes
            assert text == payload.decode()
            assert plain.read_exact(len(_frame(payload))) == _frame(payload)
    finally:
        compressed.close()
        plain.close()
    # Only the compressed socket's copies went through autobahn's send.
    assert deflate_daphne.spied(probe).count("sendMessage") == len(events)


def test_a_websocket_library_client_with_deflate_reads_the_fallback(deflate_daphne):
    probe = f"{PROBE}{uuid.uuid4().hex}"
    with _websockets_client(deflate_daphne) as client:
        assert json.loads(client.recv(timeout=TIMEOUT))["type"] == "snapshot"
        negotiated = [extension.name for extension in client.protocol.extensions]
        event, payload = _event(probe, 5000)

        deflate_daphne.publish(event)

        received = client.recv(timeout=TIMEOUT)
    assert negotiated == ["permessage-deflate"]
    assert received == payload.decode()
