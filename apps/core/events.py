"""Realtime events leave through here, and only after the transaction commits.

A service calls :func:`publish_on_commit`; if the transaction rolls back, nobody hears
about a change that never happened (Zulip's ``send_event_on_commit``). Group names always
carry the tenant schema, so two tenants can never share a group.
"""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime
from typing import Any

from channels.layers import get_channel_layer
from django.db import connection, transaction


def tenant_group(schema_name: str, topic: str) -> str:
    # Channel group names allow [a-zA-Z0-9_.-] only.
    return f"t.{schema_name}.{topic}"


def now_iso() -> str:
    """ISO 8601 with milliseconds, UTC: the ``ts`` of every realtime message."""
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_publisher_loop: asyncio.AbstractEventLoop | None = None
_publisher_lock = threading.Lock()
PUBLISH_TIMEOUT_SECONDS = 5


def _loop() -> asyncio.AbstractEventLoop:
    """One long-lived event loop per process for publishing from sync code.

    ``async_to_sync`` would start a new loop, and with it a new Redis connection, for every
    message (20–60 ms for a state change's three topics); this loop keeps the pool warm.
    Created lazily, so forked workers (Celery prefork) each get their own.
    """
    global _publisher_loop
    with _publisher_lock:
        if _publisher_loop is None or _publisher_loop.is_closed() or _publisher_pid != os.getpid():
            _start_loop()
        return _publisher_loop  # type: ignore[return-value]


_publisher_pid = 0


def _start_loop() -> None:
    global _publisher_loop, _publisher_pid
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="realtime-publisher", daemon=True).start()
    _publisher_loop, _publisher_pid = loop, os.getpid()


def publish(schema_name: str, topic: str, message: dict[str, Any]) -> None:
    payload = {"ts": now_iso(), **message}
    layer = get_channel_layer()
    if layer is None:
        return
    send = layer.group_send(tenant_group(schema_name, topic), {"type": "event.forward", "event": payload})
    asyncio.run_coroutine_threadsafe(send, _loop()).result(timeout=PUBLISH_TIMEOUT_SECONDS)


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
