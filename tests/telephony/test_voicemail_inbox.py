"""The voicemail inbox: the message's audio (from the switch's stereo WAV, or synthesised), signed
links with an access log, "heard" and assignment, the e-mail to the queue's supervisors, the
pages and the API with their permissions, and the page of inbound callback requests."""

from __future__ import annotations

import io
import struct
import wave
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from apps.accounts.models import Team, User
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.notifications.models import Notification
from apps.telephony import tasks
from apps.telephony.audio import synthesize_wav
from apps.telephony.choices import CallbackStatus, CallEndReason
from apps.telephony.models import CallbackRequest, QueueSkill, Recording, Skill, Voicemail, VoicemailAccess
from apps.telephony.services import cdr
from apps.telephony.services.voicemail import (
    caller_channel,
    voicemail_assign,
    voicemail_left,
    voicemail_link,
    voicemail_mark_heard,
    voicemail_store_file,
)
from tests.accounts.helpers import web_login
from tests.telephony.call_factories import at, make_agent, make_queue, uid

RATE = 8000


def _stereo(seconds: float, left: int, right: int) -> bytes:
    """A stereo WAV whose left (caller) samples are all ``left`` and right ones ``right``."""
    frames = struct.pack("<hh", left, right) * int(seconds * RATE)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(frames)
    return out.getvalue()


def _voicemail_call(queue, caller="13700000001", start=0.0):
    call = cdr.call_open(uid=uid(), direction="inbound", caller=caller, callee="400", at=at(start))
    cdr.call_event(call, "voicemail", at=at(start + 2), queue_id=queue.pk)
    return cdr.call_close(call, at=at(start + 20), end_reason=CallEndReason.VOICEMAIL)


@pytest.fixture
def inbox(acme, settings):
    """Two queues (French needs a skill only ``fluent`` has), a supervisor of ``fluent``'s team, an
    unrelated supervisor, two agents, QA; a message with audio in each queue."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with tenant_context(acme.tenant):
        sales = make_queue(name="Sales")
        french = make_queue(name="French")
        skill = Skill.objects.create(code="vm-fr", name="French")
        QueueSkill.objects.create(queue=french, skill=skill, min_level=3)
        people = {
            "lead": acme.user("supervisor"),
            "other_lead": acme.user("supervisor"),
            "fluent": acme.user("agent"),
            "plain": acme.user("agent"),
            "qa": acme.user("qa"),
        }
        fluent = make_agent(people["fluent"])
        make_agent(people["plain"])
        fluent.agent_skills.create(skill=skill, level=4)
        team = Team.objects.create(name="French desk")
        team.members.add(people["fluent"])
        team.supervisors.add(people["lead"])
        messages = {}
        for name, queue, start in (("sales", sales, 0), ("french", french, 100)):
            call = _voicemail_call(queue, caller=f"1370000000{start // 100}", start=start)
            messages[name] = voicemail_left(
                call=call,
                queue_id=queue.pk,
                caller=call.caller,
                seconds=3,
                at=at(start + 20),
                audio=caller_channel(_stereo(3, 9, 9))[0],
            )
    return {"tenant": acme, "sales_q": sales, "french_q": french, "skill": skill, **messages, **people}


def _in(world):
    return tenant_context(world["tenant"].tenant)


# --- audio ---------------------------------------------------------------------------------------


def test_caller_channel_keeps_the_left_channel_as_mono():
    data, seconds = caller_channel(_stereo(1.5, 1234, -77))
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        samples = set(struct.unpack(f"<{wav.getnframes()}h", wav.readframes(wav.getnframes())))
    assert samples == {1234} and seconds == 1.5


def test_the_switchs_recording_of_a_voicemail_call_becomes_the_message_not_a_call_recording(inbox, tmp_path):
    with _in(inbox):
        call = _voicemail_call(inbox["sales_q"], caller="13711111111", start=300)
        source = tmp_path / f"{call.uid}.wav"
        source.write_bytes(_stereo(4.25, 2000, 0))

        pk = tasks._recording_store(call.uid, str(source))

        voicemail = Voicemail.objects.get(pk=pk)
        assert voicemail.call_id == call.pk and not Recording.objects.filter(call=call).exists()
        assert voicemail.duration_seconds == 4.25 and voicemail.caller == "13711111111"
        assert voicemail.file.name.startswith(f"tenants/{inbox['tenant'].tenant.schema_name}/recordings/")
        assert voicemail.file.name.endswith(f"{call.uid}-voicemail.wav")
        with default_storage.open(voicemail.file.name, "rb") as handle, wave.open(handle) as wav:
            assert wav.getnchannels() == 1 and wav.getnframes() == int(4.25 * RATE)
        assert voicemail.size_bytes == default_storage.size(voicemail.file.name)
        assert not source.exists()


def test_audio_first_then_the_engines_row_keeps_the_audio_and_announces_once(inbox, tmp_path):
    with _in(inbox):
        call = _voicemail_call(inbox["sales_q"], caller="13722222222", start=400)
        source = tmp_path / "early.wav"
        source.write_bytes(_stereo(2, 500, 0))
        voicemail_store_file(call=call, path=source)
        name = Voicemail.objects.get(call=call).file.name
        mail.outbox = []

        voicemail = voicemail_left(call=call, queue_id=inbox["sales_q"].pk, caller=call.caller, seconds=9.0, at=at(420))

        assert voicemail.file.name == name and voicemail.duration_seconds == 2.0
        assert Voicemail.objects.filter(call=call).count() == 1
        # Once, to the supervisor of the team that serves the queue.
        notes = Notification.objects.filter(kind="telephony.voicemail_new", title__contains="13722222222")
        assert [note.user_id for note in notes] == [inbox["lead"].pk]


def test_a_call_that_was_not_a_voicemail_keeps_its_recording(inbox, tmp_path):
    with _in(inbox):
        call = cdr.call_open(uid=uid(), direction="inbound", caller="13733333333", callee="400", at=at(500))
        source = tmp_path / "talk.wav"
        source.write_bytes(_stereo(1, 1, 1))
        pk = tasks._recording_store(call.uid, str(source))
        assert Recording.objects.get(pk=pk).call_id == call.pk
        assert not Voicemail.objects.filter(call=call).exists()


# --- notification --------------------------------------------------------------------------------


def test_a_new_message_is_mailed_to_the_supervisors_of_the_queues_team(inbox, django_capture_on_commit_callbacks):
    mail.outbox = []
    with _in(inbox), django_capture_on_commit_callbacks(execute=True):
        call = _voicemail_call(inbox["french_q"], caller="13744444444", start=600)
        voicemail_left(call=call, queue_id=inbox["french_q"].pk, caller=call.caller, seconds=7.6, at=at(620))
    with _in(inbox):
        notes = Notification.objects.filter(kind="telephony.voicemail_new", title__contains="13744444444")
        assert [note.user_id for note in notes] == [inbox["lead"].pk]  # French's team supervisor only
        assert "/calls/voicemails/?voicemail=" in notes[0].url
    sent = [message for message in mail.outbox if "13744444444" in message.subject]
    assert [message.to for message in sent] == [[inbox["lead"].email]]
    assert "French" in sent[0].subject and "8 s" in sent[0].body


def test_the_simulated_switchs_messages_notify_without_e_mail(inbox, django_capture_on_commit_callbacks):
    mail.outbox = []
    with _in(inbox), django_capture_on_commit_callbacks(execute=True):
        call = _voicemail_call(inbox["french_q"], caller="13766666666", start=650)
        voicemail_left(
            call=call, queue_id=inbox["french_q"].pk, caller=call.caller, seconds=2, at=at(660), audio=synthesize_wav(2)
        )
    with _in(inbox):
        assert Notification.objects.filter(title__contains="13766666666", user=inbox["lead"]).exists()
    assert not [message for message in mail.outbox if "13766666666" in message.subject]


def test_without_a_team_every_supervisor_hears_of_it(inbox):
    with _in(inbox):
        lonely = make_queue(name="Nobody serves")
        QueueSkill.objects.create(queue=lonely, skill=Skill.objects.create(code="vm-klingon", name="Klingon"))
        call = _voicemail_call(lonely, caller="13755555555", start=700)
        voicemail_left(call=call, queue_id=lonely.pk, caller=call.caller, seconds=3, at=at(720))
        users = set(Notification.objects.filter(title__contains="13755555555").values_list("user_id", flat=True))
        supervisors = set(User.objects.filter(roles__contains=["supervisor"]).values_list("pk", flat=True))
    assert users == supervisors and {inbox["lead"].pk, inbox["other_lead"].pk} <= users


# --- signed links and the access log -------------------------------------------------------------


def _get(world, who, url, *, host=None):
    return web_login(host or world["tenant"], world[who].email).get(url)


def test_a_supervisors_play_link_streams_the_audio_logs_it_and_marks_the_message_heard(inbox):
    with _in(inbox):
        link = voicemail_link(voicemail=inbox["sales"], user=inbox["lead"])
    response = _get(inbox, "lead", link.url)
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    with wave.open(io.BytesIO(body)) as wav:
        assert wav.getnchannels() == 1
    with _in(inbox):
        assert list(VoicemailAccess.objects.values_list("user_id", "action")) == [(inbox["lead"].pk, "play")]
        inbox["sales"].refresh_from_db()
        assert inbox["sales"].heard_by_id == inbox["lead"].pk and inbox["sales"].heard_at is not None


def test_a_download_link_does_not_mark_the_message_heard(inbox):
    with _in(inbox):
        link = voicemail_link(voicemail=inbox["sales"], user=inbox["lead"], action="download")
    response = _get(inbox, "lead", link.url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    with _in(inbox):
        inbox["sales"].refresh_from_db()
        assert inbox["sales"].heard_at is None


def test_agents_play_only_the_messages_of_their_queues_and_never_download(inbox):
    with _in(inbox):
        assert voicemail_link(voicemail=inbox["french"], user=inbox["fluent"]).url
        with pytest.raises(PermissionDeniedError):
            voicemail_link(voicemail=inbox["french"], user=inbox["plain"])
        with pytest.raises(PermissionDeniedError):
            voicemail_link(voicemail=inbox["french"], user=inbox["fluent"], action="download")
        with pytest.raises(PermissionDeniedError):
            voicemail_link(voicemail=inbox["sales"], user=inbox["qa"])
        with pytest.raises(ApplicationError) as bad:
            voicemail_link(voicemail=inbox["sales"], user=inbox["lead"], action="delete")
        assert bad.value.fields == {"action": ["Choose play or download."]}


def test_a_link_works_only_for_its_user_and_message(inbox):
    with _in(inbox):
        link = voicemail_link(voicemail=inbox["sales"], user=inbox["lead"])
    assert _get(inbox, "other_lead", link.url).status_code == 403
    forged = link.url.replace(f"/voicemails/{inbox['sales'].pk}/", f"/voicemails/{inbox['french'].pk}/")
    assert _get(inbox, "lead", forged).status_code == 403
    assert _get(inbox, "lead", link.url + "x").status_code == 403
    with _in(inbox):
        assert not VoicemailAccess.objects.exists()


def test_an_expired_link_is_refused(inbox, settings):
    with _in(inbox):
        link = voicemail_link(voicemail=inbox["sales"], user=inbox["lead"])
    settings.RECORDING_LINK_SECONDS = -1
    assert _get(inbox, "lead", link.url).status_code == 403


def test_another_tenants_host_never_serves_the_message(inbox, globex):
    with _in(inbox):
        link = voicemail_link(voicemail=inbox["sales"], user=inbox["lead"])
    stranger = globex.user("supervisor")
    client = web_login(globex, stranger.email)
    assert client.get(link.url).status_code in (403, 404)
    api = globex.api(stranger)
    assert api.get("/api/v1/voicemails").json()["results"] == []
    assert api.post(f"/api/v1/voicemails/{inbox['sales'].pk}/link", {}, format="json").status_code == 404
    assert api.get("/api/v1/callbacks").json()["results"] == []


# --- heard and assignment ------------------------------------------------------------------------


def test_heard_keeps_the_first_hearer_and_can_be_undone(inbox):
    with _in(inbox):
        voicemail_mark_heard(voicemail=inbox["sales"], user=inbox["lead"])
        first = Voicemail.objects.get(pk=inbox["sales"].pk).heard_at
        voicemail_mark_heard(voicemail=inbox["sales"], user=inbox["other_lead"])
        again = Voicemail.objects.get(pk=inbox["sales"].pk)
        assert again.heard_by_id == inbox["lead"].pk and again.heard_at == first
        voicemail_mark_heard(voicemail=inbox["sales"], user=inbox["other_lead"], heard=False)
        assert Voicemail.objects.get(pk=inbox["sales"].pk).heard_at is None


def test_a_supervisor_assigns_and_the_assignee_is_told(inbox, django_capture_on_commit_callbacks):
    mail.outbox = []
    with _in(inbox), django_capture_on_commit_callbacks(execute=True):
        voicemail_assign(voicemail=inbox["french"], actor=inbox["lead"], assignee=inbox["fluent"].pk)
    with _in(inbox):
        voicemail = Voicemail.objects.get(pk=inbox["french"].pk)
        assert voicemail.assigned_to_id == inbox["fluent"].pk and voicemail.assigned_at is not None
        assert Notification.objects.filter(user=inbox["fluent"], kind="telephony.voicemail_assigned").count() == 1
    assert [message.to for message in mail.outbox] == [[inbox["fluent"].email]]


@pytest.mark.parametrize("assignee", ["qa", "nobody-such", "text"])
def test_assigning_to_someone_who_cannot_use_the_inbox_is_refused(inbox, assignee):
    value = {"qa": inbox["qa"].pk, "nobody-such": 999999, "text": "x"}[assignee]
    with _in(inbox), pytest.raises(ApplicationError) as refused:
        voicemail_assign(voicemail=inbox["sales"], actor=inbox["lead"], assignee=value)
    assert list(refused.value.fields) == ["assignee"]
    with _in(inbox):
        assert Voicemail.objects.get(pk=inbox["sales"].pk).assigned_to_id is None


def test_an_agent_takes_a_free_message_and_hands_it_back_but_cannot_give_it_away(inbox):
    with _in(inbox):
        voicemail_assign(voicemail=inbox["french"], actor=inbox["fluent"], assignee=inbox["fluent"].pk)
        with pytest.raises(PermissionDeniedError):
            voicemail_assign(voicemail=inbox["french"], actor=inbox["fluent"], assignee=inbox["plain"].pk)
        voicemail_assign(voicemail=inbox["french"], actor=inbox["fluent"], assignee=None)
        assert Voicemail.objects.get(pk=inbox["french"].pk).assigned_to_id is None
        # No self-notification for taking it.
        assert not Notification.objects.filter(kind="telephony.voicemail_assigned").exists()


def test_an_assigned_message_stays_visible_to_its_assignee_outside_their_queues(inbox):
    with _in(inbox):
        voicemail_assign(voicemail=inbox["french"], actor=inbox["lead"], assignee=inbox["plain"].pk)
    rows = inbox["tenant"].api(inbox["plain"]).get("/api/v1/voicemails").json()["results"]
    assert {row["id"] for row in rows} == {inbox["sales"].pk, inbox["french"].pk}


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_with_filters(inbox):
    api = inbox["tenant"].api(inbox["lead"])
    with _in(inbox):
        voicemail_assign(voicemail=inbox["sales"], actor=inbox["lead"], assignee=inbox["lead"].pk)
        voicemail_mark_heard(voicemail=inbox["french"], user=inbox["lead"])
    ids = lambda query: {row["id"] for row in api.get("/api/v1/voicemails", query).json()["results"]}  # noqa: E731
    assert ids({"mine": "true"}) == {inbox["sales"].pk}
    assert ids({"heard": "false"}) == {inbox["sales"].pk}
    assert ids({"heard": "true"}) == {inbox["french"].pk}
    assert ids({"queue": inbox["french_q"].pk}) == {inbox["french"].pk}
    row = api.get(f"/api/v1/voicemails/{inbox['sales'].pk}").json()
    assert row["assigned_to"]["id"] == inbox["lead"].pk and row["has_audio"] is True
    bad = api.get("/api/v1/voicemails", {"queue": "nope"})
    assert bad.status_code == 400 and "queue" in str(bad.json())


def test_api_link_heard_and_assign(inbox):
    api = inbox["tenant"].api(inbox["fluent"])
    link = api.post(f"/api/v1/voicemails/{inbox['french'].pk}/link", {"action": "play"}, format="json")
    assert link.status_code == 200
    assert urlsplit(link.json()["url"]).path == f"/calls/voicemails/{inbox['french'].pk}/file"
    heard = api.post(f"/api/v1/voicemails/{inbox['french'].pk}/heard", {"heard": True}, format="json")
    assert heard.status_code == 200 and heard.json()["heard_by"] == inbox["fluent"].email
    taken = api.post(f"/api/v1/voicemails/{inbox['french'].pk}/assign", {"assignee": inbox["fluent"].pk}, format="json")
    assert taken.status_code == 200 and taken.json()["assigned_to"]["id"] == inbox["fluent"].pk
    given = api.post(f"/api/v1/voicemails/{inbox['french'].pk}/assign", {"assignee": inbox["plain"].pk}, format="json")
    assert given.status_code == 403


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("heard", {"heard": "perhaps"}, "heard"),
        ("heard", {}, "heard"),
        ("assign", {"assignee": "someone"}, "assignee"),
        ("assign", {}, "assignee"),
        ("link", {"action": "delete"}, "action"),
    ],
)
def test_api_bad_input_is_400_with_the_field_and_changes_nothing(inbox, path, body, field):
    api = inbox["tenant"].api(inbox["lead"])
    response = api.post(f"/api/v1/voicemails/{inbox['sales'].pk}/{path}", body, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    with _in(inbox):
        row = Voicemail.objects.get(pk=inbox["sales"].pk)
        assert row.heard_at is None and row.assigned_to_id is None


def test_api_assignee_who_may_not_use_the_inbox_is_400_with_the_field(inbox):
    api = inbox["tenant"].api(inbox["lead"])
    response = api.post(f"/api/v1/voicemails/{inbox['sales'].pk}/assign", {"assignee": inbox["qa"].pk}, format="json")
    assert response.status_code == 400 and "assignee" in str(response.json())


def test_api_agents_cannot_reach_messages_outside_their_queues(inbox):
    api = inbox["tenant"].api(inbox["plain"])
    assert api.get(f"/api/v1/voicemails/{inbox['french'].pk}").status_code == 404
    assert api.post(f"/api/v1/voicemails/{inbox['french'].pk}/heard", {"heard": True}, format="json").status_code == 404
    assert inbox["tenant"].api(inbox["qa"]).get("/api/v1/voicemails").status_code == 403


# --- pages ---------------------------------------------------------------------------------------


def test_inbox_page_has_players_filters_and_actions(inbox):
    client = web_login(inbox["tenant"], inbox["lead"].email)
    page = client.get("/calls/voicemails/").content.decode()
    for voicemail in (inbox["sales"], inbox["french"]):
        assert f'<audio controls preload="none" src="/calls/voicemails/{voicemail.pk}/file?token=' in page
        assert f'action="/calls/voicemails/{voicemail.pk}/assign/"' in page
    assert 'name="mine"' in page and 'name="heard"' in page and 'name="queue"' in page
    assert "Mark as heard" in page


def test_inbox_page_for_an_agent_shows_their_queues_and_take_and_call_back(inbox):
    client = web_login(inbox["tenant"], inbox["plain"].email)
    page = client.get("/calls/voicemails/").content.decode()
    assert inbox["sales"].caller in page and inbox["french"].caller not in page
    assert "Take it" in page and f"/desk/?dial={inbox['sales'].caller}" in page


def test_inbox_buttons_mark_heard_and_assign(inbox):
    client = web_login(inbox["tenant"], inbox["lead"].email)
    response = client.post(f"/calls/voicemails/{inbox['sales'].pk}/heard/", {"heard": "1"})
    assert response.status_code == 302
    response = client.post(f"/calls/voicemails/{inbox['sales'].pk}/assign/", {"assignee": inbox["plain"].pk})
    assert response.status_code == 302
    with _in(inbox):
        row = Voicemail.objects.get(pk=inbox["sales"].pk)
        assert row.heard_by_id == inbox["lead"].pk and row.assigned_to_id == inbox["plain"].pk
    mine = web_login(inbox["tenant"], inbox["plain"].email).get("/calls/voicemails/", {"mine": "true"})
    assert inbox["sales"].caller in mine.content.decode()


def test_inbox_buttons_with_bad_input_answer_400_and_change_nothing(inbox):
    client = web_login(inbox["tenant"], inbox["lead"].email)
    response = client.post(f"/calls/voicemails/{inbox['sales'].pk}/assign/", {"assignee": inbox["qa"].pk})
    assert response.status_code == 400
    assert "Choose an active agent, supervisor or administrator." in response.content.decode()
    assert client.post(f"/calls/voicemails/{inbox['sales'].pk}/heard/", {"heard": "maybe"}).status_code == 400
    with _in(inbox):
        row = Voicemail.objects.get(pk=inbox["sales"].pk)
        assert row.assigned_to_id is None and row.heard_at is None


def test_inbox_buttons_of_an_agent(inbox):
    agent = web_login(inbox["tenant"], inbox["plain"].email)
    assert agent.post(f"/calls/voicemails/{inbox['french'].pk}/heard/", {"heard": "1"}).status_code == 404
    refused = agent.post(f"/calls/voicemails/{inbox['sales'].pk}/assign/", {"assignee": inbox["fluent"].pk})
    assert refused.status_code == 403
    assert (
        agent.post(f"/calls/voicemails/{inbox['sales'].pk}/assign/", {"assignee": inbox["plain"].pk}).status_code == 302
    )
    qa = web_login(inbox["tenant"], inbox["qa"].email)
    assert qa.get("/calls/voicemails/").status_code == 403


# --- inbound callback requests -------------------------------------------------------------------


@pytest.fixture
def requests_(inbox):
    with _in(inbox):
        rows = {}
        for status, queue, caller in (
            (CallbackStatus.PENDING, inbox["sales_q"], "13811111111"),
            (CallbackStatus.DIALING, inbox["sales_q"], "13822222222"),
            (CallbackStatus.DONE, inbox["french_q"], "13833333333"),
            (CallbackStatus.FAILED, inbox["sales_q"], "13844444444"),
        ):
            call = cdr.call_open(uid=uid(), direction="inbound", caller=caller, callee="400", at=at(0))
            rows[status] = CallbackRequest.objects.create(
                call=call, queue=queue, number=caller, original_queued_at=at(0), status=status, attempts=2
            )
    return rows


def test_callbacks_page_shows_outcomes_and_filters(inbox, requests_):
    client = web_login(inbox["tenant"], inbox["lead"].email)
    page = client.get("/calls/callbacks/").content.decode()
    for number in ("13811111111", "13822222222", "13833333333", "13844444444"):
        assert number in page
    assert 'data-status="dialing"' in page and 'data-status="failed"' in page
    failed = client.get("/calls/callbacks/", {"status": "failed"}).content.decode()
    assert "13844444444" in failed and "13811111111" not in failed
    assert client.get("/calls/callbacks/", {"status": "bogus"}).status_code == 400


def test_callbacks_page_and_api_for_agents_show_their_queues(inbox, requests_):
    page = web_login(inbox["tenant"], inbox["plain"].email).get("/calls/callbacks/").content.decode()
    assert "13811111111" in page and "13833333333" not in page
    rows = inbox["tenant"].api(inbox["fluent"]).get("/api/v1/callbacks", {"status": "done"}).json()["results"]
    assert [(row["number"], row["status"], row["attempts"]) for row in rows] == [("13833333333", "done", 2)]
    assert web_login(inbox["tenant"], inbox["qa"].email).get("/calls/callbacks/").status_code == 403


# --- demo ------------------------------------------------------------------------------------------


def test_demo_seed_is_idempotent_and_playable(inbox):
    from apps.telephony.services.voicemail_demo import voicemail_demo_seed

    with _in(inbox):
        assert voicemail_demo_seed() == 7
        assert voicemail_demo_seed() == 0
        demo = Voicemail.objects.filter(call__uid__startswith="demo-vm-")
        assert demo.count() == 3 and all(row.file.name and row.size_bytes > 0 for row in demo)
        statuses = set(
            CallbackRequest.objects.filter(call__uid__startswith="demo-vm-").values_list("status", flat=True)
        )
        assert statuses == {"pending", "dialing", "done", "failed"}


def test_a_supervisor_cancels_a_waiting_request_and_the_engine_is_told(
    inbox, requests_, django_capture_on_commit_callbacks
):
    from unittest import mock

    client = web_login(inbox["tenant"], inbox["lead"].email)
    pending = requests_[CallbackStatus.PENDING]
    page = client.get("/calls/callbacks/").content.decode()
    assert f'action="/calls/callbacks/{pending.pk}/cancel/"' in page
    assert f'action="/calls/callbacks/{requests_[CallbackStatus.DONE].pk}/cancel/"' not in page
    with mock.patch("apps.telephony.services.callback_requests.publish_on_commit") as publish:
        assert client.post(f"/calls/callbacks/{pending.pk}/cancel/").status_code == 302
    publish.assert_called_once_with(
        "engine", {"type": "callback.cancel", "supervisor_user_id": inbox["lead"].pk, "request_uid": pending.call.uid}
    )
    with _in(inbox):
        pending.refresh_from_db()
        assert pending.status == CallbackStatus.CANCELLED and pending.completed_at is not None


def test_cancelling_a_finished_request_or_as_an_agent_is_refused(inbox, requests_):
    api = inbox["tenant"].api(inbox["lead"])
    done = requests_[CallbackStatus.DONE]
    refused = api.post(f"/api/v1/callbacks/{done.pk}/cancel", {}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_state"
    agent = inbox["tenant"].api(inbox["plain"])
    assert agent.post(f"/api/v1/callbacks/{requests_[CallbackStatus.PENDING].pk}/cancel").status_code == 403
    assert (
        web_login(inbox["tenant"], inbox["plain"].email)
        .post(f"/calls/callbacks/{requests_[CallbackStatus.PENDING].pk}/cancel/")
        .status_code
        == 403
    )
    ok = api.post(f"/api/v1/callbacks/{requests_[CallbackStatus.DIALING].pk}/cancel")
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
    with _in(inbox):
        assert CallbackRequest.objects.get(pk=done.pk).status == CallbackStatus.DONE
        assert CallbackRequest.objects.get(pk=requests_[CallbackStatus.PENDING].pk).status == CallbackStatus.PENDING
