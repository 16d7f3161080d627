"""The administrators' webhook pages: create (the secret shown once), send a test event, read the
log, replay, disable and delete; bad input back on the form; other roles refused."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.secret_box import secret_decrypt
from tests.accounts.helpers import web_login
from tests.webhooks.conftest import subscribe

pytestmark = pytest.mark.usefixtures("allow_private")


def test_an_administrator_creates_tests_replays_and_deletes_a_webhook(
    acme, receiver, django_capture_on_commit_callbacks
):
    browser = web_login(acme, acme.admin_email)
    empty = browser.get("/webhooks/")
    assert empty.status_code == 200 and "No webhooks yet." in empty.content.decode()
    form = browser.get("/webhooks/new/").content.decode()
    assert "call.ended" in form and "ticket.created" in form

    created = browser.post(
        "/webhooks/new/", {"url": receiver.url, "events": ["call.ended", "ticket.created"], "description": "ERP"}
    )
    assert created.status_code == 302
    with tenant_context(acme.tenant):
        webhook = WebhookSubscription.objects.get()
        secret = secret_decrypt(webhook.secret_encrypted)
    assert created["Location"] == f"/webhooks/{webhook.pk}/"
    first = browser.get(created["Location"]).content.decode()
    assert secret in first and "shown only this once" in first
    assert secret not in browser.get(created["Location"]).content.decode()  # once

    with django_capture_on_commit_callbacks(execute=True):
        tested = browser.post(f"/webhooks/{webhook.pk}/test/")
    assert tested.status_code == 302
    assert receiver.requests[0].signed_by(secret)
    page = browser.get(f"/webhooks/{webhook.pk}/").content.decode()
    assert "webhook.test" in page and "Delivered" in page
    with tenant_context(acme.tenant):
        delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(f"/webhooks/{webhook.pk}/deliveries/{delivery.pk}/replay/")
    assert len(receiver.requests) == 2

    browser.post(f"/webhooks/{webhook.pk}/toggle/", {"enable": "0"})
    with tenant_context(acme.tenant):
        webhook.refresh_from_db()
    assert not webhook.is_active
    browser.post(f"/webhooks/{webhook.pk}/rotate/")
    with tenant_context(acme.tenant):
        webhook.refresh_from_db()
        renewed = secret_decrypt(webhook.secret_encrypted)
    assert renewed != secret and renewed in browser.get(f"/webhooks/{webhook.pk}/").content.decode()
    assert browser.post(f"/webhooks/{webhook.pk}/delete/").status_code == 302
    with tenant_context(acme.tenant):
        assert not WebhookSubscription.objects.exists()


def test_bad_input_comes_back_on_the_form_and_saves_nothing(acme, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    browser = web_login(acme, acme.admin_email)
    page = browser.post("/webhooks/new/", {"url": "http://127.0.0.1:8000/x", "events": ["call.ended"]})
    assert page.status_code == 400
    assert "not on the public internet" in page.content.decode()
    missing = browser.post("/webhooks/new/", {"url": "https://example.com/x"})
    assert missing.status_code == 400
    with tenant_context(acme.tenant):
        assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_other_roles_are_refused(acme, role):
    browser = web_login(acme, acme.user(role).email)
    assert browser.get("/webhooks/").status_code == 403
    assert browser.post("/webhooks/new/", {"url": "https://example.com/", "events": ["call.ended"]}).status_code == 403


def test_another_companys_webhook_is_not_found(acme, globex, receiver):
    webhook, _secret = subscribe(acme, receiver.url, ["call.ended"])
    browser = web_login(globex, globex.admin_email)
    assert browser.get(f"/webhooks/{webhook.pk}/").status_code == 404
    assert browser.post(f"/webhooks/{webhook.pk}/delete/").status_code == 404
