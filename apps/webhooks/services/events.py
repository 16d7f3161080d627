"""From a business event to delivery rows: the listener on apps/core/domain_events.py.

Runs inside the announcing service's transaction (the engine's write batch, a ticket change, a
campaign's start …), so it must cost nothing when nobody listens: which event types have an
active subscription is cached per schema for ``TYPES_CACHE_SECONDS`` (a subscription created in
another process is heard within that time; in this process at once). When someone does listen,
the payload is built now, one :class:`WebhookDelivery` per subscription is inserted in the same
transaction (an outbox: rolled back with the change, never lost once committed), and the sending
is queued after the commit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.webhooks.choices import DeliveryStatus
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.payloads import event_data, iso, public_type

TYPES_CACHE_SECONDS = 5.0
_types_cache: dict[str, tuple[float, frozenset[str]]] = {}


def _cached_types(schema_name: str) -> frozenset[str] | None:
    cached = _types_cache.get(schema_name)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    return None


def subscribed_types(schema_name: str) -> frozenset[str]:
    """The event types some active subscription of ``schema_name`` wants (cached briefly)."""
    cached = _cached_types(schema_name)
    if cached is not None:
        return cached
    now = time.monotonic()
    types: set[str] = set()
    for events in WebhookSubscription.objects.filter(is_active=True).values_list("events", flat=True):
        types.update(events)
    found = frozenset(types)
    _types_cache[schema_name] = (now + TYPES_CACHE_SECONDS, found)
    return found


def subscriptions_changed(schema_name: str) -> None:
    """Forget the cached types of ``schema_name`` (a subscription was made, changed or removed)."""
    _types_cache.pop(schema_name, None)


def webhook_event_listener(*, schema_name: str, event_type: str, subject: Any, extra: dict[str, Any]) -> None:
    """The domain-event listener registered by ``WebhooksConfig.ready()``.

    Nobody subscribed (the cached answer): no query at all. Otherwise the reads and writes run in
    a savepoint, so a failure here is rolled back alone and the caller's change stands."""
    cached = _cached_types(schema_name)
    if cached is not None and not cached:
        return
    with transaction.atomic():
        wanted = subscribed_types(schema_name)
        public = public_type(event_type, subject, extra)
        if public is None or public not in wanted:
            return
        subscriptions = list(WebhookSubscription.objects.filter(is_active=True, events__contains=[public]))
        if subscriptions:
            event_enqueue(event_type=public, data=event_data(public, subject, extra), subscriptions=subscriptions)


def deliveries_send_on_commit(ids: list[int]) -> None:
    """Queue the first attempt of each delivery once the transaction commits. ``robust``: a broker
    that is down never breaks the caller; the due sweep sends them within a minute."""
    from apps.webhooks.tasks import webhook_deliver_task  # noqa: PLC0415 -- import cycle: tasks import services

    def send() -> None:
        for pk in ids:
            webhook_deliver_task.delay(pk)

    transaction.on_commit(send, robust=True)


def event_enqueue(
    *,
    event_type: str,
    data: dict[str, Any],
    subscriptions: Iterable[WebhookSubscription],
    created_at: datetime | None = None,
) -> list[WebhookDelivery]:
    """One event (one id) delivered to each of ``subscriptions``; returns the delivery rows."""
    now = timezone.now()
    event_id = uuid.uuid4()
    payload = {"id": str(event_id), "type": event_type, "created_at": iso(created_at or now), "data": data}
    rows = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=subscription,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
            for subscription in subscriptions
        ]
    )
    deliveries_send_on_commit([row.pk for row in rows])
    return rows
