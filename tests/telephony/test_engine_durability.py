"""The engine store's durability (write-ahead outbox, cursor, health gate), recovery at the last
known time, and one engine per tenant (advisory-lock leases).

The whole-process faults (the database away for 10 s, an engine killed by SIGKILL) are in
tests/telephony/test_engine_faults.py."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.telephony import agent_states
from apps.telephony.engine import lease as lease_module
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.dbstore import DbStore, replay_orphans, replay_outbox
from apps.telephony.engine.drivers.sim import CallerBehaviour, Duration, SimDriver, SimNumber, VirtualAgentBehaviour
from apps.telephony.engine.lease import LeaseManager
from apps.telephony.engine.outbox import Outbox, orphan, read_entries
from apps.telephony.engine.runner import _recover
from apps.telephony.engine.store import MemoryStore
from apps.telephony.models import Agent, AgentStateEvent, Call, CallEvent, EngineStoreCursor, PhoneNumber, Queue, Trunk
from apps.telephony.services.cdr import call_answered, call_event, call_open, call_queued
from tests.telephony.harness import make_controller, plant_routing

# --- recovery closes calls at the last known time --------------------------------------------------


def test_recover_closes_a_call_at_its_last_known_event_not_at_restart(acme):
    """A call whose engine died 10 minutes after it was last heard of keeps its real talk time:
    closing it at restart time would bill 10 minutes nobody talked."""
    answered = timezone.now() - timedelta(minutes=15)
    last = answered + timedelta(seconds=40)
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.create(name="recover-at", channels=2)
        queue = Queue.objects.create(code="recover-at", name="Recover at")
        user = User.objects.create_user("late@acme.test", "x-Pass-1234", name="Late", roles=["agent"])
        agent = Agent.objects.create(user=user, is_virtual=True, state=agent_states.READY)
        call = call_open(uid="stale-at-1", direction="inbound", caller="138", callee="400", trunk=trunk.pk, at=answered)
        call_queued(call, queue=queue, at=answered)
        Agent.objects.filter(pk=agent.pk).update(state=agent_states.TALKING, state_since=answered, current_call=call)
        call_answered(call, agent=agent, at=answered)
        call_event(call, "announcement", at=last)
    _recover(acme.tenant)
    with tenant_context(acme.tenant):
        call.refresh_from_db()
        agent.refresh_from_db()
        freed = AgentStateEvent.objects.filter(agent=agent).latest("at")
    assert call.ended_at == last
    assert call.talk_seconds == pytest.approx(40.0)
    assert call.end_reason == "failed"
    assert agent.state == agent_states.READY
    assert freed.at == last
    assert freed.seconds_in_previous == pytest.approx(40.0)


# --- the outbox and the cursor ---------------------------------------------------------------------


@pytest.fixture
def plant(acme):
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.create(name="durable", channels=10)
        queue = Queue.objects.create(code="durable", name="Durable", wrapup_seconds=10)
        number = PhoneNumber.objects.create(number="4009990077", trunk=trunk, queue=queue)
        user = User.objects.create_user("durable@acme.test", "x-Pass-1234", name="Durable", roles=["agent"])
        agent = Agent.objects.create(user=user, is_virtual=True, state=agent_states.READY)
    return {"tenant": acme.tenant, "trunk": trunk, "queue": queue, "number": number, "agent": agent}


@pytest.fixture
def outbox_root(tmp_path):
    with override_settings(ENGINE_OUTBOX_DIR=str(tmp_path)):
        yield tmp_path


def journal_calls(plant, outbox_id: str, calls: int = 2) -> tuple[list[str], Outbox]:
    """Run ``calls`` calls through the controller on the virtual clock with an asynchronous store
    whose worker never runs: everything ends up in the outbox only (a dead engine's file)."""
    clock = VirtualClock()
    driver = SimDriver(clock, seed=3, caller=CallerBehaviour(), default_trunk_id=plant["trunk"].pk)
    store = DbStore(plant["tenant"], clock, asynchronous=True, outbox_id=outbox_id)
    queue, number, sim_number = plant_routing(plant)
    controller = make_controller(clock=clock, driver=driver, store=store, queues=[queue], numbers=[number])
    driver.set_trunk(plant["trunk"].pk, 10)
    driver.set_virtual_agent(
        plant["agent"].pk, VirtualAgentBehaviour(talk=Duration(30, "fixed"), answer_delay=Duration(2, "fixed"))
    )
    controller.set_agent(AgentSettings(agent_id=plant["agent"].pk, is_virtual=True, state=agent_states.READY))
    uids = [driver.inject(sim_number, caller=f"1381234567{index}") for index in range(calls)]
    clock.run()
    return uids, store.outbox


def timeline(uids):
    return {
        uid: list(CallEvent.objects.filter(call__uid=uid).order_by("at", "id").values_list("kind", flat=True))
        for uid in uids
    }


def test_the_outbox_journals_every_write_before_the_database_sees_it(plant, outbox_root):
    uids, outbox = journal_calls(plant, "host-1-a")
    entries = read_entries(outbox.path)
    with tenant_context(plant["tenant"]):
        assert not Call.objects.filter(uid__in=uids).exists()
    assert [seq for seq, _op, _payload in entries] == list(range(1, len(entries) + 1))
    assert {op for _seq, op, _payload in entries} >= {"call_arrived", "call_answered", "call_ended", "agent_state"}
    outbox.close(remove=False)


def test_a_dead_engines_outbox_is_replayed_once_in_order(plant, outbox_root):
    uids, outbox = journal_calls(plant, "host-1-b")
    outbox.close(remove=False)  # the process died: its lock is gone, its file stays
    replayed, busy = replay_orphans(plant["tenant"])
    assert (replayed, busy) == (1, 0)
    with tenant_context(plant["tenant"]):
        calls = {call.uid: call for call in Call.objects.filter(uid__in=uids)}
        kinds = timeline(uids)
        states = list(
            AgentStateEvent.objects.filter(agent=plant["agent"]).order_by("at", "id").values_list("to_state", flat=True)
        )
        assert not EngineStoreCursor.objects.filter(outbox="host-1-b").exists()
    assert set(calls) == set(uids)
    assert all(call.status == "ended" for call in calls.values())
    assert kinds[uids[0]] == ["arrived", "queued", "offered", "answered", "ended", "wrapup_ended"]
    assert states.count("talking") == 2
    assert not outbox.path.exists()


def test_a_batch_whose_commit_was_not_acknowledged_is_not_applied_twice(plant, outbox_root):
    """The engine lost its connection right after COMMIT: the first half is in the database and
    the cursor says so; replaying the whole outbox writes only the rest."""
    uids, outbox = journal_calls(plant, "host-1-c")
    outbox.close(remove=False)
    entries = read_entries(outbox.path)
    half = len(entries) // 2
    DbStore(plant["tenant"], None)._run_batch(entries[:half], cursor="host-1-c")
    replay_outbox(plant["tenant"], outbox.path)
    with tenant_context(plant["tenant"]):
        kinds = timeline(uids)
        events = CallEvent.objects.filter(call__uid__in=uids).count()
        duplicates = (
            CallEvent.objects.filter(call__uid__in=uids).values("call_id", "kind", "at", "agent_id").distinct().count()
        )
        state_events = AgentStateEvent.objects.filter(agent=plant["agent"]).count()
    assert events == duplicates
    for uid in uids:
        assert [kinds[uid].count(kind) for kind in ("arrived", "answered", "ended", "wrapup_ended")] == [1, 1, 1, 1]
        assert kinds[uid][-1] == "wrapup_ended"
    assert state_events == 8  # reserved, talking, wrap_up, ready for each of the two calls


def test_an_outbox_whose_owner_is_alive_is_left_alone(plant, outbox_root):
    _uids, outbox = journal_calls(plant, "host-2-a", calls=1)
    with orphan(outbox.path) as mine:
        assert mine is False
    assert replay_orphans(plant["tenant"]) == (0, 1)
    outbox.close(remove=False)
    with orphan(outbox.path) as mine:
        assert mine is True


def test_a_torn_last_line_is_ignored(tmp_path):
    outbox = Outbox("t", "torn", directory=tmp_path)
    outbox.append(1, "call_event", {"uid": "x", "at": timezone.now()})
    outbox.close(remove=False)
    with outbox.path.open("ab") as file:
        file.write(b'{"s":2,"o":"call_ev')
    entries = read_entries(outbox.path)
    assert [seq for seq, _op, _payload in entries] == [1]
    assert entries[0][2]["at"].tzinfo is not None


# --- an unhealthy store refuses new calls ------------------------------------------------------


class UnhealthyStore(MemoryStore):
    accepting_calls = False


def test_new_calls_get_the_busy_treatment_while_the_store_cannot_write():
    clock = VirtualClock()
    driver = SimDriver(clock, seed=1, caller=CallerBehaviour(), default_trunk_id=1)
    driver.set_trunk(1, None)
    store = UnhealthyStore(clock)
    controller = make_controller(
        clock=clock,
        driver=driver,
        store=store,
        queues=[QueueSettings(queue_id=1, name="Support")],
        numbers=[NumberSettings(number_id=1, number="4001", trunk_id=1, queue_id=1)],
    )
    uid = driver.inject(SimNumber(number_id=1, number="4001", trunk_id=1), caller="13800000001")
    clock.run()
    assert store.totals.blocked == 1
    assert uid not in controller.calls
    assert driver.trunks[1].busy == 0  # the caller's line is released


# --- leases ----------------------------------------------------------------------------------------


class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


async def sync_until_gained(manager, wanted, running, *, tries=100):
    """A closed session's locks go when its backend has read the goodbye: poll like the service."""
    for _ in range(tries):
        gained, lost = await manager.sync(wanted, running)
        if gained:
            return gained, lost
        await asyncio.sleep(0.05)
    return set(), set()


@pytest.fixture
def tenant_ids(acme, globex):
    return acme.tenant.pk, globex.tenant.pk


async def test_a_second_engine_cannot_take_a_held_tenant_and_takes_it_once_it_is_free(tenant_ids):
    acme_id, _globex_id = tenant_ids
    first, second = LeaseManager(), LeaseManager()
    try:
        assert await first.sync({acme_id}, set()) == ({acme_id}, set())
        assert await second.sync({acme_id}, set()) == (set(), set())
        assert await first.sync({acme_id}, {acme_id}) == (set(), set())  # still held
        await first.close()  # the process died: its session, and every lock, is gone
        assert await sync_until_gained(second, {acme_id}, set()) == ({acme_id}, set())
    finally:
        await first.close()
        await second.close()


async def test_shards_take_their_own_tenants_first_and_the_others_after_a_grace(tenant_ids):
    acme_id, _globex_id = tenant_ids
    time = FakeTime()
    own_shard = acme_id % 2
    other = LeaseManager(shard=1 - own_shard, shards=2, clock=time)
    owner = LeaseManager(shard=own_shard, shards=2, clock=time)
    try:
        assert await other.sync({acme_id}, set()) == (set(), set())  # not its shard: waits
        time.now += lease_module.FOREIGN_GRACE_SECONDS - 0.5
        assert await owner.sync({acme_id}, set()) == ({acme_id}, set())  # the owner is up: it takes it
        time.now += 10
        assert await other.sync({acme_id}, set()) == (set(), set())
        await owner.close()  # the owner dies
        for _ in range(100):  # until its backend is gone and the tenant is seen free
            assert await other.sync({acme_id}, set()) == (set(), set())  # free since just now: waits
            if acme_id in other._free_since:
                break
            await asyncio.sleep(0.05)
        time.now += lease_module.FOREIGN_GRACE_SECONDS
        assert await sync_until_gained(other, {acme_id}, set()) == ({acme_id}, set())
    finally:
        await owner.close()
        await other.close()


async def test_after_a_lost_connection_the_holder_gets_its_tenants_back_first(tenant_ids):
    acme_id, globex_id = tenant_ids
    time = FakeTime()
    holder, contender = LeaseManager(clock=time), LeaseManager(clock=time)
    try:
        assert await holder.sync({acme_id}, set()) == ({acme_id}, set())
        await contender.sync({globex_id}, set())
        # Both lose their sessions (the database went away) and come back.
        await holder.conn.close()
        await contender.conn.close()
        assert await contender.sync({acme_id, globex_id}, {globex_id}) == (set(), set())  # settling
        assert await holder.sync({acme_id}, {acme_id}) == (set(), set())  # took acme back, lost nothing
        time.now += lease_module.RECONNECT_GRACE_SECONDS
        assert await contender.sync({acme_id, globex_id}, {globex_id}) == (set(), set())
        assert holder.held == {acme_id}
    finally:
        await holder.close()
        await contender.close()


async def test_a_holder_cut_off_from_its_old_session_ends_it_and_keeps_its_tenants(tenant_ids):
    """A network cut: the engine gave its connection up, but the server still has the session
    (and the locks) until it notices. The engine ends that session itself and takes them back."""
    acme_id, _globex_id = tenant_ids
    holder = LeaseManager()
    stale = None
    try:
        assert await holder.sync({acme_id}, set()) == ({acme_id}, set())
        stale, holder.conn = holder.conn, None  # the server does not know yet
        assert await holder.sync({acme_id}, {acme_id}) == (set(), set())
        assert holder.held == {acme_id}
    finally:
        await holder.close()
        if stale is not None:
            with contextlib.suppress(Exception):
                await stale.close()


def test_shard_arguments_are_checked():
    assert lease_module.parse_shard("1/3") == (1, 3)
    assert lease_module.parse_shard(None) == (0, 1)
    for bad in ("3/3", "a/b", "1", "0/0"):
        with pytest.raises(ValueError, match="shard"):
            lease_module.parse_shard(bad)


# --- one busy tenant does not hold up another ------------------------------------------------------


@pytest.fixture
def committed_tenants(django_db_setup, django_db_blocker):
    """acme and globex as committed (the store pool's threads write for real); cleaned afterwards."""
    from apps.tenants.models import Tenant

    with django_db_blocker.unblock():
        tenants = (Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="globex"))
        yield tenants
        for tenant in tenants:
            with tenant_context(tenant):
                Call.objects.filter(uid__startswith="fair-").delete()


async def test_a_tenant_whose_writes_are_stuck_does_not_hold_up_another(committed_tenants, outbox_root):
    """acme's CDR table is locked by someone else; globex's CDRs are written meanwhile."""
    from concurrent.futures import ThreadPoolExecutor

    import psycopg
    from asgiref.sync import sync_to_async
    from django.db import connections

    from apps.telephony.engine.lease import _connection_params
    from apps.telephony.engine.runner import _close_pool_connections
    from apps.telephony.engine.state import CallState

    acme, globex = committed_tenants
    clock = VirtualClock(epoch=timezone.now())
    executor = ThreadPoolExecutor(max_workers=2)
    stores = {
        tenant.slug: DbStore(tenant, clock, asynchronous=True, outbox_id=f"fair-{tenant.slug}", executor=executor)
        for tenant in committed_tenants
    }
    workers = [asyncio.create_task(store.run()) for store in stores.values()]

    def blocked_call(uid: str) -> CallState:
        call = CallState(uid, caller="13800000000", callee="4000", arrived=0.0)
        call.blocked = True
        call.status = "ended"
        call.ended = call.wrapup_ended = 0.0
        call.end_reason = "blocked"
        return call

    def written(tenant, uid: str) -> bool:
        with tenant_context(tenant):
            return Call.objects.filter(uid=uid).exists()

    async def wait_written(tenant, uid: str) -> None:
        for _ in range(400):
            if await sync_to_async(written)(tenant, uid):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{uid} was not written")

    locker = await psycopg.AsyncConnection.connect(**_connection_params())
    try:
        await locker.execute(f'LOCK TABLE "{acme.schema_name}".telephony_call IN SHARE MODE')
        stores["acme"].call_blocked(blocked_call("fair-acme-1"))
        await asyncio.sleep(0.3)  # acme's batch is now waiting for the lock
        for index in range(3):
            stores["globex"].call_blocked(blocked_call(f"fair-globex-{index}"))
        await wait_written(globex, "fair-globex-2")
        assert not await sync_to_async(written)(acme, "fair-acme-1")
        await locker.rollback()  # the lock goes; acme's write follows
        await wait_written(acme, "fair-acme-1")
    finally:
        await locker.close()
        for store in stores.values():
            store.close()
        await asyncio.gather(*workers)
        await asyncio.get_running_loop().run_in_executor(None, _close_pool_connections, executor, 2)
        executor.shutdown()
        await sync_to_async(connections.close_all)()  # the thread that read the results
    assert all(store.healthy for store in stores.values())
