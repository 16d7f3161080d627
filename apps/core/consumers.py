"""Base websocket consumer: tenant groups, role checks, snapshot then deltas."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import sys
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
        # id() of a loop that is gone can come back for a new loop (tests run one loop after
        # another): a hub whose task belongs to another loop would never deliver here.
        if hub is None or hub.task is None or hub.task.done() or hub.task.get_loop() is not loop:
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
                await self.deliver(json.dumps(message["event"]))
        finally:
            with contextlib.suppress(Exception):
                await layer.group_discard(self.group, channel)

    async def deliver(self, text: str) -> None:
        """Send one event to every local socket: pre-framed where possible, else ``send``."""
        payload, frame = b"", None
        for consumer in list(self.members):
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

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or (self.roles and not has_role(user, *self.roles)):
            await self.close(code=4403)
            return
        self.groups_joined = [tenant_group(self.scope["schema_name"], topic) for topic in self.topic_names()]
        await self.accept()
        self.wire = daphne_protocol(self.base_send)
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
