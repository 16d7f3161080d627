"""The run_engine service's plumbing on a real event loop and channel layer (no database:
loading and recovery are replaced by a fixed configuration, the store by a MemoryStore)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from apps.core.events import apublish
from apps.telephony import agent_states
from apps.telephony.engine import runner
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings, TenantConfig
from apps.telephony.engine.store import MemoryStore

SCHEMA = "t_h5runner"


class QuietStore(MemoryStore):
    """Stands in for the DbStore: counts in memory, runs and closes like the real one."""

    def __init__(self, tenant, clock, *, asynchronous=False, record=False, **options):
        super().__init__(clock)
        self.reservation_lost = None
        self._closed = asyncio.Event()

    async def run(self):
        await self._closed.wait()

    def close(self):
        self._closed.set()


def config(schema: str = SCHEMA) -> TenantConfig:
    return TenantConfig(
        schema=schema,
        queues={1: QueueSettings(queue_id=1, name="Support")},
        numbers={1: NumberSettings(number_id=1, number="4001", trunk_id=1, queue_id=1)},
        agents={7: AgentSettings(agent_id=7, name="Ann", state=agent_states.READY)},
        trunks={1: 30},
        default_trunk_id=1,
    )


@pytest.fixture
def offline_engine(monkeypatch):
    monkeypatch.setattr(runner, "_recover", lambda tenant, **options: {"calls": 0, "agents": 0})
    monkeypatch.setattr(runner, "_load", lambda tenant: config(tenant.schema_name))
    monkeypatch.setattr(runner, "DbStore", QuietStore)
    return SimpleNamespace(schema_name=SCHEMA, slug="h5runner")


async def wait_for(predicate, timeout=5.0):
    async def poll():
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def test_service_starts_a_tenant_engine_and_follows_the_inbox(offline_engine):
    service = runner.EngineService(tenants=lambda: [offline_engine], rescan_seconds=0.2, lease=None)
    task = asyncio.create_task(service.run())
    try:
        await wait_for(lambda: SCHEMA in service.engines)
        controller = service.engines[SCHEMA].controller
        assert controller.agents[7].state == agent_states.READY
        await asyncio.sleep(0.2)  # the inbox subscribes right after the start
        await apublish(
            SCHEMA, "engine", {"type": "agent.state", "agent_id": 7, "state": "not_ready", "reason": "break"}
        )
        await wait_for(lambda: controller.agents[7].state == agent_states.NOT_READY)
        assert controller.agents[7].reason == "break"
    finally:
        service.stop()
        await asyncio.wait_for(task, 10)
    assert service.engines == {}


async def test_every_tenant_hears_its_own_inbox_promptly_and_no_other(offline_engine):
    tenants = [SimpleNamespace(schema_name=f"{SCHEMA}{n}", slug=f"h5runner{n}") for n in range(4)]
    service = runner.EngineService(tenants=lambda: tenants, rescan_seconds=0.2, lease=None)
    task = asyncio.create_task(service.run())
    try:
        await wait_for(lambda: len(service.engines) == 4)
        await asyncio.sleep(0.2)
        for tenant in reversed(tenants[1:]):
            await apublish(tenant.schema_name, "engine", {"type": "agent.state", "agent_id": 7, "state": "offline"})
        agents = {schema: engine.controller.agents[7] for schema, engine in service.engines.items()}
        # Well under channels_redis's 5 s blocking receive: the tenants do not take turns.
        await wait_for(lambda: all(agents[t.schema_name].state == "offline" for t in tenants[1:]), timeout=2.0)
        assert agents[tenants[0].schema_name].state == agent_states.READY
    finally:
        service.stop()
        await asyncio.wait_for(task, 20)


async def test_service_stops_cleanly_while_listening(offline_engine):
    service = runner.EngineService(tenants=lambda: [offline_engine], rescan_seconds=0.2, lease=None)
    task = asyncio.create_task(service.run())
    await wait_for(lambda: SCHEMA in service.engines)
    await asyncio.sleep(0.5)
    service.stop()
    await asyncio.wait_for(task, 10)
    assert task.done()
    assert task.exception() is None


async def test_a_tenant_that_disappears_is_stopped(offline_engine):
    tenants = [offline_engine]
    service = runner.EngineService(tenants=lambda: list(tenants), rescan_seconds=0.1, lease=None)
    task = asyncio.create_task(service.run())
    try:
        await wait_for(lambda: SCHEMA in service.engines)
        tenants.clear()
        await wait_for(lambda: SCHEMA not in service.engines)
    finally:
        service.stop()
        await asyncio.wait_for(task, 10)


async def test_a_tenant_whose_engine_cannot_start_is_skipped_and_retried_later(offline_engine, monkeypatch):
    def broken(tenant):
        raise RuntimeError("schema is not migrated")

    monkeypatch.setattr(runner, "_load", broken)
    service = runner.EngineService(tenants=lambda: [offline_engine], rescan_seconds=0.1, lease=None)
    task = asyncio.create_task(service.run(duration=0.5))
    await asyncio.wait_for(task, 10)
    assert service.engines == {}
    assert SCHEMA in service._failed


async def test_the_inbox_layer_waits_longer_than_a_blocking_receive():
    layer = runner.inbox_layer()
    assert all(host["socket_timeout"] >= 30 for host in layer.hosts)
