"""The engine as an asyncio service (``python manage.py run_engine --driver sim|sip``).

One process runs every active tenant. For each tenant it builds a :class:`TenantEngine`:
the tenant's configuration (published IVRs, queues, agents, numbers, trunks, customers) is
loaded from its schema, a :class:`~apps.telephony.engine.controller.CallController` with its
own :class:`~apps.telephony.acd.Acd` routes its calls over a
:class:`~apps.telephony.engine.drivers.sim.SimDriver` on the real clock, and a
:class:`~apps.telephony.engine.dbstore.DbStore` writes CDRs and publishes realtime messages.
Commands from agent desktops and supervisors arrive on the tenant's ``engine`` group of the
channel layer. Tenants are rescanned every 10 s: new ones start, suspended or deleted ones stop.

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
import logging
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django_tenants.utils import schema_context, tenant_context

from apps.core.events import tenant_group
from apps.telephony.acd import Acd
from apps.telephony.dialer.campaign import PAUSED, RUNNING, CampaignRuntime
from apps.telephony.engine.campaigns import DeferredContactSource, load_campaigns
from apps.telephony.engine.clock import RealClock
from apps.telephony.engine.config import TenantConfig, load_tenant_config
from apps.telephony.engine.controller import CallController
from apps.telephony.engine.dbstore import DbStore
from apps.telephony.engine.drivers.sim import (
    CallerBehaviour,
    Duration,
    SimDriver,
    SimNumber,
    VirtualAgentBehaviour,
)

logger = logging.getLogger(__name__)

RESCAN_SECONDS = 10.0
RETRY_FAILED_SECONDS = 300
STOP_TIMEOUT = 5.0
STOP_MESSAGE = "engine.stop"  # a tenant whose engine could not start is retried this much later
CONFIG_RELOAD_SECONDS = 60.0  # also reload now and then, in case a config.changed message was missed
RECEIVE_TIMEOUT = 5.0

# How the demo's simulated callers and virtual agents behave on the real clock.
DEMO_CALLERS = {
    "patience": 150.0,
    "choices": {"menu": {"1": 6, "0": 3, "2": 1}, "survey": {"5": 5, "4": 3, "3": 1, "2": 0.5, "1": 0.5}},
    "known_caller_share": 0.35,
    "talk_with_human": Duration(150, "lognormal"),
}
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
    from django.conf import settings

    config = settings.CHANNEL_LAYERS.get("default", {})
    if config.get("BACKEND") != "channels_redis.core.RedisChannelLayer":
        return get_channel_layer()
    from channels_redis.core import RedisChannelLayer

    options = dict(config.get("CONFIG", {}))
    hosts = []
    for host in options.get("hosts", []):
        entry = dict(host) if isinstance(host, dict) else {"address": host}
        entry["socket_timeout"] = max(entry.get("socket_timeout") or 0, INBOX_SOCKET_TIMEOUT)
        hosts.append(entry)
    options["hosts"] = hosts
    return RedisChannelLayer(**options)


def _recover(tenant) -> dict[str, int]:
    """Calls and agents left mid-call by a previous engine process: close and free them; then the
    dial attempts it left open (:func:`_recover_campaigns`)."""
    from django.utils import timezone

    from apps.core.errors import ApplicationError
    from apps.telephony import agent_states
    from apps.telephony.choices import CallStatus
    from apps.telephony.models import Agent, Call
    from apps.telephony.services.agent_state import agent_set_state
    from apps.telephony.services.cdr import call_close, call_wrapup_end

    now = timezone.now()
    closed = freed = 0
    with tenant_context(tenant):
        for call in Call.objects.exclude(status=CallStatus.ENDED).select_related("queue"):
            try:
                if call.ended_at is None:
                    call_close(call, at=now, end_reason="failed", wrapup=False)
                else:
                    call_wrapup_end(call, at=now)
                closed += 1
            except ApplicationError:
                logger.warning("engine: could not close stale call %s", call.uid)
        busy = (agent_states.RESERVED, agent_states.TALKING, agent_states.HOLD, agent_states.WRAP_UP)
        for agent in Agent.objects.filter(state__in=busy):
            try:
                agent_set_state(agent=agent, state=agent_states.READY, source=agent_states.ENGINE, now=now)
                freed += 1
            except ApplicationError:
                logger.warning("engine: could not free agent %s", agent.pk)
    attempts = _recover_campaigns(tenant)
    if attempts:
        logger.info("engine %s: closed %s dial attempts left open", tenant.schema_name, attempts)
    return {"calls": closed, "agents": freed}


def _recover_campaigns(tenant) -> int:
    """Dial attempts a previous engine process left open: closed by the campaign source's rule
    (counted as attempts, retried no earlier than the campaign's gap from when they were dialled),
    so nobody is redialled early. Returns how many."""
    from django.utils import timezone

    from apps.telephony.services.campaign_source import DbContactSource

    now = timezone.now()
    with tenant_context(tenant):
        return DbContactSource(lambda _t: now).recover(0.0)


def _load(tenant) -> TenantConfig:
    with tenant_context(tenant):
        config = load_tenant_config(tenant)
        config.campaigns = load_campaigns()
        return config


def active_tenants() -> list:
    from apps.tenants.choices import TenantStatus
    from apps.tenants.models import Tenant

    with schema_context("public"):
        return list(Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE))


class TenantEngine:
    """One tenant's call control on the real clock."""

    def __init__(self, tenant, *, layer: Any, record: bool = True, sip_stack: Any = None) -> None:
        self.tenant = tenant
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
        self._stopping = False

    async def start(self) -> None:
        recovered = await sync_to_async(_recover)(self.tenant)
        if recovered["calls"] or recovered["agents"]:
            logger.info(
                "engine %s: closed %s stale calls, freed %s agents",
                self.schema,
                recovered["calls"],
                recovered["agents"],
            )
        config = await sync_to_async(_load)(self.tenant)
        self.clock = RealClock()
        token = f"{int(time.time()):x}"
        if self.sip_stack is not None:
            from apps.telephony.engine.drivers.sip import SipDriver

            self.driver = SipDriver(
                self.sip_stack, schema=self.schema, slug=self.tenant.slug, uid_prefix=f"sip{token}-"
            )
        else:
            caller = CallerBehaviour(**DEMO_CALLERS, known_callers=sorted(config.customers))
            self.driver = SimDriver(
                self.clock,
                seed=int(time.time()),
                caller=caller,
                uid_prefix=f"sim{token}-",
                default_trunk_id=config.default_trunk_id,
            )
        # The sip driver records real media itself; the store's synthesised recordings are the sim's.
        record = self.record and self.sip_stack is None
        self.store = DbStore(self.tenant, self.clock, asynchronous=True, record=record)
        self.controller = CallController(
            clock=self.clock, driver=self.driver, acd=Acd(), store=self.store, uid_prefix=f"eng{token}-"
        )
        self.store.reservation_lost = self.controller.reservation_lost
        from apps.telephony.services.campaign_source import DbContactSource

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

    def _apply(self, config: TenantConfig) -> None:
        """Hand a configuration to the controller and the simulated switch."""
        self._last_load = time.monotonic()
        driver = self.driver
        self.controller.apply_config(config)
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
                driver.set_virtual_agent(agent.agent_id, DEMO_AGENT)
            else:
                driver.remove_virtual_agent(agent.agent_id)
        driver.caller.known_callers = sorted(config.customers)
        self._apply_campaigns(config.campaigns)

    def _apply_campaigns(self, campaigns: dict[int, tuple[str, Any]]) -> None:
        """Start, pause, resume, update and stop campaign runtimes to match the database."""
        controller = self.controller
        for campaign_id in [campaign_id for campaign_id in controller.campaigns if campaign_id not in campaigns]:
            self._stop_campaign(campaign_id)
        for campaign_id, (status, settings) in campaigns.items():
            runtime = controller.campaigns.get(campaign_id)
            if runtime is None:
                source = DeferredContactSource(self.contact_source, self.store, campaign_id)
                self.campaign_sources[campaign_id] = source
                runtime = CampaignRuntime(settings, source, state=status, finish_when_empty=False)
                if status != RUNNING:
                    source.close()
                controller.add_campaign(runtime)
                logger.info("engine %s: campaign %s (%s, %s)", self.schema, campaign_id, settings.mode, status)
                continue
            runtime.update(settings)
            source = self.campaign_sources[campaign_id]
            if status == PAUSED and runtime.state == RUNNING:
                runtime.pause()
                runtime.release_owned()
                source.close()
            elif status == RUNNING and runtime.state == PAUSED:
                source.reopen()
                runtime.resume()

    def _stop_campaign(self, campaign_id: int) -> None:
        runtime = self.controller.campaigns.get(campaign_id)
        if runtime is not None:
            runtime.stop()
            self.controller.remove_campaign(campaign_id)
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
            from apps.telephony.engine.drivers.sip import load_gateways, load_seats
            from apps.telephony.engine.drivers.sipstack import monitor

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
        if not self.controller.handle_message(message):
            # An agent the engine has not loaded yet (just created): reload, then try again.
            await self.reload_soon()
            self.controller.handle_message(message)

    async def tick(self) -> None:
        """Periodic upkeep from the service loop."""
        await self.subscribe()  # group membership expires in the channel layer; renew it
        if time.monotonic() - self._last_load > CONFIG_RELOAD_SECONDS:
            await self.reload_soon()

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


class EngineService:
    """Every active tenant's engine, rescanned every ``rescan_seconds``."""

    def __init__(
        self,
        *,
        tenants: Callable[[], list] | None = None,
        rescan_seconds: float = RESCAN_SECONDS,
        record: bool = True,
        layer: Any = "default",
        driver: str = "sim",
    ) -> None:
        self.driver = driver
        self.sip_stack: Any = None
        self.list_tenants = tenants or active_tenants
        self.rescan_seconds = rescan_seconds
        self.record = record
        self.layer = inbox_layer() if layer == "default" else layer
        self.engines: dict[str, TenantEngine] = {}
        self._failed: dict[str, float] = {}  # schema -> when it last failed to start
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def rescan(self) -> None:
        try:
            tenants = await sync_to_async(self.list_tenants)()
        except Exception:
            logger.exception("engine: listing tenants failed")
            return
        wanted = {tenant.schema_name: tenant for tenant in tenants}
        for schema in [schema for schema in self.engines if schema not in wanted]:
            logger.info("engine %s: stopping (tenant gone or suspended)", schema)
            await self.engines.pop(schema).stop()
        for schema, tenant in wanted.items():
            engine = self.engines.get(schema)
            if engine is None:
                failed_at = self._failed.get(schema)
                if failed_at is not None and time.monotonic() - failed_at < RETRY_FAILED_SECONDS:
                    continue
                engine = TenantEngine(tenant, layer=self.layer, record=self.record, sip_stack=self.sip_stack)
                try:
                    await engine.start()
                except Exception:
                    logger.exception("engine %s: could not start (next try in %d s)", schema, RETRY_FAILED_SECONDS)
                    self._failed[schema] = time.monotonic()
                    await engine.stop()
                    continue
                self._failed.pop(schema, None)
                self.engines[schema] = engine
            else:
                await engine.tick()

    async def run(self, *, duration: float | None = None) -> None:
        started = time.monotonic()
        if self.driver == "sip":
            from apps.telephony.engine.drivers.sip import stack_from_settings

            self.sip_stack = stack_from_settings()
            from apps.telephony.services.prompts import publish_all_prompts  # tenants' uploaded prompt audio

            await sync_to_async(publish_all_prompts)(directory=self.sip_stack.prompts_dir)
            await self.sip_stack.start()
        try:
            while not self._stopping.is_set():
                await self.rescan()
                timeout = self.rescan_seconds
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
            if self.sip_stack is not None:
                await asyncio.sleep(0.2)  # let the BYEs of calls hung up at shutdown leave
                self.sip_stack.close()
                self.sip_stack = None
