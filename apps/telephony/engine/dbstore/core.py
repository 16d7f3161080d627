"""The DbStore's machinery: operations captured, journaled in the outbox, applied in batches.

Every write of the store (``calls.py``, ``agents.py``, ``realtime.py``) is a pair: a public
method the controller calls, which captures values as an *operation* (:meth:`StoreCore._durable`)
or queues a realtime-only job (:meth:`StoreCore._submit`), and an ``_op_<name>`` method applied
later in the worker. This module holds what runs them: the sequence numbers and the
write-ahead :class:`~apps.telephony.engine.outbox.Outbox`, the batch transaction that moves the
tenant's cursor, the worker loop with its back-off and health, and the hand-back of realtime
messages and results to the engine loop. See the package's docstring for the invariants.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from itertools import islice
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.core.events import apublish
from apps.telephony.engine.clock import Clock
from apps.telephony.engine.outbox import Outbox, tenant_key
from apps.telephony.engine.state import (
    A_HOLD,
    A_RESERVED,
    A_TALKING,
    A_WRAP_UP,
    STORED_STATUS,
    CallState,
)
from apps.telephony.engine.store import Store
from apps.telephony.models import Call, EngineStoreCursor

logger = logging.getLogger(__name__)

QUEUE_UPDATE_INTERVAL = 0.25  # ≤ 4 queue.update messages per second per queue
QUEUE_KPI_INTERVAL = 1.0  # ≤ 1 queue.kpi message per second per queue
BATCH_SIZE = 200
RETRY_FIRST_SECONDS = 0.25  # back-off after a failed batch: doubles up to RETRY_MAX_SECONDS
RETRY_MAX_SECONDS = 1.0
MAX_BACKLOG = 20_000  # operations waiting: beyond this the store refuses new calls even if healthy
IN_CALL = (A_RESERVED, A_TALKING, A_HOLD, A_WRAP_UP)  # agent states that name their call
TRANSIENT = (OperationalError, InterfaceError)  # the connection, not the operation, failed

Messages = list[tuple[str, dict]]
Job = Callable[["_Batch"], None]
Entry = tuple[int | None, str | None, Any]  # (seq, op, payload) or (None, None, job)


class _Batch:
    """What a batch of operations produced: realtime messages, refused reservations, and results to
    hand back to the engine loop (:meth:`DbStore.defer`). ``replay``: another engine's outbox,
    whose messages and refusals concern nobody any more."""

    __slots__ = ("lost", "messages", "replay", "results")

    def __init__(self, replay: bool = False) -> None:
        self.replay = replay
        self.messages: Messages = []
        self.lost: list[tuple[str, int]] = []
        self.results: list[tuple[Callable[[Any], None], Any]] = []

    def publish(self, topic: str, message: dict) -> None:
        if not self.replay:
            self.messages.append((topic, message))


def _close_connection() -> None:
    """After a lost connection: drop this thread's connection so the next batch opens a new one."""
    with contextlib.suppress(Exception):
        connection.close()


class StoreCore(Store):
    """The machinery under every write: capture (journal, queue), apply in batches, retry,
    hand messages and results back to the loop; the writes themselves are in the subclasses."""

    wants_queue_updates = True
    wants_campaign_stats = True

    def __init__(
        self,
        tenant,
        clock: Clock | None,
        *,
        asynchronous: bool = False,
        record: bool | int = False,
        simulated: bool = True,
        outbox_id: str | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.tenant = tenant
        self.schema = tenant.schema_name
        self.clock = clock
        self.asynchronous = asynchronous
        # True: every answered call gets a recording; an int N: only the first N (``--record-sample``).
        self.record_all = record is True
        self.record_left = 0 if isinstance(record, bool) else int(record)
        self.simulated = simulated
        self.executor = executor
        # The write-ahead outbox (asynchronous mode with an id): what is captured survives the process.
        self.outbox = Outbox(tenant_key(tenant), outbox_id) if asynchronous and outbox_id else None
        self.published: Messages = []  # synchronous mode: what would have been sent
        self.reservation_lost: Callable[[str, int], None] | None = None  # set by the runner/controller
        self.healthy = True  # False from a failed batch until one succeeds again
        self.failures = 0  # failed batch attempts since the store was created (for operators and tests)
        self.unhealthy_since: float | None = None  # time.monotonic() of the first failure of an outage
        self.outages: list[float] = []  # seconds each outage lasted, measured from the first failure
        self._seq = 0  # the last sequence number given out
        self._applied = 0  # the last sequence number applied
        self._rows: dict[str, Any] = {}  # call uid -> Call row (worker side; refetched by uid when missing)
        self._jobs: deque[Entry] = deque()
        self._wakeup: asyncio.Event | None = None
        self._closed = False
        self._queue_sent: dict[int, float] = {}
        self._queue_pending: dict[int, tuple[int, float]] = {}
        self._queue_timer: dict[int, Any] = {}
        self._kpi_dirty: set[int] = set()
        self._kpi_sent: dict[int, float] = {}
        self._kpi_timer: Any = None

    # --- health --------------------------------------------------------------------------
    @property
    def accepting_calls(self) -> bool:
        """New calls are taken only while writes go through and the backlog is bounded; the
        controller gives other callers the blocked (busy) treatment of a full trunk."""
        return self.healthy and len(self._jobs) < MAX_BACKLOG

    @property
    def backlog(self) -> int:
        return len(self._jobs)

    @property
    def live_clock(self) -> Clock:
        """The engine's clock. Capturing and realtime messages need it; only a replay (another
        engine's outbox, ``DbStore(tenant, None)``) runs without one, and it only applies batches."""
        if self.clock is None:
            raise RuntimeError(f"engine store {self.schema} has no clock (replay only)")
        return self.clock

    # --- capturing -------------------------------------------------------------------------
    def _durable(self, op: str, **payload: Any) -> None:
        """Record one operation: journaled and queued (asynchronous), or applied now."""
        if not self.asynchronous:
            self._run_now([(None, op, payload)])
            return
        self._seq += 1
        if self.outbox is not None:
            self.outbox.append(self._seq, op, payload)
        self._enqueue((self._seq, op, payload))

    def _submit(self, job: Job) -> None:
        """A job that needs no journal (realtime-only messages, the dialer's reads and reports)."""
        if not self.asynchronous:
            self._run_now([(None, None, job)])
            return
        self._enqueue((None, None, job))

    def _enqueue(self, entry: Entry) -> None:
        self._jobs.append(entry)
        if self._wakeup is not None:
            self._wakeup.set()

    def _run_now(self, entries: Sequence[Entry]) -> None:
        try:
            batch = self._run_batch(entries)
        except DatabaseError:
            logger.exception("engine store job failed (%s)", self.schema)
            return
        self.published.extend(batch.messages)
        for uid, agent_id in batch.lost:
            self.live_clock.call_later(0, self._lost, uid, agent_id)
        for done, result in batch.results:
            self.live_clock.call_later(0, done, result)

    # --- applying --------------------------------------------------------------------------
    def _row(self, uid: str | None):
        if not uid:
            return None
        row = self._rows.get(uid)
        if row is None:
            row = Call.objects.filter(uid=uid).first()
            if row is not None and row.status != "ended":
                self._rows[uid] = row
        return row

    def _apply(self, op: str, payload: dict, batch: _Batch) -> None:
        getattr(self, f"_op_{op}")(batch, **payload)

    def _run_batch(self, entries: Sequence[Entry], *, cursor: str | None = None, replay: bool = False) -> _Batch:
        """Apply ``entries`` in one transaction (one savepoint each), moving ``cursor`` with them.

        An operation that fails on its own (refused by a service, bad data) is logged and skipped
        as before; a lost connection (:data:`TRANSIENT`) aborts the whole batch for a retry."""
        batch = _Batch(replay)
        with tenant_context(self.tenant), transaction.atomic():
            done = 0
            mark = None
            if cursor is not None:
                mark, _created = EngineStoreCursor.objects.select_for_update().get_or_create(outbox=cursor)
                done = mark.seq
            last = done
            for seq, op, item in entries:
                if seq is not None and seq <= done:
                    continue  # applied before (a commit whose answer was lost, or a replay)
                try:
                    with transaction.atomic():
                        if op is None:
                            item(batch)
                        else:
                            self._apply(op, item, batch)
                except TRANSIENT:
                    raise
                except Exception:
                    logger.exception("engine store operation %s failed (%s)", op or "job", self.schema)
                    self._rows.clear()  # a row may have been rolled back with the savepoint
                if seq is not None:
                    last = seq
            if mark is not None and last > done:
                EngineStoreCursor.objects.filter(pk=mark.pk).update(seq=last, updated_at=timezone.now())
        return batch

    def _run_batch_in_worker(self, entries: list[Entry]) -> _Batch:
        if self.outbox is not None:
            self.outbox.sync()
        try:
            return self._run_batch(entries, cursor=self.outbox.outbox_id if self.outbox is not None else None)
        except Exception:
            self._rows.clear()  # rows changed in memory by the rolled-back batch
            _close_connection()
            raise

    async def _execute(self, entries: list[Entry]) -> _Batch:
        if self.executor is not None:
            return await asyncio.get_running_loop().run_in_executor(self.executor, self._run_batch_in_worker, entries)
        return await sync_to_async(self._run_batch_in_worker, thread_sensitive=True)(entries)

    def _lost(self, uid: str, agent_id: int) -> None:
        if self.reservation_lost is not None:
            self.reservation_lost(uid, agent_id)

    async def run(self) -> None:
        """The worker (asynchronous mode): until :meth:`close`, then drain what is left.

        A failed batch stays at the head of the queue and is retried with back-off; nothing is
        dropped. Cancelled (the engine stops and the database is still away), it leaves the
        outbox file for the next engine of the tenant."""
        self._wakeup = asyncio.Event()
        delay = RETRY_FIRST_SECONDS
        try:
            while True:
                if not self._jobs:
                    if self.outbox is not None and self._applied == self._seq:
                        self.outbox.truncate_if_done()
                    if self._closed:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                entries = list(islice(self._jobs, BATCH_SIZE))
                try:
                    batch = await self._execute(entries)
                except Exception as error:
                    self.failures += 1
                    if self.healthy:
                        self.healthy = False
                        self.unhealthy_since = time.monotonic()
                        logger.error(
                            "engine store %s: writes failing (%s); refusing new calls, retrying",
                            self.schema,
                            type(error).__name__,
                        )
                    if not isinstance(error, DatabaseError):
                        logger.exception("engine store %s: batch failed", self.schema)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_SECONDS)
                    continue
                delay = RETRY_FIRST_SECONDS
                for _ in entries:
                    self._jobs.popleft()
                applied = [seq for seq, _op, _item in entries if seq is not None]
                if applied:
                    self._applied = max(applied)
                if not self.healthy:
                    self.healthy = True
                    outage = time.monotonic() - (self.unhealthy_since or time.monotonic())
                    self.outages.append(outage)
                    self.unhealthy_since = None
                    logger.warning("engine store %s: writes go through again after %.1f s", self.schema, outage)
                await self._hand_back(batch)
        finally:
            if self.outbox is not None:
                # Keep the file when something is left: whoever runs the tenant next replays it.
                done = self._applied == self._seq
                self.outbox.close(remove=done)
                if done and self._closed:
                    outbox_id = self.outbox.outbox_id
                    with contextlib.suppress(Exception):
                        await self._execute_plain(lambda: self._forget_cursor(outbox_id))

    def _forget_cursor(self, outbox_id: str) -> None:
        with tenant_context(self.tenant):
            EngineStoreCursor.objects.filter(outbox=outbox_id).delete()

    async def _execute_plain(self, work: Callable[[], Any]) -> Any:
        if self.executor is not None:
            return await asyncio.get_running_loop().run_in_executor(self.executor, work)
        return await sync_to_async(work, thread_sensitive=True)()

    async def _hand_back(self, batch: _Batch) -> None:
        for topic, message in batch.messages:
            try:
                await asyncio.wait_for(apublish(self.schema, topic, message), timeout=5)
            except (TimeoutError, OSError, ConnectionError):
                logger.warning("engine: publishing %s to %s failed", message.get("type"), topic)
        for uid, agent_id in batch.lost:
            self._lost(uid, agent_id)
        for done, result in batch.results:
            try:
                done(result)
            except Exception:
                logger.exception("engine store: handing back a result failed (%s)", self.schema)

    def defer(self, work: Callable[[], Any], done: Callable[[Any], None] | None = None) -> None:
        """Run ``work()`` in the store's worker, in order with the CDR jobs, inside the tenant's
        schema; then ``done(result)`` on the engine loop. The dialer's contact source goes through
        here, so the event loop never waits for a query and a dial attempt's report always finds
        its call's CDR written. Not journaled: after a crash, the next engine's recovery closes
        the dial attempts left open (runner._recover_campaigns)."""

        def job(batch: _Batch) -> None:
            try:
                result = work()
            except TRANSIENT:
                raise
            except Exception:
                if done is not None:
                    batch.results.append((done, None))  # None: it failed (and is logged)
                raise
            if done is not None:
                batch.results.append((done, result))

        self._submit(job)

    def close(self) -> None:
        self._closed = True
        if self._wakeup is not None:
            self._wakeup.set()

    # --- helpers ---------------------------------------------------------------------
    def _at(self, t: float | None = None):
        return self.live_clock.wall(t)

    def _call_state_message(self, call: CallState, status: str | None = None) -> dict:
        # Caller, callee and direction as in the wallboard snapshot's calls: a call that appears
        # after the snapshot is otherwise shown without its number.
        return {
            "type": "call.state",
            "call_uid": call.uid,
            "status": STORED_STATUS.get(status or call.status, status or call.status),
            "queue_id": call.queue_id,
            "agent_id": call.agent_id,
            "direction": call.direction,
            "caller": call.caller,
            "callee": call.callee,
        }

    @staticmethod
    def _call_values(call: CallState, at, simulated: bool) -> dict:
        return {
            "uid": call.uid,
            "direction": call.direction,
            "caller": call.caller,
            "callee": call.callee,
            "trunk": call.trunk_id,
            "number": call.number_id,
            "at": at,
            "customer": call.customer_id,
            "priority": call.priority,
            "is_simulated": simulated,
        }
