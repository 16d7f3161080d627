"""Spoken values over SIP (issue 18 items 2–3), with real Kamailio, rtpengine and sipp.

1. A caller reaches a self-service IVR: they press their order number, the engine looks the
   order up on a real local HTTP endpoint (signed request, off the loop), and the driver plays
   the order's status as the sequence of word prompts, joined into one WAV that rtpengine plays
   (its reported length is the joined file's).
2. A caller waiting in a queue hears their position and the expected wait spoken from the
   word prompts, and the estimate is kept on the call's "announcement" event.
"""

from __future__ import annotations

import asyncio
import wave

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.telephony.acd import Acd
from apps.telephony.engine.clock import RealClock
from apps.telephony.engine.config import NumberSettings, QueueSettings
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.drivers.sip import SipDriver, SipStack, media
from apps.telephony.speech import words as speech
from apps.telephony.speech.generate import generate_speech_prompts
from apps.webhooks import signing
from tests.recording_store import RecordingStore
from tests.sip import driver_scenarios
from tests.sip.conftest import TRUNK_ADDRESS, running_plane
from tests.sip.test_driver import Listening, _finish, _sipp, _wait
from tests.telephony.ivr_endpoint import IvrEndpoint

pytestmark = pytest.mark.django_db(transaction=False)

QUEUE = 1
SECRET = "whsec_sip-spoken-test"
ORDER = {"status": "shipped", "amount": "128.50", "delivery": "2026-12-10"}


@pytest.fixture(scope="module")
def plane(sip_world, tmp_path_factory):
    with running_plane(tmp_path_factory.mktemp("sipspoken"), engine_stand_in=False) as running:
        generate_speech_prompts(running.directory / "prompts")
        yield running


def _frames(path) -> bytes:
    with wave.open(str(path), "rb") as source:
        assert (source.getnchannels(), source.getframerate(), source.getsampwidth()) == (1, 8000, 2)
        return source.readframes(source.getnframes())


def _run(plane, world, *, graph=None, queue: QueueSettings, body, language="en"):
    from apps.telephony.models import PhoneNumber

    with tenant_context(world.a.tenant):
        number_id = PhoneNumber.objects.get(number=world.a.number).pk
    connection.set_schema_to_public()

    async def scenario():
        stack = SipStack(
            address="127.0.0.1",
            port=plane.engine_port,
            proxy=("127.0.0.1", plane.sip_port),
            ng=("127.0.0.1", plane.ng_port),
            platform_domain=world.a.domain.split(".", 1)[1],
            prompts_dir=plane.directory / "prompts",
            recording_dir=plane.directory / "recordings",
        )
        await stack.start()
        clock = RealClock()
        driver = SipDriver(stack, schema=world.a.tenant.schema_name, slug=world.a.slug)
        store = RecordingStore(clock)
        controller = CallController(clock=clock, driver=driver, acd=Acd(), store=store)
        listening = Listening(controller)
        driver.set_listener(listening)
        controller.ivr.http.secret = SECRET
        controller.ivr.language = language
        controller.set_queue(queue)
        controller.numbers[number_id] = NumberSettings(
            number_id=number_id,
            number=world.a.number,
            trunk_id=world.a.trunk_id,
            queue_id=QUEUE,
            ivr_graph=graph,
            ivr_version_id=1 if graph else None,
        )
        try:
            return await body(driver, controller, store, listening)
        finally:
            controller.ivr.http.close()
            driver.stop()
            await asyncio.sleep(0.2)
            stack.close()

    try:
        return asyncio.run(scenario())
    except AssertionError as error:
        raise AssertionError(f"{error}\n{plane.logs()}") from None


def test_a_caller_hears_the_order_status_looked_up_over_http(plane, sip_world, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True  # the endpoint is on loopback (as in development)
    with IvrEndpoint(SECRET, orders={"1": ORDER}) as endpoint:
        graph = {
            "start": "ask",
            "nodes": {
                "ask": {
                    "type": "gather",
                    "prompt": "Order number",
                    "max_digits": 1,
                    "timeout": 8,
                    "variable": "order",
                    "next": "lookup",
                },
                "lookup": {
                    "type": "http",
                    "url": f"{endpoint.url}/order",
                    "timeout_ms": 3000,
                    "variable_prefix": "order",
                    "next": "check",
                    "fallback": "bye",
                },
                "check": {
                    "type": "branch",
                    "variable": "order_status",
                    "default": "bye",
                    "conditions": [{"op": "equals", "value": "shipped", "next": "amount"}],
                },
                "amount": {"type": "say", "kind": "amount", "variable": "order_amount", "next": "when"},
                "when": {"type": "say", "kind": "date", "variable": "order_delivery", "next": "bye"},
                "bye": {"type": "hangup"},
            },
        }

        async def body(driver, controller, store, listening):
            carrier = _sipp(
                plane,
                "spoken-carrier",
                driver_scenarios.carrier(digit="1", before_digit_ms=1500, after_digit_ms=0, hangs_up=False),
                source=TRUNK_ADDRESS,
                keys={"did": sip_world.a.number, "caller": "13900000055"},
                timeout=60,
            )
            plane.processes[carrier.name] = carrier
            # The hangup node ends the call after both values were spoken: the carrier gets our BYE.
            assert await _finish(carrier, 60) == 0, carrier.tail()
            await _wait(lambda: store.finished, "the call to end")
            return driver, store, listening

        driver, store, listening = _run(
            plane, sip_world, graph=graph, queue=QueueSettings(queue_id=QUEUE, name="Orders"), body=body
        )
    uid = listening.events[0][1][0].uid
    _path, _headers, request, valid = endpoint.requests[0]
    assert valid and request["caller"] == "13900000055" and request["digits"] == {"order": "1"}
    played = [(words, path) for call_uid, words, path, _seconds in driver.spoken if call_uid == uid]
    # rtpengine played each joined file: the length it reported is the file's.
    for call_uid, _words, path, seconds in driver.spoken:
        assert call_uid != uid or seconds == pytest.approx(media.wav_seconds(path), abs=0.05)
    assert [words for words, _path in played] == [
        speech.amount("128.50", "en", "CNY"),
        speech.date("2026-12-10", "en"),
    ]
    assert speech.text(played[0][0]) == "one hundred twenty eight yuan and fifty fen"
    directory = plane.directory / "prompts"
    for words, path in played:
        expected = b"".join(_frames(media.prompt_path(directory, word)) for word in words)
        assert _frames(path) == expected  # the generated word prompts, one after another
        assert len(expected) / 16000 > 0.5
    ended = store.finished[uid]
    assert [step["node"] for step in ended.ivr.path] == ["ask", "lookup", "check", "amount", "when", "bye"]
    assert listening.events.count(("on_play_done", (uid,))) >= 2  # both sequences played to their end


def test_a_waiting_caller_hears_their_position_and_the_expected_wait(plane, sip_world):
    queue = QueueSettings(
        queue_id=QUEUE,
        name="Support",
        announce_position=True,
        announce_expected_wait=True,
        announce_interval_seconds=4,
    )

    async def body(driver, controller, store, listening):
        controller.answer_gap[QUEUE] = 150.0  # what the queue's recent answers say: 150 s per caller
        carrier = _sipp(
            plane,
            "position-carrier",
            driver_scenarios.carrier(digit="1", before_digit_ms=500, after_digit_ms=7000, hangs_up=True),
            source=TRUNK_ADDRESS,
            keys={"did": sip_world.a.number, "caller": "13900000056"},
            timeout=60,
        )
        plane.processes[carrier.name] = carrier
        await _wait(lambda: getattr(driver, "spoken", None), "the position announcement", 30)
        assert await _finish(carrier, 60) == 0, carrier.tail()
        await _wait(lambda: store.finished, "the call to end")
        return driver, store, listening

    driver, store, listening = _run(plane, sip_world, queue=queue, body=body, language="zh-Hans")
    uid = listening.events[0][1][0].uid
    words, path, seconds = next((w, p, s) for call_uid, w, p, s in driver.spoken if call_uid == uid)
    assert seconds == pytest.approx(media.wav_seconds(path), abs=0.05)
    assert words == speech.position_announcement(1, 150, "zh-Hans")
    assert speech.text(words) == "您是队列中的第一位预计等待约三分钟"
    directory = plane.directory / "prompts"
    assert _frames(path) == b"".join(_frames(media.prompt_path(directory, word)) for word in words)
    announced = [data for call_uid, kind, data in store.events if call_uid == uid and kind == "announcement"]
    assert announced[0] == {"position": 1, "expected_wait_seconds": 150}
    assert store.finished[uid].end_reason == "abandoned"


def test_a_tenants_recorded_word_replaces_the_generated_one(plane, sip_world, tmp_path):
    """The joined file takes the tenant's upload of a word (same name) over the generated one."""
    from apps.telephony.engine.drivers.sip import spoken

    directory = plane.directory / "prompts"
    schema = sip_world.a.tenant.schema_name
    own = directory / schema / "say.en.seven.wav"
    media.write_wav(own, [(523, 0.4)])
    try:
        joined = spoken.joined_wav(directory, ["say.en.seven", "say.en.one"], schema)
        assert _frames(joined) == _frames(own) + _frames(directory / "say.en.one.wav")
        other = spoken.joined_wav(directory, ["say.en.seven", "say.en.one"], "someone_else")
        assert _frames(other) == _frames(directory / "say.en.seven.wav") + _frames(directory / "say.en.one.wav")
    finally:
        own.unlink()
    assert signing.TIMESTAMP_HEADER  # the same signing module the webhooks use
