"""Recordings: a real WAV through Django storage under the tenant prefix, served only through
short-lived signed links bound to one user and one action, every access in the audit log."""

from __future__ import annotations

import base64
import io
import json
import re
import time
import wave
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.telephony.audio import synthesize_wav
from apps.telephony.choices import CallEndReason
from apps.telephony.models import Recording, RecordingAccess
from apps.telephony.services import cdr
from apps.telephony.services.recordings import recording_create, recording_link
from tests.accounts.helpers import web_login
from tests.telephony.call_factories import at, make_agent, make_queue, uid


@pytest.fixture
def world(acme):
    """A supervisor, QA, two agents, and a finished call of ``agent`` with a 3.5 s recording."""
    with tenant_context(acme.tenant):
        queue = make_queue(wrapup_seconds=0)
        people = {role: acme.user(role) for role in ("supervisor", "qa", "trainer")}
        people["agent"] = acme.user("agent")
        people["other_agent"] = acme.user("agent")
        agent = make_agent(people["agent"])
        make_agent(people["other_agent"])
        call = cdr.call_open(uid=uid(), direction="inbound", caller="13900000001", callee="400", at=at(0))
        cdr.call_queued(call, queue=queue, at=at(0))
        cdr.call_answered(call, agent=agent, at=at(2))
        cdr.call_close(call, at=at(5.5), end_reason=CallEndReason.COMPLETED)
        recording = recording_create(call=call, duration_seconds=3.5, seed=7)
    return {"tenant": acme, "call": call, "recording": recording, **people}


def _link(world, who: str, action: str = "play"):
    with tenant_context(world["tenant"].tenant):
        return recording_link(recording=world["recording"], user=world[who], action=action)


def _fetch(world, who: str | None, url: str, *, host_world=None):
    target = host_world or world["tenant"]
    client = web_login(target, world[who].email) if who else target.client()
    return client.get(url)


def _accesses(world) -> list[tuple]:
    with tenant_context(world["tenant"].tenant):
        return list(RecordingAccess.objects.values_list("user_id", "action", "ip_address"))


# --- the file -----------------------------------------------------------------------------


def _wav(world) -> wave.Wave_read:
    with default_storage.open(world["recording"].file.name, "rb") as handle:
        return wave.open(io.BytesIO(handle.read()))


def test_recording_is_8khz_stereo_16bit(world):
    wav = _wav(world)

    assert wav.getframerate() == 8000
    assert wav.getnchannels() == 2  # caller left, agent right, as the switch records
    assert wav.getsampwidth() == 2
    assert wav.getcomptype() == "NONE"


def test_recording_length_is_its_duration(world):
    assert _wav(world).getnframes() == 3.5 * 8000


def test_recording_has_sound(world):
    wav = _wav(world)
    frames = wav.readframes(wav.getnframes())

    assert frames.count(0) < len(frames) * 0.9


def test_recording_is_stored_under_the_tenant_prefix(world):
    name = world["recording"].file.name
    schema = world["tenant"].tenant.schema_name

    assert re.fullmatch(rf"tenants/{schema}/recordings/\d{{4}}/\d{{2}}/\d{{2}}/{world['call'].uid}\.wav", name)
    assert default_storage.exists(name)


def test_recording_row_describes_the_file(world):
    recording = world["recording"]

    assert recording.duration_seconds == 3.5
    assert recording.size_bytes == default_storage.size(recording.file.name)
    assert recording.content_type == "audio/wav"


def test_same_seed_gives_the_same_audio():
    assert synthesize_wav(2, seed=3) == synthesize_wav(2, seed=3)
    assert synthesize_wav(2, seed=3) != synthesize_wav(2, seed=4)


def test_a_call_has_one_recording(world):
    with tenant_context(world["tenant"].tenant), pytest.raises(ApplicationError) as error:
        recording_create(call=world["call"], duration_seconds=2)

    assert error.value.code == "recording_exists"


@pytest.mark.parametrize("duration", [0, -1, 5 * 3600])
def test_recording_length_must_be_sensible(acme, duration):
    with tenant_context(acme.tenant):
        call = cdr.call_open(uid=uid(), direction="inbound", caller="1", callee="2", at=at(0))
        with pytest.raises(ApplicationError):
            recording_create(call=call, duration_seconds=duration)
        assert not Recording.objects.filter(call=call).exists()


# --- links: who may have one --------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor", "qa"])
@pytest.mark.parametrize("action", ["play", "download"])
def test_supervisors_and_qa_get_links(world, who, action):
    link = _link(world, who, action)

    assert link.url.startswith(f"/calls/recordings/{world['recording'].pk}/file?token=")


def test_the_calls_agent_may_play_it(world):
    assert _link(world, "agent", "play").url


def test_the_calls_agent_may_not_download_it(world):
    with pytest.raises(PermissionDeniedError):
        _link(world, "agent", "download")


@pytest.mark.parametrize("who", ["other_agent", "trainer"])
def test_others_get_no_link(world, who):
    with pytest.raises(PermissionDeniedError):
        _link(world, who)


# --- links: using them --------------------------------------------------------------------


def test_play_link_streams_the_file_inline(world):
    with default_storage.open(world["recording"].file.name, "rb") as handle:
        stored = handle.read()

    response = _fetch(world, "supervisor", _link(world, "supervisor").url)

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == stored


def test_download_link_is_an_attachment(world):
    response = _fetch(world, "qa", _link(world, "qa", "download").url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert f"{world['call'].uid}.wav" in response["Content-Disposition"]


def test_a_recording_without_its_file_is_not_found(world):
    # A row whose file name is empty (nothing stored) answers 404 like a missing file, not a 500.
    url = _link(world, "supervisor").url
    with tenant_context(world["tenant"].tenant):
        Recording.objects.filter(pk=world["recording"].pk).update(file="")

    response = _fetch(world, "supervisor", url)

    assert response.status_code == 404
    assert _accesses(world) == []


def test_every_access_is_logged_with_user_action_and_address(world):
    url = _link(world, "supervisor").url

    assert _fetch(world, "supervisor", url).status_code == 200
    assert _fetch(world, "supervisor", url).status_code == 200  # valid until it expires, logged each time

    supervisor = world["supervisor"].pk
    assert _accesses(world) == [(supervisor, "play", "127.0.0.1")] * 2


def test_the_agent_can_play_their_own_call(world):
    assert _fetch(world, "agent", _link(world, "agent").url).status_code == 200
    assert _accesses(world) == [(world["agent"].pk, "play", "127.0.0.1")]


def test_link_of_another_user_is_refused(world):
    url = _link(world, "supervisor").url

    assert _fetch(world, "qa", url).status_code == 403
    assert _accesses(world) == []


def test_link_without_login_is_refused(world):
    assert _fetch(world, None, _link(world, "supervisor").url).status_code == 403
    assert _accesses(world) == []


def test_api_token_may_follow_its_own_link(world):
    url = _link(world, "supervisor").url
    client = world["tenant"].api(world["supervisor"])

    assert client.get(url).status_code == 200
    assert len(_accesses(world)) == 1


def test_forged_token_is_refused(world):
    url = _link(world, "supervisor").url
    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")

    assert _fetch(world, "supervisor", forged).status_code == 403
    assert _accesses(world) == []


def test_token_changed_to_another_action_is_refused(world):
    """The agent rewrites the signed payload of a play link into a download: the signature breaks."""
    url = _link(world, "agent").url
    path, token = url.split("?token=")
    payload, rest = token.split(":", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data["a"] == "play"
    data["a"] = "download"
    altered = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")

    assert _fetch(world, "agent", f"{path}?token={altered}:{rest}").status_code == 403
    assert _accesses(world) == []


def test_token_for_another_recording_is_refused(world):
    url = _link(world, "supervisor").url
    other_id = world["recording"].pk + 1000

    assert _fetch(world, "supervisor", url.replace(f"/{world['recording'].pk}/", f"/{other_id}/")).status_code == 403
    assert _accesses(world) == []


def test_expired_link_is_refused(world):
    url = _link(world, "supervisor").url

    with mock.patch("django.core.signing.time.time", return_value=time.time() + 301):
        response = _fetch(world, "supervisor", url)

    assert response.status_code == 403
    assert _accesses(world) == []


def test_link_lifetime_is_a_setting(world, settings):
    settings.RECORDING_LINK_SECONDS = 60
    link = _link(world, "supervisor")

    with mock.patch("django.core.signing.time.time", return_value=time.time() + 61):
        assert _fetch(world, "supervisor", link.url).status_code == 403
    assert _fetch(world, "supervisor", link.url).status_code == 200


def test_link_still_valid_just_before_expiry(world):
    url = _link(world, "supervisor").url

    with mock.patch("django.core.signing.time.time", return_value=time.time() + 290):
        assert _fetch(world, "supervisor", url).status_code == 200


def test_losing_the_role_revokes_issued_links(world):
    url = _link(world, "supervisor").url
    with tenant_context(world["tenant"].tenant):
        world["supervisor"].roles = ["trainer"]
        world["supervisor"].save(update_fields=["roles"])

    assert _fetch(world, "supervisor", url).status_code == 403
    assert _accesses(world) == []


def test_link_is_refused_on_another_tenants_host(world, globex):
    url = _link(world, "supervisor").url
    client = web_login(globex, globex.admin_email)

    assert client.get(url).status_code == 403
    assert _accesses(world) == []
    with tenant_context(globex.tenant):
        assert RecordingAccess.objects.count() == 0


# --- the API ------------------------------------------------------------------------------


def test_call_detail_gives_a_fresh_play_link_to_who_may_play(world):
    client = world["tenant"].api(world["supervisor"])

    body = client.get(f"/api/v1/calls/{world['call'].uid}").json()

    info = body["recording"]
    assert info["id"] == world["recording"].pk
    assert info["duration_seconds"] == 3.5
    assert info["can_download"] is True
    assert urlsplit(info["play_url"]).path == f"/calls/recordings/{world['recording'].pk}/file"
    assert client.get(info["play_url"]).status_code == 200


def test_call_detail_for_the_agent_has_play_but_no_download(world):
    body = world["tenant"].api(world["agent"]).get(f"/api/v1/calls/{world['call'].uid}").json()

    assert body["recording"]["play_url"]
    assert body["recording"]["can_download"] is False


def test_link_api_issues_a_download_link(world):
    client = world["tenant"].api(world["qa"])

    response = client.post(f"/api/v1/recordings/{world['recording'].pk}/link", {"action": "download"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"url", "expires_at"}
    download = client.get(body["url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert _accesses(world) == [(world["qa"].pk, "download", "127.0.0.1")]


def test_link_api_refuses_download_to_the_agent(world):
    client = world["tenant"].api(world["agent"])

    response = client.post(f"/api/v1/recordings/{world['recording'].pk}/link", {"action": "download"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_link_api_hides_other_agents_recordings(world):
    client = world["tenant"].api(world["other_agent"])

    response = client.post(f"/api/v1/recordings/{world['recording'].pk}/link", {"action": "play"}, format="json")

    assert response.status_code == 404


def test_link_api_refuses_an_unknown_action(world):
    client = world["tenant"].api(world["supervisor"])

    response = client.post(f"/api/v1/recordings/{world['recording'].pk}/link", {"action": "delete"}, format="json")

    assert response.status_code == 400
    assert "action" in response.json()["fields"]


def test_link_api_refuses_another_tenants_token(world, globex):
    client = world["tenant"].api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")

    response = client.post(f"/api/v1/recordings/{world['recording'].pk}/link", {"action": "play"}, format="json")

    assert response.status_code == 401


def test_a_switch_recording_file_is_stored_once_and_its_source_removed(acme, tmp_path):
    from apps.telephony.services.recordings import recording_store_file

    source = tmp_path / "call.wav"
    with wave.open(str(source), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x01\x00\x02\x00" * 8000 * 2)  # 2 s of stereo
    with tenant_context(acme.tenant):
        call = cdr.call_open(uid=uid(), direction="inbound", caller="13900000009", callee="400", at=at(0))
        stored = recording_store_file(call=call, path=source)
        assert stored.duration_seconds == 2.0 and stored.content_type == "audio/wav"
        assert stored.file.name.startswith(f"tenants/{acme.tenant.schema_name}/recordings/")
        assert not source.exists()
        with pytest.raises(ApplicationError) as refused:
            recording_store_file(call=call, path=source)
        assert refused.value.code == "recording_exists"


def test_a_switch_recording_without_a_call_is_left_in_place_after_the_retries(acme, tmp_path):
    from apps.telephony.tasks import recording_store_task

    source = tmp_path / "orphan.wav"
    source.write_bytes(b"RIFF")
    with tenant_context(acme.tenant):
        # Eager mode runs the retries at once; the last one gives up quietly.
        assert recording_store_task.apply(args=["no-such-call", str(source)], retries=10).get() == 0
    assert source.exists()
