"""Delivering to a real local receiver: signed bodies, retries on the back-off schedule,
giving up, disabling a webhook that keeps failing (with a notice to the administrators)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.notifications.models import Notification
from apps.webhooks.choices import DeliveryStatus, DisabledReason
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.services.deliveries import backoff_schedule, backoff_seconds, delivery_attempt, webhook_send_test
from apps.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from apps.webhooks.tasks import webhook_deliveries_due_tenant_task
from tests.webhooks.conftest import subscribe

pytestmark = pytest.mark.usefixtures("allow_private")


def send_test(world, subscription, capture) -> WebhookDelivery:
    with tenant_context(world.tenant), capture(execute=True):
        delivery = webhook_send_test(subscription=subscription)
    with tenant_context(world.tenant):
        delivery.refresh_from_db()
    return delivery


def make_due(world, delivery: WebhookDelivery) -> None:
    """Jump the clock: the delivery's next attempt is now."""
    with tenant_context(world.tenant):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def sweep(world) -> None:
    with tenant_context(world.tenant):
        webhook_deliveries_due_tenant_task()


def test_a_delivery_is_signed_over_timestamp_and_body(acme, receiver, django_capture_on_commit_callbacks):
    subscription, secret = subscribe(acme, receiver.url, ["call.ended"])
    before = int(time.time())
    delivery = send_test(acme, subscription, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.response_code == 200
    [request] = receiver.requests
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert before <= int(timestamp) <= int(time.time())
    assert request.headers[SIGNATURE_HEADER] == signature(secret, timestamp, request.body)
    assert request.headers[SIGNATURE_HEADER].startswith("sha256=")
    assert request.signed_by(secret)
    assert not request.signed_by("whsec_someone-else")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-CC-Event"] == "webhook.test"
    body = request.json
    assert set(body) == {"id", "type", "created_at", "data"}
    assert body["id"] == str(delivery.event_id) and body["data"]["subscription_id"] == subscription.pk
    # The signature covers the exact bytes: a body re-serialised differently no longer matches.
    loose = json.dumps(body, indent=2).encode()
    assert signature(secret, timestamp, loose) != request.headers[SIGNATURE_HEADER]


def test_the_back_off_doubles_from_a_minute_up_to_six_hours():
    assert backoff_schedule() == [60, 120, 240, 480, 960, 1920, 3840]
    assert backoff_seconds(20) == 6 * 3600


def test_failed_attempts_are_retried_on_the_schedule_until_one_succeeds(
    acme, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    receiver.codes.extend([500, 503])
    subscription, secret = subscribe(acme, receiver.url, ["call.ended"])
    delivery = send_test(acme, subscription, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1 and delivery.response_code == 500
    assert delivery.next_attempt_at - delivery.last_attempt_at == timedelta(seconds=60)
    sweep(acme)  # not due yet: nothing is sent
    assert len(receiver.requests) == 1

    make_due(acme, delivery)
    sweep(acme)
    with tenant_context(acme.tenant):
        delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.response_code == 503 and delivery.error == "HTTP 503"
    assert delivery.next_attempt_at - delivery.last_attempt_at == timedelta(seconds=120)

    make_due(acme, delivery)
    sweep(acme)
    with tenant_context(acme.tenant):
        delivery.refresh_from_db()
        subscription.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3 and delivery.next_attempt_at is None
    assert subscription.consecutive_failures == 0
    assert len({request.json["id"] for request in receiver.requests}) == 1  # one event, three attempts
    assert all(request.signed_by(secret) for request in receiver.requests)


def test_a_delivery_is_not_sent_twice_by_two_workers(acme, receiver, django_capture_on_commit_callbacks):
    subscription, _secret = subscribe(acme, receiver.url, ["call.ended"])
    delivery = send_test(acme, subscription, django_capture_on_commit_callbacks)
    with tenant_context(acme.tenant):
        assert delivery_attempt(delivery_id=delivery.pk) is None  # already delivered: nothing to claim
    assert len(receiver.requests) == 1


def test_a_delivery_gives_up_after_the_last_attempt(acme, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.codes.extend([500, 500, 500])
    subscription, _secret = subscribe(acme, receiver.url, ["call.ended"])
    delivery = send_test(acme, subscription, django_capture_on_commit_callbacks)
    make_due(acme, delivery)
    sweep(acme)
    with tenant_context(acme.tenant):
        delivery.refresh_from_db()
        subscription.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2 and delivery.next_attempt_at is None
    assert subscription.consecutive_failures == 1 and subscription.is_active


def test_an_unreachable_endpoint_is_a_failed_attempt(acme, receiver, django_capture_on_commit_callbacks):
    subscription, _secret = subscribe(acme, "http://127.0.0.1:9/closed", ["call.ended"])
    delivery = send_test(acme, subscription, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.PENDING and delivery.response_code is None
    assert "ConnectionRefusedError" in delivery.error


def test_repeated_failures_disable_the_webhook_and_tell_the_administrators(
    acme, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.codes.extend([500] * 10)
    subscription, _secret = subscribe(acme, receiver.url, ["call.ended"])
    for _ in range(2):
        send_test(acme, subscription, django_capture_on_commit_callbacks)
    with tenant_context(acme.tenant):
        subscription.refresh_from_db()
        assert subscription.is_active and subscription.consecutive_failures == 2
        pending = WebhookDelivery.objects.create(
            subscription=subscription,
            event_type="call.ended",
            payload={},
            next_attempt_at=timezone.now() + timedelta(hours=1),
        )
    send_test(acme, subscription, django_capture_on_commit_callbacks)
    with tenant_context(acme.tenant):
        subscription.refresh_from_db()
        pending.refresh_from_db()
        admin = acme.admin()
        notice = Notification.objects.get(user=admin, kind="webhooks.disabled")
        assert AuditEntry.objects.filter(action="webhook.disabled", target_id=str(subscription.pk)).exists()
    assert not subscription.is_active and subscription.disabled_reason == DisabledReason.FAILURES
    assert pending.status == DeliveryStatus.CANCELLED
    assert "3 failed deliveries" in notice.title and receiver.url in notice.body
    assert notice.url == f"/webhooks/{subscription.pk}/"
    # Disabled: no test, no replay, and events no longer create deliveries.
    api = acme.api(admin)
    assert api.post(f"/api/v1/webhooks/{subscription.pk}/test").status_code == 409
    with tenant_context(acme.tenant):
        last = WebhookDelivery.objects.filter(subscription=subscription).exclude(pk=pending.pk).first()
    assert api.post(f"/api/v1/webhooks/{subscription.pk}/deliveries/{last.pk}/replay").status_code == 409
    # Enabled again by an administrator: the count starts over and deliveries flow.
    receiver.codes.clear()
    assert api.patch(f"/api/v1/webhooks/{subscription.pk}", {"is_active": True}, format="json").status_code == 200
    delivery = send_test(acme, subscription, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.DELIVERED
    with tenant_context(acme.tenant):
        assert WebhookSubscription.objects.get(pk=subscription.pk).consecutive_failures == 0


def test_a_disabled_webhooks_queued_delivery_is_cancelled_not_sent(acme, receiver):
    subscription, _secret = subscribe(acme, receiver.url, ["call.ended"])
    with tenant_context(acme.tenant):
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event_type="call.ended", payload={}, next_attempt_at=timezone.now()
        )
        WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)
        result = delivery_attempt(delivery_id=delivery.pk)
    assert result is not None and result.status == DeliveryStatus.CANCELLED
    assert receiver.requests == []
