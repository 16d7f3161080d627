"""Realtime benchmark: one agent state change, fanned out to 1,000 wallboard sockets on one daphne.

Run from the repository root: ``.venv/bin/python bench/realtime.py`` (the database and Redis of
``make run``: the embedded servers under .data/ unless DATABASE_URL / REDIS_URL are set;
DJANGO_SETTINGS_MODULE defaults to config.settings.dev). Options: ``--sockets 1000``,
``--changes 50``, ``--spacing-ms 100-200``, ``--keep-going`` (measure the sockets that opened
even if some were refused), ``--profile-daphne PATH`` (run daphne under cProfile; the profile
is written when it stops).

What it does:

1. Sets up the tenant ``bench-rt`` idempotently: provisions it with ``tenant_provision`` if it
   is missing, then makes sure it has a supervisor (``supervisor@bench-rt.test``), an agent
   (``agent@bench-rt.test``) logged into the first seat through ``agent_login``, and issues a
   fresh API token for the supervisor (the tokens of earlier runs, named "bench-realtime",
   are deleted first: only digests are stored, so a raw token cannot be reused).
2. Starts ONE daphne (``.venv/bin/daphne -b 127.0.0.1 -p <free port> config.asgi:application``)
   and waits until it answers. Empties the bench tenant's wallboard channel group first, so
   that channels left behind by an earlier run's daphne do not burden this one.
3. Opens the wallboard sockets from asyncio in this process
   (``ws://bench-rt.localhost:<port>/ws/wallboard/?token=…`` with matching Host and Origin) and
   reads each one's snapshot. The client is a minimal RFC 6455 client on ``asyncio.Protocol``
   that only timestamps and stores the frames it receives (they are parsed after the run), so
   that it adds as little as possible to the measured time on a machine it shares with daphne,
   Redis and PostgreSQL.
4. Changes the agent's state ``--changes`` times, 100–200 ms apart (``--spacing-ms``),
   alternating Ready and NotReady (reason "break"), through the real service ``agent_set_state`` inside
   ``tenant_context``, in a separate "changer" process (see ``changer_main`` for why): the
   service publishes on commit exactly as in production (``publish_on_commit``, then
   ``async_to_sync(group_send)`` from sync code). An ``on_commit`` hook registered before the
   change stamps the commit time (the service's publish hooks run right after it); one
   registered after stamps when publishing is done. Before the first change the changer
   publishes once to a group nobody is in: a worker's first message also starts its publisher
   loop and Redis connection (~40 ms), once in its life, and that is not the fan-out. This
   process's garbage collector is off while the changes run (the client is not under test,
   and a full pass over its sockets and frames would be charged to daphne).
5. Matches every ``agent.state`` frame to its change by (state, since) and takes
   latency = arrival on the socket − commit. A message that has not arrived 10 s after the
   last change counts as missing. Prints sockets, messages, missing, p50/p95/p99/max, a
   breakdown (commit → publish done; first and last socket of each change), the five slowest
   changes (a few slow changes mean a pause somewhere; the publish figure tells whose), the CPU time
   daphne, the socket client and the changer spent per change, and the load average; the last
   line is one JSON object (keys ``sockets``, ``messages``, ``missing``, ``p50_ms``, ``p95_ms``,
   ``p99_ms``, ``max_ms``, …). Target: p99 <= 100 ms; the exit status is 1 when it is missed.

Bounded: the run stops after about three minutes; traffic goes to 127.0.0.1 only. The sockets
are closed, daphne is terminated and the changer process stopped in ``finally`` blocks, also on
errors. The tenant ``bench-rt`` is left in place for the next run (re-used, not re-provisioned);
``bench/provisioning.py --purge`` removes it with every other "bench-" tenant.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ctypes
import gc
import hashlib
import json
import multiprocessing
import os
import random
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from channels.layers import get_channel_layer  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import close_old_connections, transaction  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from apps.accounts.choices import Role  # noqa: E402
from apps.accounts.models import ApiToken, User  # noqa: E402
from apps.accounts.services import token_create, user_create  # noqa: E402
from apps.core.events import publish, tenant_group  # noqa: E402
from apps.telephony import agent_states  # noqa: E402
from apps.telephony.models import Agent, PauseReason, Seat  # noqa: E402
from apps.telephony.services.agent_state import agent_ensure, agent_login, agent_set_state, iso_ms  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services.provisioning import tenant_provision  # noqa: E402

SLUG = "bench-rt"
PASSWORD = "Bench!Realtime-2026"
SUPERVISOR_EMAIL = f"supervisor@{SLUG}.test"
AGENT_EMAIL = f"agent@{SLUG}.test"
TOKEN_NAME = "bench-realtime"
TARGET_P99_MS = 100.0
TIME_LIMIT_S = 180.0  # the whole run
CONNECT_CONCURRENCY = 25
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# ---------------------------------------------------------------------------------------------
# Set-up (synchronous Django, before the event loop starts)


@dataclass
class World:
    tenant: Tenant
    host: str
    token: str
    agent: Agent
    agent_user: User


def setup_world() -> World:
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        print(f"provisioning tenant {SLUG!r} …", flush=True)
        result = tenant_provision(
            company="Bench Realtime",
            slug=SLUG,
            admin_email=f"admin@{SLUG}.test",
            admin_password=PASSWORD,
            seats=5,
            plan="standard",
            language="en",
        )
        tenant = result.tenant
    host = tenant.domains.get(is_primary=True).domain
    with tenant_context(tenant):
        # Tenants made before the seeder knew "break" still get it (idempotent).
        PauseReason.objects.get_or_create(code="break", defaults={"name": "Break"})
        supervisor = User.objects.filter(email=SUPERVISOR_EMAIL).first() or user_create(
            email=SUPERVISOR_EMAIL, name="Bench Supervisor", roles=[Role.SUPERVISOR], password=PASSWORD
        )
        agent_user = User.objects.filter(email=AGENT_EMAIL).first() or user_create(
            email=AGENT_EMAIL, name="Bench Agent", roles=[Role.AGENT], password=PASSWORD
        )
        ApiToken.objects.filter(user=supervisor, name=TOKEN_NAME).delete()
        raw = token_create(user=supervisor, name=TOKEN_NAME).raw
        agent = agent_ensure(user=agent_user)
        if agent.state == agent_states.OFFLINE or agent.seat_id is None:
            seat = Seat.objects.order_by("extension").first()
            if seat is None:
                raise SystemExit(f"tenant {SLUG!r} has no seat")
            agent = agent_login(agent_user=agent_user, seat_extension=seat.extension)
        agent = Agent.objects.select_related("reason", "seat").get(pk=agent.pk)
    return World(tenant=tenant, host=host, token=raw, agent=agent, agent_user=agent_user)


@dataclass
class Change:
    state: str
    since: str
    commit: float  # time.monotonic() when the transaction committed (before the publish hooks)
    published: float  # time.monotonic() when the publish hooks were done
    cpu: float  # CPU seconds the changer process spent on this change (service + publishing)


def change_state(tenant: Tenant, agent: Agent, actor: User, state: str) -> Change:
    """One state change through the real service, published on commit by the service itself."""
    marks: dict[str, float] = {}
    cpu = time.process_time()
    close_old_connections()
    with tenant_context(tenant), transaction.atomic():
        # on_commit hooks run in the order they were registered: this one runs first, the
        # service's three publishes next, then the last one.
        transaction.on_commit(lambda: marks.__setitem__("commit", time.monotonic()))
        agent = agent_set_state(
            agent=agent,
            state=state,
            reason_code="break" if state == agent_states.NOT_READY else None,
            actor=actor,
            source=agent_states.AGENT,
        )
        transaction.on_commit(lambda: marks.__setitem__("published", time.monotonic()))
    return Change(state, iso_ms(agent.state_since), marks["commit"], marks["published"], time.process_time() - cpu)


def changer_main(conn, tenant_pk: int, agent_pk: int) -> None:
    """The changer process: waits for a target state, changes it, answers with a ``Change``.

    It is a separate process because in production the change is made by a web or engine
    process, never by one that also reads 1,000 sockets: sharing this process's GIL with the
    busy socket loop would delay the publish by GIL hand-offs and measure the bench instead.
    CLOCK_MONOTONIC (``time.monotonic``) is one clock for every process on Linux, so the
    commit time taken here and the arrival times taken in the bench process compare directly.
    """
    tenant = Tenant.objects.get(pk=tenant_pk)
    with tenant_context(tenant):
        agent = Agent.objects.select_related("reason", "seat", "user").get(pk=agent_pk)
    # A worker publishes for its whole life; only its first message also starts the publisher
    # loop and opens its Redis connection (~40 ms here). Do that now, to a group nobody is in,
    # so that the first measured change is not charged for it.
    publish(tenant.schema_name, "bench-warmup", {"type": "bench.warmup"})
    conn.send("ready")
    while (state := conn.recv()) is not None:
        try:
            conn.send(change_state(tenant, agent, agent.user, state))
        except Exception as exc:  # report it to the bench process, which stops
            conn.send(exc)
    conn.close()


class Changer:
    """The bench process's handle on the changer process."""

    def __init__(self, world: World) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=changer_main, args=(child, world.tenant.pk, world.agent.pk), daemon=True)
        self.process.start()
        child.close()
        if not self.conn.poll(60) or self.conn.recv() != "ready":
            self.stop()
            raise RuntimeError("the changer process did not start")

    def change(self, state: str) -> Change:
        self.conn.send(state)
        if not self.conn.poll(30):
            raise RuntimeError("the changer process did not answer within 30 s")
        answer = self.conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# A minimal websocket client: handshake, unmasked server frames in, masked frames out.


class WsClient(asyncio.Protocol):
    def __init__(self, request: bytes, accept: str) -> None:
        loop = asyncio.get_running_loop()
        self.request = request
        self.accept = accept
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.fragments: list[bytes] = []
        self.snapshot: asyncio.Future = loop.create_future()
        self.lost: asyncio.Future = loop.create_future()
        self.frames: list[tuple[float, bytes]] = []  # (time.monotonic() at arrival, text payload)

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin1")
            del self.buffer[: end + 4]
            lines = head.split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            if " 101 " not in lines[0] + " " or headers.get("sec-websocket-accept") != self.accept:
                self._fail(ConnectionRefusedError(f"handshake refused: {lines[0]}"))
                return
            self.upgraded = True
        self._frames(now)

    def _frames(self, now: float) -> None:
        buf = self.buffer
        while len(buf) >= 2:
            opcode, fin, length, pos = buf[0] & 0x0F, buf[0] & 0x80, buf[1] & 0x7F, 2
            masked = buf[1] & 0x80
            if length == 126:
                if len(buf) < 4:
                    return
                length, pos = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, pos = int.from_bytes(buf[2:10], "big"), 10
            if masked:
                pos += 4
            if len(buf) < pos + length:
                return
            payload = bytes(buf[pos : pos + length])
            if masked:  # servers must not mask, but be lenient
                key = buf[pos - 4 : pos]
                payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            del buf[: pos + length]
            if opcode in (0x0, 0x1):
                self.fragments.append(payload)
                if fin:
                    self._message(now, b"".join(self.fragments))
                    self.fragments = []
            elif opcode == 0x8:  # close: answer it, the server then drops the connection
                self.send_frame(0x8, payload[:2])
            elif opcode == 0x9:  # ping
                self.send_frame(0xA, payload)

    def _message(self, now: float, payload: bytes) -> None:
        if not self.snapshot.done():
            self.snapshot.set_result(json.loads(payload))
        else:
            self.frames.append((now, payload))

    def send_frame(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        header = bytes([0x80 | opcode, 0x80 | len(payload)])  # control frames only: < 126 bytes
        self.transport.write(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _fail(self, exc: BaseException) -> None:
        if not self.snapshot.done():
            self.snapshot.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc) -> None:
        if not self.snapshot.done():
            self.snapshot.set_exception(exc or ConnectionResetError("closed before the snapshot"))
        if not self.lost.done():
            self.lost.set_result(None)

    async def close(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.send_frame(0x8, (1000).to_bytes(2, "big"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.lost), 2)
        self.transport.close()


async def ws_open(port: int, host: str, path: str) -> WsClient:
    key = base64.b64encode(os.urandom(16)).decode()
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode(), usedforsecurity=False).digest()).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    _transport, client = await loop.create_connection(lambda: WsClient(request, accept), "127.0.0.1", port)
    try:
        await asyncio.wait_for(client.snapshot, 30)
    except BaseException:
        if client.transport is not None:
            client.transport.close()
        raise
    return client


# ---------------------------------------------------------------------------------------------
# Daphne


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the daphne child: get SIGTERM if the bench process dies, even from SIGKILL (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def daphne_start(port: int, log_path: Path, profile: str | None = None) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    daphne = str(ROOT / ".venv" / "bin" / "daphne")
    command = [daphne, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    if profile:  # the same daphne under cProfile; the profile is written when daphne stops
        command = [sys.executable, "-m", "cProfile", "-o", profile, *command]
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
    )
    process.log = log  # type: ignore[attr-defined]
    return process


def daphne_wait(process: subprocess.Popen, port: int, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /ws-bench-probe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                if sock.recv(16).startswith(b"HTTP/"):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"daphne did not answer within {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")


def daphne_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    process.log.close()  # type: ignore[attr-defined]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in seconds."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# The run


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass
class Run:
    clients: list[WsClient] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    refused: int = 0
    connect_seconds: float = 0.0
    daphne_cpu: float = 0.0
    daphne_idle_cpu: float = 0.0  # CPU seconds per second with every socket open and no traffic
    loadavg_start: list[float] = field(default_factory=list)
    bench_cpu: float = 0.0
    changes_seconds: float = 0.0


async def open_sockets(run: Run, port: int, world: World, count: int, deadline: float, keep_going: bool) -> None:
    path = f"/ws/wallboard/?token={world.token}"
    semaphore = asyncio.Semaphore(CONNECT_CONCURRENCY)
    errors: list[BaseException] = []

    async def one() -> None:
        async with semaphore:
            if errors and not keep_going:
                return
            try:
                client = await ws_open(port, world.host, path)
            except (OSError, TimeoutError) as exc:
                run.refused += 1
                errors.append(exc)
                return
            run.clients.append(client)
            snapshot = client.snapshot.result()
            if snapshot.get("type") != "snapshot" or snapshot.get("tenant") != SLUG:
                errors.append(RuntimeError(f"unexpected first message: {str(snapshot)[:200]}"))

    started = time.perf_counter()
    tasks = [asyncio.ensure_future(one()) for _ in range(count)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), max(1.0, deadline - time.monotonic()))
    except TimeoutError:
        if not keep_going:
            raise RuntimeError(f"only {len(run.clients)} of {count} sockets opened in time") from None
    finally:
        for task in tasks:
            task.cancel()
    run.connect_seconds = time.perf_counter() - started
    if errors and not keep_going:
        raise RuntimeError(f"{len(errors)} socket(s) failed; first: {errors[0]!r}")
    if not run.clients:
        raise RuntimeError("no socket opened")


async def change_states(
    run: Run,
    world: World,
    changer: Changer,
    changes: int,
    spacing: tuple[float, float],
    daphne_pid: int,
    deadline: float,
) -> None:
    rng = random.Random(7)
    state = world.agent.state
    idle_from = cpu_seconds(daphne_pid)
    await asyncio.sleep(2)  # daphne's own cost of holding the sockets, to tell it apart below
    run.daphne_idle_cpu = (cpu_seconds(daphne_pid) - idle_from) / 2
    cpu_daphne, cpu_bench, started = cpu_seconds(daphne_pid), time.process_time(), time.perf_counter()
    for _ in range(changes):
        if time.monotonic() > deadline:
            break
        state = agent_states.NOT_READY if state == agent_states.READY else agent_states.READY
        began = time.perf_counter()
        run.changes.append(await asyncio.to_thread(changer.change, state))
        await asyncio.sleep(max(0.0, rng.uniform(*spacing) / 1000 - (time.perf_counter() - began)))
    # Let the last message reach every socket (bounded).
    expected = len(run.changes)
    settle_until = min(deadline, time.monotonic() + 10)
    while time.monotonic() < settle_until:
        if all(len(client.frames) >= expected for client in run.clients):
            break
        await asyncio.sleep(0.05)
    run.changes_seconds = time.perf_counter() - started
    run.daphne_cpu = cpu_seconds(daphne_pid) - cpu_daphne
    run.bench_cpu = time.process_time() - cpu_bench


async def close_sockets(run: Run) -> None:
    if run.clients:
        await asyncio.gather(*(client.close() for client in run.clients), return_exceptions=True)


async def wallboard_group_reset(world: World) -> int:
    """Empty the bench tenant's wallboard group; returns how many members it had.

    A daphne that stops before its consumers have left their groups (killed, or too busy to run
    every ``disconnect`` in time) leaves its channels in the group until channels_redis's
    ``group_expiry`` (a day by default); every later ``group_send`` still works for them. Only
    this bench tenant's wallboard group is touched (its members are this bench's sockets). The
    group key is a channels_redis internal, hence the guard.
    """
    layer = get_channel_layer()
    if layer is None or not hasattr(layer, "_group_key"):
        return 0
    group = tenant_group(world.tenant.schema_name, "wallboard")
    connection = layer.connection(layer.consistent_hash(group))
    key = layer._group_key(group)
    members = await connection.zcard(key)
    await connection.delete(key)
    return members


async def bench(
    args: argparse.Namespace, world: World, changer: Changer, port: int, daphne_pid: int, deadline: float
) -> Run:
    run = Run(loadavg_start=[round(value, 2) for value in os.getloadavg()])
    stale = await wallboard_group_reset(world)
    if stale:
        print(f"removed {stale} stale members of the bench wallboard group (earlier runs)", flush=True)
    try:
        await open_sockets(run, port, world, args.sockets, deadline - 30, args.keep_going)
        print(f"opened {len(run.clients)} sockets in {run.connect_seconds:.1f} s ({run.refused} refused)", flush=True)
        spacing = tuple(float(part) for part in args.spacing_ms.split("-", 1))
        # The socket client is not under test: a full collection of its 1,000 clients and
        # their growing frame lists (~100 ms on this machine) would be charged to daphne.
        gc.collect()
        gc.disable()
        try:
            await change_states(run, world, changer, args.changes, (spacing[0], spacing[-1]), daphne_pid, deadline)
        finally:
            gc.enable()
    finally:
        await close_sockets(run)
        await asyncio.sleep(0.5)  # let daphne run the consumers' disconnect (group_discard)
        with contextlib.suppress(Exception):
            await wallboard_group_reset(world)
    return run


def analyse(run: Run, world: World) -> dict:
    by_key = {(change.state, change.since): index for index, change in enumerate(run.changes)}
    latencies: list[float] = []
    first = [float("inf")] * len(run.changes)
    last = [0.0] * len(run.changes)
    missing = 0
    for client in run.clients:
        seen = set()
        for arrived, payload in client.frames:
            message = json.loads(payload)
            if message.get("type") != "agent.state" or message.get("agent_id") != world.agent.pk:
                continue
            index = by_key.get((message.get("state"), message.get("since")))
            if index is None or index in seen:
                continue
            seen.add(index)
            latency = (arrived - run.changes[index].commit) * 1000
            latencies.append(latency)
            first[index] = min(first[index], latency)
            last[index] = max(last[index], latency)
        missing += len(run.changes) - len(seen)
    publish_ms = [(change.published - change.commit) * 1000 for change in run.changes]
    slowest = sorted(range(len(run.changes)), key=lambda i: last[i], reverse=True)[:5]
    spread_ms = [last[i] - first[i] for i in range(len(run.changes)) if first[i] != float("inf")]
    load1, load5, load15 = os.getloadavg()
    return {
        "loadavg_start": run.loadavg_start,
        "sockets": len(run.clients),
        "changes": len(run.changes),
        "messages": len(latencies),
        "missing": missing,
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "publish_p50_ms": round(percentile(publish_ms, 0.50), 1),
        "first_socket_p50_ms": round(percentile([f for f in first if f != float("inf")], 0.50), 1),
        "last_socket_p50_ms": round(percentile([x for x in last if x], 0.50), 1),
        "last_socket_max_ms": round(max(last), 1) if last else None,
        "fanout_spread_p50_ms": round(percentile(spread_ms, 0.50), 1),
        # (change number, publish done ms, first socket ms, last socket ms) of the slowest
        # changes: a tail made of a few slow changes (a pause: which side?) reads differently
        # from one of many slow sockets.
        "slowest_changes": [
            (i, round(publish_ms[i], 1), round(first[i], 1), round(last[i], 1))
            for i in slowest
            if first[i] != float("inf")
        ],
        "daphne_cpu_ms_per_change": round(run.daphne_cpu * 1000 / max(1, len(run.changes)), 1),
        "daphne_idle_cpu_percent": round(run.daphne_idle_cpu * 100, 1),
        "sockets_cpu_ms_per_change": round(run.bench_cpu * 1000 / max(1, len(run.changes)), 1),
        "changer_cpu_ms_per_change": round(statistics.fmean(c.cpu for c in run.changes) * 1000, 1)
        if run.changes
        else None,
        "connect_seconds": round(run.connect_seconds, 1),
        "target_p99_ms": TARGET_P99_MS,
        "meets_target": bool(latencies) and not missing and percentile(latencies, 0.99) <= TARGET_P99_MS,
        "loadavg": [round(load1, 2), round(load5, 2), round(load15, 2)],
        "cpus": os.cpu_count(),
    }


def report(result: dict) -> None:
    print(f"sockets            {result['sockets']}")
    print(f"state changes      {result['changes']}")
    print(
        f"messages           {result['messages']} (missing {result['missing']}: not arrived 10 s after the last change)"
    )
    print(
        "latency ms         p50 {p50_ms}  p95 {p95_ms}  p99 {p99_ms}  max {max_ms}  mean {mean_ms}"
        "   (commit -> arrival on a socket; target p99 <= {target_p99_ms:.0f})".format(**result)
    )
    print(
        "breakdown ms       commit->publish done p50 {publish_p50_ms}; first socket p50 {first_socket_p50_ms};"
        " last socket p50 {last_socket_p50_ms}, max {last_socket_max_ms};"
        " fan-out spread p50 {fanout_spread_p50_ms}".format(**result)
    )
    slowest = ", ".join(f"#{i} {p}/{f}..{last}" for i, p, f, last in result["slowest_changes"])
    print(f"slowest changes    (published/first..last socket ms) {slowest}")
    print(
        "cpu ms per change  daphne {daphne_cpu_ms_per_change} (idle daphne: {daphne_idle_cpu_percent}% of a CPU)"
        "  socket client {sockets_cpu_ms_per_change}"
        "  changer (service + publish) {changer_cpu_ms_per_change}".format(**result)
    )
    print(
        f"load average       {' '.join(map(str, result['loadavg']))} at the end,"
        f" {' '.join(map(str, result['loadavg_start']))} at the start, on {result['cpus']} CPUs"
    )
    print(json.dumps(result))


def watchdog(process: subprocess.Popen, changer: list[Changer]) -> threading.Timer:
    """The hard time limit: if the run is still going TIME_LIMIT_S + 30 s after the start (a hang
    the asyncio deadlines did not catch), kill daphne and the changer and exit."""

    def expire() -> None:
        print(f"time limit of {TIME_LIMIT_S + 30:.0f} s reached: stopping", file=sys.stderr, flush=True)
        with contextlib.suppress(Exception):
            process.kill()
        for handle in changer:
            with contextlib.suppress(Exception):
                handle.process.kill()
        os._exit(3)

    timer = threading.Timer(TIME_LIMIT_S + 30, expire)
    timer.daemon = True
    timer.start()
    return timer


def _sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # run the finally blocks: close sockets, stop daphne and the changer


def raise_open_files(sockets: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = sockets * 2 + 256  # the client's end and daphne's end (daphne inherits the limit)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument(
        "--spacing-ms", default="100-200", help="time between changes, uniform in MIN-MAX ms (default 100-200)"
    )
    parser.add_argument("--keep-going", action="store_true", help="measure the sockets that opened even if some failed")
    parser.add_argument(
        "--profile-daphne", metavar="PATH", help="run daphne under cProfile and write its profile to PATH"
    )
    args = parser.parse_args()
    deadline = time.monotonic() + TIME_LIMIT_S
    raise_open_files(args.sockets)
    world = setup_world()
    print(
        f"tenant {SLUG} ({world.host}), agent {world.agent.pk} in state {world.agent.state},"
        f" channel layer {settings.CHANNEL_LAYERS['default']['BACKEND']}",
        flush=True,
    )
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"bench-realtime-daphne-{port}-{secrets.token_hex(3)}.log"
    signal.signal(signal.SIGTERM, _sigterm)
    changers: list[Changer] = []
    process = daphne_start(port, log_path, args.profile_daphne)
    timer = watchdog(process, changers)
    try:
        changers.append(Changer(world))
        daphne_wait(process, port, log_path)
        print(f"daphne pid {process.pid} on 127.0.0.1:{port}", flush=True)
        run = asyncio.run(bench(args, world, changers[0], port, process.pid, deadline))
    except BaseException:
        print(f"daphne's log is kept at {log_path}", file=sys.stderr, flush=True)
        raise
    else:
        log_path.unlink(missing_ok=True)  # the daphne log is only worth keeping when something failed
    finally:
        daphne_stop(process)
        for changer in changers:
            changer.stop()
        timer.cancel()
    result = analyse(run, world)
    report(result)
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
