"""Realtime events leave through here, and only after the transaction commits.

A service calls :func:`publish_on_commit`; if the transaction rolls back, nobody hears
about a change that never happened (Zulip's ``send_event_on_commit``). Group names always
carry the tenant schema, so two tenants can never share a group.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction


def tenant_group(schema_name: str, topic: str) -> str:
    # Channel group names allow [a-zA-Z0-9_.-] only.
    return f"t.{schema_name}.{topic}"


def now_iso() -> str:
    """ISO 8601 with milliseconds, UTC: the ``ts`` of every realtime message."""
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def publish(schema_name: str, topic: str, message: dict[str, Any]) -> None:
    payload = {"ts": now_iso(), **message}
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(tenant_group(schema_name, topic), {"type": "event.forward", "event": payload})


def publish_on_commit(topic: str, message: dict[str, Any], *, schema_name: str | None = None) -> None:
    """Publish ``message`` to the current tenant's ``topic`` group once the transaction commits."""
    schema = schema_name or connection.schema_name
    transaction.on_commit(lambda: publish(schema, topic, message))


async def apublish(schema_name: str, topic: str, message: dict[str, Any]) -> None:
    """Async twin of :func:`publish` for code already on an event loop (the engine)."""
    layer = get_channel_layer()
    if layer is None:
        return
    payload = {"ts": now_iso(), **message}
    await layer.group_send(tenant_group(schema_name, topic), {"type": "event.forward", "event": payload})
