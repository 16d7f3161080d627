"""Base websocket consumer: tenant groups, role checks, snapshot then deltas."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django_tenants.utils import tenant_context

from apps.core.api.permissions import has_role
from apps.core.events import now_iso, tenant_group

logger = logging.getLogger(__name__)

GROUP_REFRESH_SECONDS = 60


class GroupHub:
    """One channel-layer subscription per (event loop, group), fanned out to the local sockets.

    With one subscription per socket, a wallboard event for 1,000 sockets cost daphne 1,000
    channel-layer deliveries (~325 ms of CPU); the hub receives it once, serialises it once and
    writes the frame to each local socket (docs/decisions/0004-realtime-fanout.md). The hub
    re-joins its group every minute so that a crashed process's membership expires.
    """

    _hubs: dict[tuple[int, str], GroupHub] = {}

    def __init__(self, group: str) -> None:
        self.group = group
        self.members: set[TenantConsumer] = set()
        self.subscribed = asyncio.Event()
        self.task: asyncio.Task | None = None

    @classmethod
    async def join(cls, group: str, consumer: TenantConsumer) -> None:
        loop = asyncio.get_running_loop()
        key = (id(loop), group)
        hub = cls._hubs.get(key)
        if hub is None or hub.task is None or hub.task.done():
            hub = cls(group)
            cls._hubs[key] = hub
            hub.task = loop.create_task(hub._run())
        hub.members.add(consumer)
        # Subscribed before the snapshot is read, so no event falls between the two.
        await hub.subscribed.wait()

    @classmethod
    def leave(cls, group: str, consumer: TenantConsumer) -> None:
        key = (id(asyncio.get_running_loop()), group)
        hub = cls._hubs.get(key)
        if hub is None:
            return
        hub.members.discard(consumer)
        if not hub.members and hub.task is not None:
            hub.task.cancel()
            cls._hubs.pop(key, None)

    async def _run(self) -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(self.group, channel)
        refreshed = time.monotonic()
        self.subscribed.set()
        try:
            while True:
                message = await layer.receive(channel)
                if time.monotonic() - refreshed > GROUP_REFRESH_SECONDS:
                    await layer.group_add(self.group, channel)
                    refreshed = time.monotonic()
                if message.get("type") != "event.forward":
                    continue
                text = json.dumps(message["event"])
                for consumer in list(self.members):
                    try:
                        await consumer.send(text_data=text)
                    except Exception:  # one broken socket must not starve the others
                        logger.exception("could not deliver to a socket of %s", self.group)
        finally:
            with contextlib.suppress(Exception):
                await layer.group_discard(self.group, channel)


class TenantConsumer(AsyncJsonWebsocketConsumer):
    """Subclasses name their ``topics`` and ``roles`` and build a ``snapshot``.

    ``snapshot_sync`` runs inside ``tenant_context`` (never ``set_tenant``: see
    apps/tenants/channels.py for why).
    """

    topics: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    # No channel of its own: events arrive through the process's GroupHub.
    channel_layer_alias = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or (self.roles and not has_role(user, *self.roles)):
            await self.close(code=4403)
            return
        self.groups_joined = [tenant_group(self.scope["schema_name"], topic) for topic in self.topic_names()]
        await self.accept()
        for group in self.groups_joined:
            await GroupHub.join(group, self)
        snapshot = await self._snapshot()
        await self.send_json({"type": "snapshot", "ts": now_iso(), **snapshot})

    def topic_names(self) -> tuple[str, ...]:
        return self.topics

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            GroupHub.leave(group, self)

    @database_sync_to_async
    def _snapshot(self) -> dict[str, Any]:
        with tenant_context(self.scope["tenant"]):
            return self.snapshot_sync()

    def snapshot_sync(self) -> dict[str, Any]:
        return {}

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Forwarded events touch no database, so they skip channels' per-message
        # close_old_connections, a hop through the one shared sync thread: with a thousand
        # sockets that hop serialises every delivery (bench/realtime.py).
        if message.get("type") == "event.forward":
            await self.event_forward(message)
            return
        await super().dispatch(message)

    async def event_forward(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "ts": now_iso()})
