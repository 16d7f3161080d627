"""The demo's self-service IVR: the flow (idempotent, valid), its endpoint command answering
signed lookups, and a test call that looks an order up on it for real and speaks the answer."""

from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from apps.telephony.ivr.validator import validate_graph
from apps.telephony.ivr_demo import DEMO_FLOW_NAME, demo_graph, demo_order, ivr_self_service_demo_ensure
from apps.telephony.models import IvrFlow, Queue
from apps.telephony.services import ivr as ivr_services
from apps.telephony.speech import words as speech
from tests.sip.harness import free_port


def test_the_demo_flow_is_published_once_and_valid(acme, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with tenant_context(acme.tenant):
        Queue.objects.get_or_create(code="general", defaults={"name": "General"})
    first = ivr_self_service_demo_ensure(acme.tenant.schema_name)
    assert ivr_self_service_demo_ensure(acme.tenant.schema_name) == first
    with tenant_context(acme.tenant):
        flow = IvrFlow.objects.get(pk=first)
        assert flow.name == DEMO_FLOW_NAME and flow.published is not None
        assert validate_graph(flow.published.graph).ok
    assert demo_order("9999") == {"found": False, "status": "unknown"}


def test_the_demo_endpoint_answers_a_signed_lookup_and_the_test_call_speaks_it(acme, settings):
    from apps.telephony.management.commands.ivr_lookup_demo import serve
    from apps.webhooks.services.integration import integration_secret

    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    port = free_port()
    with tenant_context(acme.tenant):
        secret = integration_secret()  # what the test call signs with (the command reads it per request)
    lines: list[str] = []
    bound = threading.Event()
    server = threading.Thread(
        target=serve,
        kwargs={"port": port, "secrets": lambda: [secret], "count": 1, "write": lines.append, "ready": bound},
        daemon=True,
    )
    server.start()
    assert bound.wait(20), "the endpoint did not start"
    with tenant_context(acme.tenant):
        queue, _made = Queue.objects.get_or_create(code="general", defaults={"name": "General"})
        flow = ivr_services.flow_create(name="Orders", graph=demo_graph(queue.pk, f"http://127.0.0.1:{port}/orders"))
        version = ivr_services.flow_draft(flow)
        result = ivr_services.flow_test_call(version=version, digits=["1001", "0"])
    server.join(10)
    assert lines == ["200 order 1001 for 10000000000: shipped"]  # the signature checked
    assert result.variables["order_status"] == "shipped"
    expected = demo_order("1001")
    said = [action["text"] for action in result.actions if action["type"] == "say"]
    language = acme.tenant.default_language
    assert said == [
        speech.text(speech.date(expected["delivery"], language)),
        speech.text(speech.amount("128.50", language)),
    ]
    assert result.result["type"] == "queue" and result.reached_agent_request


def test_the_command_needs_a_known_company(db):
    with pytest.raises(CommandError):
        call_command("ivr_lookup_demo", tenant="no-such-company", count=1)
