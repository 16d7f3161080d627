"""A tenant's uploaded prompt is what rtpengine plays to a real caller (not the built-in tone).

The upload goes through the prompt service (a 44.1 kHz stereo WAV, converted to 8 kHz mono),
is published to the SIP runtime directory, and the sip driver's ``play media`` for that name
makes rtpengine play it: rtpengine reports the file's length, which differs from the built-in
default's.
"""

from __future__ import annotations

import asyncio
import io
import math
import struct
import wave

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from apps.telephony.engine.drivers.sip import media
from tests.sip import driver_scenarios
from tests.sip.conftest import TRUNK_ADDRESS, running_plane
from tests.sip.harness import free_port
from tests.sip.test_driver import _finish, _wait
from tests.sip.test_outbound import _party, _run

pytestmark = pytest.mark.django_db(transaction=False)

SECONDS = 2.5


@pytest.fixture(scope="module")
def plane(sip_world, tmp_path_factory):
    with running_plane(tmp_path_factory.mktemp("sipprompt"), engine_stand_in=False) as running:
        yield running


def _stereo_wav(seconds: float, rate: int = 44100) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = bytearray()
        for index in range(int(seconds * rate)):
            value = int(8000 * math.sin(2 * math.pi * 523 * index / rate))
            frames += struct.pack("<hh", value, value)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def test_the_tenants_uploaded_prompt_is_played_to_the_caller(plane, sip_world):
    from apps.telephony.services.prompts import prompt_convert_pending, prompt_create, prompts_publish_tenant

    directory = plane.directory / "prompts"
    with tenant_context(sip_world.a.tenant):
        upload = SimpleUploadedFile("welcome.wav", _stereo_wav(SECONDS), content_type="audio/wav")
        prompt = prompt_create(name="welcome", upload=upload)
        prompt = prompt_convert_pending(prompt_id=prompt.pk)  # the worker's part, after the commit
        assert prompts_publish_tenant(directory=directory) >= 1
    published = directory / sip_world.a.tenant.schema_name / "welcome.wav"
    assert media.wav_seconds(published) == pytest.approx(SECONDS, abs=0.01)
    assert prompt.duration_seconds == pytest.approx(SECONDS, abs=0.01)
    seen = {}

    async def body(driver, events):
        carrier = _party(
            plane,
            "prompt-carrier",
            driver_scenarios.carrier(digit="1", before_digit_ms=300, after_digit_ms=0, hangs_up=False),
            source=TRUNK_ADDRESS,
            port=free_port(),
            keys={"did": sip_world.a.number, "caller": "13900000044"},
        )
        await _wait(lambda: events.events and events.events[0][0] == "on_arrived", "the call")
        uid = events.events[0][1][0].uid
        call = driver.calls[uid]
        await driver._answer_caller(call)
        # rtpengine reports the length of the file it plays: the tenant's upload, then the
        # built-in tone for a name this tenant has not uploaded.
        seen["welcome"] = await driver.play_prompt(call, "welcome")
        seen["other"] = await driver.play_prompt(call, "queue.position")
        await asyncio.sleep(1.0)  # the carrier has pressed its key and waits for our BYE
        driver.hangup(uid)
        assert await _finish(carrier, 15) == 0, carrier.tail()

    _run(plane, sip_world, body)
    assert seen["welcome"] == pytest.approx(SECONDS, abs=0.05)
    assert seen["other"] == pytest.approx(media.wav_seconds(directory / "default.wav"), abs=0.05)
    assert seen["other"] != pytest.approx(SECONDS, abs=0.5)
