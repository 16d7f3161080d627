"""IVR nodes that play uploaded prompt audio: the graph format, the runner's actions, the checks
when a flow is saved or published, and what the call controller asks the switch to play."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.telephony.engine.drivers.base import PROMPT_VOICEMAIL
from apps.telephony.engine.drivers.sim import SimDriver
from apps.telephony.ivr.runner import Digits, Gather, IvrSession, NoInput, Play, PlayDone, Survey, Voicemail
from apps.telephony.ivr.validator import validate_graph
from apps.telephony.models import IvrFlow
from apps.telephony.services import ivr as ivr_services
from apps.telephony.services import prompts as prompt_services
from tests.accounts.helpers import web_login
from tests.recording_store import RecordingStore
from tests.telephony.test_engine import NUMBER, QUEUE, build, ivr_caller, virtual
from tests.telephony.test_prompts import wav_bytes

NOW = dt.datetime(2025, 10, 9, 10, 0, tzinfo=dt.UTC)


def audio_graph(queue_id: int = QUEUE) -> dict:
    return {
        "start": "welcome",
        "nodes": {
            "welcome": {"type": "play", "prompt": "Welcome", "audio": "welcome", "next": "menu"},
            "menu": {
                "type": "menu",
                "prompt": "1 agent, 2 message",
                "audio": "menu.main",
                "retry_prompt": "Sorry",
                "retry_audio": "menu.retry",
                "options": {"1": "queue", "2": "message"},
                "timeout": 5,
                "retries": 1,
            },
            "queue": {"type": "queue", "queue": queue_id, "after_call": "survey"},
            "message": {"type": "voicemail", "queue": queue_id, "prompt": "Leave a message", "audio": "vm.greet"},
            "survey": {"type": "survey", "prompt": "Rate us", "audio": "survey.ask"},
        },
    }


def session(graph: dict) -> IvrSession:
    return IvrSession(graph, now_local=NOW, hours_lookup=lambda _id: None)


# --- the graph format and the runner ------------------------------------------------------------


def test_the_validator_accepts_audio_names_and_checks_them_through_the_lookup():
    graph = audio_graph()
    assert validate_graph(graph).ok
    known = {"welcome", "menu.main", "menu.retry", "vm.greet"}

    result = validate_graph(graph, audio_exists=known.__contains__)

    assert result.error_fields() == {"nodes.survey.audio": ["There is no uploaded prompt named “survey.ask”."]}
    assert result.codes() == {"missing_reference"}


@pytest.mark.parametrize("bad", ["with space", ".dot", 5, "x" * 101])
def test_the_validator_refuses_a_malformed_audio_name(bad):
    graph = audio_graph()
    graph["nodes"]["welcome"]["audio"] = bad

    result = validate_graph(graph)

    assert list(result.error_fields()) == ["nodes.welcome.audio"]


def test_audio_is_refused_on_a_node_that_plays_nothing():
    graph = audio_graph()
    graph["nodes"]["queue"]["audio"] = "welcome"

    assert "nodes.queue.audio" in validate_graph(graph).error_fields()


def test_the_runners_actions_carry_the_audio_names():
    s = session(audio_graph())

    assert s.start() == Play("welcome", "Welcome", "welcome")
    assert s.feed(PlayDone()) == Gather("menu", "1 agent, 2 message", 1, 5, ["1", "2"], "menu.main")
    assert s.feed(Digits("9")) == Gather("menu", "Sorry", 1, 5, ["1", "2"], "menu.retry")
    assert s.feed(Digits("2")) == Voicemail("message", QUEUE, "Leave a message", "vm.greet")


def test_a_menu_retry_without_its_own_audio_repeats_the_menu_audio():
    graph = audio_graph()
    del graph["nodes"]["menu"]["retry_audio"]
    s = session(graph)
    s.start()
    s.feed(PlayDone())

    assert s.feed(NoInput()).audio == "menu.main"


def test_nodes_without_audio_keep_playing_their_text():
    s = session({"start": "s", "nodes": {"s": {"type": "survey", "prompt": "Rate us"}}})

    assert s.start() == Survey("s", "Rate us", 5)
    assert s.current.audio == ""


# --- what the controller plays --------------------------------------------------------------------


class ListeningSimDriver(SimDriver):
    """The simulated switch, remembering the prompt names it was asked to play."""

    played: list[str]

    def play(self, uid, prompt, data=None):
        self.played.append(prompt)
        super().play(uid, prompt, data)

    def gather(self, uid, prompt, **kwargs):
        self.played.append(prompt)
        super().gather(uid, prompt, **kwargs)


@pytest.fixture
def listening(monkeypatch):
    monkeypatch.setattr("tests.telephony.test_engine.SimDriver", ListeningSimDriver)
    monkeypatch.setattr(ListeningSimDriver, "played", [], raising=False)
    return ListeningSimDriver


def test_the_controller_plays_the_nodes_audio_through_the_menu_to_an_agent_and_the_survey(listening):
    clock, driver, controller, store = build(graph=audio_graph(), caller=ivr_caller(menu="1", survey="4"))
    virtual(driver, controller, 11, talk=30, answer=0)
    uid = driver.inject(NUMBER, caller="13800000001")
    clock.run()

    assert store.surveys == {uid: 4}
    assert driver.played[:2] == ["welcome", "menu.main"]
    assert "survey.ask" in driver.played
    assert "Welcome" not in driver.played


def test_the_controller_plays_the_voicemail_nodes_audio_as_the_greeting(listening):
    clock, driver, controller, store = build(graph=audio_graph(), caller=ivr_caller(menu="2"))
    uid = driver.inject(NUMBER, caller="13800000001")
    clock.run()

    assert store.voicemails and store.voicemails[0][0] == uid
    assert driver.played[-1] == "vm.greet"
    assert PROMPT_VOICEMAIL not in driver.played


def test_without_audio_the_controller_still_plays_the_text_and_the_voicemail_greeting(listening):
    graph = audio_graph()
    for node in graph["nodes"].values():
        node.pop("audio", None)
        node.pop("retry_audio", None)
    clock, driver, controller, _store = build(graph=graph, caller=ivr_caller(menu="2"), store_factory=RecordingStore)
    driver.inject(NUMBER, caller="13800000001")
    clock.run()

    assert driver.played == ["Welcome", "1 agent, 2 message", PROMPT_VOICEMAIL]


# --- saving and publishing flows ------------------------------------------------------------------


@pytest.fixture
def flow(acme):
    with tenant_context(acme.tenant):
        return ivr_services.flow_create(name="Prompt audio flow")


def _queue_graph(acme) -> dict:
    from apps.telephony.models import Queue

    queue = Queue.objects.order_by("pk").first()
    return audio_graph(queue.pk)


def _upload_all(names) -> None:
    for name in names:
        prompt = prompt_services.prompt_create(name=name, upload=wav_bytes(seconds=0.2, rate=8000, channels=1))
        prompt_services.prompt_convert_pending(prompt_id=prompt.pk)  # the worker's part


def test_saving_a_draft_with_an_unknown_audio_name_names_the_field(acme, flow, settings, tmp_path):
    settings.SIP_RUNTIME_DIR = tmp_path
    with tenant_context(acme.tenant):
        graph = _queue_graph(acme)
        _upload_all(["welcome", "menu.main", "menu.retry", "vm.greet"])
        with pytest.raises(ApplicationError) as caught:
            ivr_services.draft_update(flow=flow, graph=graph)
        assert caught.value.code == "missing_prompt"
        assert caught.value.fields == {"nodes.survey.audio": ["There is no uploaded prompt named “survey.ask”."]}
        assert ivr_services.flow_draft(flow).graph == {"start": "hangup", "nodes": {"hangup": {"type": "hangup"}}}

        _upload_all(["survey.ask"])
        ivr_services.draft_update(flow=flow, graph=graph)
        result = ivr_services.flow_publish(flow=flow)
    assert result.version.graph["nodes"]["welcome"]["audio"] == "welcome"


def test_the_api_answers_400_with_the_field_for_an_unknown_audio_name(acme, flow, settings, tmp_path):
    settings.SIP_RUNTIME_DIR = tmp_path
    with tenant_context(acme.tenant):
        graph = _queue_graph(acme)
    api = acme.api(acme.admin())

    response = api.put(f"/api/v1/ivr-flows/{flow.pk}/draft", {"graph": graph}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "missing_prompt"
    assert "nodes.welcome.audio" in response.json()["fields"]


def test_publishing_fails_when_a_played_prompt_was_deleted(acme, flow, settings, tmp_path):
    settings.SIP_RUNTIME_DIR = tmp_path
    with tenant_context(acme.tenant):
        graph = _queue_graph(acme)
        _upload_all(["welcome", "menu.main", "menu.retry", "vm.greet", "survey.ask"])
        ivr_services.draft_update(flow=flow, graph=graph)
        prompt_services.prompt_delete(prompt=prompt_services.Prompt.objects.get(name="vm.greet"))
        with pytest.raises(ApplicationError) as caught:
            ivr_services.flow_publish(flow=flow)
    assert caught.value.code == "invalid_flow"
    assert caught.value.fields == {"nodes.message.audio": ["There is no uploaded prompt named “vm.greet”."]}


def test_a_prompt_a_published_flow_plays_cannot_be_deleted_or_renamed(acme, flow, settings, tmp_path):
    settings.SIP_RUNTIME_DIR = tmp_path
    with tenant_context(acme.tenant):
        _upload_all(["welcome", "menu.main", "menu.retry", "vm.greet", "survey.ask"])
        ivr_services.draft_update(flow=flow, graph=_queue_graph(acme))
        ivr_services.flow_publish(flow=flow)
        prompt = prompt_services.Prompt.objects.get(name="welcome")
        for attempt in (
            lambda: prompt_services.prompt_delete(prompt=prompt),
            lambda: prompt_services.prompt_update(prompt=prompt, name="hello"),
        ):
            with pytest.raises(ApplicationError) as caught:
                attempt()
            assert caught.value.code == "prompt_in_use"
            assert caught.value.status == 409
            assert "Prompt audio flow" in str(caught.value.message)
        assert prompt_services.Prompt.objects.filter(name="welcome").exists()
        # A new description or new audio is fine: the flow keeps playing the name.
        prompt_services.prompt_update(prompt=prompt, description="Updated", upload=wav_bytes(seconds=0.5))


def test_the_node_editor_offers_the_uploaded_prompts(acme, settings, tmp_path):
    settings.SIP_RUNTIME_DIR = tmp_path
    with tenant_context(acme.tenant):
        _upload_all(["welcome"])
        flow = IvrFlow.objects.get(name="Main menu")
    client = web_login(acme, acme.admin_email)
    url = f"/console/ivr/flows/{flow.pk}/nodes/welcome/"

    page = client.get(url)
    assert b'<option value="welcome">welcome</option>' in page.content

    response = client.post(url, {"prompt": "Hello", "audio": "welcome", "next": "menu"})

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        draft = ivr_services.flow_draft(flow)
    assert draft.graph["nodes"]["welcome"] == {"type": "play", "prompt": "Hello", "audio": "welcome", "next": "menu"}
