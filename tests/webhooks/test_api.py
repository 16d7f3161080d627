"""The webhook API's contract: create → 201 with id and the secret (once), change, delete, the
delivery log and replay; administrators only; another company's webhooks are invisible."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.webhooks.catalog import EVENT_TYPES
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.secret_box import secret_decrypt

pytestmark = pytest.mark.usefixtures("allow_private")


def create(api, url, events=("call.ended",), **extra):
    return api.post("/api/v1/webhooks", {"url": url, "events": list(events), **extra}, format="json")


def test_create_answers_201_with_the_secret_once_and_stores_it_encrypted(acme, receiver):
    api = acme.api(acme.admin())
    response = create(api, receiver.url, ["call.ended", "ticket.created"], description="CRM sync")
    assert response.status_code == 201
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert body["events"] == ["call.ended", "ticket.created"] and body["description"] == "CRM sync"
    assert body["secret_hint"] == "…" + secret[-4:]
    with tenant_context(acme.tenant):
        row = WebhookSubscription.objects.get(pk=body["id"])
        assert secret not in row.secret_encrypted
        assert secret_decrypt(row.secret_encrypted) == secret
        assert AuditEntry.objects.filter(action="webhook.created", target_id=str(row.pk)).exists()
    again = api.get(f"/api/v1/webhooks/{body['id']}").json()
    assert "secret" not in again
    assert secret not in str(api.get("/api/v1/webhooks").json())


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "", "events": ["call.ended"]}, "url"),
        ({"url": "https://example.com/x", "events": []}, "events"),
        ({"url": "https://example.com/x", "events": ["call.exploded"]}, "events"),
        ({"url": "https://example.com/x", "events": "call.ended"}, "events"),
        ({"url": "https://example.com/x", "events": ["call.ended"], "description": "x" * 201}, "description"),
        ({"url": "ftp://example.com/x", "events": ["call.ended"]}, "url"),
    ],
)
def test_bad_input_is_400_with_the_field_and_nothing_saved(acme, payload, field):
    response = acme.api(acme.admin()).post("/api/v1/webhooks", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    with tenant_context(acme.tenant):
        assert not WebhookSubscription.objects.exists()


def test_change_disable_enable_rotate_and_delete(acme, receiver):
    api = acme.api(acme.admin())
    created = create(api, receiver.url).json()
    url = f"/api/v1/webhooks/{created['id']}"
    changed = api.patch(url, {"events": ["agent.state", "call.started"], "description": "desk"}, format="json")
    assert changed.status_code == 200 and changed.json()["events"] == ["call.started", "agent.state"]
    assert api.patch(url, {"is_active": False}, format="json").json()["disabled_reason"] == "admin"
    assert api.patch(url, {"is_active": True}, format="json").json()["is_active"] is True
    assert api.patch(url, {"secret": "mine"}, format="json").status_code == 400
    rotated = api.post(f"{url}/rotate-secret").json()["secret"]
    assert rotated != created["secret"]
    with tenant_context(acme.tenant):
        assert secret_decrypt(WebhookSubscription.objects.get(pk=created["id"]).secret_encrypted) == rotated
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_the_delivery_log_and_replay(acme, receiver, django_capture_on_commit_callbacks):
    api = acme.api(acme.admin())
    created = create(api, receiver.url).json()
    base = f"/api/v1/webhooks/{created['id']}"
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"{base}/test")
    assert sent.status_code == 202
    log = api.get(f"{base}/deliveries").json()
    assert log["count"] == 1
    first = log["results"][0]
    assert first["status"] == "delivered" and first["attempts"] == 1 and first["response_code"] == 200
    assert first["event_type"] == "webhook.test"
    detail = api.get(f"{base}/deliveries/{first['id']}").json()
    assert detail["payload"]["type"] == "webhook.test" and detail["payload"]["id"] == first["event_id"]
    with django_capture_on_commit_callbacks(execute=True):
        replayed = api.post(f"{base}/deliveries/{first['id']}/replay")
    assert replayed.status_code == 202
    assert replayed.json()["replay_of"] == first["id"]
    assert [request.json["id"] for request in receiver.requests] == [first["event_id"], first["event_id"]]
    assert api.get(f"{base}/deliveries", {"status": "delivered"}).json()["count"] == 2
    assert api.get(f"{base}/deliveries", {"status": "lost"}).status_code == 400
    assert api.get(f"{base}/deliveries/999999").status_code == 404
    with tenant_context(acme.tenant):
        assert AuditEntry.objects.filter(action="webhook.delivery_replayed").count() == 1


def test_event_types_list_every_type_with_its_schema(acme):
    body = acme.api(acme.admin()).get("/api/v1/webhooks/event-types").json()
    assert [row["type"] for row in body["results"]] == list(EVENT_TYPES)
    ended = next(row for row in body["results"] if row["type"] == "call.ended")
    assert ended["schema"]["properties"]["data"]["properties"]["cdr"]["type"] == "object"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.QA_LEAD, Role.BILLING])
def test_only_administrators_may_use_the_api(acme, role, receiver):
    api = acme.api(acme.user(role))
    assert api.get("/api/v1/webhooks").status_code == 403
    assert create(api, receiver.url).status_code == 403
    with tenant_context(acme.tenant):
        assert not WebhookSubscription.objects.exists()


def test_anonymous_is_refused(acme):
    assert acme.api().get("/api/v1/webhooks").status_code in (401, 403)


def test_another_company_sees_none_of_them(acme, globex, receiver, django_capture_on_commit_callbacks):
    created = create(acme.api(acme.admin()), receiver.url).json()
    with django_capture_on_commit_callbacks(execute=True):
        acme.api(acme.admin()).post(f"/api/v1/webhooks/{created['id']}/test")
    with tenant_context(acme.tenant):
        delivery = WebhookDelivery.objects.get()
    outsider = globex.api(globex.admin())
    assert outsider.get("/api/v1/webhooks").json()["results"] == []
    for method, path in [
        ("get", f"/api/v1/webhooks/{created['id']}"),
        ("patch", f"/api/v1/webhooks/{created['id']}"),
        ("delete", f"/api/v1/webhooks/{created['id']}"),
        ("get", f"/api/v1/webhooks/{created['id']}/deliveries"),
        ("post", f"/api/v1/webhooks/{created['id']}/deliveries/{delivery.pk}/replay"),
        ("post", f"/api/v1/webhooks/{created['id']}/test"),
    ]:
        assert getattr(outsider, method)(path, {}, format="json").status_code == 404, path
    # acme's token on globex's host is not a login there.
    token = acme.token(acme.admin())
    stranger = globex.api()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert stranger.get("/api/v1/webhooks").status_code in (401, 403)
    with tenant_context(acme.tenant):
        assert WebhookSubscription.objects.filter(pk=created["id"]).exists()
