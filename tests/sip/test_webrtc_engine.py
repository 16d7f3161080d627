"""The engine offers a queued carrier call to a browser seat: the desk softphone answers it.

The fixtures of test_webrtc.py (daphne subprocess, Chromium, the desk softphone registered over
Kamailio's WebSocket) on the SIP plane of test_driver.py (the engine's port left free), with the
real CallController and the ``sip`` driver. The engine's leg is plain RTP/AVP anchored in
rtpengine; Kamailio's ``route[ENGINE_INVITE]`` must bridge it to DTLS-SRTP/ICE for the browser.

The engine runs on an asyncio loop in a thread of its own: Playwright's sync API keeps a loop on
the main thread, where ``asyncio.run`` is refused.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.telephony.acd import Acd
from apps.telephony.engine.clock import RealClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.drivers.base import BY_AGENT
from apps.telephony.engine.drivers.sip import SipDriver, SipStack
from tests.conftest import PASSWORD
from tests.recording_store import RecordingStore
from tests.sip import driver_scenarios, test_driver, test_webrtc
from tests.sip.conftest import TRUNK_ADDRESS
from tests.sip.test_driver import AGENT, QUEUE, Listening
from tests.sip.test_webrtc import WAIT_MS, packets_per_leg, rtpengine_query, wait_for_value

# The browser test's fixtures, on the driver test's plane (no sipp stand-in on the engine's port).
engine_plane = test_driver.engine_plane
desk = test_webrtc.desk
chromium = test_webrtc.chromium
database = test_webrtc.database

CALLER = "13900000001"
STRAIGHT_TO_QUEUE = {"start": "queue", "nodes": {"queue": {"type": "queue", "queue": QUEUE}}}


@pytest.fixture(scope="module")
def sip_plane(engine_plane):
    """test_webrtc's ``desk`` asks for ``sip_plane``: here it is the engine's plane."""
    return engine_plane


class Engine:
    """The controller and the sip driver on their own loop thread."""

    def __init__(self, plane, world, number_id: int, extension: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="engine", daemon=True)
        self.thread.start()
        self.stack = SipStack(
            address="127.0.0.1",
            port=plane.engine_port,
            proxy=("127.0.0.1", plane.sip_port),
            ng=("127.0.0.1", plane.ng_port),
            platform_domain=world.a.domain.split(".", 1)[1],
            prompts_dir=plane.directory / "prompts",
            recording_dir=plane.directory / "recordings",
        )
        self.run(self.stack.start())

        async def build():
            clock = RealClock()
            self.driver = SipDriver(self.stack, schema=world.a.tenant.schema_name, slug=world.a.slug)
            self.store = RecordingStore(clock)
            self.controller = CallController(clock=clock, driver=self.driver, acd=Acd(), store=self.store)
            self.listening = Listening(self.controller)
            self.driver.set_listener(self.listening)
            self.controller.set_queue(QueueSettings(queue_id=QUEUE, name="Support", ring_timeout_seconds=30))
            self.controller.numbers[number_id] = NumberSettings(
                number_id=number_id,
                number=world.a.number,
                trunk_id=world.a.trunk_id,
                queue_id=QUEUE,
                ivr_graph=STRAIGHT_TO_QUEUE,
                ivr_version_id=1,
            )
            self.controller.set_agent(AgentSettings(agent_id=AGENT, name="Wei"), ready=True)
            self.driver.set_seat(AGENT, extension)

        self.run(build())

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def names(self) -> list[str]:
        return [name for name, _args in list(self.listening.events)]

    def close(self) -> None:
        async def stop():
            self.driver.stop()
            await asyncio.sleep(0.1)
            self.stack.close()

        try:
            self.run(stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


def _log_in(page, desk, world, database) -> None:
    """The agent logs in and into the desk's seat: the softphone registers. An earlier test of the
    module leaves the agent logged in; they are logged out first, so the page always starts at
    the seat login."""
    from playwright.sync_api import expect

    def log_out() -> None:
        from django.db import transaction

        from apps.telephony.models import Agent
        from apps.telephony.services.agent_state import agent_logout

        try:
            with tenant_context(world.a.tenant), transaction.atomic():
                agent = Agent.objects.filter(user__email=desk.email).first()
                if agent is not None and agent.state != "offline":
                    agent_logout(agent=agent)
        finally:
            connection.close()

    database.run(log_out)
    page.goto("/desk/")
    page.wait_for_url(lambda url: "/accounts/login/" in url)
    page.get_by_label("Email").fill(desk.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/desk"))
    page.locator("#login-seat").select_option(desk.extension)
    page.locator("#login-form").get_by_role("button", name="Log in").click()
    expect(page.locator("#softphone-status")).to_have_text("Registered")


def test_the_engine_offers_a_queued_call_to_the_browser_seat_which_answers_and_hangs_up(
    sip_world, engine_plane, desk, chromium, database
):
    from playwright.sync_api import expect

    from apps.telephony.models import PhoneNumber

    def number_id() -> int:
        try:
            with tenant_context(sip_world.a.tenant):
                return PhoneNumber.objects.get(number=sip_world.a.number).pk
        finally:
            connection.close()

    context = chromium.new_context(base_url=desk.base_url, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    engine = Engine(engine_plane, sip_world, database.run(number_id), desk.extension)
    carrier = None
    try:
        _log_in(page, desk, sip_world, database)

        # The carrier calls the DID, speaks from 3 s on (sipp's bundled PCMA, 7 s) and waits for our BYE.
        carrier = test_driver._sipp(
            engine_plane,
            "webrtc-carrier",
            driver_scenarios.carrier(digit="1", before_digit_ms=500, after_digit_ms=2500, hangs_up=False, talks=True),
            source=TRUNK_ADDRESS,
            keys={"did": sip_world.a.number, "caller": CALLER},
            timeout=60,
        )
        engine_plane.processes[carrier.name] = carrier

        # Queued, then offered to the agent's seat: the browser rings with the caller's number.
        expect(page.locator("#softphone-peer")).to_have_text(f"Incoming call from {CALLER}")
        uid = engine.listening.events[0][1][0].uid
        assert engine.names()[0] == "on_arrived"
        wait_for_value(lambda: "on_ringing" in engine.names(), "the engine to see the seat ring")
        page.locator("#softphone-answer").click()
        expect(page.locator("#softphone-peer")).to_have_text(f"In call with {CALLER}")
        wait_for_value(lambda: ("on_answered", (uid, AGENT)) in engine.listening.events, "on_answered")

        # The seat's leg (rtpengine: engine's plain RTP <-> the browser's DTLS-SRTP) and the
        # carrier's leg (carrier <-> engine side) both carry packets from both of their parties.
        call = engine.driver.calls[uid]
        seat_leg = call.agents[AGENT].call_id
        assert seat_leg != call.media_id
        ng_port = engine_plane.ng_port

        def both_parties_sent(call_id: str):
            def check():
                legs = packets_per_leg(rtpengine_query(ng_port, call_id))
                return legs if len(legs) == 2 and min(legs) > 20 else None

            return check

        carrier_legs = wait_for_value(both_parties_sent(call.media_id), "RTP both ways on the carrier's session")
        seat_legs = wait_for_value(both_parties_sent(seat_leg), "RTP both ways on the browser seat's session")
        # That session is the bridge: plain RTP towards the engine, DTLS-SRTP with ICE to the browser.
        seat_media = [
            media for monologue in rtpengine_query(ng_port, seat_leg)["tags"].values() for media in monologue["medias"]
        ]
        assert sorted(media["protocol"] for media in seat_media) == [b"RTP/AVP", b"RTP/SAVPF"], seat_media
        browser_side = next(media for media in seat_media if media["protocol"] == b"RTP/SAVPF")
        assert b"DTLS-SRTP" in browser_side["flags"] and b"ICE" in browser_side["flags"], browser_side
        print(f"rtpengine packets per party: carrier session {carrier_legs}, browser session {seat_legs}")

        # Hang up on the page: BYE to the engine, which hangs up the carrier (BYE).
        page.locator("#softphone-hangup").click()
        expect(page.locator("#softphone-call")).to_be_hidden()
        wait_for_value(lambda: carrier.popen.poll() is not None, "the carrier's scenario to end", seconds=30)
        assert carrier.popen.returncode == 0, f"{carrier.tail()}\n{engine_plane.logs()}"
        assert "BYE sip:" in engine_plane.received(carrier.name)
        assert ("on_hung_up", (uid, BY_AGENT)) in engine.listening.events
        wait_for_value(lambda: uid in engine.store.finished, "the call's end")
        assert engine.store.finished[uid].end_reason == "completed"
        # The browser's BYE ended the session Kamailio anchored for it.
        wait_for_value(lambda: rtpengine_query(ng_port, seat_leg).get("result") == b"error", "the seat session's end")
        assert errors == []
    except AssertionError as error:
        raise AssertionError(f"{error}\n{engine_plane.logs()}") from None
    finally:
        if carrier is not None:
            carrier.stop()
        engine.close()
        context.close()


def _both_parties_sent(ng_port: int, call_id: str, at_least: int = 20):
    def check():
        legs = packets_per_leg(rtpengine_query(ng_port, call_id))
        return legs if len(legs) == 2 and min(legs) > at_least else None

    return check


def test_click_to_dial_from_the_browser_seat_answers_itself_and_reaches_the_carrier(
    sip_world, engine_plane, desk, chromium, database
):
    """Click-to-dial over SIP: the engine rings the browser seat first with the auto-answer hint
    (the softphone picks up without a click), then dials the number at the trunk's carrier."""
    from playwright.sync_api import expect

    from apps.telephony.models import PhoneNumber
    from tests.sip.harness import free_port

    def number_id() -> int:
        try:
            with tenant_context(sip_world.a.tenant):
                return PhoneNumber.objects.get(number=sip_world.a.number).pk
        finally:
            connection.close()

    context = chromium.new_context(base_url=desk.base_url, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    engine = Engine(engine_plane, sip_world, database.run(number_id), desk.extension)
    gateway = free_port()
    carrier = test_driver._sipp(
        engine_plane,
        "webrtc-dialled",
        driver_scenarios.seat(answers=True, talks=True),
        source=TRUNK_ADDRESS,
        keys={"ext": "customer", "domain": "carrier"},
        port=gateway,
        timeout=60,
    )
    engine_plane.processes[carrier.name] = carrier
    try:
        _log_in(page, desk, sip_world, database)

        async def dial():
            engine.driver.set_trunks({sip_world.a.trunk_id: 5}, sip_world.a.trunk_id)
            engine.driver.set_gateways({sip_world.a.trunk_id: (TRUNK_ADDRESS, gateway)})
            return engine.controller.agent_dial(AGENT, "13800138001")

        call = engine.run(dial())
        assert call is not None
        # No click: the softphone answered the engine's outbound INVITE by itself.
        expect(page.locator("#softphone-peer")).to_have_text("In call with 13800138001")
        wait_for_value(lambda: ("on_answered", (call.uid, AGENT)) in engine.listening.events, "the number's answer")
        sip_call = engine.driver.calls[call.uid]
        legs = wait_for_value(_both_parties_sent(engine_plane.ng_port, sip_call.media_id), "RTP both ways")
        print(f"rtpengine packets per party on the dialled session: {legs}")
        page.locator("#softphone-hangup").click()
        wait_for_value(lambda: carrier.popen.poll() is not None, "the carrier's scenario to end", seconds=30)
        assert carrier.popen.returncode == 0, f"{carrier.tail()}\n{engine_plane.logs()}"
        wait_for_value(lambda: call.uid in engine.store.finished, "the call's end")
        assert engine.store.finished[call.uid].end_reason == "completed"
        assert errors == []
    except AssertionError as error:
        raise AssertionError(f"{error}\n{engine_plane.logs()}") from None
    finally:
        carrier.stop()
        engine.close()
        context.close()


def test_attended_transfer_re_invites_the_browser_seat_through_kamailio(
    sip_world, engine_plane, desk, chromium, database
):
    """The browser agent consults a desk phone: the engine re-INVITEs the browser's leg (Kamailio
    bridges the re-INVITE to DTLS-SRTP like the first INVITE) into the consultation's session,
    where the two agents' audio meets; cancelling moves the browser back to the caller."""
    from playwright.sync_api import expect

    from apps.telephony.models import PhoneNumber
    from tests.sip import consult_scenarios
    from tests.sip.harness import free_port

    def number_id() -> int:
        try:
            with tenant_context(sip_world.a.tenant):
                return PhoneNumber.objects.get(number=sip_world.a.number).pk
        finally:
            connection.close()

    colleague = "1003"
    context = chromium.new_context(base_url=desk.base_url, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    engine = Engine(engine_plane, sip_world, database.run(number_id), desk.extension)
    port = free_port()
    phone = test_driver._sipp(
        engine_plane,
        "webrtc-colleague",
        consult_scenarios.seat(reinvites=0, talks=True),
        source="127.0.0.1",
        keys={"ext": colleague, "domain": sip_world.a.domain},
        port=port,
        timeout=90,
    )
    engine_plane.processes[phone.name] = phone
    test_driver._register_seat(engine_plane, sip_world, colleague, port, "webrtc-colleague-register")
    carrier = None
    try:
        _log_in(page, desk, sip_world, database)
        carrier = test_driver._sipp(
            engine_plane,
            "webrtc-consult-carrier",
            # Silent, and ready for our BYE from the moment it has pressed its key.
            driver_scenarios.carrier(digit="1", before_digit_ms=300, after_digit_ms=0, hangs_up=False),
            source=TRUNK_ADDRESS,
            keys={"did": sip_world.a.number, "caller": CALLER},
            timeout=90,
        )
        engine_plane.processes[carrier.name] = carrier
        expect(page.locator("#softphone-peer")).to_have_text(f"Incoming call from {CALLER}")
        uid = engine.listening.events[0][1][0].uid
        page.locator("#softphone-answer").click()
        wait_for_value(lambda: ("on_answered", (uid, AGENT)) in engine.listening.events, "on_answered")
        browser_leg = engine.driver.calls[uid].agents[AGENT].call_id

        async def consult():
            engine.driver.set_seat(AGENT + 1, colleague)
            return engine.driver.consult(uid, AGENT + 1)

        assert engine.run(consult()) is True
        wait_for_value(lambda: ("on_consult_answered", (uid, AGENT + 1)) in engine.listening.events, "the colleague")
        state = engine.driver.calls[uid].consult
        # The consultation's session carries the browser's audio (relayed by the browser leg's
        # bridging session, re-negotiated by the re-INVITE) and the colleague's phone's.
        legs = wait_for_value(_both_parties_sent(engine_plane.ng_port, state.media_id, 10), "RTP in the consultation")
        print(f"rtpengine packets per party in the consultation: {legs}")
        expect(page.locator("#softphone-peer")).to_have_text(f"In call with {CALLER}")  # the same call on the page

        async def cancel():
            return engine.driver.consult_cancel(uid)

        assert engine.run(cancel()) is True
        wait_for_value(lambda: phone.popen.poll() is not None, "the colleague's phone to be hung up", seconds=30)
        assert phone.popen.returncode == 0, phone.tail()
        wait_for_value(lambda: engine.driver.calls[uid].consult is None, "the browser back with the caller")
        sip_call = engine.driver.calls[uid]

        def ours() -> int:
            """Packets rtpengine got from our side (the browser's bridged leg) on the caller's session."""
            tags = rtpengine_query(engine_plane.ng_port, sip_call.media_id).get("tags") or {}
            party = tags.get(sip_call.y_tag) or tags.get(sip_call.y_tag.encode()) or {}
            return packets_per_leg({"tags": {"ours": party}})[0]

        before = ours()
        wait_for_value(lambda: ours() > before + 10 or None, "the browser's audio back on the caller's session")
        assert rtpengine_query(engine_plane.ng_port, browser_leg).get("result") != b"error"  # bridging kept
        page.locator("#softphone-hangup").click()
        wait_for_value(lambda: carrier.popen.poll() is not None, "the carrier's scenario to end", seconds=30)
        assert carrier.popen.returncode == 0, f"{carrier.tail()}\n{engine_plane.logs()}"
        assert errors == []
    except AssertionError as error:
        raise AssertionError(f"{error}\n{engine_plane.logs()}") from None
    finally:
        for process in (carrier, phone):
            if process is not None:
                process.stop()
        engine.close()
        context.close()
