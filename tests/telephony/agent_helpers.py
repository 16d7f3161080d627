"""Builders for the agent state, agents API and realtime tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.telephony.models import Agent, Call, PauseReason, Seat
from tests.conftest import TenantWorld
from tests.factories import AgentFactory, CallFactory

_serial = itertools.count(1)


@dataclass
class AgentUnderTest:
    user: User
    agent: Agent
    seat: Seat | None


def free_seat(world: TenantWorld) -> Seat:
    with tenant_context(world.tenant):
        return Seat.objects.filter(agent__isnull=True).order_by("extension").first()


def make_agent(
    world: TenantWorld, *, state: str = "offline", reason: str | None = None, seat: bool = True, roles=(Role.AGENT,)
) -> AgentUnderTest:
    """An agent put straight into ``state`` (rows written directly: the service is what is under test)."""
    user = world.user(*roles, email=f"agent{next(_serial)}@{world.tenant.slug}.test")
    with tenant_context(world.tenant):
        held = Seat.objects.filter(agent__isnull=True).order_by("extension").first() if seat else None
        agent = AgentFactory(
            user=user,
            seat=held,
            state=state,
            reason=PauseReason.objects.get(code=reason) if reason else None,
        )
    return AgentUnderTest(user=user, agent=agent, seat=held)


def reload(world: TenantWorld, agent: Agent) -> Agent:
    with tenant_context(world.tenant):
        return Agent.objects.select_related("reason", "seat").get(pk=agent.pk)


def make_call(world: TenantWorld, *, status: str = "queued", agent: Agent | None = None, **fields) -> Call:
    fields.setdefault("uid", f"h6-call-{next(_serial)}")
    fields.setdefault("caller", "13800138000")
    fields.setdefault("callee", "4008001000")
    with tenant_context(world.tenant):
        return CallFactory(status=status, agent=agent, **fields)


def give_call(world: TenantWorld, agent: Agent, *, state: str, call_status: str) -> Call:
    """Put ``agent`` in ``state`` holding a new call whose status is ``call_status``."""
    call = make_call(world, status=call_status, agent=agent)
    with tenant_context(world.tenant):
        Agent.objects.filter(pk=agent.pk).update(state=state, current_call=call, reason=None)
    return call


@dataclass
class Published:
    """Messages that reached ``apps.core.events.publish`` (after commit), as (topic, message)."""

    messages: list[tuple[str, dict]] = field(default_factory=list)

    def topics(self) -> list[str]:
        return [topic for topic, _message in self.messages]

    def on(self, topic: str) -> list[dict]:
        return [message for name, message in self.messages if name == topic]
