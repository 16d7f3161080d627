"""A browser agent answers a real SIP call: the desk's softphone against Kamailio and rtpengine.

Everything is real and on loopback: Kamailio (WebSocket listener), rtpengine (DTLS-SRTP/ICE on
the browser's leg, plain RTP on sipp's), the product's web server (daphne serving
``config.asgi`` from a subprocess, on this worker's test database) and Debian's Chromium with
fake media devices. sipp plays another seat of the same tenant: it dials the agent's extension,
echoes the browser's RTP back (``-rtp_echo``) and waits for the page to hang up.

Why daphne runs as a subprocess here rather than the browser tests' in-process server: a Twisted
reactor cannot be started twice in one process, and tests/browser may already run one on this
worker (``--dist loadfile``). Nothing here needs the engine, so a plain server is enough.

Missing binaries, Chromium or SIP.js (npm): fail under CI, skipped elsewhere (tests/sip/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from tests.browser.conftest import CHROMIUM, DatabaseThread, _missing_browser
from tests.conftest import PASSWORD
from tests.sip import scenarios
from tests.sip.conftest import ROOT
from tests.sip.harness import Process, database_url, free_port, start, wait_for

WAIT_MS = 20_000


# --- rtpengine's ng protocol (bencode over UDP): the call's packet counters ----------------------


def _bdecode(data: bytes, index: int = 0):
    kind = data[index : index + 1]
    if kind == b"i":
        end = data.index(b"e", index)
        return int(data[index + 1 : end]), end + 1
    if kind in (b"l", b"d"):
        index += 1
        items = []
        while data[index : index + 1] != b"e":
            item, index = _bdecode(data, index)
            items.append(item)
        if kind == b"l":
            return items, index + 1
        return {items[i].decode(): items[i + 1] for i in range(0, len(items), 2)}, index + 1
    colon = data.index(b":", index)
    length = int(data[index:colon])
    return data[colon + 1 : colon + 1 + length], colon + 1 + length


def rtpengine_query(port: int, call_id: str) -> dict:
    cookie = uuid.uuid4().hex[:8]
    command = f"d7:command5:query7:call-id{len(call_id)}:{call_id}e"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(2)
        udp.sendto(f"{cookie} {command}".encode(), ("127.0.0.1", port))
        reply = udp.recv(65535)
    answer, _ = _bdecode(reply.split(b" ", 1)[1])
    return answer


def packets_per_leg(answer: dict) -> list[int]:
    """Packets rtpengine received from each party of the call (one figure per monologue)."""
    legs = []
    for monologue in (answer.get("tags") or {}).values():
        received = 0
        for media in monologue.get("medias", []):
            for stream in media.get("streams", []):
                received += stream.get("stats", {}).get("packets", 0)
        legs.append(received)
    return legs


# --- fixtures -------------------------------------------------------------------------------------------


@dataclass
class Desk:
    email: str
    extension: str
    caller_extension: str
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _http_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.1")
    except OSError:
        return False


@pytest.fixture(scope="module")
def desk(sip_world, sip_plane, django_db_blocker) -> Iterator[Desk]:
    """An agent of tenant A, and the product's web server on a free port, as a subprocess."""
    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.telephony.models import Seat
    from apps.telephony.services.agent_state import agent_ensure
    from apps.telephony.services.seat_credentials import seat_set_registration_mode

    reason = _missing_browser()
    if not reason and not settings.SIPJS_DIR.is_dir():
        reason = f"SIP.js is not installed in {settings.SIPJS_DIR}: run `make setup` (needs npm)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    a = sip_world.a
    email = f"webrtc@{a.slug}.test"
    with django_db_blocker.unblock(), tenant_context(a.tenant):
        agent_ensure(user=User.objects.create_user(email, PASSWORD, name="Wei Browser", roles=[Role.AGENT]))
        # The desk's seat registers in the browser, with the credential its login issues.
        seat_set_registration_mode(seat=Seat.objects.get(extension="1001"), mode="browser")
    connection.set_schema_to_public()
    port = free_port()
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url(connection.settings_dict),
        SIP_WS_PUBLIC_URL=f"ws://127.0.0.1:{sip_plane.plane.ws_port}",
        PYTHONPATH=str(ROOT),
    )
    web: Process = start(
        "web",
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        sip_plane.directory,
        env=env,
    )
    sip_plane.processes["web"] = web
    try:
        wait_for(lambda: _http_up(port), "the web server", seconds=60)
    except AssertionError:
        web.stop()
        raise AssertionError(f"the web server did not start:\n{web.tail()}") from None
    try:
        yield Desk(email=email, extension="1001", caller_extension="1002", host=a.domain, port=port)
    finally:
        web.stop()


@pytest.fixture(scope="module")
def chromium(desk):
    """Chromium with a fake microphone, as an agent runs it (no flags that loosen WebRTC)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                "--autoplay-policy=no-user-gesture-required",
                f"--host-resolver-rules=MAP *.{settings.PLATFORM_DOMAIN} 127.0.0.1",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def _caller_scenario() -> str:
    """Seat [caller] dials [did] (digest auth), and once answered waits for the callee's BYE."""
    answered = scenarios.seat_call(200, hold_ms=0)
    head = answered[: answered.index('  <pause milliseconds="0"/>')]
    return (
        head
        + """  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""
    )


def _declined_scenario() -> str:
    """Seat [caller] dials [did]; the callee rings and declines with 486, which is acknowledged."""
    return scenarios.seat_call(486).replace(
        '<recv response="486"', '<recv response="180" optional="true"/>\n  <recv response="486"'
    )


def _sipp_call(sip_plane, desk: Desk, sip_world, *, name: str, scenario: str) -> tuple[subprocess.Popen, str]:
    a = sip_world.a
    path = scenarios.write(sip_plane.directory, name, scenario)
    command = [
        shutil.which("sipp") or "sipp",
        f"127.0.0.1:{sip_plane.sip_port}",
        "-sf",
        str(path),
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        str(free_port()),
        "-mi",
        "127.0.0.1",
        "-mp",
        str(free_port()),
        "-rtp_echo",
        "-nostdin",
        "-timeout",
        "90s",
        "-timeout_error",
        "-trace_err",
        "-trace_msg",
        "-key",
        "caller",
        desk.caller_extension,
        "-key",
        "did",
        desk.extension,
        "-key",
        "domain",
        a.domain,
        "-au",
        f"{desk.caller_extension}@{a.slug}",
        "-ap",
        a.secrets[desk.caller_extension],
    ]
    popen = subprocess.Popen(  # noqa: S603 - fixed binary
        command,
        cwd=sip_plane.directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    return popen, name


def _finish(popen: subprocess.Popen, timeout: float = 30) -> tuple[int, str]:
    try:
        out, _ = popen.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, 9)
        out, _ = popen.communicate()
    return popen.returncode, (out or b"").decode(errors="replace")


@pytest.fixture
def database(django_db_blocker) -> Iterator[DatabaseThread]:
    """Database reads from a thread of their own: Playwright's loop occupies the main thread."""
    with django_db_blocker.unblock():
        thread = DatabaseThread()
        try:
            yield thread
        finally:
            thread.close()


def wait_for_value(predicate, what: str, seconds: float = WAIT_MS / 1000):
    """Poll until ``predicate`` returns something truthy, and return it."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _websocket_handshake(port: int, origin: str) -> str:
    request = (
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: sip\r\nOrigin: {origin}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def test_the_websocket_listener_takes_browsers_of_the_platforms_pages_only(sip_world, sip_plane):
    port = sip_plane.plane.ws_port
    assert _websocket_handshake(port, f"http://{sip_world.a.domain}:8000").startswith("HTTP/1.1 101")
    assert _websocket_handshake(port, f"https://{settings.PLATFORM_DOMAIN}").startswith("HTTP/1.1 101")
    # A page of another site cannot drive a seat from an agent's browser.
    for origin in ("http://evil.example.org", f"http://{settings.PLATFORM_DOMAIN}.evil.example.org"):
        assert _websocket_handshake(port, origin).startswith("HTTP/1.1 403"), origin


# --- the test ------------------------------------------------------------------------------------------


def test_browser_softphone_registers_declines_answers_a_seat_call_and_hangs_up(
    sip_world, sip_plane, desk, chromium, database
):
    from playwright.sync_api import expect

    from apps.sip.selectors import seat_registrations

    context = chromium.new_context(base_url=desk.base_url, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    popen = None
    try:
        page.goto("/desk/")
        page.wait_for_url(lambda url: "/accounts/login/" in url)
        page.get_by_label("Email").fill(desk.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: url.rstrip("/").endswith("/desk"))
        status = page.locator("#softphone-status")
        expect(status).to_have_text("Unregistered")

        # Logging into the seat makes the softphone fetch the seat's credentials and register.
        page.locator("#login-seat").select_option(desk.extension)
        page.locator("#login-form").get_by_role("button", name="Log in").click()
        expect(status).to_have_text("Registered")

        def ws_contacts():
            def read():
                try:
                    return seat_registrations(sip_world.a.tenant, extensions=[desk.extension])
                finally:
                    connection.close()

            return [item for item in database.run(read).get(desk.extension, []) if item.transport == "ws"]

        (contact,) = wait_for_value(ws_contacts, "the browser's WebSocket registration")
        assert "transport=ws" in contact.contact
        assert contact.user_agent == "contact-center-desk"

        # Another seat of the tenant dials the agent's extension: the page rings; Decline → 486.
        popen, name = _sipp_call(sip_plane, desk, sip_world, name="webrtc_declined", scenario=_declined_scenario())
        expect(page.locator("#softphone-peer")).to_have_text(f"Incoming call from {desk.caller_extension}")
        expect(page.locator("#softphone-hangup")).to_be_hidden()
        page.locator("#softphone-decline").click()
        expect(page.locator("#softphone-call")).to_be_hidden()
        returncode, output = _finish(popen)
        popen = None
        assert returncode == 0, f"sipp exited {returncode}\n{output[-2000:]}\n{sip_plane.logs()}"

        # Called again, the agent answers.
        popen, name = _sipp_call(sip_plane, desk, sip_world, name="webrtc_caller", scenario=_caller_scenario())
        expect(page.locator("#softphone-peer")).to_have_text(f"Incoming call from {desk.caller_extension}")
        page.locator("#softphone-answer").click()
        expect(page.locator("#softphone-peer")).to_have_text(f"In call with {desk.caller_extension}")
        expect(page.locator("#softphone-hangup")).to_be_visible()

        def messages() -> str:
            return "\n".join(
                path.read_text(errors="replace") for path in sip_plane.directory.glob(f"{name}_*_messages.log")
            )

        wait_for_value(lambda: "SIP/2.0 200 OK" in messages() and "ACK sip:" in messages(), "200 and ACK at sipp")
        call_id = re.search(r"^Call-ID: *(\S+)", messages(), re.MULTILINE).group(1)
        # sipp's side stays plain RTP: rtpengine terminates the browser's DTLS-SRTP and ICE.
        answer = messages().split("SIP/2.0 200 OK", 1)[1].split("-----", 1)[0]
        assert re.search(r"^m=audio \d+ RTP/AVP ", answer, re.MULTILINE), answer
        assert "a=fingerprint" not in answer and "a=candidate" not in answer, answer

        # Media flows both ways through rtpengine: the browser's leg (DTLS-SRTP) and sipp's echo.
        ng_port = sip_plane.plane.rtpengine_ng_port

        def both_parties_sent() -> list[int] | None:
            legs = packets_per_leg(rtpengine_query(ng_port, call_id))
            return legs if len(legs) == 2 and min(legs) > 20 else None

        legs = wait_for_value(both_parties_sent, "RTP from both parties at rtpengine")
        print(f"rtpengine packets received per party: {legs}")
        tracks = page.evaluate("() => document.getElementById('softphone-audio').srcObject.getAudioTracks().length")
        assert tracks == 1

        # Mute toggles (the microphone's track is disabled; the call goes on).
        page.locator("#softphone-mute").click()
        expect(page.locator("#softphone-mute")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#softphone-mute")).to_have_text("Unmute")

        # Hanging up on the page sends BYE to sipp, which answers it and ends the scenario.
        page.locator("#softphone-hangup").click()
        expect(page.locator("#softphone-call")).to_be_hidden()
        returncode, output = _finish(popen)
        popen = None
        assert returncode == 0, f"sipp exited {returncode}\n{output[-2000:]}\n{sip_plane.logs()}"
        assert re.search(r"^BYE sip:", messages(), re.MULTILINE)
        # The BYE also ended rtpengine's session: its ports are free again.
        wait_for_value(lambda: rtpengine_query(ng_port, call_id).get("result") == b"error", "the media session's end")

        # Logging out of the seat unregisters the browser.
        page.locator("#btn-logout").click()
        # Generous: the logout's realtime message and the un-REGISTER queue behind a loaded machine.
        expect(status).to_have_text("Unregistered", timeout=45_000)
        wait_for_value(lambda: not ws_contacts(), "the browser's registration to go")
        assert errors == []
    finally:
        if popen is not None:
            _finish(popen, timeout=1)
        context.close()
