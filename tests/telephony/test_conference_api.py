"""/api/v1/calls/<uid>/conference, …/conference/leave, …/conference/drop, …/conference/end: the
checks (a conference needs an answered consultation; drop and end are the host's), 400 errors with
nothing sent, and the engine command sent on commit (validated against realtime_schema)."""

from __future__ import annotations

import jsonschema
import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.telephony.models import Agent, CallEvent
from apps.telephony.realtime_schema import ENGINE
from tests.telephony.agent_helpers import Published, give_call, make_agent


@pytest.fixture
def published(monkeypatch) -> Published:
    record = Published()
    monkeypatch.setattr(
        "apps.core.events.publish", lambda schema, topic, message: record.messages.append((topic, message))
    )
    return record


def _error(response, code: str) -> dict:
    assert response.status_code == 400, response.content[:400]
    body = response.json()
    assert body["code"] == code
    return body


def _engine(published) -> list[dict]:
    messages = [message for topic, message in published.messages if topic == "engine"]
    for message in messages:
        jsonschema.validate({"ts": "2026-12-08T00:00:00.000Z", **message}, ENGINE[message["type"]])
    return messages


def _consulting(acme, *, colleague_state="talking"):
    host = make_agent(acme)
    call = give_call(acme, host.agent, state="hold", call_status="hold")
    colleague = make_agent(acme, state=colleague_state)
    with tenant_context(acme.tenant):
        Agent.objects.filter(pk=colleague.agent.pk).update(current_call=call)
    return host, colleague, call


def _in_conference(acme, host, colleague, call):
    with tenant_context(acme.tenant):
        Agent.objects.filter(pk__in=(host.agent.pk, colleague.agent.pk)).update(state="talking")
        call.status = "talking"
        call.save(update_fields=["status"])
        CallEvent.objects.create(
            call=call,
            kind="conference_started",
            at=timezone.now(),
            agent_id=host.agent.pk,
            data={"target_agent_id": colleague.agent.pk},
        )


def test_conference_of_an_answered_consultation_sends_the_command(acme, published, django_capture_on_commit_callbacks):
    host, colleague, call = _consulting(acme)
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(host.user).post(f"/api/v1/calls/{call.uid}/conference", format="json")
    assert response.status_code == 202, response.content[:400]
    assert _engine(published) == [{"type": "call.conference", "agent_id": host.agent.pk, "call_uid": call.uid}]


def test_conference_without_a_consultation_is_a_clear_error(acme, published, django_capture_on_commit_callbacks):
    host = make_agent(acme)
    call = give_call(acme, host.agent, state="talking", call_status="talking")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(host.user).post(f"/api/v1/calls/{call.uid}/conference", format="json")
    body = _error(response, "no_consultation")
    assert "consult a colleague first" in body["message"]
    assert _engine(published) == []


def test_conference_while_the_colleague_rings_is_refused(acme, published, django_capture_on_commit_callbacks):
    host, colleague, call = _consulting(acme, colleague_state="reserved")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(host.user).post(f"/api/v1/calls/{call.uid}/conference", format="json")
    _error(response, "not_answered")
    assert _engine(published) == []


def test_leave_drop_and_end(acme, published, django_capture_on_commit_callbacks):
    host, colleague, call = _consulting(acme)
    _in_conference(acme, host, colleague, call)
    with django_capture_on_commit_callbacks(execute=True):
        for who, action in ((colleague, "leave"), (host, "leave"), (host, "drop"), (host, "end")):
            response = acme.api(who.user).post(f"/api/v1/calls/{call.uid}/conference/{action}", format="json")
            assert response.status_code == 202, response.content[:400]
    assert [(m["type"], m["agent_id"]) for m in _engine(published)] == [
        ("call.conference_leave", colleague.agent.pk),
        ("call.conference_leave", host.agent.pk),
        ("call.conference_drop", host.agent.pk),
        ("call.conference_end", host.agent.pk),
    ]


def test_only_the_host_drops_or_ends(acme, published, django_capture_on_commit_callbacks):
    host, colleague, call = _consulting(acme)
    _in_conference(acme, host, colleague, call)
    with django_capture_on_commit_callbacks(execute=True):
        for action in ("drop", "end"):
            response = acme.api(colleague.user).post(f"/api/v1/calls/{call.uid}/conference/{action}", format="json")
            _error(response, "no_conference")
    assert _engine(published) == []


def test_leave_without_a_conference_is_refused(acme, published, django_capture_on_commit_callbacks):
    host = make_agent(acme)
    call = give_call(acme, host.agent, state="talking", call_status="talking")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(host.user).post(f"/api/v1/calls/{call.uid}/conference/leave", format="json")
    _error(response, "no_conference")
    assert _engine(published) == []
