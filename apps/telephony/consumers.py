"""Realtime consumers of the telephony app (message types: docs/realtime.md)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.consumers import TenantConsumer
from apps.core.errors import ApplicationError
from apps.telephony.models import Agent, Seat
from apps.telephony.selectors.wallboard import agent_desktop_snapshot, screen_safe, wallboard_snapshot
from apps.telephony.services.agent_state import agent_ensure, agent_group_topic
from apps.telephony.services.wallboard_tokens import wallboard_token_check
from apps.tenants.models import Tenant


class WallboardConsumer(TenantConsumer):
    """Supervisors' live view of the whole contact center: agents, queues, live calls."""

    topics = ("wallboard",)
    roles: tuple[str, ...] = (Role.SUPERVISOR, Role.TENANT_ADMIN)

    def snapshot_sync(self) -> dict[str, Any]:
        tenant = self.scope["tenant"]
        return {"tenant": tenant.slug, "seats": Seat.objects.count(), **wallboard_snapshot(tenant)}


def _screen_token(scope: dict[str, Any]) -> str | None:
    return parse_qs(scope.get("query_string", b"").decode("latin1")).get("token", [None])[0]


class WallboardScreenConsumer(WallboardConsumer):
    """The wallboard for a wall screen (``/ws/wallboard/tv/?token=<wall-screen token>``).

    The same snapshot and events as the supervisors' socket, authenticated by a wall-screen
    token (apps/telephony/services/wallboard_tokens.py) instead of a user: the scope's user is
    ignored, so a session cookie or an API token opens nothing here. Read-only like every
    socket (actions go through the REST API, which the token does not open). The token is
    re-checked with the access re-check, so a revoked or expired one loses the socket.

    No personal data reaches a wall screen: the snapshot and every event go through
    ``screen_safe`` (callers' and callees' numbers blanked, customers' names dropped; types and
    other fields unchanged, docs/realtime.md). Events therefore always take ``send``: the hub's
    pre-framed fast path writes the supervisors' bytes as they are, so this socket offers it no wire.
    """

    roles = ()  # no user: the token is the credential
    screen_token_id: int | None = None

    @property  # type: ignore[override]
    def wire(self) -> None:
        return None

    @wire.setter
    def wire(self, value: Any) -> None:
        """Ignored: see the class docstring (pre-framed bytes would skip ``screen_safe``)."""

    def snapshot_sync(self) -> dict[str, Any]:
        return screen_safe(super().snapshot_sync())

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False) -> None:
        if text_data is not None:
            message = json.loads(text_data)
            if isinstance(message, dict):
                text_data = json.dumps(screen_safe(message))
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def connect(self) -> None:
        self.screen_token_id = await self._check_token(touch=True)
        await super().connect()

    def access_allowed(self, user: Any) -> bool:
        return self.screen_token_id is not None

    @database_sync_to_async
    def _check_token(self, *, touch: bool) -> int | None:
        with tenant_context(self.scope["tenant"]):
            token = wallboard_token_check(_screen_token(self.scope), touch=touch)
        return token.pk if token is not None else None

    @database_sync_to_async
    def _still_allowed(self) -> bool:
        with schema_context("public"):
            tenant = Tenant.objects.filter(pk=self.scope["tenant"].pk).first()
        if tenant is None or not tenant.is_active:
            return False
        with tenant_context(tenant):
            token = wallboard_token_check(_screen_token(self.scope), touch=True)
        return token is not None and token.pk == self.screen_token_id


class AgentConsumer(TenantConsumer):
    """One agent's desktop: their own state, offers, call events and screen pops."""

    roles = (Role.AGENT,)
    agent: Agent | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.agent = None
        if user is not None and user.is_authenticated and user.has_role(Role.AGENT):
            self.agent = await self._agent(user)
        if self.agent is None:
            await self.close(code=4403)
            return
        await super().connect()

    @database_sync_to_async
    def _agent(self, user: User) -> Agent | None:
        with tenant_context(self.scope["tenant"]):
            try:
                return agent_ensure(user=user)
            except ApplicationError:
                return None

    @property
    def connected_agent(self) -> Agent:
        """Topics and snapshots are only asked for once :meth:`connect` found the agent."""
        if self.agent is None:
            raise RuntimeError("the agent socket has no agent before connect()")
        return self.agent

    def topic_names(self) -> tuple[str, ...]:
        return (agent_group_topic(self.connected_agent.pk),)

    def snapshot_sync(self) -> dict[str, Any]:
        return agent_desktop_snapshot(self.connected_agent)
