"""Base websocket consumer: tenant groups, role checks, snapshot then deltas.

Faults (docs/realtime.md "Faults"): a socket never sits open on a subscription that no longer
delivers. A GroupHub that loses Redis (connection error, restart, failover) or its group
membership (flush, expiry, a restart it did not notice) closes its sockets with 1011, and the
client reconnects to a fresh snapshot; a socket opened while Redis is down is closed with 1011
too; and every socket re-checks its user, roles and tenant every REALTIME_ACCESS_CHECK_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import random
import sys
import threading
import time
import uuid
from typing import Any

from channels import DEFAULT_CHANNEL_LAYER
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.db import DatabaseError
from django_tenants.utils import schema_context, tenant_context
from redis.exceptions import TimeoutError as RedisTimeoutError

from apps.accounts.channels import scope_user
from apps.core.api.permissions import has_role
from apps.core.events import PUBLISH_ERRORS, now_iso, tenant_group
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)

# The longest a hub waits for Redis to subscribe, or for its own probe to come back.
REDIS_TIMEOUT_SECONDS = 5.0
# Close codes: 1011 "the server hit a problem, try again" (the client reconnects at once, with
# back-off); 4403 "no access" (at the handshake or later, when the re-check fails).
CLOSE_HUB_FAILED = 1011
# A socket that cannot subscribe (Redis down) is held this long, retrying, before its 1011.
JOIN_RETRY_SECONDS = 10.0
JOIN_RETRY_INTERVAL_SECONDS = 0.5
CLOSE_NO_ACCESS = 4403


def ws_text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked text frame (RFC 6455 §5.2), as a server sends it.

    Built once per event and written to every socket of the hub: framing it again for each
    socket, through channels, daphne and autobahn, was most of the fan-out's cost.
    """
    length = len(payload)
    if length < 126:
        return bytes((0x81, length)) + payload
    if length < 1 << 16:
        return b"\x81\x7e" + length.to_bytes(2, "big") + payload
    return b"\x81\x7f" + length.to_bytes(8, "big") + payload


def daphne_protocol(send: Any) -> Any | None:
    """The daphne websocket protocol behind an ASGI ``send`` callable, or None.

    daphne hands each application ``functools.partial(server.handle_reply, protocol)``; only
    that exact shape is recognised, so a middleware that wraps ``send``, another server or
    channels' test communicator simply keeps the ordinary send. The modules are looked up,
    not imported: importing daphne.server installs Twisted's reactor as a side effect.
    """
    server_module = sys.modules.get("daphne.server")
    ws_module = sys.modules.get("daphne.ws_protocol")
    if server_module is None or ws_module is None or not isinstance(send, functools.partial):
        return None
    if send.keywords or len(send.args) != 1:
        return None
    if getattr(send.func, "__func__", None) is not getattr(server_module.Server, "handle_reply", None):
        return None
    protocol = send.args[0]
    return protocol if isinstance(protocol, ws_module.WebSocketProtocol) else None


class PreframedWriter:
    """Writes a pre-built frame straight to a daphne socket's transport, when that is safe.

    It does what ``WebSocketProtocol.sendMessage`` of autobahn would do for an unfragmented,
    uncompressed, unmasked text message (the same bytes, the same traffic counters) and
    declines, so that the caller uses the ordinary send, whenever autobahn would do anything
    else: the socket is not open (handshake, closing, closed), permessage-deflate is in use,
    autobahn has queued writes of its own, frames would be masked or fragmented, the message
    is over the size limit, or frame logging is on. Everything runs on daphne's one event
    loop and ``transport.write`` takes whole frames, so no other send can interleave mid-frame
    and each socket keeps its order.

    On a plain TCP connection with nothing waiting in Twisted's buffer the frame goes straight
    to the socket (``send``), as Twisted's own ``doWrite`` would do one loop turn later: that
    skips registering the socket for writability and back (two ``epoll_ctl``), the reactor's
    per-socket write callback, and the buffer lists that outlive a loop turn and make the
    garbage collector's slow full passes come round sooner. Whatever the socket does not take
    (or any error) goes through ``transport.write`` behind it, so order is kept and Twisted
    itself notices a broken connection. TLS transports, or anything but ``tcp.Server``,
    always use ``transport.write``.

    These are autobahn and Twisted internals (pinned in requirements/base.txt, guarded by
    tests/core/test_realtime_wire.py): if one is missing, the part that needs it switches
    itself off for the process and says so once.
    """

    enabled = True
    direct = True

    @classmethod
    def write(cls, protocol: Any, frame: bytes, payload_length: int) -> bool:
        if not cls.enabled:
            return False
        try:
            if (
                protocol.state != protocol.STATE_OPEN
                or protocol._perMessageCompress is not None
                or protocol.send_queue
                or protocol.maskServerFrames
                or protocol.logFrames
                or protocol.logOctets
                or 0 < protocol.autoFragmentSize < payload_length
                or 0 < protocol.maxMessagePayloadSize < payload_length
            ):
                return False
            transport = protocol.transport
            stats = protocol.trafficStats
            stats.outgoingWebSocketMessages += 1
            stats.outgoingWebSocketFrames += 1
            stats.outgoingOctetsAppLevel += payload_length
            stats.outgoingOctetsWebSocketLevel += payload_length
            stats.outgoingOctetsWireLevel += len(frame)
        except AttributeError:
            cls.enabled = False
            logger.warning("websocket fast path off: daphne/autobahn internals changed", exc_info=True)
            return False
        if cls.direct and type(transport) is _tcp_server():
            try:
                idle = (
                    transport.connected
                    and not transport.disconnecting
                    and not transport._aborting
                    and not transport._writeDisconnected
                    and not transport._tempDataLen
                    and transport.offset >= len(transport.dataBuffer)
                )
                sock = transport.socket
            except AttributeError:
                cls.direct = False
                logger.warning("websocket direct writes off: Twisted internals changed", exc_info=True)
                idle = False
            if idle:
                try:
                    sent = sock.send(frame)
                except OSError:  # full (EAGAIN) or broken: Twisted's write path handles both
                    sent = 0
                if sent >= len(frame):
                    return True
                frame = frame[sent:]
        transport.write(frame)
        return True


def _tcp_server() -> Any:
    """Twisted's TCP server transport class, looked up like daphne's (never imported here)."""
    module = sys.modules.get("twisted.internet.tcp")
    return getattr(module, "Server", None)


_hub_layers: dict[int, tuple[asyncio.AbstractEventLoop, Any, Any]] = {}


def _hub_layer() -> Any:
    """The channel layer the hubs of this event loop receive on: an instance of their own.

    channels_redis keeps its receive state (a lock shared by every channel of the instance, the
    per-channel clean-up locks, the buffers) on the instance and assumes one event loop. A
    receive cancelled on a loop that then ends (a socket gone, a hub failed) can leave that
    state bound to the dead loop, and every later receive on another loop fails ("bound to a
    different event loop"). daphne has one loop, the tests one per scenario: one instance per
    loop keeps each loop's receives to itself. Rebuilt when the settings' layer changes.
    """
    loop = asyncio.get_running_loop()
    shared = get_channel_layer()
    cached = _hub_layers.get(id(loop))
    if cached is None or cached[0] is not loop or cached[1] is not shared:
        cached = (loop, shared, channel_layers.make_backend(DEFAULT_CHANNEL_LAYER))
        _hub_layers[id(loop)] = cached
    return cached[2]


class HubUnavailable(Exception):
    """The hub could not subscribe to its group (Redis down or hung)."""


class GroupHub:
    """One channel-layer subscription per (event loop, group), fanned out to the local sockets.

    With one subscription per socket, a wallboard event for 1,000 sockets cost daphne 1,000
    channel-layer deliveries (~325 ms of CPU); the hub receives it once, serialises it once and
    writes the frame to each local socket (docs/decisions/0004-realtime-fanout.md).

    A hub either delivers or is gone, never in between. Every REALTIME_GROUP_REFRESH_SECONDS (with
    jitter) it sends a probe to its own group and waits for it to come back, which proves Redis
    answers and that the group still holds this hub (a flush, a restart without persistence or a
    failover to a replica that lacks the membership all lose it silently, and the receive would
    wait forever); then it re-joins, renewing the membership's expiry. When the probe does not
    come back, or the receive fails, the hub *fails*: it leaves the registry and closes its
    sockets with 1011, so that clients reconnect and read a fresh snapshot instead of showing a
    frozen view. Nothing is retried in place: events published meanwhile are lost to this hub.
    """

    _hubs: dict[tuple[int, str], GroupHub] = {}

    def __init__(self, group: str, key: tuple[int, str] | None = None) -> None:
        self.group = group
        self.key = key or (0, group)
        self.members: set[TenantConsumer] = set()
        # Resolved by _run: True once subscribed, HubUnavailable if it could not be.
        self.ready: asyncio.Future | None = None
        self.task: asyncio.Task | None = None
        self.failed = False
        self.channel: str | None = None
        self._probe: str | None = None
        self._probe_back = asyncio.Event()

    @classmethod
    async def join(cls, group: str, consumer: TenantConsumer) -> None:
        """Add ``consumer`` once the hub is subscribed; :class:`HubUnavailable` if it cannot be."""
        loop = asyncio.get_running_loop()
        key = (id(loop), group)
        hub = cls._hubs.get(key)
        # id() of a loop that is gone can come back for a new loop (tests run one loop after
        # another): a hub whose task belongs to another loop would never deliver here.
        if hub is None or hub.failed or hub.task is None or hub.task.done() or hub.task.get_loop() is not loop:
            hub = cls(group, key)
            hub.ready = loop.create_future()
            cls._hubs[key] = hub
            hub.task = loop.create_task(hub._run())
        hub.members.add(consumer)
        # Subscribed before the snapshot is read, so no event falls between the two.
        try:
            await asyncio.shield(hub.ready)  # type: ignore[arg-type]
        except BaseException as error:
            hub.members.discard(consumer)
            if isinstance(error, Exception):
                raise HubUnavailable(group) from error
            raise

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
        assert self.ready is not None  # noqa: S101 - made by join() with the task
        layer = _hub_layer()
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                self.channel = await layer.new_channel()
                await layer.group_add(self.group, self.channel)
        except BaseException as error:
            self.failed = True
            if self._hubs.get(self.key) is self:
                self._hubs.pop(self.key)
            self.ready.set_exception(HubUnavailable(self.group))
            self.ready.exception()  # retrieved: each joiner gets its own HubUnavailable
            if not isinstance(error, PUBLISH_ERRORS):
                raise
            logger.warning("realtime: %s could not subscribe (%r)", self.group, error)
            return
        self.ready.set_result(True)
        watcher = asyncio.get_running_loop().create_task(self._watch(layer))
        try:
            await self._receive(layer)
        except Exception as error:  # whatever stops the receive, the sockets must hear of it
            await self.fail(f"receive failed: {error!r}")
        finally:
            watcher.cancel()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1):
                    await layer.group_discard(self.group, self.channel)

    async def _receive(self, layer: Any) -> None:
        while True:
            try:
                message = await layer.receive(self.channel)
            except (TimeoutError, RedisTimeoutError):
                # The blocking pop outlived the socket timeout: no verdict on Redis by itself;
                # the watcher's probe decides whether Redis still answers.
                continue
            kind = message.get("type")
            if kind == "hub.probe":
                if message.get("probe") == self._probe:
                    self._probe_back.set()
                continue
            if kind != "event.forward":
                continue
            await self.deliver(json.dumps(message["event"]), message.get("published_at"))

    async def _watch(self, layer: Any) -> None:
        """Prove, every refresh interval, that the group still reaches this hub; fail the hub if not."""
        while True:
            await asyncio.sleep(settings.REALTIME_GROUP_REFRESH_SECONDS * random.uniform(0.8, 1.0))  # noqa: S311
            self._probe = uuid.uuid4().hex
            self._probe_back.clear()
            try:
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                    await layer.group_send(self.group, {"type": "hub.probe", "probe": self._probe})
                    await self._probe_back.wait()
                    await layer.group_add(self.group, self.channel)
            except PUBLISH_ERRORS as error:
                reason = "membership lost (probe did not come back)" if not self._probe_back.is_set() else repr(error)
                await self.fail(reason)
                if self.task is not None:
                    self.task.cancel()  # its finally cancels this watcher: nothing may follow
                return

    async def fail(self, reason: str) -> None:
        """Leave the registry and close every socket with 1011 (once)."""
        if self.failed:
            return
        self.failed = True
        if self._hubs.get(self.key) is self:
            self._hubs.pop(self.key)
        members, self.members = list(self.members), set()
        logger.warning("realtime: %s failed (%s); closing %d sockets with 1011", self.group, reason, len(members))
        for consumer in members:
            with contextlib.suppress(Exception):
                await consumer.close(code=CLOSE_HUB_FAILED)

    async def deliver(self, text: str, published_at: float | None = None) -> None:
        """Send one event to every local socket: pre-framed where possible, else ``send``.

        ``published_at`` marks a message that failed to publish at first and was retried
        (apps/core/events.py): a socket whose snapshot was read after that moment has it already.
        """
        payload, frame = b"", None
        for consumer in list(self.members):
            if published_at is not None and consumer.snapshot_at > published_at:
                continue
            if consumer.held is not None:  # its snapshot is not out yet: the event follows it
                consumer.held.append(text)
                continue
            try:
                wire = consumer.wire
                if wire is not None:
                    if frame is None:
                        payload = text.encode()
                        frame = ws_text_frame(payload)
                    if PreframedWriter.write(wire, frame, len(payload)):
                        continue
                await consumer.send(text_data=text)
            except Exception:  # one broken socket must not starve the others
                logger.exception("could not deliver to a socket of %s", self.group)


_shared_snapshots: dict[tuple, asyncio.Future] = {}
_shared_snapshots_lock = threading.Lock()


class TenantConsumer(AsyncJsonWebsocketConsumer):
    """Subclasses name their ``topics`` and ``roles`` and build a ``snapshot``.

    ``snapshot_sync`` runs inside ``tenant_context`` (never ``set_tenant``: see
    apps/tenants/channels.py for why).
    """

    topics: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    # No channel of its own: events arrive through the process's GroupHub.
    channel_layer_alias = None
    # The daphne protocol the hub may write pre-framed events to (None: ordinary send).
    wire: Any = None
    # time.time() just before the snapshot was read (retried events older than it are skipped).
    snapshot_at: float = 0.0
    # Events that arrive between joining the hub and sending the snapshot, sent right after it:
    # delivered before it, the snapshot (read earlier) would overwrite them on the client.
    held: list[str] | None = None
    # Sockets of the same class, tenant and topics may share one snapshot read (see _snapshot).
    share_snapshot = True
    _access_task: asyncio.Task | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not self.access_allowed(user):
            await self.close(code=CLOSE_NO_ACCESS)
            return
        self.groups_joined = [tenant_group(self.scope["schema_name"], topic) for topic in self.topic_names()]
        await self.accept()
        self.wire = daphne_protocol(self.base_send)
        self.held = []
        if not await self._join_groups():
            await self.close(code=CLOSE_HUB_FAILED)
            return
        self.snapshot_at = time.time()
        snapshot = await self._snapshot()
        await self.send_json({"type": "snapshot", "ts": now_iso(), **snapshot})
        while self.held:
            held, self.held = self.held, []
            for text in held:
                await self.send(text_data=text)
        self.held = None
        self._access_task = asyncio.get_running_loop().create_task(self._recheck_access())

    def topic_names(self) -> tuple[str, ...]:
        return self.topics

    def access_allowed(self, user: Any) -> bool:
        """Whether ``user`` may hold this socket: at the handshake and at every re-check (sync-safe)."""
        return bool(user.is_authenticated and (not self.roles or has_role(user, *self.roles)))

    async def disconnect(self, code: int) -> None:
        if self._access_task is not None:
            self._access_task.cancel()
        self._leave_groups()

    async def _join_groups(self) -> bool:
        """Join every group, retrying for JOIN_RETRY_SECONDS while Redis is down.

        Holding the socket (accepted, no snapshot yet) while Redis restarts lets it recover as soon
        as Redis answers, instead of after the client's next back-off; past the window the socket
        is closed with 1011 and the client backs off. Retries of concurrent sockets share one hub.
        """
        deadline = time.monotonic() + JOIN_RETRY_SECONDS
        while True:
            try:
                for group in self.groups_joined:
                    await GroupHub.join(group, self)
                return True
            except HubUnavailable:
                self._leave_groups()
                if time.monotonic() >= deadline:
                    return False
                await asyncio.sleep(JOIN_RETRY_INTERVAL_SECONDS * random.uniform(0.5, 1.0))  # noqa: S311

    def _leave_groups(self) -> None:
        for group in getattr(self, "groups_joined", []):
            GroupHub.leave(group, self)

    async def _recheck_access(self) -> None:
        """Close the socket (4403) once its credential, user, roles or tenant no longer allow it."""
        while True:
            await asyncio.sleep(settings.REALTIME_ACCESS_CHECK_SECONDS * random.uniform(0.8, 1.0))  # noqa: S311
            try:
                allowed = await self._still_allowed()
            except DatabaseError:  # a database outage is not a revocation: try again next time
                logger.warning("realtime: access re-check failed for a socket of %s", self.scope["schema_name"])
                continue
            if not allowed:
                self._leave_groups()  # no event after this point, even before the close lands
                await self.close(code=CLOSE_NO_ACCESS)
                return

    @database_sync_to_async
    def _still_allowed(self) -> bool:
        with schema_context("public"):
            tenant = Tenant.objects.filter(pk=self.scope["tenant"].pk).first()
        if tenant is None or not tenant.is_active:
            return False
        user = scope_user(dict(self.scope, tenant=tenant))
        original = self.scope.get("user")
        return bool(user.is_authenticated and user.pk == getattr(original, "pk", None) and self.access_allowed(user))

    async def _snapshot(self) -> dict[str, Any]:
        """The snapshot, read once for all sockets of this process that wait for the same one.

        After a fault every socket of a process comes back within a second or two, and each
        snapshot is a database read in the one shared sync thread (~80 ms for a wallboard):
        fifty wallboards took four seconds to serve one after another. A snapshot is a function
        of the consumer class, the tenant and the topics (the same deltas follow it), so sockets
        that ask while a read of theirs is queued but *not yet started* share it. A read that
        has started is never shared: the socket might have joined its hub after the read began
        and so miss an event that is neither in the snapshot nor delivered to it.
        """
        if not self.share_snapshot:
            return await self._read_snapshot(None, None)
        loop = asyncio.get_running_loop()
        key = (id(loop), type(self), self.scope["schema_name"], tuple(self.groups_joined))
        with _shared_snapshots_lock:
            future = _shared_snapshots.get(key)
            if future is None or future.get_loop() is not loop:
                future = loop.create_future()
                _shared_snapshots[key] = future
                loop.create_task(self._read_shared(key, future))
        return await asyncio.shield(future)

    async def _read_shared(self, key: tuple, future: asyncio.Future) -> None:
        try:
            future.set_result(await self._read_snapshot(key, future))
        except Exception as error:
            future.set_exception(error)

    @database_sync_to_async
    def _read_snapshot(self, key: tuple | None, future: asyncio.Future | None) -> dict[str, Any]:
        if key is not None:
            with _shared_snapshots_lock:  # from now on, sockets that ask start a read of their own
                if _shared_snapshots.get(key) is future:
                    del _shared_snapshots[key]
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
