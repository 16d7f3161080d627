"""/api/v1/calls/<uid>/consult with ``number``: the dialling policy of a blind transfer to a number
(400 with field messages, nothing sent), the engine command (validated against realtime_schema), and
complete / cancel / conference / drop of a number consultation read back from the timeline."""

from __future__ import annotations

import jsonschema
import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.telephony.models import Agent, CallEvent, DoNotCall
from apps.telephony.realtime_schema import ENGINE
from apps.telephony.selectors.wallboard import agent_desktop_snapshot
from tests.telephony.agent_helpers import Published, give_call, make_agent
from tests.telephony.test_dialling_api import _clear_rate


@pytest.fixture
def published(monkeypatch) -> Published:
    record = Published()
    monkeypatch.setattr(
        "apps.core.events.publish", lambda schema, topic, message: record.messages.append((topic, message))
    )
    return record


@pytest.fixture
def talking(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    _clear_rate(acme, subject.agent.pk)
    yield subject, call
    _clear_rate(acme, subject.agent.pk)


def _engine(published) -> list[dict]:
    messages = published.on("engine")
    for message in messages:
        jsonschema.validate({"ts": "2026-12-08T00:00:00.000Z", **message}, ENGINE[message["type"]])
    return messages


def _event(acme, call, kind, agent_id, **data):
    with tenant_context(acme.tenant):
        CallEvent.objects.create(call=call, kind=kind, at=timezone.now(), agent_id=agent_id, data=data)


def test_consulting_an_allowed_number_sends_the_command(acme, talking, published, django_capture_on_commit_callbacks):
    subject, call = talking
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post(
            f"/api/v1/calls/{call.uid}/consult", {"number": "010-6552-9988"}, format="json"
        )
    assert response.status_code == 202, response.content
    assert _engine(published) == [
        {
            "type": "call.consult",
            "agent_id": subject.agent.pk,
            "call_uid": call.uid,
            "queue_id": None,
            "target_agent_id": None,
            "number": "01065529988",
        }
    ]


@pytest.mark.parametrize(
    ("number", "code"),
    [("16812345", "dial_premium"), ("+449012345678", "dial_premium"), ("+85221234567", "dial_blocked_prefix")],
)
def test_consulting_a_refused_number_is_never_sent(acme, talking, published, number, code):
    subject, call = talking
    response = acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/consult", {"number": number}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert published.on("engine") == []


def test_consulting_a_do_not_call_number_is_refused(acme, talking, published):
    subject, call = talking
    with tenant_context(acme.tenant):
        DoNotCall.objects.create(number="+8613900003333")
    response = acme.api(subject.user).post(
        f"/api/v1/calls/{call.uid}/consult", {"number": "13900003333"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "dial_dnc"
    assert published.on("engine") == []


def test_consult_needs_exactly_one_target_and_a_well_formed_number(acme, talking, published):
    subject, call = talking
    both = acme.api(subject.user).post(
        f"/api/v1/calls/{call.uid}/consult", {"number": "13800138000", "target_agent_id": 1}, format="json"
    )
    assert both.status_code == 400 and "target" in both.json()["fields"]
    bad = acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/consult", {"number": "12ab"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid" and "number" in bad.json()["fields"]
    long = acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/consult", {"number": "1" * 40}, format="json")
    assert long.status_code == 400 and "number" in long.json()["fields"]
    assert published.on("engine") == []


def test_complete_cancel_and_conference_of_a_number_consultation(
    acme, talking, published, django_capture_on_commit_callbacks
):
    subject, call = talking
    api = acme.api(subject.user)
    # Ringing: cancel is accepted, conference is refused (not answered).
    _event(acme, call, "consult_started", subject.agent.pk, number="13900001111")
    refused = api.post(f"/api/v1/calls/{call.uid}/conference", format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "not_answered"
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/calls/{call.uid}/consult/cancel", format="json").status_code == 202
    # Answered: complete and conference are accepted.
    _event(acme, call, "consult_answered", subject.agent.pk, number="13900001111")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/calls/{call.uid}/consult/complete", format="json").status_code == 202
        assert api.post(f"/api/v1/calls/{call.uid}/conference", format="json").status_code == 202
    assert [m["type"] for m in _engine(published)] == [
        "call.consult_cancel",
        "call.consult_complete",
        "call.conference",
    ]


def test_drop_of_the_number_in_a_conference(acme, talking, published, django_capture_on_commit_callbacks):
    subject, call = talking
    api = acme.api(subject.user)
    assert api.post(f"/api/v1/calls/{call.uid}/conference/drop", format="json").status_code == 400
    _event(acme, call, "conference_started", subject.agent.pk, number="13900001111")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/calls/{call.uid}/conference/drop", format="json").status_code == 202
    assert _engine(published) == [{"type": "call.conference_drop", "agent_id": subject.agent.pk, "call_uid": call.uid}]
    with tenant_context(acme.tenant):  # a desk reloaded mid-conference shows the number as the other party
        snapshot = agent_desktop_snapshot(Agent.objects.get(pk=subject.agent.pk))
    assert snapshot["call"]["conference"]["parties"][1] == {
        "agent_id": None,
        "name": "13900001111",
        "role": "member",
        "number": "13900001111",
    }


def test_another_agent_cannot_complete_a_number_consultation(acme, talking, published):
    subject, call = talking
    _event(acme, call, "consult_answered", subject.agent.pk, number="13900001111")
    other = make_agent(acme)
    response = acme.api(other.user).post(f"/api/v1/calls/{call.uid}/consult/complete", format="json")
    assert response.status_code in (400, 404)
    assert published.on("engine") == []
