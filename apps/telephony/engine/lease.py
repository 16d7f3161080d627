"""One engine per tenant: leases as PostgreSQL session advisory locks.

Every ``run_engine`` process keeps one dedicated connection (psycopg, autocommit, outside
Django's connection handling) and holds ``pg_advisory_lock(LOCK_CLASS, tenant.id)`` for each
tenant it runs. Why advisory locks (docs/decisions/0009-engine-outbox-and-leases.md): the
lock lives exactly as long as the holder's session, so a process that dies, even by SIGKILL,
frees its tenants the moment the kernel closes its socket, with no heartbeat to tune and no
table to migrate; a second engine can never run a tenant that is held.

Sharing the tenants: ``run_engine --shard i/n`` (static sharding with takeover). An engine
takes the tenants of its own shard (``tenant.id % n == i``) as soon as they are free, and any
other tenant once it has looked free for :data:`FOREIGN_GRACE_SECONDS` (its shard's engine
is dead or not started): a dead engine's tenants are running elsewhere within
``FOREIGN_GRACE_SECONDS + TICK_SECONDS`` plus the start-up of the tenant. A taken-over tenant
stays where it is until that engine stops (no call is moved while it is up).

A database outage drops the connection and with it every lock. The engine keeps running its
tenants meanwhile (their stores journal to the outbox and refuse new calls) and, once it can
connect again, ends its previous session if the server still keeps it (a network cut the server
has not noticed: it would still hold the locks), takes its own tenants back at once; for any
other tenant it waits
:data:`RECONNECT_GRACE_SECONDS`, so the engines that held tenants before the outage get them
back first. A tenant found taken by someone else is *lost*: the service stops it without
touching the database, leaving its outbox to the new holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import psycopg
from django.db import connections

logger = logging.getLogger(__name__)

LOCK_CLASS = 0x656E67  # "eng": the first key of every engine lease (the second is the tenant's id)
TICK_SECONDS = 1.0
FOREIGN_GRACE_SECONDS = 3.0
RECONNECT_GRACE_SECONDS = 3.0
CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_TIMEOUT_MS = 5000

_LOCKS_SQL = """
SELECT objid::bigint, pid = pg_backend_pid()
FROM pg_locks
WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2 AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def parse_shard(value: str | None) -> tuple[int, int]:
    """``"i/n"`` → (i, n) with 0 ≤ i < n; ``None`` → (0, 1)."""
    if not value:
        return 0, 1
    try:
        index_text, count_text = value.split("/")
        index, count = int(index_text), int(count_text)
    except ValueError:
        raise ValueError("--shard takes i/n, for example 0/2") from None
    if count < 1 or not 0 <= index < count:
        raise ValueError("--shard i/n needs 0 <= i < n")
    return index, count


def _connection_params() -> dict[str, Any]:
    params = dict(connections["default"].get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    params["application_name"] = "engine-lease"
    params["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    # The server notices a lost engine host (no FIN on its TCP connection) within ~8 s and frees
    # its locks; a killed process's socket is closed by its kernel at once.
    settings_options = (
        f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c tcp_keepalives_idle=5"
        " -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3"
    )
    params["options"] = f"{params.get('options', '')} {settings_options}".strip()
    return params


class LeaseManager:
    """This process's leases; :meth:`sync` once per tick from the engine service's loop."""

    def __init__(self, *, shard: int = 0, shards: int = 1, clock=time.monotonic) -> None:
        self.shard = shard
        self.shards = shards
        self.clock = clock
        self.conn: Any = None
        self.held: set[int] = set()  # tenant ids this process holds (or held before a lost connection)
        self.reconnected_at: float | None = None  # a reconnect after a lost connection (None: first one)
        self._connected_once = False
        self._session: tuple[int, Any] | None = None  # (backend pid, backend start) of our session
        self._free_since: dict[int, float] = {}

    def in_shard(self, tenant_id: int) -> bool:
        return tenant_id % self.shards == self.shard

    async def _connect(self) -> bool:
        try:
            self.conn = await psycopg.AsyncConnection.connect(**_connection_params(), autocommit=True)
        except psycopg.Error as error:
            logger.warning("engine leases: cannot connect (%s)", str(error).strip().splitlines()[0])
            self.conn = None
            return False
        try:
            if self._connected_once:
                self.reconnected_at = self.clock()
                logger.warning("engine leases: connected again; taking back %d tenants", len(self.held))
                await self._end_previous_session()
            cursor = await self.conn.execute(
                "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
            )
            self._session = await cursor.fetchone()
        except psycopg.Error:
            await self._drop()
            return False
        self._connected_once = True
        return True

    async def _end_previous_session(self) -> None:
        """Our previous session may outlive its connection on the server (a network cut it, the
        server has not noticed): it still holds our tenants. End it and wait until it is gone."""
        if self._session is None:
            return
        pid, started = self._session
        await self.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = %s AND backend_start = %s",
            (pid, started),
        )
        for _ in range(50):
            cursor = await self.conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND backend_start = %s", (pid, started)
            )
            if await cursor.fetchone() is None:
                return
            await asyncio.sleep(0.05)

    async def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await self.conn.close()
        self.conn = None

    async def _try_lock(self, tenant_id: int) -> bool:
        cursor = await self.conn.execute("SELECT pg_try_advisory_lock(%s, %s::int)", (LOCK_CLASS, tenant_id))
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def sync(self, wanted: set[int], running: set[int]) -> tuple[set[int], set[int]]:
        """Take free tenants of ``wanted``; check the ones in ``running``. Returns (gained, lost):
        tenants to start now, and tenants someone else holds now (stop them, write nothing)."""
        gained: set[int] = set()
        lost: set[int] = set()
        fresh = False
        if self.conn is None or self.conn.closed:
            if not await self._connect():
                return gained, lost  # keep running what runs; try again next tick
            fresh = True
        try:
            if fresh:
                for tenant_id in sorted(running):  # ours before the outage: take them back first
                    if not await self._try_lock(tenant_id):
                        lost.add(tenant_id)
            cursor = await self.conn.execute(_LOCKS_SQL, (LOCK_CLASS,))
            rows = await cursor.fetchall()
            mine = {tenant_id for tenant_id, own in rows if own}
            taken = {tenant_id for tenant_id, own in rows if not own}
            lost |= {tenant_id for tenant_id in running if tenant_id not in mine}
            now = self.clock()
            settling = self.reconnected_at is not None and now - self.reconnected_at < RECONNECT_GRACE_SECONDS
            for tenant_id in sorted(wanted - running - mine):
                if tenant_id in taken:
                    self._free_since.pop(tenant_id, None)
                    continue
                first_free = self._free_since.setdefault(tenant_id, now)
                if settling:
                    continue
                if not self.in_shard(tenant_id) and now - first_free < FOREIGN_GRACE_SECONDS:
                    continue
                if await self._try_lock(tenant_id):
                    gained.add(tenant_id)
                    self._free_since.pop(tenant_id, None)
            # Held but neither running nor just gained (a start that failed): give it back.
            for tenant_id in sorted(mine - running - gained - lost):
                await self._unlock(tenant_id)
        except psycopg.Error as error:
            logger.warning("engine leases: connection lost (%s)", str(error).strip().splitlines()[0])
            await self._drop()
            return set(), set()
        self.held = (running - lost) | gained
        return gained, lost

    async def _unlock(self, tenant_id: int) -> None:
        await self.conn.execute("SELECT pg_advisory_unlock(%s, %s::int)", (LOCK_CLASS, tenant_id))

    async def release(self, tenant_id: int) -> None:
        """Give a tenant up (stopped, or its start failed)."""
        self.held.discard(tenant_id)
        if self.conn is None or self.conn.closed:
            return
        try:
            await self._unlock(tenant_id)
        except psycopg.Error:
            await self._drop()

    async def close(self) -> None:
        """Every lease goes with the connection."""
        self.held.clear()
        await self._drop()
