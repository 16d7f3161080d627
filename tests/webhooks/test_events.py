"""Business events reach subscribers through the one seam (apps/core/domain_events.py): calls
through the CDR service, recordings, agent states, tickets, evaluations and campaigns; each body
matches the documented JSON Schema of its type; nothing is sent for unsubscribed types or for a
change that was rolled back."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context
from jsonschema import Draft202012Validator

from apps.accounts.choices import Role
from apps.core.domain_events import domain_event
from apps.crm.services.ticket_config import ticket_category_create
from apps.crm.services.tickets import ticket_create, ticket_note, ticket_resolve
from apps.telephony.models import Agent, Call
from apps.telephony.services.agent_state import agent_set_state
from apps.telephony.services.campaigns.lifecycle import campaign_pause, campaign_stop
from apps.webhooks.catalog import EVENT_TYPES, TEST_EVENT, envelope_schema
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import events
from apps.webhooks.services.deliveries import webhook_send_test
from apps.webhooks.services.events import subscribed_types, subscriptions_changed
from tests.qa.factories import make_agent_call, make_evaluation, make_scorecard
from tests.telephony.campaign_factories import make_campaign
from tests.webhooks.conftest import subscribe

pytestmark = pytest.mark.usefixtures("allow_private")


def assert_valid(body: dict) -> None:
    """The body matches its type's documented schema (formats checked too)."""
    validator = Draft202012Validator(envelope_schema(body["type"]), format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.path))
    assert not errors, [f"{list(error.path)}: {error.message}" for error in errors]


def received_types(receiver) -> list[str]:
    return [request.json["type"] for request in receiver.requests]


def test_a_call_sends_started_answered_ended_with_its_cdr_and_the_recording(
    acme, receiver, django_capture_on_commit_callbacks
):
    _subscription, secret = subscribe(
        acme, receiver.url, ["call.started", "call.answered", "call.ended", "recording.ready"]
    )
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        call = make_agent_call(talk_seconds=42)
    assert received_types(receiver) == ["call.started", "call.answered", "call.ended", "recording.ready"]
    for request in receiver.requests:
        assert request.signed_by(secret)
        assert_valid(request.json)
    started, answered, ended, recording = (request.json["data"] for request in receiver.requests)
    assert started["call_uid"] == answered["call_uid"] == ended["call_uid"] == call.uid
    assert started["answered_at"] is None and answered["agent_id"] == call.agent_id
    assert ended["cdr"]["talk_seconds"] == 42 and ended["cdr"]["end_reason"] == call.end_reason
    assert recording["call_uid"] == call.uid and recording["content_type"] == "audio/wav"


def test_an_agents_state_change_is_sent(acme, receiver, django_capture_on_commit_callbacks):
    subscribe(acme, receiver.url, ["agent.state"])
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        user = acme.user(Role.AGENT)
        agent = Agent.objects.get_or_create(user=user)[0]
        Agent.objects.filter(pk=agent.pk).update(is_virtual=True)  # no seat needed to go Ready
        agent_set_state(agent=agent, state="ready", actor=user)
    [request] = receiver.requests
    assert_valid(request.json)
    assert request.json["data"]["agent_id"] == agent.pk and request.json["data"]["state"] == "ready"


def test_tickets_send_created_resolved_and_updates_but_not_internal_notes(
    acme, receiver, django_capture_on_commit_callbacks
):
    subscribe(acme, receiver.url, ["ticket.created", "ticket.updated", "ticket.resolved"])
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        admin = acme.admin()
        category = ticket_category_create(actor=None, name="Repairs")
        ticket = ticket_create(actor=admin, title="Heater broken", category=category.pk)
        ticket_note(ticket=ticket, actor=admin, body="Internal: customer is a VIP")
        ticket_resolve(ticket=ticket, actor=admin, resolution="Replaced the heater")
    types = received_types(receiver)
    assert types[0] == "ticket.created" and types[-1] == "ticket.resolved"
    assert all(request.json["data"]["change"] != "note" for request in receiver.requests)
    for request in receiver.requests:
        assert_valid(request.json)
        assert request.json["data"]["ticket_id"] == ticket.pk
    assert "VIP" not in str([request.json for request in receiver.requests])


def test_a_submitted_evaluation_is_sent(acme, receiver, django_capture_on_commit_callbacks):
    subscribe(acme, receiver.url, ["evaluation.submitted"])
    with tenant_context(acme.tenant):
        scorecard = make_scorecard()
        call = make_agent_call(acme.user(Role.AGENT))
        analyst = acme.user(Role.QA)
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        evaluation = make_evaluation(call, scorecard, analyst)
    [request] = receiver.requests
    assert_valid(request.json)
    assert request.json["data"]["evaluation_id"] == evaluation.pk and request.json["data"]["call_uid"] == call.uid


def test_campaign_transitions_are_sent(acme, receiver, django_capture_on_commit_callbacks):
    subscribe(acme, receiver.url, ["campaign.paused", "campaign.completed"])
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        running = make_campaign(running=True)
        campaign_pause(campaign=running)
        campaign_stop(campaign=running)
    assert received_types(receiver) == ["campaign.paused", "campaign.completed"]
    for request in receiver.requests:
        assert_valid(request.json)
    assert receiver.requests[1].json["data"]["status"] == "finished"


def test_the_test_event_matches_its_schema(acme, receiver, django_capture_on_commit_callbacks):
    subscription, _secret = subscribe(acme, receiver.url, ["call.ended"])
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        webhook_send_test(subscription=subscription)
    assert receiver.requests[0].json["type"] == TEST_EVENT
    assert_valid(receiver.requests[0].json)


def test_unsubscribed_types_and_other_companies_get_nothing(acme, globex, receiver, django_capture_on_commit_callbacks):
    subscribe(acme, receiver.url, ["ticket.created"])
    subscribe(globex, receiver.url, ["call.started", "call.ended"])
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        make_agent_call()
    assert receiver.requests == []
    with tenant_context(acme.tenant):
        assert not WebhookDelivery.objects.exists()
    with tenant_context(globex.tenant):
        assert not WebhookDelivery.objects.exists()


def test_a_rolled_back_change_sends_nothing(acme, receiver, django_capture_on_commit_callbacks):
    subscribe(acme, receiver.url, ["call.started", "call.ended"])

    class Undo(Exception):
        pass

    with (
        tenant_context(acme.tenant),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Undo),
        transaction.atomic(),
    ):
        make_agent_call(recording_seconds=None)
        raise Undo
    with tenant_context(acme.tenant):
        assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_every_type_has_a_schema_with_the_envelope():
    for event_type in [*EVENT_TYPES, TEST_EVENT]:
        schema = envelope_schema(event_type)
        Draft202012Validator.check_schema(schema)
        assert schema["required"] == ["id", "type", "created_at", "data"]


def test_nobody_subscribed_costs_no_query_on_the_write_path(acme, django_assert_num_queries):
    with tenant_context(acme.tenant):
        call = make_agent_call(recording_seconds=None)
        subscriptions_changed(acme.tenant.schema_name)  # forget earlier tests' (rolled back) subscriptions
        assert subscribed_types(acme.tenant.schema_name) == frozenset()  # cached: nobody listens
        with django_assert_num_queries(0):
            domain_event("call.ended", call)


def test_a_failing_listener_never_undoes_the_change(acme, receiver, monkeypatch, caplog):
    subscribe(acme, receiver.url, ["call.started", "call.ended"])

    def broken(*args, **kwargs):
        raise LookupError("a bug in a payload")

    monkeypatch.setattr(events, "event_data", broken)
    with tenant_context(acme.tenant):
        call = make_agent_call(recording_seconds=None)
        assert Call.objects.filter(pk=call.pk, ended_at__isnull=False).exists()
        assert not WebhookDelivery.objects.exists()
    assert "a listener failed" in caplog.text
