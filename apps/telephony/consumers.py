"""Realtime consumers of the telephony app (message types: docs/realtime.md)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.consumers import TenantConsumer
from apps.core.errors import ApplicationError
from apps.telephony.models import Agent, Seat
from apps.telephony.selectors.wallboard import agent_desktop_snapshot, wallboard_snapshot
from apps.telephony.services.agent_state import agent_ensure, agent_group_topic


class WallboardConsumer(TenantConsumer):
    """Supervisors' live view of the whole contact center: agents, queues, live calls."""

    topics = ("wallboard",)
    roles = (Role.SUPERVISOR, Role.TENANT_ADMIN)

    def snapshot_sync(self) -> dict[str, Any]:
        tenant = self.scope["tenant"]
        return {"tenant": tenant.slug, "seats": Seat.objects.count(), **wallboard_snapshot(tenant)}


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
