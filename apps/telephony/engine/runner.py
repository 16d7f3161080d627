"""The engine as an asyncio service (``python manage.py run_engine --driver sim|sip``).

One process runs the active tenants it holds a lease on (:mod:`apps.telephony.engine.lease`:
one engine per tenant, ``--shard i/n`` to share them between processes, takeover of a dead
engine's tenants). For each tenant it builds a :class:`TenantEngine`:
the tenant's configuration (published IVRs, queues, agents, numbers, trunks, customers) is
loaded from its schema, a :class:`~apps.telephony.engine.controller.CallController` with its
own :class:`~apps.telephony.acd.Acd` routes its calls over a
:class:`~apps.telephony.engine.drivers.sim.SimDriver` on the real clock, and a
:class:`~apps.telephony.engine.dbstore.DbStore` writes CDRs and publishes realtime messages.
Commands from agent desktops and supervisors arrive on the tenant's ``engine`` group of the
channel layer. Tenants are rescanned every 10 s: new ones start, suspended or deleted ones stop;
leases are checked every second.

Starting a tenant first replays the outboxes that dead engines left for it, then closes the
calls they left open at the last moment anything was known of them (:func:`_recover`), so
neither a crash nor a takeover adds talk time or billed minutes.

With ``--driver sip`` the simulated switch is replaced by one
:class:`~apps.telephony.engine.drivers.sip.SipStack` for the process and a
:class:`~apps.telephony.engine.drivers.sip.SipDriver` per tenant (real calls through Kamailio
and rtpengine; campaigns do not run there yet).

Every database call runs in a worker thread (``sync_to_async``) inside
``tenant_context(tenant)``; the event loop itself never touches the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import socket
import subprocess  # noqa: S404 -- only for its exception types (espeak-ng runs in apps/telephony/speech)
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.db import connections
from django.db.models import Max
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from apps.core.errors import ApplicationError
from apps.core.events import tenant_group
from apps.telephony import agent_states
from apps.telephony.acd import Acd
from apps.telephony.choices import CallStatus
from apps.telephony.dialer.campaign import PAUSED, RUNNING, CampaignRuntime
from apps.telephony.engine.campaigns import DeferredContactSource, load_campaigns
from apps.telephony.engine.clock import RealClock
from apps.telephony.engine.config import TenantConfig, load_tenant_config
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.dbstore import DbStore, replay_orphans
from apps.telephony.engine.drivers.sim import (
    CallerBehaviour,
    Duration,
    SimDriver,
    SimNumber,
    VirtualAgentBehaviour,
)
from apps.telephony.engine.drivers.sip import SipDriver, load_gateways, load_seats, monitor, stack_from_settings
from apps.telephony.engine.lease import TICK_SECONDS, LeaseManager
from apps.telephony.models import Agent, Call
from apps.telephony.services.agent_state import agent_set_state
from apps.telephony.services.campaigns.source import DbContactSource
from apps.telephony.services.cdr import call_close, call_wrapup_end
from apps.telephony.services.prompts import publish_all_prompts  # tenants' uploaded prompt audio
from apps.telephony.speech.generate import SpeechUnavailable, generate_speech_prompts
from apps.tenants.choices import TenantStatus
from apps.tenants.models import Tenant
from apps.webhooks.services.integration import integration_secret

logger = logging.getLogger(__name__)

RESCAN_SECONDS = 10.0
RETRY_FAILED_SECONDS = 300
STOP_TIMEOUT = 5.0
STOP_MESSAGE = "engine.stop"  # a tenant whose engine could not start is retried this much later
CONFIG_RELOAD_SECONDS = 60.0  # also reload now and then, in case a config.changed message was missed
RECEIVE_TIMEOUT = 5.0
STORE_THREADS = 4  # default size of the store pool: one slow tenant holds up at most one thread

# How the demo's simulated callers and virtual agents behave on the real clock.
DEMO_CALLERS = CallerBehaviour(
    patience=150.0,
    # "ask": the demo's self-service order lookup (apps/telephony/ivr_demo.py): the orders its
    # endpoint knows, and now and then one it does not.
    choices={
        "menu": {"1": 6, "0": 3, "2": 1},
        "survey": {"5": 5, "4": 3, "3": 1, "2": 0.5, "1": 0.5},
        "ask": {"1001": 4, "1002": 3, "1003": 2, "4711": 1},
    },
    known_caller_share=0.35,
    talk_with_human=Duration(150, "lognormal"),
)
DEMO_AGENT = VirtualAgentBehaviour(
    talk=Duration(140, "lognormal"),
    answer_delay=Duration(3, "lognormal", sigma=0.4),
    hold_probability=0.1,
    hold=Duration(20, "exp"),
)


INBOX_SOCKET_TIMEOUT = 30.0


def inbox_layer() -> Any:
    """The channel layer the engine listens on.

    channels_redis waits up to 5 s in BZPOPMIN on every receive, and redis-py 8's default
    socket timeout is also 5 s: an idle receive then fails with a TimeoutError (and a message
    arriving at that moment could be lost). The engine's own listening layer gets a longer
    socket timeout; publishing keeps using the default layer."""
    config = settings.CHANNEL_LAYERS.get("default", {})
    if config.get("BACKEND") != "channels_redis.core.RedisChannelLayer":
        return get_channel_layer()

    options = dict(config.get("CONFIG", {}))
    hosts = []
    for host in options.get("hosts", []):
        entry = dict(host) if isinstance(host, dict) else {"address": host}
        entry["socket_timeout"] = max(entry.get("socket_timeout") or 0, INBOX_SOCKET_TIMEOUT)
        hosts.append(entry)
    options["hosts"] = hosts
    return RedisChannelLayer(**options)


class TenantBusy(Exception):
    """Another live process still owns an outbox of the tenant: start it later."""


def _last_known(call) -> Any:
    """The last moment anything was known of ``call``: its newest timeline event (or fields)."""
    times = [call.arrived_at, call.queued_at, call.offered_at, call.answered_at, call.ended_at]
    times.append(call.events.aggregate(last=Max("at"))["last"])
    return max(value for value in times if value is not None)


def _recover(tenant, *, exclude_outbox: str | None = None) -> dict[str, int]:
    """What previous engine processes left of the tenant: first the outboxes of dead engines
    (replayed, nothing twice), then the calls and agents they left mid-call, closed and freed at
    the last known time of each (not now: a crash must not add talk time or billed minutes);
    then the dial attempts they left open (:func:`_recover_campaigns`)."""
    replayed, busy = replay_orphans(tenant, exclude=exclude_outbox)
    if busy:
        raise TenantBusy(f"{busy} outbox(es) of {tenant.schema_name} still owned by a live process")
    closed = freed = 0
    with tenant_context(tenant):
        closed_at: dict[int, Any] = {}
        for call in Call.objects.exclude(status=CallStatus.ENDED).select_related("queue"):
            at = _last_known(call)
            try:
                if call.ended_at is None:
                    call_close(call, at=at, end_reason="failed", wrapup=False)
                else:
                    call_wrapup_end(call, at=at)
                closed += 1
                closed_at[call.pk] = at
            except ApplicationError:
                logger.warning("engine: could not close stale call %s", call.uid)
        busy_states = (agent_states.RESERVED, agent_states.TALKING, agent_states.HOLD, agent_states.WRAP_UP)
        for agent in Agent.objects.filter(state__in=busy_states):
            # Free at the end of their call as recorded (or when they entered the state).
            at = agent.state_since
            if agent.current_call_id is not None and agent.current_call_id in closed_at:
                at = max(at, closed_at[agent.current_call_id])
            try:
                agent_set_state(agent=agent, state=agent_states.READY, source=agent_states.ENGINE, now=at)
                freed += 1
            except ApplicationError:
                logger.warning("engine: could not free agent %s", agent.pk)
    attempts = _recover_campaigns(tenant)
    if attempts:
        logger.info("engine %s: closed %s dial attempts left open", tenant.schema_name, attempts)
    return {"calls": closed, "agents": freed, "outboxes": replayed}


def _recover_campaigns(tenant) -> int:
    """Dial attempts a previous engine process left open: closed by the campaign source's rule
    (counted as attempts, retried no earlier than the campaign's gap from when they were dialled),
    so nobody is redialled early. Returns how many."""
    now = timezone.now()
    with tenant_context(tenant):
        return DbContactSource(lambda _t: now).recover(0.0)


def _load(tenant) -> TenantConfig:
    with tenant_context(tenant):
        config = load_tenant_config(tenant)
        config.campaigns = load_campaigns()
        return config


def _integration_secret(tenant) -> str:
    try:
        with tenant_context(tenant):
            return integration_secret()
    finally:
        connections.close_all()  # this worker thread's own connection; read again in a minute


def _speech_prompts(directory) -> None:
    """The spoken-value word prompts (numbers, amounts, dates, queue position), written once."""
    try:
        generate_speech_prompts(directory)
    except (SpeechUnavailable, OSError, subprocess.SubprocessError) as error:
        logger.error("speech prompts not generated (%s): spoken values play the default tone", error)


def active_tenants() -> list:
    with schema_context("public"):
        return list(Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE))


class TenantEngine:
    """One tenant's call control on the real clock."""

    def __init__(
        self,
        tenant,
        *,
        layer: Any,
        record: bool = True,
        sip_stack: Any = None,
        outbox_id: str | None = None,
        executor: Any = None,
        sim_log: Callable[[str, str, tuple], None] | None = None,
        sim_scale: float = 1.0,
    ) -> None:
        self.tenant = tenant
        self.outbox_id = outbox_id  # this process's write-ahead outbox for the tenant (None: none)
        self.executor = executor  # the service's store pool (None: asgiref's shared thread)
        self.sim_log = sim_log
        self.sim_scale = sim_scale
        self.sip_stack = sip_stack  # the process's SipStack with --driver sip; None: the simulated switch
        self.schema = tenant.schema_name
        self.layer = layer
        self.record = record
        self.clock: RealClock | None = None
        self.driver: Any = None  # SimDriver, or SipDriver with --driver sip
        self.controller: CallController | None = None
        self.store: DbStore | None = None
        self.channel: str | None = None
        self.tasks: list[asyncio.Task] = []
        self.contact_source: Any = None
        self.campaign_sources: dict[int, DeferredContactSource] = {}
        self._reloading: asyncio.Task | None = None
        self._last_load = 0.0
        self._reload_at: datetime | None = None  # a skill gate changes then (apps/telephony/skill_gates.py)
        self._stopping = False

    async def start(self) -> None:
        recovered = await sync_to_async(_recover)(self.tenant, exclude_outbox=self.outbox_id)
        if recovered["calls"] or recovered["agents"] or recovered.get("outboxes"):
            logger.info(
                "engine %s: replayed %s outboxes, closed %s stale calls, freed %s agents",
                self.schema,
                recovered.get("outboxes", 0),
                recovered["calls"],
                recovered["agents"],
            )
        config = await sync_to_async(_load)(self.tenant)
        self.clock = RealClock()
        token = f"{int(time.time()):x}"
        if self.sip_stack is not None:
            self.driver = SipDriver(
                self.sip_stack, schema=self.schema, slug=self.tenant.slug, uid_prefix=f"sip{token}-"
            )
        else:
            caller = replace(_scaled_callers(self.sim_scale), known_callers=sorted(config.customers))
            self.driver = SimDriver(
                self.clock,
                seed=int(time.time()),
                caller=caller,
                uid_prefix=f"sim{token}-",
                default_trunk_id=config.default_trunk_id,
            )
            if self.sim_log is not None:
                schema, log = self.schema, self.sim_log
                self.driver.log = lambda event, args: log(schema, event, args)
        # The sip driver records real media itself; the store's synthesised recordings are the sim's.
        record = self.record and self.sip_stack is None
        self.store = DbStore(
            self.tenant,
            self.clock,
            asynchronous=True,
            record=record,
            outbox_id=self.outbox_id,
            executor=self.executor,
        )
        self.controller = controller = CallController(
            clock=self.clock, driver=self.driver, acd=Acd(), store=self.store, uid_prefix=f"eng{token}-"
        )
        self.store.reservation_lost = controller.reservation_lost
        # IVR http nodes sign with the tenant's integration secret (read in the request's worker
        # thread); say nodes and queue announcements speak the tenant's language.
        controller.ivr.http.secret_loader = partial(_integration_secret, self.tenant)
        controller.ivr.language = getattr(self.tenant, "default_language", "") or "zh-Hans"

        self.contact_source = DbContactSource(self.clock.wall)
        self._apply(config)
        await self._load_seats()
        self.tasks.append(asyncio.create_task(self.store.run(), name=f"engine-store-{self.schema}"))
        if self.layer is not None:
            # One prefix for every tenant: channels_redis serves all of a process's channels that
            # share a prefix from one BZPOPMIN loop; different prefixes would take turns.
            self.channel = await self.layer.new_channel(prefix="engine")
            await self.subscribe()
            self.tasks.append(asyncio.create_task(self._receive(), name=f"engine-inbox-{self.schema}"))
        if self.sip_stack is None:
            self.driver.start()
        logger.info(
            "engine %s: %d queues, %d numbers, %d agents",
            self.schema,
            len(config.queues),
            len(config.numbers),
            len(config.agents),
        )

    @property
    def started(self) -> CallController:
        """The controller; configuration, campaigns and inbox messages only come after :meth:`start`."""
        if self.controller is None:
            raise RuntimeError(f"engine {self.schema} is not started")
        return self.controller

    def _apply(self, config: TenantConfig) -> None:
        """Hand a configuration to the controller and the simulated switch."""
        self._last_load = time.monotonic()
        self._reload_at = config.reload_at
        driver = self.driver
        self.started.apply_config(config)
        if self.sip_stack is not None:
            driver.set_trunks(config.trunks, config.default_trunk_id)
            self._apply_campaigns(config.campaigns)
            return
        for trunk_id, channels in config.trunks.items():
            driver.set_trunk(trunk_id, channels)
        driver.default_trunk_id = config.default_trunk_id
        for number_id in list(driver.numbers):
            if number_id not in config.numbers:
                driver.remove_number(number_id)
        for number in config.numbers.values():
            driver.set_number(
                SimNumber(
                    number_id=number.number_id,
                    number=number.number,
                    trunk_id=number.trunk_id,
                    arrivals_per_hour=number.arrivals_per_hour,
                )
            )
        for agent in config.agents.values():
            if agent.is_virtual:
                driver.set_virtual_agent(agent.agent_id, _scaled_agent(self.sim_scale))
            else:
                driver.remove_virtual_agent(agent.agent_id)
        driver.caller.known_callers = sorted(config.customers)
        self._apply_campaigns(config.campaigns)

    def _apply_campaigns(self, campaigns: dict[int, tuple[str, Any]]) -> None:
        """Start, pause, resume, update and stop campaign runtimes to match the database."""
        controller = self.started
        for campaign_id in [campaign_id for campaign_id in controller.campaigns if campaign_id not in campaigns]:
            self._stop_campaign(campaign_id)
        for campaign_id, (status, campaign_settings) in campaigns.items():
            runtime = controller.campaigns.get(campaign_id)
            if runtime is None:
                source = DeferredContactSource(self.contact_source, self.store, campaign_id)
                self.campaign_sources[campaign_id] = source
                runtime = CampaignRuntime(campaign_settings, source, state=status, finish_when_empty=False)
                if status != RUNNING:
                    source.close()
                controller.add_campaign(runtime)
                logger.info("engine %s: campaign %s (%s, %s)", self.schema, campaign_id, campaign_settings.mode, status)
                continue
            runtime.update(campaign_settings)
            source = self.campaign_sources[campaign_id]
            if status == PAUSED and runtime.state == RUNNING:
                runtime.pause()
                runtime.release_owned()
                source.close()
            elif status == RUNNING and runtime.state == PAUSED:
                source.reopen()
                runtime.resume()

    def _stop_campaign(self, campaign_id: int) -> None:
        controller = self.started
        runtime = controller.campaigns.get(campaign_id)
        if runtime is not None:
            runtime.stop()
            controller.remove_campaign(campaign_id)
        source = self.campaign_sources.pop(campaign_id, None)
        if source is not None:
            source.close()

    async def reload(self) -> None:
        try:
            config = await sync_to_async(_load)(self.tenant)
        except Exception:
            logger.exception("engine %s: reloading the configuration failed", self.schema)
            return
        self._apply(config)
        await self._load_seats()

    async def _load_seats(self) -> None:
        """The SIP driver rings an agent's seat (agent → extension) and dials out through a trunk's
        carrier address (trunk → outbound address, public schema)."""
        if self.sip_stack is not None:
            self.driver.set_seats(await sync_to_async(load_seats)(self.tenant))
            self.driver.set_gateways(await sync_to_async(load_gateways)(self.tenant))
            monitor.set_user_seats(self.driver, await sync_to_async(monitor.load_user_seats)(self.tenant))

    def reload_soon(self) -> asyncio.Task:
        if self._reloading is None or self._reloading.done():
            self._reloading = asyncio.create_task(self.reload())
        return self._reloading

    async def subscribe(self) -> None:
        if self.layer is not None and self.channel is not None:
            await self.layer.group_add(tenant_group(self.schema, "engine"), self.channel)

    async def _receive(self) -> None:
        while not self._stopping:
            try:
                envelope = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("engine %s: channel layer receive failed", self.schema)
                await asyncio.sleep(1)
                continue
            if not isinstance(envelope, dict) or envelope.get("type") == STOP_MESSAGE:
                continue
            message = envelope.get("event")
            if isinstance(message, dict):
                await self.dispatch(message)

    async def dispatch(self, message: dict) -> None:
        """One inbox message: configuration changes reload; the rest go to the controller."""
        if message.get("type") == "config.changed":
            await self.reload_soon()
            return
        if not self.started.handle_message(message):
            # An agent the engine has not loaded yet (just created): reload, then try again.
            await self.reload_soon()
            self.started.handle_message(message)

    async def tick(self) -> None:
        """Periodic upkeep from the service loop."""
        await self.subscribe()  # group membership expires in the channel layer; renew it
        gate_due = self._reload_at is not None and timezone.now() >= self._reload_at
        if gate_due or time.monotonic() - self._last_load > CONFIG_RELOAD_SECONDS:
            await self.reload_soon()

    async def abandon(self) -> None:
        """Another engine holds the tenant now: stop at once and write nothing more. The calls in
        memory are dropped; the outbox stays for the new holder, which replays it and closes
        those calls at their last known time."""
        self._stopping = True
        if self.driver is not None:
            self.driver.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.layer is not None and self.channel is not None:
            with contextlib.suppress(Exception):
                await self.layer.group_discard(tenant_group(self.schema, "engine"), self.channel)

    async def stop(self) -> None:
        """Stop arrivals, leave the inbox, flush the store."""
        self._stopping = True
        if self.driver is not None:
            self.driver.stop()
        if self.controller is not None:
            for campaign_id in list(self.controller.campaigns):
                self._stop_campaign(campaign_id)
        inbox = [task for task in self.tasks if task.get_name().startswith("engine-inbox")]
        if self.layer is not None and self.channel is not None:
            try:
                await self.layer.group_discard(tenant_group(self.schema, "engine"), self.channel)
                # Wake our own receive with a message rather than cancelling it: channels_redis
                # shares one receive lock between a process's channels, and a receive cancelled
                # while another waits for that lock can hang.
                await self.layer.send(self.channel, {"type": STOP_MESSAGE})
            except Exception:
                logger.warning("engine %s: leaving the engine group failed", self.schema)
        if inbox:
            _done, pending = await asyncio.wait(inbox, timeout=STOP_TIMEOUT)
            for task in pending:
                task.cancel()
        if self.store is not None:
            self.store.close()
        store_tasks = [task for task in self.tasks if task not in inbox]
        if store_tasks:
            _done, pending = await asyncio.wait(store_tasks, timeout=STOP_TIMEOUT * 3)
            for task in pending:
                logger.warning("engine %s: %s did not finish in time", self.schema, task.get_name())
                task.cancel()


def _scaled(duration: Duration, scale: float) -> Duration:
    return Duration(duration.mean * scale, duration.dist, sigma=duration.sigma)


def _scaled_callers(scale: float) -> CallerBehaviour:
    """The demo's callers with their patience and talk time scaled (``--sim-scale``)."""
    if scale == 1.0:
        return replace(DEMO_CALLERS)
    patience = DEMO_CALLERS.patience
    return replace(
        DEMO_CALLERS,
        patience=None if patience is None else patience * scale,
        talk_with_human=_scaled(DEMO_CALLERS.talk_with_human, scale),
    )


def _scaled_agent(scale: float) -> VirtualAgentBehaviour:
    if scale == 1.0:
        return DEMO_AGENT
    return VirtualAgentBehaviour(
        talk=_scaled(DEMO_AGENT.talk, scale),
        answer_delay=_scaled(DEMO_AGENT.answer_delay, scale),
        hold_probability=DEMO_AGENT.hold_probability,
        hold=_scaled(DEMO_AGENT.hold, scale),
    )


class SimLogFile:
    """``run_engine --sim-log PATH``: the simulated switch's events as JSON lines
    (``{"t", "schema", "event", "uid", "args"}``), written as they happen, so a test or an
    operator can count calls against what the engine stored even after the process is killed."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the process

    def __call__(self, schema: str, event: str, args: tuple) -> None:
        values = [{"uid": arg.uid, "number_id": arg.number_id} if hasattr(arg, "number_id") else arg for arg in args]
        uid = values[0]["uid"] if isinstance(values[0], dict) else values[0]
        record = {"t": time.time(), "schema": schema, "event": event, "uid": uid, "args": values[1:]}
        self.file.write(json.dumps(record, default=str) + "\n")


def _close_pool_connections(executor: ThreadPoolExecutor, threads: int) -> None:
    """Close the database connection of every thread of the store pool (Django's connections are
    per thread): each of ``threads`` jobs waits at a barrier, so each runs on its own thread."""
    barrier = threading.Barrier(threads)

    def close() -> None:
        connections.close_all()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)

    futures = [executor.submit(close) for _ in range(threads)]
    for future in futures:
        with contextlib.suppress(Exception):
            future.result(timeout=5)


class EngineService:
    """The engine of every active tenant this process holds a lease on.

    Tenants are listed every ``rescan_seconds``; leases are checked every ``lease_seconds``
    (:class:`~apps.telephony.engine.lease.LeaseManager`; ``lease=None`` runs every listed
    tenant without one, for tests of the plumbing that have no database)."""

    def __init__(
        self,
        *,
        tenants: Callable[[], list] | None = None,
        rescan_seconds: float = RESCAN_SECONDS,
        record: bool = True,
        layer: Any = "default",
        driver: str = "sim",
        lease: Any = "default",
        shard: tuple[int, int] = (0, 1),
        lease_seconds: float | None = None,
        store_threads: int | None = None,
        sim_log: Callable[[str, str, tuple], None] | None = None,
        sim_scale: float = 1.0,
    ) -> None:
        self.driver = driver
        self.sip_stack: Any = None
        self.list_tenants = tenants or active_tenants
        self.rescan_seconds = rescan_seconds
        self.record = record
        self.layer = inbox_layer() if layer == "default" else layer
        self.lease = LeaseManager(shard=shard[0], shards=shard[1]) if lease == "default" else lease
        self.lease_seconds = lease_seconds or TICK_SECONDS
        self.store_threads = (
            store_threads
            or getattr(settings, "ENGINE_STORE_THREADS", None)
            or int(os.environ.get("ENGINE_STORE_THREADS") or STORE_THREADS)
        )
        self.store_executor: ThreadPoolExecutor | None = None
        self.sim_log = sim_log
        self.sim_scale = sim_scale
        # This process's outboxes are named after it: host, process and start time.
        self.outbox_prefix = f"{socket.gethostname()}-{os.getpid()}-{int(time.time() * 1000):x}"
        self.engines: dict[str, TenantEngine] = {}
        self.wanted: dict[str, Any] = {}  # schema -> tenant: the active tenants at the last scan
        self.started_at: dict[str, float] = {}  # schema -> time.monotonic() its engine started (for operators)
        self._failed: dict[str, float] = {}  # schema -> when it last failed to start
        self._starts = itertools.count(1)  # each start of a tenant gets an outbox of its own
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    def _engine_for(self, tenant) -> TenantEngine:
        return TenantEngine(
            tenant,
            layer=self.layer,
            record=self.record,
            sip_stack=self.sip_stack,
            outbox_id=f"{self.outbox_prefix}-{next(self._starts)}" if self.lease is not None else None,
            executor=self.store_executor,
            sim_log=self.sim_log,
            sim_scale=self.sim_scale,
        )

    async def _start(self, tenant) -> bool:
        schema = tenant.schema_name
        failed_at = self._failed.get(schema)
        if failed_at is not None and time.monotonic() - failed_at < RETRY_FAILED_SECONDS:
            return False
        engine = self._engine_for(tenant)
        try:
            await engine.start()
        except TenantBusy as busy:
            logger.warning("engine %s: not yet (%s)", schema, busy)
            await engine.stop()
            return False
        except Exception:
            logger.exception("engine %s: could not start (next try in %d s)", schema, RETRY_FAILED_SECONDS)
            self._failed[schema] = time.monotonic()
            await engine.stop()
            return False
        self._failed.pop(schema, None)
        self.engines[schema] = engine
        self.started_at[schema] = time.monotonic()
        return True

    async def rescan(self) -> None:
        try:
            tenants = await sync_to_async(self.list_tenants)()
        except Exception:
            logger.exception("engine: listing tenants failed")
            return
        self.wanted = {tenant.schema_name: tenant for tenant in tenants}
        for schema in [schema for schema in self.engines if schema not in self.wanted]:
            logger.info("engine %s: stopping (tenant gone or suspended)", schema)
            engine = self.engines.pop(schema)
            await engine.stop()
            if self.lease is not None:
                await self.lease.release(engine.tenant.pk)
        for schema, tenant in self.wanted.items():
            running = self.engines.get(schema)
            if running is not None:
                await running.tick()
            elif self.lease is None:
                await self._start(tenant)

    async def sync_leases(self) -> None:
        """Start the tenants whose lease this process just took; drop those someone else holds."""
        if self.lease is None:
            return
        by_id = {tenant.pk: tenant for tenant in self.wanted.values()}
        now = time.monotonic()
        wanted = {
            tenant.pk
            for schema, tenant in self.wanted.items()
            if now - self._failed.get(schema, -RETRY_FAILED_SECONDS) >= RETRY_FAILED_SECONDS
        }
        running = {engine.tenant.pk for engine in self.engines.values()}
        gained, lost = await self.lease.sync(wanted, running)
        for schema, engine in list(self.engines.items()):
            if engine.tenant.pk in lost:
                logger.error("engine %s: another engine holds the tenant now; stopping without writing", schema)
                self.engines.pop(schema)
                self.started_at.pop(schema, None)
                await engine.abandon()
        for tenant_id in sorted(gained):
            tenant = by_id[tenant_id]
            logger.info("engine %s: lease taken", tenant.schema_name)
            if not await self._start(tenant):
                await self.lease.release(tenant_id)

    async def run(self, *, duration: float | None = None) -> None:
        started = time.monotonic()
        self.store_executor = ThreadPoolExecutor(max_workers=self.store_threads, thread_name_prefix="engine-store")
        if self.driver == "sip":
            self.sip_stack = stack_from_settings()

            await sync_to_async(publish_all_prompts)(directory=self.sip_stack.prompts_dir)
            await asyncio.to_thread(_speech_prompts, self.sip_stack.prompts_dir)
            await self.sip_stack.start()
        try:
            next_scan = 0.0
            while not self._stopping.is_set():
                now = time.monotonic()
                if now >= next_scan:
                    await self.rescan()
                    next_scan = time.monotonic() + self.rescan_seconds
                await self.sync_leases()
                timeout = self.rescan_seconds if self.lease is None else self.lease_seconds
                timeout = max(0.0, min(timeout, next_scan - time.monotonic()))
                if duration is not None:
                    left = duration - (time.monotonic() - started)
                    if left <= 0:
                        break
                    timeout = min(timeout, left)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=timeout)
        finally:
            for engine in list(self.engines.values()):
                await engine.stop()
            self.engines.clear()
            if self.lease is not None:
                await self.lease.close()
            if self.sip_stack is not None:
                await asyncio.sleep(0.2)  # let the BYEs of calls hung up at shutdown leave
                self.sip_stack.close()
                self.sip_stack = None
            executor, self.store_executor = self.store_executor, None
            await asyncio.get_running_loop().run_in_executor(
                None, _close_pool_connections, executor, self.store_threads
            )
            executor.shutdown(wait=False)
