"""/api/v1/calls/<uid>/consult, …/consult/complete, …/consult/cancel: checks, 400 field errors, the
engine command sent on commit."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.telephony.models import Agent, Queue
from tests.telephony.agent_helpers import Published, give_call, make_agent


@pytest.fixture
def published(monkeypatch) -> Published:
    record = Published()
    monkeypatch.setattr(
        "apps.core.events.publish", lambda schema, topic, message: record.messages.append((topic, message))
    )
    return record


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:400]
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    return body


def _consult_url(call) -> str:
    return f"/api/v1/calls/{call.uid}/consult"


def test_consult_a_ready_colleague_sends_the_engine_command(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    colleague = make_agent(acme, state="ready")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post(
            _consult_url(call), {"target_agent_id": colleague.agent.pk}, format="json"
        )
    assert response.status_code == 202
    (command,) = published.on("engine")
    assert command == {
        "type": "call.consult",
        "agent_id": subject.agent.pk,
        "call_uid": call.uid,
        "queue_id": None,
        "target_agent_id": colleague.agent.pk,
    }


def test_consult_a_queue_from_hold(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="hold", call_status="hold")
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="general")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post(_consult_url(call), {"queue_id": queue.pk}, format="json")
    assert response.status_code == 202
    assert published.on("engine")[0]["queue_id"] == queue.pk


@pytest.mark.parametrize("body", [{}, {"queue_id": 1, "target_agent_id": 2}])
def test_consult_needs_exactly_one_target(acme, body):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    error = _error(acme.api(subject.user).post(_consult_url(call), body, format="json"), 400, "invalid")
    assert "target" in error["fields"]


def test_consult_field_errors(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    api = acme.api(subject.user)
    error = _error(api.post(_consult_url(call), {"queue_id": 999999}, format="json"), 400, "invalid")
    assert list(error["fields"]) == ["queue_id"]
    error = _error(api.post(_consult_url(call), {"target_agent_id": 999999}, format="json"), 400, "invalid")
    assert list(error["fields"]) == ["target_agent_id"]
    error = _error(api.post(_consult_url(call), {"target_agent_id": subject.agent.pk}, format="json"), 400, "invalid")
    assert list(error["fields"]) == ["target_agent_id"]
    error = _error(api.post(_consult_url(call), {"target_agent_id": "x"}, format="json"), 400, "invalid")
    assert "target_agent_id" in error["fields"]


@pytest.mark.parametrize("state", ["not_ready", "talking", "offline"])
def test_consult_a_colleague_who_is_not_ready_is_refused(acme, state):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    busy = make_agent(acme, state=state, reason="break" if state == "not_ready" else None)
    response = acme.api(subject.user).post(_consult_url(call), {"target_agent_id": busy.agent.pk}, format="json")
    error = _error(response, 400, "agent_unavailable")
    assert list(error["fields"]) == ["target_agent_id"]


def test_consult_someone_elses_call_is_refused(acme):
    owner = make_agent(acme)
    call = give_call(acme, owner.agent, state="talking", call_status="talking")
    intruder = make_agent(acme)
    give_call(acme, intruder.agent, state="talking", call_status="talking")
    colleague = make_agent(acme, state="ready")
    response = acme.api(intruder.user).post(_consult_url(call), {"target_agent_id": colleague.agent.pk}, format="json")
    _error(response, 400, "not_your_call")


def test_consult_needs_a_live_call(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="wrap_up", call_status="wrap_up")
    colleague = make_agent(acme, state="ready")
    response = acme.api(subject.user).post(_consult_url(call), {"target_agent_id": colleague.agent.pk}, format="json")
    _error(response, 400, "invalid_state")


def _consulting(acme, colleague_state="talking"):
    """A holds the caller; B is reserved or talking on the same call (the consultation)."""
    first = make_agent(acme)
    call = give_call(acme, first.agent, state="hold", call_status="hold")
    second = make_agent(acme)
    with tenant_context(acme.tenant):
        Agent.objects.filter(pk=second.agent.pk).update(state=colleague_state, current_call=call)
    return first, second, call


@pytest.mark.parametrize("action", ["complete", "cancel"])
def test_complete_and_cancel_send_the_engine_command(acme, published, django_capture_on_commit_callbacks, action):
    first, _second, call = _consulting(acme)
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(first.user).post(f"/api/v1/calls/{call.uid}/consult/{action}")
    assert response.status_code == 202
    assert published.on("engine") == [
        {"type": f"call.consult_{action}", "agent_id": first.agent.pk, "call_uid": call.uid}
    ]


def test_cancel_while_the_colleague_still_rings(acme):
    first, _second, call = _consulting(acme, colleague_state="reserved")
    assert acme.api(first.user).post(f"/api/v1/calls/{call.uid}/consult/cancel").status_code == 202


@pytest.mark.parametrize("action", ["complete", "cancel"])
def test_complete_or_cancel_without_a_consultation_is_refused(acme, action):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    _error(acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/consult/{action}"), 400, "no_consultation")


def test_only_the_first_agent_completes(acme):
    _first, second, call = _consulting(acme)
    _error(acme.api(second.user).post(f"/api/v1/calls/{call.uid}/consult/complete"), 400, "no_consultation")


def test_consult_endpoints_refuse_outsiders(acme, globex):
    first, _second, call = _consulting(acme)
    outsider = make_agent(globex)
    client = globex.api(outsider.user)
    client.defaults["HTTP_HOST"] = acme.host  # globex's token on acme's host
    assert client.post(f"/api/v1/calls/{call.uid}/consult/complete").status_code in (401, 403)
    assert acme.api().post(f"/api/v1/calls/{call.uid}/consult/cancel").status_code in (401, 403)
