"""Fault test (issue 10, item 14): Redis killed and restarted while 50 sockets are open.

A redis-server of the test's own (tests/core/redis_server.py) carries the channel layer. Fifty
wallboard sockets are opened on the real ASGI application (channels' WebsocketCommunicator, in
this process: one GroupHub serves them all, as in one daphne). Each socket is driven by a client
that behaves like static/js/live.js: on a close it reconnects after the same back-off (0.5 s
doubling to 5 s, half to all of it), and every (re)connect starts with a fresh snapshot. Then
redis-server gets SIGKILL, stays away for a moment, and is started again on the same socket,
empty (no persistence), as after a crash or a failover to a fresh node. Events are published
once a tenth of a second from the moment it is back.

What must hold: every socket is closed with 1011 (no socket sits on a dead subscription), every
client gets a fresh snapshot and then the newly published events. How long that takes is
measured and printed (docs/operations.md, "Faults"); the assertion uses a generous deadline,
never the 5 s target itself (no timed assertions in the suite).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from apps.core.events import apublish
from config.asgi import application
from tests.core.redis_server import RedisServer

SOCKETS = 50
# How long redis-server stays dead (FAULTS_REDIS_OUTAGE_SECONDS measures longer outages by hand).
OUTAGE_SECONDS = float(os.environ.get("FAULTS_REDIS_OUTAGE_SECONDS", "1.0"))
DEADLINE_SECONDS = 30.0  # generous: the target is 5 s, printed below
TARGET_SECONDS = 5.0
# static/js/live.js
RECONNECT_FIRST = 0.5
RECONNECT_MAX = 5.0


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """As in test_realtime.py: channels would close the connection that holds the test's transaction."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


class Client:
    """One desk or wallboard: live.js's reconnect loop around a WebsocketCommunicator."""

    def __init__(self, host: str, token: str) -> None:
        self.host, self.token = host, token
        self.snapshots = 0
        self.closes: list[int] = []
        self.ticks: list[tuple[int, float]] = []  # (sequence, time.monotonic() received)
        self.up = asyncio.Event()

    def socket(self) -> WebsocketCommunicator:
        headers = [(b"host", self.host.encode()), (b"origin", f"http://{self.host}".encode())]
        return WebsocketCommunicator(application, f"/ws/wallboard/?token={self.token}", headers=headers)

    async def run(self, stop: asyncio.Event) -> None:
        delay = RECONNECT_FIRST
        while not stop.is_set():
            communicator = self.socket()
            connected, _ = await communicator.connect(timeout=10)
            if connected:
                while True:
                    try:
                        output = await communicator.receive_output(timeout=3600)
                    except asyncio.CancelledError:
                        await communicator.disconnect()
                        raise
                    if output["type"] == "websocket.close":
                        self.closes.append(output.get("code"))
                        self.up.clear()
                        break
                    message = json.loads(output["text"])
                    if message["type"] == "snapshot":
                        self.snapshots += 1
                        delay = RECONNECT_FIRST  # a snapshot resets live.js's back-off
                        self.up.set()
                    elif message["type"] == "fault.tick":
                        self.ticks.append((message["seq"], time.monotonic()))
            await communicator.disconnect()
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - live.js's jitter
            delay = min(delay * 2, RECONNECT_MAX)


@pytest.mark.faults
def test_every_socket_gets_events_again_after_redis_is_killed_and_restarted(acme, tmp_path, settings, capsys):
    server = RedisServer(tmp_path)
    server.start()
    settings.CHANNEL_LAYERS = server.channel_layers()
    schema, host, token = acme.tenant.schema_name, acme.host, acme.token(acme.admin())

    async def scenario():
        clients = [Client(host, token) for _ in range(SOCKETS)]
        stop = asyncio.Event()
        tasks = [asyncio.create_task(client.run(stop)) for client in clients]
        try:
            await asyncio.wait_for(asyncio.gather(*(client.up.wait() for client in clients)), DEADLINE_SECONDS)
            await apublish(schema, "wallboard", {"type": "fault.tick", "seq": 0})
            await _until(lambda: all(client.ticks for client in clients))

            killed_at = time.monotonic()
            server.kill()
            await _until(lambda: all(client.closes for client in clients))
            all_closed_at = time.monotonic()
            await asyncio.sleep(OUTAGE_SECONDS)
            await asyncio.get_running_loop().run_in_executor(None, server.start)
            restarted_at = time.monotonic()

            seq = 0

            async def publish_ticks():
                nonlocal seq
                while True:
                    seq += 1
                    await apublish(schema, "wallboard", {"type": "fault.tick", "seq": seq})
                    await asyncio.sleep(0.1)

            publisher = asyncio.create_task(publish_ticks())
            try:
                await _until(lambda: all(_first_tick_after(client, 1) for client in clients))
            finally:
                publisher.cancel()
            recovery = [_first_tick_after(client, 1) - restarted_at for client in clients]
            return clients, all_closed_at - killed_at, recovery
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    try:
        clients, detection, recovery = async_to_sync(scenario)()
    finally:
        server.stop()

    within_target = sum(seconds <= TARGET_SECONDS for seconds in recovery)
    with capsys.disabled():
        print(
            f"\nredis kill/restart, {SOCKETS} sockets: all closed 1011 in {detection:.3f} s after SIGKILL; "
            f"after restart ({OUTAGE_SECONDS:.1f} s outage) events again in median "
            f"{statistics.median(recovery):.2f} s, max {max(recovery):.2f} s; "
            f"{within_target}/{SOCKETS} within {TARGET_SECONDS:.0f} s"
        )
    assert all(client.closes[0] == 1011 for client in clients)
    assert all(client.snapshots >= 2 for client in clients)  # a fresh snapshot after the fault
    assert len(recovery) == SOCKETS


def _first_tick_after(client: Client, seq: int) -> float | None:
    return next((at for number, at in client.ticks if number >= seq), None)


async def _until(condition, deadline: float = DEADLINE_SECONDS) -> None:
    """Poll ``condition`` every 20 ms; fail the test (TimeoutError) after ``deadline`` seconds."""
    async with asyncio.timeout(deadline):
        while not condition():
            await asyncio.sleep(0.02)
