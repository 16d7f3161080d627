"""The demo's webhook and the local receiver: a demo call and a new ticket reach an integrator's
endpoint signed (the issue's "done when"), and the receiver refuses what is not."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.crm.services.ticket_config import ticket_category_create
from apps.crm.services.tickets import ticket_create
from apps.webhooks.choices import DisabledReason
from apps.webhooks.management.commands.webhook_receiver import serve, tenant_secrets, verdict
from apps.webhooks.models import WebhookSubscription
from apps.webhooks.secret_box import secret_decrypt
from apps.webhooks.services.demo import DEMO_PORT, DEMO_URL, webhooks_demo_ensure
from apps.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from tests.qa.factories import make_agent_call
from tests.webhooks.conftest import subscribe


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_demo_webhook_is_made_once_and_waits_disabled(acme):
    first = webhooks_demo_ensure(acme.tenant.schema_name)
    assert webhooks_demo_ensure(acme.tenant.schema_name) == first
    with tenant_context(acme.tenant):
        webhook = WebhookSubscription.objects.get()
        assert webhook.url == DEMO_URL and not webhook.is_active
        assert webhook.disabled_reason == DisabledReason.ADMIN
        assert webhook.events == ["call.ended", "ticket.created"]
    assert tenant_secrets(acme.tenant.schema_name, DEMO_PORT) == [secret_decrypt(webhook.secret_encrypted)]
    assert tenant_secrets(acme.tenant.schema_name, DEMO_PORT + 1) == []


def test_a_call_and_a_ticket_reach_the_integrators_receiver_signed(
    acme, allow_private, django_capture_on_commit_callbacks
):
    port = free_port()
    _webhook, secret = subscribe(acme, f"http://127.0.0.1:{port}/webhooks/demo", ["call.ended", "ticket.created"])
    lines: list[str] = []
    receiver = threading.Thread(
        target=serve, kwargs={"port": port, "secrets": [secret], "count": 2, "write": lines.append}
    )
    receiver.start()
    time.sleep(0.2)  # the socket is bound before the first delivery
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        make_agent_call(acme.user(Role.AGENT), recording_seconds=None)
        category = ticket_category_create(actor=None, name="Orders")
        ticket_create(actor=acme.admin(), title="Where is my order?", category=category.pk)
    receiver.join(timeout=10)
    assert not receiver.is_alive()
    assert [line.split(" ")[:5] for line in lines] == [
        ["200", "signature", "ok:", "call.ended", lines[0].split(" ")[4]],
        ["200", "signature", "ok:", "ticket.created", lines[1].split(" ")[4]],
    ]


@pytest.mark.parametrize(
    ("timestamp", "secret", "expected"),
    [("now", "whsec_right", 200), ("now", "whsec_wrong", 401), ("old", "whsec_right", 401), ("", "whsec_right", 401)],
)
def test_the_receiver_checks_signature_and_age(timestamp, secret, expected):
    now = 1_800_000_000
    stamp = {"now": str(now), "old": str(now - 3600), "": ""}[timestamp]
    body = b'{"id":"x","type":"webhook.test","created_at":"","data":{}}'
    headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(secret, stamp, body)}
    assert verdict(["whsec_right"], headers, body, now=now)[0] == expected
