"""Prompt audio: conversion, storage, publishing to the SIP plane, the API, the console, roles
and outsiders (apps/telephony/services/prompts.py, api/prompts.py, views_prompts.py)."""

from __future__ import annotations

import io
import math
import struct
import wave

import lameenc
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.telephony.engine.drivers.sip import media
from apps.telephony.models import Prompt
from apps.telephony.services import prompts as prompt_services
from tests.accounts.helpers import web_login

# --- audio made in the test ---------------------------------------------------------------------


def wav_bytes(*, seconds: float, rate: int = 44100, channels: int = 2, frequency: float = 440.0) -> bytes:
    buffer = io.BytesIO()
    frames = bytearray()
    for index in range(int(seconds * rate)):
        value = int(8000 * math.sin(2 * math.pi * frequency * index / rate))
        frames += struct.pack("<h", value) * channels
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def mp3_bytes(*, seconds: float, rate: int = 44100) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(2)
    pcm = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * index / rate)))
        for index in range(int(seconds * rate))
    )
    return bytes(encoder.encode(pcm) + encoder.flush())


def upload(data: bytes, name: str = "greeting.wav", content_type: str = "audio/wav") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_wav(prompt: Prompt) -> wave.Wave_read:
    with default_storage.open(prompt.file.name, "rb") as handle:
        return wave.open(io.BytesIO(handle.read()), "rb")


def stored_names(schema: str, name: str) -> list[str]:
    try:
        _dirs, files = default_storage.listdir(f"tenants/{schema}/prompts")
    except FileNotFoundError:
        return []
    return [file for file in files if file.startswith(f"{name}-")]


@pytest.fixture
def queued_conversion():
    """Requested by the tests of the hand-off itself: no inline conversion for them."""


@pytest.fixture(autouse=True)
def inline_conversion(request, monkeypatch):
    """Most tests here are about what conversion produces: run the worker's conversion right
    where the service queues it (tests using ``queued_conversion`` see the real hand-off)."""
    if "queued_conversion" in request.fixturenames:
        return

    def convert_now(prompt):
        prompt_services.prompt_convert_pending(prompt_id=prompt.pk)
        prompt.refresh_from_db()

    monkeypatch.setattr(prompt_services, "_convert_after_commit", convert_now)


@pytest.fixture
def runtime(settings, tmp_path):
    settings.SIP_RUNTIME_DIR = tmp_path
    return tmp_path / "prompts"


@pytest.fixture
def admin_api(acme):
    return acme.api(acme.admin())


# --- conversion and storage ---------------------------------------------------------------------


def test_a_44k_stereo_wav_is_stored_as_8k_mono_16_bit(acme, runtime):
    with tenant_context(acme.tenant):
        prompt = prompt_services.prompt_create(name="welcome", upload=upload(wav_bytes(seconds=2.0)))
        audio = stored_wav(prompt)

        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        assert audio.getnframes() == 16000
        assert prompt.duration_seconds == pytest.approx(2.0)
        assert prompt.original_filename == "greeting.wav"
        assert prompt.size_bytes == default_storage.size(prompt.file.name)
        assert prompt.file.name.startswith(f"tenants/{acme.tenant.schema_name}/prompts/welcome-")


def test_stereo_is_mixed_down_not_truncated_to_one_channel(acme, runtime):
    """Left a tone, right silence: the mono mix carries the tone at about half the level."""
    rate = 8000
    frames = b"".join(struct.pack("<hh", int(8000 * math.sin(2 * math.pi * 400 * i / rate)), 0) for i in range(rate))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    with tenant_context(acme.tenant):
        prompt = prompt_services.prompt_create(name="mix", upload=buffer.getvalue())
        audio = stored_wav(prompt)
        samples = struct.unpack(f"<{audio.getnframes()}h", audio.readframes(audio.getnframes()))

    assert 3000 < max(samples) < 5000


def test_an_mp3_is_decoded_resampled_and_stored_as_wav(acme, runtime):
    with tenant_context(acme.tenant):
        prompt = prompt_services.prompt_create(
            name="menu.main", upload=upload(mp3_bytes(seconds=3.0), "menu.mp3", "audio/mpeg")
        )
        audio = stored_wav(prompt)

        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        # MP3 encoders pad a few milliseconds at both ends.
        assert prompt.duration_seconds == pytest.approx(3.0, abs=0.1)
        assert audio.getnframes() / 8000 == pytest.approx(prompt.duration_seconds, abs=0.001)
        assert prompt.original_filename == "menu.mp3"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"this is a text file, not a recording" * 20, "not_audio"),
        (b"", "empty_file"),
        (b"fLaC" + b"\0" * 200, "unsupported_format"),
        (b"OggS" + b"\0" * 200, "unsupported_format"),
    ],
)
def test_a_bad_file_is_refused_with_a_field_error_and_nothing_is_stored(acme, admin_api, runtime, data, code):
    response = admin_api.post("/api/v1/prompts", {"name": "broken", "file": upload(data, "broken.wav")})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["fields"]["file"]
    with tenant_context(acme.tenant):
        assert not Prompt.objects.filter(name="broken").exists()
    assert stored_names(acme.tenant.schema_name, "broken") == []
    assert not (runtime / acme.tenant.schema_name / "broken.wav").exists()


def refused(name: str, data: bytes) -> Prompt:
    """The prompt after the worker refused its upload."""
    prompt = prompt_services.prompt_create(name=name, upload=data)
    assert (prompt.status, bool(prompt.file), bool(prompt.pending_file)) == ("failed", False, False)
    return prompt


def test_a_wav_with_no_frames_is_empty(acme, runtime):
    with tenant_context(acme.tenant):
        assert refused("silent", wav_bytes(seconds=0)).error_message == "The file contains no audio."


def test_a_wav_header_with_garbage_is_refused_by_the_worker(acme, runtime):
    with tenant_context(acme.tenant):
        prompt = refused("broken", b"RIFF\x24\x00\x00\x00WAVEgarbage-garbage-garbage")
        assert prompt.error_message == "The audio could not be read; upload a valid WAV or MP3 file."
        assert prompt_services.prompt_names() == []  # an IVR flow cannot use it


def test_a_prompt_longer_than_the_limit_is_refused(acme, runtime, monkeypatch):
    monkeypatch.setattr(prompt_services, "MAX_DURATION_SECONDS", 60)
    with tenant_context(acme.tenant):
        prompt = refused("long", wav_bytes(seconds=61, rate=8000, channels=1))
        assert prompt.error_message == "A prompt lasts at most 1 minutes."


@pytest.mark.parametrize(("rate", "channels"), [(44100, 16), (1000, 1)])
def test_a_header_that_would_make_the_decoder_expand_is_refused_before_decoding(acme, runtime, rate, channels):
    with tenant_context(acme.tenant):
        prompt = refused("wide", wav_bytes(seconds=0.5, rate=rate, channels=channels))
    assert (
        prompt.error_message == f"A prompt has at most 8 channels at 4–384 kHz; this file has {channels} at {rate} Hz."
    )


def test_a_file_over_the_size_limit_is_refused_before_decoding(acme, admin_api, runtime, monkeypatch):
    monkeypatch.setattr(prompt_services, "MAX_UPLOAD_BYTES", 1000)
    response = admin_api.post("/api/v1/prompts", {"name": "big", "file": upload(wav_bytes(seconds=1))})

    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"
    assert response.json()["fields"]["file"]


@pytest.mark.parametrize("name", ["has space", ".hidden", "a/b", "-dash-first", "x" * 101, "欢迎"])
def test_bad_names_are_refused(admin_api, runtime, name):
    response = admin_api.post("/api/v1/prompts", {"name": name, "file": upload(wav_bytes(seconds=0.5))})

    assert response.status_code == 400
    assert response.json()["fields"]["name"]


def test_names_are_unique_regardless_of_case(acme, admin_api, runtime):
    assert (
        admin_api.post("/api/v1/prompts", {"name": "Welcome", "file": upload(wav_bytes(seconds=0.5))}).status_code
        == 201
    )

    response = admin_api.post("/api/v1/prompts", {"name": "welcome", "file": upload(wav_bytes(seconds=0.5))})

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate"
    assert response.json()["fields"]["name"] == ["A prompt with this name exists."]


# --- publishing to the SIP plane -----------------------------------------------------------------


def test_saving_publishes_the_wav_where_the_sip_driver_plays_it(acme, runtime, django_capture_on_commit_callbacks):
    schema = acme.tenant.schema_name
    published = runtime / schema / "hold_music.wav"
    with tenant_context(acme.tenant):
        with django_capture_on_commit_callbacks(execute=True):
            prompt = prompt_services.prompt_create(name="hold_music", upload=wav_bytes(seconds=1))
        assert published.read_bytes() == default_storage.open(prompt.file.name).read()
        first_file = prompt.file.name

        with django_capture_on_commit_callbacks(execute=True):
            prompt = prompt_services.prompt_update(prompt=prompt, upload=wav_bytes(seconds=2))
        with wave.open(str(published)) as republished:
            assert republished.getnframes() == 16000
        assert not default_storage.exists(first_file)

        with django_capture_on_commit_callbacks(execute=True):
            prompt = prompt_services.prompt_update(prompt=prompt, name="queue.position")
        assert not published.exists()
        assert (runtime / schema / "queue.position.wav").exists()

        stored = prompt.file.name
        with django_capture_on_commit_callbacks(execute=True):
            prompt_services.prompt_delete(prompt=prompt)
    assert not (runtime / schema / "queue.position.wav").exists()
    assert not default_storage.exists(stored)
    assert [p.name for p in (runtime / schema).iterdir()] == []  # no temporary file left behind


def test_nothing_is_published_when_the_transaction_rolls_back(acme, runtime, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=False) as callbacks:
        prompt_services.prompt_create(name="welcome", upload=wav_bytes(seconds=1))
    assert callbacks  # the copy waits for the commit
    assert not (runtime / acme.tenant.schema_name / "welcome.wav").exists()


def test_publish_all_rewrites_every_tenants_files_and_removes_stale_ones(acme, globex, runtime):
    with tenant_context(acme.tenant):
        prompt_services.prompt_create(name="welcome", upload=wav_bytes(seconds=1))
    with tenant_context(globex.tenant):
        prompt_services.prompt_create(name="hold_music", upload=wav_bytes(seconds=1))
    stale = runtime / acme.tenant.schema_name / "deleted-long-ago.wav"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")

    written = prompt_services.publish_all_prompts()

    assert written >= 2
    assert (runtime / acme.tenant.schema_name / "welcome.wav").exists()
    assert (runtime / globex.tenant.schema_name / "hold_music.wav").exists()
    assert not (runtime / globex.tenant.schema_name / "welcome.wav").exists()
    assert not stale.exists()


def test_the_publish_prompts_command_writes_the_files(acme, runtime):
    with tenant_context(acme.tenant):
        prompt_services.prompt_create(name="welcome", upload=wav_bytes(seconds=1))
    out = io.StringIO()

    call_command("publish_prompts", stdout=out)

    assert (runtime / acme.tenant.schema_name / "welcome.wav").exists()
    assert "prompt file(s) written" in out.getvalue()


def test_prompt_path_prefers_the_tenants_file_then_the_built_in_then_the_default(tmp_path):
    media.ensure_default_prompts(tmp_path)
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "hold_music.wav").write_bytes(b"x")
    (tmp_path / "acme" / "welcome.wav").write_bytes(b"x")

    assert media.prompt_path(tmp_path, "hold_music", tenant="acme") == tmp_path / "acme" / "hold_music.wav"
    assert media.prompt_path(tmp_path, "hold_music", tenant="globex") == tmp_path / "hold_music.wav"
    assert media.prompt_path(tmp_path, "hold_music") == tmp_path / "hold_music.wav"
    assert media.prompt_path(tmp_path, "welcome", tenant="acme") == tmp_path / "acme" / "welcome.wav"
    assert media.prompt_path(tmp_path, "welcome", tenant="globex") == tmp_path / "default.wav"
    assert media.prompt_path(tmp_path, "Welcome, press 1", tenant="acme") == tmp_path / "default.wav"
    assert media.prompt_path(tmp_path, "../acme/welcome", tenant="globex") == tmp_path / "default.wav"
    (tmp_path / "acme" / "default.wav").write_bytes(b"x")
    assert media.prompt_path(tmp_path, "Welcome, press 1", tenant="acme") == tmp_path / "acme" / "default.wav"
    assert media.prompt_path(tmp_path, "queue.position", tenant="acme") == tmp_path / "acme" / "default.wav"
    assert media.prompt_path(tmp_path, "hold_music", tenant="acme") == tmp_path / "acme" / "hold_music.wav"
    assert media.prompt_path(tmp_path, "Welcome, press 1", tenant="globex") == tmp_path / "default.wav"


# --- the API -------------------------------------------------------------------------------------


def test_admin_uploads_lists_plays_renames_replaces_and_deletes(acme, admin_api, runtime):
    created = admin_api.post(
        "/api/v1/prompts", {"name": "welcome", "description": "Greeting", "file": upload(wav_bytes(seconds=1))}
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["name"] == "welcome"
    assert body["duration_seconds"] == pytest.approx(1.0)
    assert body["uploaded_by"] == acme.admin().pk
    assert body["audio_url"] == f"/api/v1/prompts/{body['id']}/audio"

    listed = admin_api.get("/api/v1/prompts").json()
    assert [row["name"] for row in listed["results"]] == ["welcome"]

    played = admin_api.get(body["audio_url"])
    assert played.status_code == 200
    assert played["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(b"".join(played.streaming_content))) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getnframes()) == (8000, 1, 8000)

    renamed = admin_api.patch(f"/api/v1/prompts/{body['id']}", {"name": "welcome.v2", "description": "New"})
    assert renamed.status_code == 200, renamed.json()
    assert (renamed.json()["name"], renamed.json()["description"]) == ("welcome.v2", "New")

    replaced = admin_api.patch(
        f"/api/v1/prompts/{body['id']}", {"file": upload(mp3_bytes(seconds=2.0), "new.mp3", "audio/mpeg")}
    )
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    assert replaced.json()["original_filename"] == "new.mp3"

    refused = admin_api.patch(f"/api/v1/prompts/{body['id']}", {"file": upload(b"not audio at all" * 10)})
    assert refused.status_code == 400
    assert refused.json()["fields"]["file"]
    assert admin_api.get(f"/api/v1/prompts/{body['id']}").json()["original_filename"] == "new.mp3"

    assert admin_api.delete(f"/api/v1/prompts/{body['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/prompts/{body['id']}").status_code == 404


def test_supervisors_list_and_play_but_do_not_upload(acme, runtime):
    with tenant_context(acme.tenant):
        prompt = prompt_services.prompt_create(name="welcome", upload=wav_bytes(seconds=1))
    api = acme.api(acme.user(Role.SUPERVISOR))

    assert api.get("/api/v1/prompts").status_code == 200
    assert api.get(f"/api/v1/prompts/{prompt.pk}/audio").status_code == 200
    assert api.post("/api/v1/prompts", {"name": "mine", "file": upload(wav_bytes(seconds=1))}).status_code == 403
    assert api.delete(f"/api/v1/prompts/{prompt.pk}").status_code == 403


def test_agents_cannot_upload_list_or_play(acme, runtime):
    with tenant_context(acme.tenant):
        prompt = prompt_services.prompt_create(name="welcome", upload=wav_bytes(seconds=1))
    api = acme.api(acme.user(Role.AGENT))

    assert api.post("/api/v1/prompts", {"name": "mine", "file": upload(wav_bytes(seconds=1))}).status_code == 403
    assert api.get("/api/v1/prompts").status_code == 403
    assert api.get(f"/api/v1/prompts/{prompt.pk}/audio").status_code == 403
    with tenant_context(acme.tenant):
        assert not Prompt.objects.filter(name="mine").exists()
    assert web_login(acme, acme.user(Role.AGENT).email).get("/console/ivr/prompts/").status_code == 403


def test_another_tenant_cannot_see_or_download_a_prompt(acme, globex, runtime):
    with tenant_context(acme.tenant):
        prompt = prompt_services.prompt_create(name="acme-secret", upload=wav_bytes(seconds=1))
    with tenant_context(globex.tenant):
        assert not Prompt.objects.filter(pk=prompt.pk).exists()
    outsider = globex.api(globex.admin())

    assert outsider.get("/api/v1/prompts").json()["results"] == []
    assert outsider.get(f"/api/v1/prompts/{prompt.pk}").status_code == 404
    assert outsider.get(f"/api/v1/prompts/{prompt.pk}/audio").status_code == 404
    assert outsider.delete(f"/api/v1/prompts/{prompt.pk}").status_code == 404
    outsider_web = web_login(globex, globex.admin_email)
    assert outsider_web.get(f"/console/ivr/prompts/{prompt.pk}/audio/").status_code == 404
    # acme's own token is no key to globex's host.
    stranger = globex.api()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {acme.token(acme.admin())}")
    assert stranger.get(f"/api/v1/prompts/{prompt.pk}/audio").status_code == 401


def test_the_openapi_schema_documents_the_prompt_endpoints(acme):
    schema = acme.api(acme.admin()).get("/api/schema/", {"format": "json"}).json()

    assert "/api/v1/prompts" in schema["paths"]
    assert "multipart/form-data" in schema["paths"]["/api/v1/prompts"]["post"]["requestBody"]["content"]
    assert "audio/wav" in schema["paths"]["/api/v1/prompts/{id}/audio"]["get"]["responses"]["200"]["content"]


# --- the console ---------------------------------------------------------------------------------


def test_the_console_uploads_and_lists_a_prompt_with_a_player(acme, runtime):
    client = web_login(acme, acme.admin_email)
    page = client.get("/console/ivr/prompts/")
    assert page.status_code == 200
    assert b'href="/console/ivr/prompts/"' in page.content  # the navigation link

    response = client.post(
        "/console/ivr/prompts/",
        {"new-name": "welcome", "new-description": "", "new-file": upload(wav_bytes(seconds=1))},
    )

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        prompt = Prompt.objects.get(name="welcome")
    listed = client.get("/console/ivr/prompts/")
    assert f'<audio controls preload="none" src="/console/ivr/prompts/{prompt.pk}/audio/">'.encode() in listed.content
    played = client.get(f"/console/ivr/prompts/{prompt.pk}/audio/")
    assert played.status_code == 200
    assert played["Content-Type"] == "audio/wav"


def test_the_console_shows_a_bad_upload_on_the_file_field(acme, runtime):
    client = web_login(acme, acme.admin_email)

    response = client.post("/console/ivr/prompts/", {"new-name": "broken", "new-file": upload(b"hello" * 50)})

    assert response.status_code == 200
    assert b"This is not an audio file" in response.content
    with tenant_context(acme.tenant):
        assert not Prompt.objects.filter(name="broken").exists()


def test_the_console_replaces_renames_and_deletes(acme, runtime):
    with tenant_context(acme.tenant):
        prompt = prompt_services.prompt_create(name="welcome", upload=wav_bytes(seconds=1))
    client = web_login(acme, acme.admin_email)
    assert client.get(f"/console/ivr/prompts/{prompt.pk}/").status_code == 200

    response = client.post(
        f"/console/ivr/prompts/{prompt.pk}/",
        {"edit-name": "hello", "edit-description": "Hi", "edit-file": upload(wav_bytes(seconds=2))},
    )

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        prompt.refresh_from_db()
    assert (prompt.name, prompt.description, prompt.duration_seconds) == ("hello", "Hi", pytest.approx(2.0))
    assert client.post(f"/console/ivr/prompts/{prompt.pk}/delete/").status_code == 302
    with tenant_context(acme.tenant):
        assert not Prompt.objects.filter(pk=prompt.pk).exists()


# --- conversion in the worker ----------------------------------------------------------------------


def test_the_request_only_stores_the_upload_and_the_worker_converts_it(
    acme, admin_api, runtime, django_capture_on_commit_callbacks, queued_conversion
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = admin_api.post("/api/v1/prompts", {"name": "welcome", "file": upload(wav_bytes(seconds=1))})

    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["duration_seconds"]) == ("converting", 0)
    assert admin_api.get(body["audio_url"]).status_code == 404  # nothing to play yet
    with tenant_context(acme.tenant):
        assert Prompt.objects.get(pk=body["id"]).pending_file

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:  # the task, as the worker would run it after the commit
            callback()

    ready = admin_api.get(f"/api/v1/prompts/{body['id']}").json()
    assert (ready["status"], ready["duration_seconds"]) == ("ready", pytest.approx(1.0))
    assert (runtime / acme.tenant.schema_name / "welcome.wav").exists()
    with tenant_context(acme.tenant):
        assert not Prompt.objects.get(pk=body["id"]).pending_file
        assert stored_names(acme.tenant.schema_name, "welcome") != []


def test_a_replacement_keeps_the_old_audio_until_converted_and_a_refused_one_keeps_it(acme, runtime, queued_conversion):
    with tenant_context(acme.tenant):
        prompt = prompt_services.prompt_create(name="welcome", upload=wav_bytes(seconds=1))
        prompt_services.prompt_convert_pending(prompt_id=prompt.pk)
        prompt.refresh_from_db()
        first = prompt.file.name

        prompt_services.prompt_update(prompt=prompt, upload=wav_bytes(seconds=0))
        prompt.refresh_from_db()
        assert (prompt.status, prompt.file.name) == ("converting", first)

        prompt = prompt_services.prompt_convert_pending(prompt_id=prompt.pk)
        assert (prompt.status, prompt.file.name, prompt.duration_seconds) == ("ready", first, pytest.approx(1.0))
        assert prompt.error_message == "The file contains no audio."


def test_a_redelivered_task_does_nothing_and_a_file_that_kills_workers_is_refused(acme, runtime, queued_conversion):
    with tenant_context(acme.tenant):
        prompt = prompt_services.prompt_create(name="welcome", upload=wav_bytes(seconds=1))
        done = prompt_services.prompt_convert_pending(prompt_id=prompt.pk)
        again = prompt_services.prompt_convert_pending(prompt_id=prompt.pk)
        assert (again.status, again.file.name, again.attempts) == ("ready", done.file.name, 1)

        killer = prompt_services.prompt_create(name="killer", upload=wav_bytes(seconds=1))
        Prompt.objects.filter(pk=killer.pk).update(attempts=prompt_services.MAX_CONVERSION_ATTEMPTS)
        killer = prompt_services.prompt_convert_pending(prompt_id=killer.pk)
        assert (killer.status, bool(killer.file)) == ("failed", False)
