"""Base websocket consumer: tenant groups, role checks, snapshot then deltas."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django_tenants.utils import tenant_context

from apps.core.api.permissions import has_role
from apps.core.events import now_iso, tenant_group


class TenantConsumer(AsyncJsonWebsocketConsumer):
    """Subclasses name their ``topics`` and ``roles`` and build a ``snapshot``.

    ``snapshot_sync`` runs inside ``tenant_context`` (never ``set_tenant``: see
    apps/tenants/channels.py for why).
    """

    topics: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or (self.roles and not has_role(user, *self.roles)):
            await self.close(code=4403)
            return
        self.groups_joined = [tenant_group(self.scope["schema_name"], topic) for topic in self.topic_names()]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        snapshot = await self._snapshot()
        await self.send_json({"type": "snapshot", "ts": now_iso(), **snapshot})

    def topic_names(self) -> tuple[str, ...]:
        return self.topics

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

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
