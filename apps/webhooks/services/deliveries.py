"""Sending deliveries: one attempt, the back-off between attempts, giving up, disabling a
subscription that keeps failing, replaying a delivery and the "send test event" button.

Retries: an attempt that fails (a connection error, a time-out, any status but 2xx) sets the
delivery's ``next_attempt_at`` to now + :func:`backoff_seconds` (60 s, 2, 4, 8 … minutes, at most
6 h; ``WEBHOOK_BACKOFF_*``), and the beat's sweep (``webhooks.deliveries_due``, every minute)
sends what is due. Why a sweep rather than Celery countdowns: a countdown of hours sits in the
broker, where Redis's visibility time-out re-delivers it twice or a restart loses it; a row with
a due time survives both. After ``WEBHOOK_MAX_ATTEMPTS`` attempts the delivery has failed.

Each attempt first *claims* its delivery with one conditional UPDATE (pending and due → due
again after a lease), so two workers never send the same attempt, and a worker that dies
mid-attempt leaves it to the sweep once the lease is over.

A subscription whose last ``WEBHOOK_DISABLE_AFTER_FAILURES`` deliveries all failed is disabled,
its pending deliveries cancelled, and the company's administrators notified (``notify()``); a
2xx answer sets the count back to zero.
"""

from __future__ import annotations

import http.client
import json
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.core.tenancy import current_schema
from apps.notifications.services import notify
from apps.webhooks import limits
from apps.webhooks.catalog import TEST_EVENT
from apps.webhooks.choices import DeliveryStatus, DisabledReason
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.payloads import event_data
from apps.webhooks.secret_box import SecretUnreadable, secret_decrypt
from apps.webhooks.services.events import deliveries_send_on_commit, event_enqueue, subscriptions_changed
from apps.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from apps.webhooks.transport import UnsafeDestination, destination_check, post

USER_AGENT = "ContactCenter-Webhooks/1"
SWEEP_BATCH = 500
ERROR_MAX = 300


def backoff_seconds(attempt: int) -> int:
    """Seconds to wait after failed attempt number ``attempt`` (1 = the first): base × 2^(n−1),
    at most ``WEBHOOK_BACKOFF_MAX_SECONDS``."""
    return min(limits.backoff_base_seconds() * 2 ** (attempt - 1), limits.backoff_max_seconds())


def backoff_schedule() -> list[int]:
    """The waits between a delivery's attempts, in order (one fewer than the attempts)."""
    return [backoff_seconds(n) for n in range(1, limits.max_attempts())]


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes that are POSTed and signed: compact JSON, UTF-8."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def _lease() -> timedelta:
    return timedelta(seconds=limits.timeout_seconds() * 3 + 30)


def delivery_claim(delivery_id: int, *, now: datetime) -> WebhookDelivery | None:
    """Take the delivery for one attempt, or None if it is not pending and due (done, or taken)."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + _lease())
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt of a pending, due delivery and record it; None when there was nothing to do.

    No transaction is held while the receiver answers (up to ``WEBHOOK_TIMEOUT_SECONDS``)."""
    now = timezone.now()
    delivery = delivery_claim(delivery_id, now=now)
    if delivery is None:
        return None
    subscription = delivery.subscription
    if not subscription.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.CANCELLED, next_attempt_at=None)
        delivery.refresh_from_db()
        return delivery
    body = delivery_body(delivery)
    try:
        secret = secret_decrypt(subscription.secret_encrypted)
        destination = destination_check(subscription.url)
    except SecretUnreadable:
        return _record(delivery, error="secret unreadable: renew the secret", final=True)
    except UnsafeDestination as refusal:
        # A name that stops resolving may come back; an address that is not public will not.
        return _record(delivery, error=f"{refusal.code}: {refusal.message}", final=refusal.code != "unresolvable")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        EVENT_HEADER: delivery.event_type,
        DELIVERY_HEADER: str(delivery.pk),
    }
    started = time.monotonic()
    try:
        response = post(destination, body, headers, timeout=limits.timeout_seconds())
    except (OSError, http.client.HTTPException) as error:
        took = int((time.monotonic() - started) * 1000)
        return _record(delivery, error=f"{type(error).__name__}: {error}", duration_ms=took)
    return _record(
        delivery,
        response_code=response.status,
        response_body=response.body,
        duration_ms=response.duration_ms,
        success=200 <= response.status < 300,
        error="" if 200 <= response.status < 300 else f"HTTP {response.status}",
    )


@transaction.atomic
def _record(
    delivery: WebhookDelivery,
    *,
    error: str = "",
    response_code: int | None = None,
    response_body: str = "",
    duration_ms: int | None = None,
    success: bool = False,
    final: bool = False,
) -> WebhookDelivery:
    """Store an attempt's outcome; on a delivery's final failure count it against the
    subscription (lock order: the subscription, then the delivery)."""
    now = timezone.now()
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_code = response_code
    delivery.response_body = response_body
    delivery.error = error[:ERROR_MAX]
    delivery.duration_ms = duration_ms
    if success:
        delivery.status, delivery.next_attempt_at, delivery.delivered_at = DeliveryStatus.DELIVERED, None, now
        if subscription.consecutive_failures:
            WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
    elif final or delivery.attempts >= limits.max_attempts():
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        _count_failure(subscription)
    else:
        delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
    delivery.save()
    return delivery


def _count_failure(subscription: WebhookSubscription) -> None:
    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    subscription.refresh_from_db(fields=["consecutive_failures"])
    if subscription.is_active and subscription.consecutive_failures >= limits.disable_after_failures():
        subscription_disable_failing(subscription)


def subscription_disable_failing(subscription: WebhookSubscription) -> None:
    """Disable a subscription that keeps failing, cancel what it still had to send, and tell the
    administrators (in the caller's transaction, with the subscription locked)."""
    now = timezone.now()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=False, disabled_reason=DisabledReason.FAILURES, disabled_at=now, updated_at=now
    )
    WebhookDelivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, next_attempt_at=None
    )
    subscription.is_active, subscription.disabled_reason, subscription.disabled_at = False, DisabledReason.FAILURES, now
    audit_record(
        action=AuditAction.WEBHOOK_DISABLED,
        target=subscription,
        after={"is_active": False, "consecutive_failures": subscription.consecutive_failures},
    )
    subscriptions_changed(current_schema())
    admins = User.objects.filter(is_active=True, roles__contains=[Role.TENANT_ADMIN])
    notify(
        users=admins,
        kind="webhooks.disabled",
        title=gettext_lazy("A webhook was disabled after %(n)s failed deliveries"),
        body=gettext_lazy(
            "Events are no longer sent to %(url)s. Check the endpoint, then enable the webhook again on its page."
        ),
        url=f"/webhooks/{subscription.pk}/",
        params={"n": subscription.consecutive_failures, "url": subscription.url},
    )


@transaction.atomic
def delivery_replay(*, delivery: WebhookDelivery, actor: Any = None) -> WebhookDelivery:
    """Send ``delivery``'s body again (same event id) as a new delivery in the log."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    if not subscription.is_active:
        raise ApplicationError(
            "subscription_disabled", _("This webhook is disabled: enable it before sending again."), status=409
        )
    now = timezone.now()
    replay = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        replay_of=delivery,
        next_attempt_at=now,
        created_at=now,
    )
    audit_record(
        action=AuditAction.WEBHOOK_DELIVERY_REPLAYED,
        actor=actor,
        target=subscription,
        extra={"delivery": delivery.pk, "replay": replay.pk, "event_id": str(delivery.event_id)},
    )
    deliveries_send_on_commit([replay.pk])
    return replay


@transaction.atomic
def webhook_send_test(*, subscription: WebhookSubscription, actor: Any = None) -> WebhookDelivery:
    """A ``webhook.test`` event to this subscription only, whatever it subscribes to."""
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not locked.is_active:
        raise ApplicationError(
            "subscription_disabled", _("This webhook is disabled: enable it before sending a test."), status=409
        )
    data = event_data(TEST_EVENT, locked, {"message": "This is a test event sent from the webhook's page."})
    return event_enqueue(event_type=TEST_EVENT, data=data, subscriptions=[locked])[0]


def deliveries_due(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """The pending deliveries whose time has come, oldest due first (the sweep sends each)."""
    moment = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=moment)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
