"""A remote seat: a browser agent whose media can only go through TURN, over secure WebSocket.

Everything is real and on loopback: coturn (``manage.py sip_run turn``'s command and rendered
configuration, REST-API credentials), Kamailio with its tls module (WSS with a self-signed
certificate made for this run), rtpengine, the product's web server (daphne, a subprocess on
this worker's test database) and Debian's Chromium. The agent ticks the desk's "relay only"
option, so the browser's RTCPeerConnection runs with ``iceTransportPolicy: "relay"``: it gathers
relay candidates only and its media can reach rtpengine through coturn and nowhere else. A sipp
seat of the same tenant dials the agent and echoes the audio back.

Trusting the certificate: Chromium is started with ``--ignore-certificate-errors-spki-list`` set
to this run's key, so it accepts that one self-signed key and no other certificate error (a
production plane has a real certificate, docs/sip.md "Remote seats").

What is asserted: the desk registered over WSS (Kamailio's location row says ``wss``); the call's
selected ICE candidate pair is ``relay`` on the browser's side (``RTCPeerConnection.getStats()``
from the page) and every local candidate is a relay one; coturn logged the allocation for this
agent's credential ("<expiry>:<tenant>:<user>") and a peer permission for rtpengine's address;
and rtpengine counted packets from both parties (the method of test_webrtc.py). The credential
lives 60 s: once the first has expired, a second call relays with the fresh one the desk fetched
meanwhile.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from apps.sip.certificates import self_signed_certificate
from apps.sip.plane import SipPlane, turn_command
from tests.browser.conftest import CHROMIUM, DatabaseThread, _missing_browser
from tests.conftest import PASSWORD
from tests.sip.conftest import ROOT, running_plane
from tests.sip.harness import Process, database_url, free_port, free_port_range, start, wait_for
from tests.sip.test_webrtc import (
    WAIT_MS,
    Desk,
    _caller_scenario,
    _finish,
    _http_up,
    _sipp_call,
    packets_per_leg,
    rtpengine_query,
    wait_for_value,
)

TURN_SECRET = "remote-seat-test-" + "x" * 16
ME_SIP = "/api/v1/agents/me/sip"

# Every RTCPeerConnection the page makes, kept for getStats() (SIP.js keeps its own private).
RECORD_PEER_CONNECTIONS = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__peerConnections = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__peerConnections.push(this);
    }
  };
})();
"""

# The TURN username the newest RTCPeerConnection was configured with (the credential of that call).
LAST_ICE_USERNAME = """
() => {
  const pc = window.__peerConnections[window.__peerConnections.length - 1];
  return pc.getConfiguration().iceServers[0].username;
}
"""

# The call's selected candidate pair, both candidates and every local candidate's type.
SELECTED_PAIR = """
async () => {
  const pc = window.__peerConnections[window.__peerConnections.length - 1];
  if (!pc) return null;
  const stats = await pc.getStats();
  let pair = null;
  const localTypes = [];
  stats.forEach((report) => {
    if (report.type === "transport" && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    if (report.type === "local-candidate") localTypes.push(report.candidateType);
  });
  if (!pair || pair.state !== "succeeded") return null;
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return {
    policy: pc.getConfiguration().iceTransportPolicy,
    iceServers: pc.getConfiguration().iceServers.map((server) => server.urls),
    localType: local.candidateType,
    relayProtocol: local.relayProtocol || null,
    localUrl: local.url || null,
    remoteType: remote.candidateType,
    remoteAddress: remote.address,
    remotePort: remote.port,
    bytesReceived: pair.bytesReceived,
    bytesSent: pair.bytesSent,
    localTypes: localTypes,
  };
}
"""


def stun_binding_ok(port: int) -> bool:
    """coturn answers a STUN Binding request on its UDP listener once it is up."""
    transaction = secrets.token_bytes(12)
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(0.3)
        udp.sendto(request, ("127.0.0.1", port))
        try:
            reply = udp.recv(2048)
        except OSError:
            return False
    return reply[:2] == b"\x01\x01" and reply[8:20] == transaction


@dataclass
class RemotePlane:
    plane: SipPlane
    under_test: object
    turn: Process
    spki_hash: str
    wss_port: int


@pytest.fixture(scope="module")
def remote_plane(sip_world, tmp_path_factory) -> Iterator[RemotePlane]:
    """Kamailio with WSS, rtpengine, the routing endpoint, an engine stand-in and coturn."""
    from tests.sip.conftest import require_binaries

    require_binaries()
    if not (Path("/usr/bin/turnserver").exists() or os.environ.get("CI")):
        pytest.skip("coturn is not installed (Debian: coturn; see docs/sip.md)")
    directory = tmp_path_factory.mktemp("remote")
    cert_file, key_file = directory / "tls" / "cert.pem", directory / "tls" / "key.pem"
    spki = self_signed_certificate(
        cert_file, key_file, [settings.PLATFORM_DOMAIN, f"*.{settings.PLATFORM_DOMAIN}", "127.0.0.1"]
    )
    relay_min, relay_max = free_port_range(20)
    wss_port = free_port()
    with running_plane(
        directory,
        engine_stand_in=True,
        wss_port=wss_port,
        tls_cert_file=str(cert_file),
        tls_key_file=str(key_file),
        turn_enabled=True,
        turn_address="127.0.0.1",
        turn_port=free_port(),
        turn_tls_port=free_port(),
        turn_relay_port_min=relay_min,
        turn_relay_port_max=relay_max,
        turn_secret=TURN_SECRET,
        # rtpengine listens on 127.0.0.1 here: coturn may relay to loopback (dev and tests only).
        turn_allow_loopback=True,
    ) as under_test:
        plane = cast(SipPlane, under_test.plane)
        turn = start("turn", turn_command(plane), directory)
        under_test.processes["turn"] = turn
        try:
            wait_for(lambda: stun_binding_ok(plane.turn_port), "coturn", seconds=30)
        except AssertionError:
            raise AssertionError(f"coturn did not start:\n{turn.tail()}") from None
        yield RemotePlane(
            plane=plane,
            under_test=under_test,
            turn=turn,
            spki_hash=base64.b64encode(hashlib.sha256(spki).digest()).decode(),
            wss_port=wss_port,
        )


@pytest.fixture(scope="module")
def remote_desk(sip_world, remote_plane, django_db_blocker) -> Iterator[Desk]:
    """An agent of tenant A on a browser seat, and the product's web server told about TURN and WSS."""
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
    email = f"remote@{a.slug}.test"
    with django_db_blocker.unblock(), tenant_context(a.tenant):
        agent_ensure(user=User.objects.create_user(email, PASSWORD, name="Rita Remote", roles=[Role.AGENT]))
        seat_set_registration_mode(seat=Seat.objects.get(extension="1001"), mode="browser")
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
    plane = remote_plane.plane
    port = free_port()
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url(connection.settings_dict),
        # The tenant's own host name: the certificate's *.PLATFORM_DOMAIN covers it.
        SIP_WS_PUBLIC_URL=f"wss://{a.domain}:{remote_plane.wss_port}",
        SIP_TLS_CERT_FILE=plane.tls_cert_file,
        SIP_TLS_KEY_FILE=plane.tls_key_file,
        TURN_ENABLED="true",
        TURN_ADDRESS="127.0.0.1",
        TURN_PORT=str(plane.turn_port),
        TURN_TLS_PORT=str(plane.turn_tls_port),
        TURN_SECRET=TURN_SECRET,
        # The shortest lifetime: the desk fetches a fresh credential every 30 s, and the test
        # outlasts the first one.
        TURN_CREDENTIAL_TTL_SECONDS="60",
        SOFTPHONE_FORCE_RELAY="false",  # the agent's own option on the desk does it
        PYTHONPATH=str(ROOT),
    )
    web: Process = start(
        "web",
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        plane.runtime_dir,
        env=env,
    )
    remote_plane.under_test.processes["web"] = web
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
def chromium(remote_plane, remote_desk):
    """Chromium as a remote agent runs it; it trusts this run's certificate key and nothing more."""
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
                f"--ignore-certificate-errors-spki-list={remote_plane.spki_hash}",
                f"--host-resolver-rules=MAP *.{settings.PLATFORM_DOMAIN} 127.0.0.1",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def database(django_db_blocker) -> Iterator[DatabaseThread]:
    with django_db_blocker.unblock():
        thread = DatabaseThread()
        try:
            yield thread
        finally:
            thread.close()


def test_a_relay_only_browser_agent_talks_to_a_sipp_caller_through_turn_over_wss(
    sip_world, remote_plane, remote_desk, chromium, database
):
    from playwright.sync_api import expect

    from apps.sip.selectors import seat_registrations

    desk = remote_desk
    under_test = remote_plane.under_test
    plane = remote_plane.plane
    context = chromium.new_context(base_url=desk.base_url, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    context.add_init_script(RECORD_PEER_CONNECTIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    responses = []
    page.on("response", lambda response: responses.append(response) if response.url.endswith(ME_SIP) else None)

    def fetched_credentials() -> list[dict]:
        return [response.json() for response in responses if response.status == 200]

    calls: list[subprocess.Popen] = []
    try:
        page.goto("/desk/")
        page.wait_for_url(lambda url: "/accounts/login/" in url)
        page.get_by_label("Email").fill(desk.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: url.rstrip("/").endswith("/desk"))
        status = page.locator("#softphone-status")
        expect(status).to_have_text("Unregistered")

        page.locator("#login-seat").select_option(desk.extension)
        page.locator("#login-form").get_by_role("button", name="Log in").click()
        expect(status).to_have_text("Registered")

        # The TURN server came with the seat's credential: the agent asks for relay only.
        relay = page.locator("#softphone-relay")
        expect(page.locator("#softphone-relay-option")).to_be_visible()
        relay.check()

        def wss_contacts():
            def read():
                try:
                    return seat_registrations(sip_world.a.tenant, extensions=[desk.extension])
                finally:
                    connection.close()

            found = database.run(read).get(desk.extension, [])
            return [item for item in found if item.transport == "wss"]

        (contact,) = wait_for_value(wss_contacts, "the browser's registration over WSS")
        assert contact.user_agent == "contact-center-desk"

        def relayed_call(name: str) -> dict:
            """sipp dials the agent, who answers; the call's media goes through coturn. Its candidate pair."""
            popen, _ = _sipp_call(under_test, desk, sip_world, name=name, scenario=_caller_scenario())
            calls.append(popen)
            expect(page.locator("#softphone-peer")).to_have_text(f"Incoming call from {desk.caller_extension}")
            page.locator("#softphone-answer").click()
            expect(page.locator("#softphone-peer")).to_have_text(f"In call with {desk.caller_extension}")

            def messages() -> str:
                return under_test.received(name)

            wait_for_value(lambda: "SIP/2.0 200 OK" in messages() and "ACK sip:" in messages(), "200 and ACK at sipp")
            found = re.search(r"^Call-ID: *(\S+)", messages(), re.MULTILINE)
            assert found, messages()
            call_id = found.group(1)

            # The browser's only path: a relay candidate of coturn, paired with rtpengine's candidate.
            pair = wait_for_value(lambda: page.evaluate(SELECTED_PAIR), "a selected ICE candidate pair", seconds=60)
            print(f"{name}: selected candidate pair: {pair}")
            assert pair["policy"] == "relay"
            assert pair["localType"] == "relay", pair
            assert set(pair["localTypes"]) == {"relay"}, pair
            assert pair["remoteAddress"] == plane.rtp_address, pair
            assert plane.rtp_port_min <= pair["remotePort"] <= plane.rtp_port_max, pair
            assert any(f":{plane.turn_port}?" in url for urls in pair["iceServers"] for url in urls), pair

            # Media both ways: rtpengine counts the browser's packets (arriving from coturn's relay)
            # and sipp's echo; the browser received bytes over the relayed pair.
            ng_port = under_test.ng_port

            def both_parties_sent() -> list[int] | None:
                legs = packets_per_leg(rtpengine_query(ng_port, call_id))
                return legs if len(legs) == 2 and min(legs) > 20 else None

            legs = wait_for_value(both_parties_sent, "RTP from both parties at rtpengine", seconds=60)
            print(f"{name}: rtpengine packets received per party: {legs}")
            wait_for_value(
                lambda: (page.evaluate(SELECTED_PAIR) or {}).get("bytesReceived", 0) > 2000,
                "audio back over the relay",
            )
            # The media at rtpengine came from coturn's relay ports, never from the browser itself.
            answer = rtpengine_query(ng_port, call_id)
            endpoints = [
                stream.get("endpoint", {})
                for monologue in (answer.get("tags") or {}).values()
                for media in monologue.get("medias", [])
                for stream in media.get("streams", [])
            ]
            relay_ports = [
                endpoint.get("port")
                for endpoint in endpoints
                if endpoint.get("port") and plane.turn_relay_port_min <= endpoint["port"] <= plane.turn_relay_port_max
            ]
            assert relay_ports, f"no stream of the call comes from coturn's relay ports: {endpoints}"
            pair["username"] = page.evaluate(LAST_ICE_USERNAME)

            page.locator("#softphone-hangup").click()
            expect(page.locator("#softphone-call")).to_be_hidden()
            returncode, output = _finish(calls.pop())
            assert returncode == 0, f"sipp exited {returncode}\n{output[-2000:]}\n{under_test.logs()}"
            return pair

        first = relayed_call("remote_caller")

        # coturn authenticated this agent's time-limited credential and allocated a relay for it.
        log = remote_plane.turn.log.read_text(errors="replace")
        slug = sip_world.a.slug
        assert re.fullmatch(rf"\d+:{slug}:\d+", first["username"]), first
        assert re.search(rf"user <{first['username']}>.*ALLOCATE processed, success", log), log[-3000:]
        assert re.search(r"CREATE_PERMISSION processed, success", log), log[-3000:]

        # The credential lives 60 s here; the desk fetched a fresh one every half lifetime. Once
        # the first has expired (coturn would refuse it), the next call relays with a fresh one.
        first_expiry = int(first["username"].split(":")[0])
        while time.time() <= first_expiry + 1:
            page.wait_for_timeout(500)
        second = relayed_call("remote_caller_again")
        second_expiry = int(second["username"].split(":")[0])
        assert second_expiry > first_expiry, (first, second)
        assert second["username"] in [body["ice_servers"][0]["username"] for body in fetched_credentials()]
        assert re.search(
            rf"user <{second['username']}>.*ALLOCATE processed, success", remote_plane.turn.log.read_text()
        )
        assert errors == []
    finally:
        for popen in calls:
            _finish(popen, timeout=1)
        context.close()
