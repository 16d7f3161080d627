"""A voicemail left over SIP plays in the inbox (issue 18's "done when"), with the real plane.

``run_engine --driver sip`` as the service runs it (EngineService, DbStore), Kamailio and
rtpengine: a sipp carrier calls a number whose IVR sends it straight to voicemail, hears the
greeting's tone, speaks (sipp's bundled 7 s of PCMA speech, sent from its media port), then
presses ``#``; the engine ends the message and hangs up. rtpengine's recording of the caller
becomes the Voicemail's mono WAV in the tenant's storage, the queue's supervisor is told by
e-mail, and the inbox's signed link plays those very samples.
"""

from __future__ import annotations

import asyncio
import io
import math
import struct
import wave
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import connection, connections
from django_tenants.utils import tenant_context

from apps.telephony.engine.drivers.sip import recording
from tests.accounts.helpers import web_login
from tests.conftest import PASSWORD, TenantWorld
from tests.sip import scenarios
from tests.sip.conftest import TRUNK_ADDRESS, running_plane
from tests.sip.driver_scenarios import _CARRIER_BYE, _CARRIER_START, _RECEIVE_BYE, DTMF_PCAP_DIR
from tests.sip.test_driver import _finish, _sipp, _wait

pytestmark = pytest.mark.django_db(transaction=False)

CALLER = "13900000077"
SPEECH = DTMF_PCAP_DIR / "g711a.pcap"  # 7.05 s of G.711 A-law speech (with pauses)


@pytest.fixture(scope="module")
def engine_plane(sip_world, tmp_path_factory):
    with running_plane(tmp_path_factory.mktemp("sipvoicemail"), engine_stand_in=False) as under_test:
        yield under_test


@pytest.fixture(scope="module")
def voicemail_number(sip_world, django_db_blocker):
    """Committed rows the engine service loads: a queue, an IVR whose only step is voicemail for
    that queue, published on tenant A's number, and a supervisor with an e-mail address."""
    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.telephony.models import IvrFlow, IvrFlowVersion, PhoneNumber, Queue

    tenant = sip_world.a.tenant
    with django_db_blocker.unblock(), tenant_context(tenant):
        queue = Queue.objects.create(code="vmq", name="Voicemail queue", wrapup_seconds=0)
        flow = IvrFlow.objects.create(name="Messages only")
        graph = {
            "start": "message",
            "nodes": {"message": {"type": "voicemail", "queue": queue.pk, "prompt": "Leave a message."}},
        }
        IvrFlowVersion.objects.create(flow=flow, number=1, status="published", graph=graph)
        PhoneNumber.objects.filter(number=sip_world.a.number).update(queue=queue, ivr_flow=flow)
        supervisor = User.objects.create_user(
            f"vm-supervisor@{tenant.slug}.test", PASSWORD, name="Voicemail supervisor", roles=[Role.SUPERVISOR]
        )
    connection.set_schema_to_public()
    return queue, supervisor


def _caller_leaves_a_message() -> str:
    """Answered, waits for the greeting's tone, speaks for 7 s, presses ``#``, waits for our BYE."""
    pound = DTMF_PCAP_DIR / "dtmf_2833_pound.pcap"
    press = f'<pause milliseconds="7800"/>\n  <nop><action><exec play_pcap_audio="{pound}"/></action></nop>\n  '
    body = _CARRIER_START.format(pcap=SPEECH, before_digit_ms=1500, talk=press, after_digit_ms=0) + _RECEIVE_BYE
    return scenarios._scenario("caller leaving a voicemail", body)


def _speech_packets() -> list[bytes]:
    """The 16-bit samples of each PCMA packet the caller sends."""
    return [
        b"".join(struct.pack("<h", recording.ALAW[code]) for code in payload)
        for _when, _source, payload_type, payload in recording.read_rtp(SPEECH)
        if payload_type == recording.PCMA
    ]


def _rms(frames: bytes) -> float:
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return math.sqrt(sum(sample * sample for sample in samples) / max(1, len(samples)))


def _leave_message(engine_plane, world, queue, settings, scenario: str, caller: str, name: str):
    """Run the engine service and one sipp caller; the stored Voicemail (with the switch's audio)."""
    from asgiref.sync import sync_to_async

    from apps.telephony.engine.runner import EngineService
    from apps.telephony.models import Voicemail

    settings.SIP_ENGINE_ADDRESS = "127.0.0.1"
    settings.SIP_ENGINE_PORT = engine_plane.engine_port
    settings.SIP_ADDRESS = "127.0.0.1"
    settings.SIP_PORT = engine_plane.sip_port
    settings.SIP_RTPENGINE_NG_PORT = engine_plane.ng_port
    settings.SIP_RUNTIME_DIR = engine_plane.directory
    settings.PLATFORM_DOMAIN = world.a.domain.split(".", 1)[1]

    def stored():
        # The engine's row (queue, caller) with the switch's audio attached.
        with tenant_context(world.a.tenant):
            return list(Voicemail.objects.filter(caller=caller, queue=queue).exclude(file="").select_related("call"))

    async def run():
        service = EngineService(tenants=lambda: [world.a.tenant], layer=None, driver="sip", rescan_seconds=60)
        running = asyncio.create_task(service.run())
        try:
            await _wait(lambda: world.a.tenant.schema_name in service.engines, "the tenant's engine", 30)
            carrier = _sipp(
                engine_plane,
                name,
                scenario,
                source=TRUNK_ADDRESS,
                keys={"did": world.a.number, "caller": caller},
                timeout=60,
            )
            engine_plane.processes[carrier.name] = carrier
            carrier_rc = await _finish(carrier, 60)
            deadline = asyncio.get_running_loop().time() + 60
            rows = []
            while not rows and asyncio.get_running_loop().time() < deadline:
                rows = await sync_to_async(stored)()
                await asyncio.sleep(0.2)
            return carrier_rc, carrier, rows
        finally:
            service.stop()
            await asyncio.wait_for(running, 30)
            await sync_to_async(connections.close_all)()

    try:
        carrier_rc, carrier, rows = asyncio.run(run())
    finally:
        connection.set_schema_to_public()
    assert carrier_rc == 0, f"{engine_plane.received(carrier.name)[-3000:]}\n{carrier.tail()}\n{engine_plane.logs()}"
    assert len(rows) == 1, engine_plane.logs()
    return rows[0]


def _stored_audio(world, voicemail) -> tuple[bytes, bytes, float]:
    """The stored WAV, its frames and length, after checking it is kept like a recording."""
    with tenant_context(world.a.tenant):
        assert voicemail.file.name.startswith(f"tenants/{world.a.tenant.schema_name}/recordings/")
        with default_storage.open(voicemail.file.name, "rb") as handle:
            data = handle.read()
        assert voicemail.size_bytes == len(data) and voicemail.content_type == "audio/wav"
    with wave.open(io.BytesIO(data)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        frames = audio.readframes(audio.getnframes())
        seconds = audio.getnframes() / audio.getframerate()
    return data, frames, seconds


def _is_the_callers_speech(frames: bytes, seconds: float) -> None:
    # From after the tone to the end of the message: the caller's 7 s of speech, not the whole call.
    assert 5.0 <= seconds <= 9.0, seconds
    assert _rms(frames) > 500  # not silence
    # The caller's own samples, as they sent them (packets from the middle of the speech).
    packets = _speech_packets()
    found = sum(1 for packet in packets[100:140] if _rms(packet) > 300 and packet in frames)
    assert found >= 10, found


def test_a_voicemail_left_over_sip_is_stored_announced_and_plays_in_the_inbox(
    engine_plane, sip_world, voicemail_number, settings
):
    from apps.notifications.models import Notification
    from apps.telephony.models import Call, CallEvent, VoicemailAccess

    queue, supervisor = voicemail_number
    world = sip_world
    mail.outbox = []
    voicemail = _leave_message(
        engine_plane, world, queue, settings, _caller_leaves_a_message(), CALLER, "voicemail-carrier"
    )

    with tenant_context(world.a.tenant):
        call = Call.objects.get(pk=voicemail.call_id)
        assert call.end_reason == "voicemail" and call.caller == CALLER
        # The caller's "#" ended the message (not the hang-up or the maximum length).
        ended = CallEvent.objects.get(call=call, kind="voicemail_ended")
        assert ended.data["reason"] == "key"
    # Stored like a recording: the tenant's recordings storage, a mono 8 kHz WAV of the caller.
    data, frames, seconds = _stored_audio(world, voicemail)
    _is_the_callers_speech(frames, seconds)
    assert voicemail.duration_seconds == pytest.approx(seconds, abs=0.01)
    # Nothing left behind in rtpengine's directory.
    assert not list(Path(engine_plane.directory, "recordings", "wav").glob(f"{call.uid}.wav"))

    # The queue's supervisor heard of it: in the console and by e-mail.
    with tenant_context(world.a.tenant):
        note = Notification.objects.get(user=supervisor, kind="telephony.voicemail_new")
        assert CALLER in note.title and f"voicemail={voicemail.pk}" in note.url
    sent = [message for message in mail.outbox if supervisor.email in message.to]
    assert len(sent) == 1 and CALLER in sent[0].subject

    # The inbox lists it with a signed player link; the link streams exactly the stored WAV,
    # logs the play and marks the message heard by the supervisor.
    site = TenantWorld(world.a.tenant, f"admin@{world.a.slug}.test")
    client = web_login(site, supervisor.email)
    page = client.get(f"/calls/voicemails/?voicemail={voicemail.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert CALLER in html and "Voicemail queue" in html
    src = html.split('<audio controls preload="none" src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert src.startswith(f"/calls/voicemails/{voicemail.pk}/file?token=")
    played = client.get(src)
    assert played.status_code == 200 and played["Content-Type"] == "audio/wav"
    assert b"".join(played.streaming_content) == data
    with tenant_context(world.a.tenant):
        assert list(VoicemailAccess.objects.filter(voicemail=voicemail).values_list("user_id", "action")) == [
            (supervisor.pk, "play")
        ]
        voicemail.refresh_from_db()
        assert voicemail.heard_by_id == supervisor.pk and voicemail.heard_at is not None


def test_a_caller_who_hangs_up_after_speaking_leaves_the_message(engine_plane, sip_world, voicemail_number, settings):
    from apps.telephony.models import Call, CallEvent

    queue, _supervisor = voicemail_number
    body = _CARRIER_START.format(pcap=SPEECH, before_digit_ms=1500, talk="", after_digit_ms=7800) + _CARRIER_BYE
    scenario = scenarios._scenario("caller leaving a voicemail, then hanging up", body)
    voicemail = _leave_message(
        engine_plane, sip_world, queue, settings, scenario, "13900000078", "voicemail-hangup-carrier"
    )
    with tenant_context(sip_world.a.tenant):
        call = Call.objects.get(pk=voicemail.call_id)
        assert call.end_reason == "voicemail"
        assert not CallEvent.objects.filter(call=call, kind="voicemail_ended").exists()  # the caller ended it
    _data, frames, seconds = _stored_audio(sip_world, voicemail)
    _is_the_callers_speech(frames, seconds)
