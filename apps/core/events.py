"""Realtime events leave through here, and only after the transaction commits.

A service calls :func:`publish_on_commit`; if the transaction rolls back, nobody hears
about a change that never happened (Zulip's ``send_event_on_commit``). Group names always
carry the tenant schema, so two tenants can never share a group.

A Redis fault after the commit is never the caller's error: the change is committed, so the
request answers success. :func:`publish` logs the failure and hands the message to a small,
bounded retry queue on the publisher thread (a few attempts with back-off over ~8 s, then
dropped with an error). The commit hook is ``robust``: one failing hook never stops the hooks
registered after it. Sockets that missed an event are not left stale either: their GroupHub
fails on the same Redis fault and closes them (1011), and the client reconnects to a fresh
snapshot (apps/core/consumers.py). A retried message carries ``published_at`` so a hub does
not replay it to a socket whose snapshot was read after it (the snapshot already has it).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction
from redis.exceptions import RedisError

from apps.core.tenancy import current_schema

logger = logging.getLogger(__name__)

# What a channel layer raises when Redis is down, hung, loading, read-only after a failover or
# refusing a connection (redis-py's errors are not OSError subclasses; TimeoutError is also
# concurrent.futures' timeout of the publisher loop).
PUBLISH_ERRORS = (RedisError, OSError, TimeoutError, concurrent.futures.TimeoutError)


def tenant_group(schema_name: str, topic: str) -> str:
    # Channel group names allow [a-zA-Z0-9_.-] only.
    return f"t.{schema_name}.{topic}"


def now_iso() -> str:
    """ISO 8601 with milliseconds, UTC: the ``ts`` of every realtime message."""
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_publisher_loop: asyncio.AbstractEventLoop | None = None
_publisher_lock = threading.Lock()
PUBLISH_TIMEOUT_SECONDS = 5
# Seconds to wait before each retry of a failed publish; after the last one the message is dropped.
RETRY_DELAYS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
# A queue this long means Redis has been gone for a while: the oldest messages are dropped first.
RETRY_QUEUE_LIMIT = 10_000


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
    global _publisher_loop, _publisher_pid, _retry
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="realtime-publisher", daemon=True).start()
    _publisher_loop, _publisher_pid = loop, os.getpid()
    _retry = _RetryQueue(loop)


def _envelope(message: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event.forward", "event": {"ts": now_iso(), **message}}


def publish(schema_name: str, topic: str, message: dict[str, Any]) -> None:
    """Send ``message`` to the tenant's ``topic`` group now; on a Redis fault, log and retry later.

    Never raises for a Redis fault: by the time this runs the change is committed.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    group, envelope = tenant_group(schema_name, topic), _envelope(message)
    loop = _loop()
    retry = _retry
    if retry.pending():  # keep the order: behind the messages already waiting for Redis
        retry.add(group, envelope)
        return
    future = asyncio.run_coroutine_threadsafe(layer.group_send(group, envelope), loop)
    try:
        future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
    except PUBLISH_ERRORS as error:
        future.cancel()  # a send still hanging must not land after its retry
        logger.warning("realtime: publishing %s to %s failed (%r); retrying", message.get("type"), group, error)
        retry.add(group, envelope)


def publish_on_commit(topic: str, message: dict[str, Any], *, schema_name: str | None = None) -> None:
    """Publish ``message`` to the current tenant's ``topic`` group once the transaction commits.

    ``robust``: should publishing fail for a reason :func:`publish` does not absorb (a bug), the
    error is logged and the hooks registered after this one still run.
    """
    schema = schema_name or current_schema()
    transaction.on_commit(lambda: publish(schema, topic, message), robust=True)


async def apublish(schema_name: str, topic: str, message: dict[str, Any]) -> None:
    """Async twin of :func:`publish` for code already on an event loop (the engine).

    Like :func:`publish` it never raises for a Redis fault: the message goes to the retry queue.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    group, envelope = tenant_group(schema_name, topic), _envelope(message)
    try:
        await asyncio.wait_for(layer.group_send(group, envelope), timeout=PUBLISH_TIMEOUT_SECONDS)
    except PUBLISH_ERRORS as error:
        logger.warning("realtime: publishing %s to %s failed (%r); retrying", message.get("type"), group, error)
        _loop()
        _retry.add(group, envelope)


@dataclass
class _Pending:
    group: str
    envelope: dict[str, Any]
    published_at: float  # time.time() of the first attempt
    attempts: int = 0


class _RetryQueue:
    """Failed publishes, retried in order on the publisher loop, each a bounded number of times.

    Thread-safe by construction: :meth:`add` only appends under a lock and wakes the worker; the
    worker alone pops. The head is retried with back-off (``RETRY_DELAYS``); the messages behind it
    wait, so a burst of events keeps its order when Redis comes back.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lock = threading.Lock()
        self.items: collections.deque[_Pending] = collections.deque()
        self.task: concurrent.futures.Future | None = None

    def pending(self) -> bool:
        return bool(self.items)

    def add(self, group: str, envelope: dict[str, Any]) -> None:
        envelope = dict(envelope, published_at=time.time())
        with self.lock:
            if len(self.items) >= RETRY_QUEUE_LIMIT:
                dropped = self.items.popleft()
                logger.error("realtime: retry queue full, dropped %s to %s", _kind(dropped), dropped.group)
            self.items.append(_Pending(group, envelope, envelope["published_at"]))
            if self.task is None or self.task.done():
                self.task = asyncio.run_coroutine_threadsafe(self._drain(), self.loop)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()

    async def _drain(self) -> None:
        while True:
            with self.lock:
                if not self.items:
                    self.task = None
                    return
                head = self.items[0]
            # Bounded twice: by attempts, and by age for those that waited behind another (a long
            # outage must not replay minutes-old events; the sockets have re-read snapshots).
            if head.attempts >= len(RETRY_DELAYS) or time.time() - head.published_at > sum(RETRY_DELAYS):
                logger.error(
                    "realtime: dropped %s to %s after %d retries (Redis unavailable)",
                    _kind(head),
                    head.group,
                    head.attempts,
                )
                self._pop(head)
                continue
            await asyncio.sleep(RETRY_DELAYS[head.attempts])
            head.attempts += 1
            layer = get_channel_layer()
            try:
                if layer is not None:
                    await asyncio.wait_for(layer.group_send(head.group, head.envelope), PUBLISH_TIMEOUT_SECONDS)
            except PUBLISH_ERRORS as error:
                logger.warning(
                    "realtime: retry %d of %s to %s failed (%r)", head.attempts, _kind(head), head.group, error
                )
                continue
            except Exception:  # a bug must not stop the queue for good
                logger.exception("realtime: retrying %s to %s failed", _kind(head), head.group)
                self._pop(head)
                continue
            logger.info("realtime: delivered %s to %s on retry %d", _kind(head), head.group, head.attempts)
            self._pop(head)

    def _pop(self, head: _Pending) -> None:
        with self.lock:
            if self.items and self.items[0] is head:
                self.items.popleft()


def _kind(pending: _Pending) -> str:
    return str(pending.envelope.get("event", {}).get("type"))


_retry: _RetryQueue = None  # type: ignore[assignment]  # made with the publisher loop


def retry_queue_length() -> int:
    """How many failed publishes wait for Redis in this process (tests, health checks)."""
    return len(_retry.items) if _retry is not None else 0


def retry_queue_clear() -> None:
    if _retry is not None:
        _retry.clear()
