"""The engine's database store: CDRs, timelines, agent states, recordings, realtime messages.

The controller calls the store synchronously and must never wait for the database, so every
method here only *captures* what happened (values and wall-clock times, right now) as an
*operation*: a name and a JSON-serialisable payload, applied later by ``_op_<name>``.
Operations run in order:

* ``asynchronous=True`` (``run_engine``): each operation gets the next sequence number and is
  appended to the tenant's write-ahead :class:`~apps.telephony.engine.outbox.Outbox` (a local
  file) before it is queued. A worker task applies batches of them in a thread of the engine's
  store pool (one batch of a tenant at a time, so one busy tenant cannot hold up another),
  inside ``tenant_context(tenant)`` and one transaction per batch that also moves the tenant's
  :class:`~apps.telephony.models.EngineStoreCursor`; then it publishes the batch's realtime
  messages with ``apublish``. A lost connection rolls the batch back and retries it with
  back-off; the cursor skips what a commit whose answer was lost did already apply. While
  that goes on the store is *unhealthy* and the controller refuses new calls
  (:attr:`accepting_calls`). An engine that dies leaves its outbox for the engine that takes
  the tenant over (:func:`replay_orphans`).
* ``asynchronous=False`` (tests, virtual time): each operation runs at once, in the caller's
  transaction; realtime messages are collected in :attr:`DbStore.published` instead of sent.

Invariants: an operation never reads the in-memory engine state (only its payload and the
database), so a replay in another process writes exactly what the live run would have; the
cursor moves in the same transaction as the writes, so each operation is applied once.

CDR rules live in :mod:`apps.telephony.services.cdr`; agent states go through
``agent_set_state`` (and the reservation compare-and-set for offers), so the engine writes
nothing those services would not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from itertools import islice
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.core.events import apublish
from apps.telephony.engine.clock import Clock
from apps.telephony.engine.outbox import Outbox, orphan, orphan_paths, read_entries, tenant_key
from apps.telephony.engine.state import (
    A_HOLD,
    A_NOT_READY,
    A_READY,
    A_RESERVED,
    A_TALKING,
    A_WRAP_UP,
    DIALING,
    STORED_STATUS,
    AgentRuntime,
    CallState,
)
from apps.telephony.engine.store import Store

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


# --- the database side (runs in the worker thread, inside the tenant's schema) -------------------


def _reserve(agent_id: int, call_row, *, at, compare_and_set: bool) -> bool:
    """Make an offer durable: the agent goes Reserved on this call unless someone else got them.

    ``compare_and_set``: a queued inbound call offered to one agent takes the reservation
    service's compare-and-set (agent ready → reserved and call queued → offered, or nothing).
    Other offers (ring-all's extra agents, a transfer to an agent, a callback or click-to-dial)
    go through ``agent_set_state``, which refuses an agent who is not free."""
    from apps.telephony.models import Agent
    from apps.telephony.services.agent_state import agent_set_state

    if compare_and_set:
        from apps.telephony.services.reservation import reserve_agent_for_call

        return reserve_agent_for_call(agent_id=agent_id, call_id=call_row.pk, now=at)
    try:
        agent_set_state(agent=Agent(pk=agent_id), state=A_RESERVED, call=call_row, source="engine", now=at)
    except ApplicationError:
        return False
    return True


def _release(agent_id: int, call_row, state: str, reason: str | None, at) -> bool:
    """Undo a reservation (RONA, reject, withdrawn offer): the reservation service puts the call
    back in the queue without an agent. False if the agent was not reserved for this call."""
    from apps.telephony.services.reservation import release_reservation

    return release_reservation(agent_id=agent_id, call_id=call_row.pk, to_state=state, reason_code=reason, now=at)


def _set_agent_state(agent_id: int, state: str, reason: str | None, call_row, at) -> None:
    from apps.telephony.models import Agent
    from apps.telephony.services.agent_state import agent_set_state

    try:
        agent_set_state(
            agent=Agent(pk=agent_id), state=state, reason_code=reason, call=call_row, source="engine", now=at
        )
    except ApplicationError as error:
        # The database moved on without us (a supervisor forced a state meanwhile): keep going.
        logger.warning("engine: agent %s -> %s refused: %s", agent_id, state, error.code)
    except Agent.DoesNotExist:
        logger.warning("engine: agent %s is gone", agent_id)


def _close_connection() -> None:
    """After a lost connection: drop this thread's connection so the next batch opens a new one."""
    with contextlib.suppress(Exception):
        connection.close()


class DbStore(Store):
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

    def _run_now(self, entries: list[Entry]) -> None:
        try:
            batch = self._run_batch(entries)
        except DatabaseError:
            logger.exception("engine store job failed (%s)", self.schema)
            return
        self.published.extend(batch.messages)
        for uid, agent_id in batch.lost:
            self.clock.call_later(0, self._lost, uid, agent_id)
        for done, result in batch.results:
            self.clock.call_later(0, done, result)

    # --- applying --------------------------------------------------------------------------
    def _row(self, uid: str | None):
        if not uid:
            return None
        row = self._rows.get(uid)
        if row is None:
            from apps.telephony.models import Call

            row = Call.objects.filter(uid=uid).first()
            if row is not None and row.status != "ended":
                self._rows[uid] = row
        return row

    def _apply(self, op: str, payload: dict, batch: _Batch) -> None:
        getattr(self, f"_op_{op}")(batch, **payload)

    def _run_batch(self, entries: list[Entry], *, cursor: str | None = None, replay: bool = False) -> _Batch:
        """Apply ``entries`` in one transaction (one savepoint each), moving ``cursor`` with them.

        An operation that fails on its own (refused by a service, bad data) is logged and skipped
        as before; a lost connection (:data:`TRANSIENT`) aborts the whole batch for a retry."""
        from apps.telephony.models import EngineStoreCursor

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
        import time

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
                    with contextlib.suppress(Exception):
                        await self._execute_plain(self._forget_cursor)

    def _forget_cursor(self) -> None:
        from apps.telephony.models import EngineStoreCursor

        with tenant_context(self.tenant):
            EngineStoreCursor.objects.filter(outbox=self.outbox.outbox_id).delete()

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
        return self.clock.wall(t)

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

    # --- calls -------------------------------------------------------------------------
    def call_arrived(self, call: CallState) -> None:
        campaign = (
            {"campaign_id": call.campaign_id, "contact_id": call.contact_id, "attempt": call.contact.attempt}
            if call.campaign_id is not None and call.contact is not None
            else None
        )
        self._durable(
            "call_arrived",
            values=self._call_values(call, self._at(call.arrived), self.simulated),
            ivr_version_id=call.ivr_version_id,
            campaign=campaign,
            state=self._call_state_message(call),
        )

    def _op_call_arrived(self, batch: _Batch, *, values: dict, ivr_version_id, campaign, state) -> None:
        from apps.telephony.models import Call
        from apps.telephony.services.cdr import call_event, call_open, call_update

        if Call.objects.filter(uid=values["uid"]).exists():
            return  # written by an earlier run of this operation (an outbox replayed without its cursor)
        row = call_open(**values)
        if ivr_version_id:
            call_update(row, ivr_version=ivr_version_id)
        if campaign is not None:
            # The CDR's link to the campaign, for reports by campaign; the attempt itself
            # (DialAttempt.call) is linked when the dialer reports its outcome.
            call_update(row, campaign=campaign["campaign_id"])
            call_event(row, "campaign_dial", at=values["at"], **campaign)
        self._rows[values["uid"]] = row
        batch.publish("wallboard", state)

    def call_blocked(self, call: CallState) -> None:
        self._durable("call_blocked", values=self._call_values(call, self._at(call.arrived), self.simulated))

    def _op_call_blocked(self, batch: _Batch, *, values: dict) -> None:
        from apps.telephony.models import Call
        from apps.telephony.services.cdr import call_close, call_open

        if Call.objects.filter(uid=values["uid"]).exists():
            return
        row = call_open(**values)
        call_close(row, at=values["at"], end_reason="blocked", blocked=True)

    def call_event(self, call: CallState, kind: str, agent_id: int | None = None, **data: Any) -> None:
        self._durable("call_event", uid=call.uid, kind=kind, at=self._at(), agent_id=agent_id, data=data)

    def _op_call_event(self, batch: _Batch, *, uid, kind, at, agent_id, data) -> None:
        from apps.telephony.services.cdr import call_event

        row = self._row(uid)
        if row is not None:
            call_event(row, kind, at=at, agent=agent_id, **data)

    def call_ivr_exited(self, call: CallState) -> None:
        path = list(call.ivr.path) if call.ivr is not None else []
        self._durable("call_ivr_exited", uid=call.uid, at=self._at(call.ivr_exited), path=path)

    def _op_call_ivr_exited(self, batch: _Batch, *, uid, at, path) -> None:
        from apps.telephony.services.cdr import call_update

        row = self._row(uid)
        if row is not None:
            call_update(row, ivr_exited_at=at, ivr_path=path)

    def call_queued(self, call: CallState) -> None:
        self._durable(
            "call_queued",
            uid=call.uid,
            at=self._at(call.queue_entered),
            queue_id=call.queue_id,
            priority=call.priority,
            state=self._call_state_message(call),
        )

    def _op_call_queued(self, batch: _Batch, *, uid, at, queue_id, priority, state) -> None:
        from apps.telephony.services.cdr import call_queued

        row = self._row(uid)
        if row is None or (row.status == "queued" and row.queue_id == queue_id):
            return
        call_queued(row, queue=queue_id, at=at, priority=priority)
        batch.publish("wallboard", state)

    def call_offered(self, call: CallState, agents: list[AgentRuntime], queue: Any = None) -> None:
        uid = call.uid
        inbound = call.status != DIALING
        # The party on the line: for an outbound call (click-to-dial, callback, campaign) that is
        # the number dialled, never our own caller ID — whatever the call's status by now.
        caller = call.callee if call.direction == "outbound" or not inbound else call.caller
        offer = {
            "type": "call.offer",
            "call_uid": uid,
            "caller": caller,
            "direction": call.direction,
            "queue_id": call.queue_id,
            "queue_name": queue.name if queue is not None else None,
            "ring_timeout_seconds": queue.ring_timeout_seconds if queue is not None and inbound else None,
        }
        if call.campaign_offer:
            # An outbound campaign call: the contact's card and the rendered script (docs/realtime.md).
            offer.update(call.campaign_offer)
            offer["ring_timeout_seconds"] = None
        self._durable(
            "call_offered",
            uid=uid,
            at=self._at(),
            inbound=inbound,
            caller=caller,
            humans=[agent.agent_id for agent in agents if not agent.is_virtual],
            agent_ids=[agent.agent_id for agent in agents],
            offer=offer,
            state=self._call_state_message(call, "offered"),
        )

    def _op_call_offered(self, batch: _Batch, *, uid, at, inbound, caller, humans, agent_ids, offer, state) -> None:
        from apps.telephony.services.cdr import call_offered

        row = self._row(uid)
        if row is None:
            return
        for index, agent_id in enumerate(agent_ids):
            compare_and_set = inbound and index == 0 and row.status == "queued"
            if not _reserve(agent_id, row, at=at, compare_and_set=compare_and_set):
                batch.lost.append((uid, agent_id))
                continue
            call_offered(row, agent=agent_id, at=at)
        if humans:
            from apps.crm.selectors import screen_pop

            customer = screen_pop(caller, exclude_uid=uid) if caller else None
            for agent_id in humans:
                batch.publish(f"agent.{agent_id}", {**offer, "customer": customer})
        batch.publish("wallboard", state)

    def call_offer_ended(self, call: CallState, agent_id: int, reason: str) -> None:
        self.call_event(call, "rona" if reason == "rona" else "offer_ended", agent_id=agent_id, reason=reason)

    def call_requeued(self, call: CallState) -> None:
        self._durable(
            "call_requeued", uid=call.uid, at=self._at(), queue_id=call.queue_id, state=self._call_state_message(call)
        )

    def _op_call_requeued(self, batch: _Batch, *, uid, at, queue_id, state) -> None:
        from apps.telephony.services.cdr import call_event, call_update

        row = self._row(uid)
        if row is None:
            return
        fields: dict[str, Any] = {"status": "queued"}
        if row.answered_at is None:
            fields["agent"] = None  # the reservation named the agent offered; nobody has it now
        call_update(row, **fields)
        call_event(row, "requeued", at=at, queue_id=queue_id)
        batch.publish("wallboard", state)

    def call_answered(self, call: CallState) -> None:
        self._durable(
            "call_answered",
            uid=call.uid,
            at=self._at(),
            agent_id=call.agent_id,
            transferred=len(call.agents_served) > 1,
            state=self._call_state_message(call),
        )

    def _op_call_answered(self, batch: _Batch, *, uid, at, agent_id, transferred, state) -> None:
        from apps.telephony.services.cdr import call_answered, call_event, call_update

        row = self._row(uid)
        if row is None:
            return
        if row.answered_at is None:
            call_answered(row, agent=agent_id, at=at)
        else:  # a transferred call: one CDR, the last agent named
            call_update(row, agent=agent_id, status="talking")
            call_event(row, "answered", at=at, agent=agent_id, transfer=transferred)
        batch.publish("wallboard", state)

    def call_held(self, call: CallState) -> None:
        self._durable("call_held", uid=call.uid, at=self._at(), state=self._call_state_message(call))

    def _op_call_held(self, batch: _Batch, *, uid, at, state) -> None:
        from apps.telephony.services.cdr import call_hold_start

        row = self._row(uid)
        if row is not None:
            call_hold_start(row, at=at)
            batch.publish("wallboard", state)

    def call_resumed(self, call: CallState) -> None:
        self._durable("call_resumed", uid=call.uid, at=self._at(), state=self._call_state_message(call))

    def _op_call_resumed(self, batch: _Batch, *, uid, at, state) -> None:
        from apps.telephony.services.cdr import call_hold_stop

        row = self._row(uid)
        if row is not None:
            call_hold_stop(row, at=at)
            batch.publish("wallboard", state)

    def call_transferred(self, call: CallState, from_agent_id: int | None, **data: Any) -> None:
        self._durable(
            "call_transferred",
            uid=call.uid,
            at=self._at(),
            hold=call.hold_seconds,
            from_agent_id=from_agent_id,
            data=data,
        )

    def _op_call_transferred(self, batch: _Batch, *, uid, at, hold, from_agent_id, data) -> None:
        from apps.telephony.services.cdr import call_event, call_update

        row = self._row(uid)
        if row is None:
            return
        fields: dict[str, Any] = {"hold_seconds": hold}
        if row.status == "hold":
            fields["status"] = "talking"
        call_update(row, **fields)
        call_event(row, "transferred", at=at, agent=from_agent_id, **data)

    def call_ended(self, call: CallState, queue: Any = None) -> None:
        at = self._at(call.ended)
        wrapup = call.status == "wrap_up"
        ivr = call.ivr
        extra: dict[str, Any] = {}
        if ivr is not None:
            extra = {"ivr_path": list(ivr.path), "reached_agent_request": bool(ivr.reached_agent_request)}
            if call.ivr_exited is None:
                extra["ivr_exited_at"] = at
        talk = call.talk_seconds
        record = call.record and call.answered is not None and talk > 0 and (self.record_all or self.record_left > 0)
        if record and not self.record_all:
            self.record_left -= 1
        self._durable(
            "call_ended",
            uid=call.uid,
            at=at,
            reason=call.end_reason,
            wrapup=wrapup,
            extra=extra,
            record=bool(record),
            talk=talk,
            state=self._call_state_message(call),
        )
        if call.queue_id is not None and not wrapup:
            self._kpi_changed(call.queue_id)

    def _op_call_ended(self, batch: _Batch, *, uid, at, reason, wrapup, extra, record, talk, state) -> None:
        from apps.telephony.services.cdr import call_close, call_update

        row = self._row(uid)
        if row is None:
            return
        if extra:
            call_update(row, **extra)
        if row.ended_at is None:
            call_close(row, at=at, end_reason=reason, wrapup=wrapup)
        if record:
            from apps.telephony.services.recordings import recording_create

            recording_create(call=row, duration_seconds=min(talk, 4 * 3600), seed=row.pk)
        if not wrapup:
            self._rows.pop(uid, None)
        batch.publish("wallboard", state)

    def call_wrapup_ended(self, call: CallState) -> None:
        self._durable(
            "call_wrapup_ended",
            uid=call.uid,
            at=self._at(call.wrapup_ended),
            disposition=call.disposition,
            notes=call.notes,
            state=self._call_state_message(call),
        )
        if call.queue_id is not None:
            self._kpi_changed(call.queue_id)

    def _op_call_wrapup_ended(self, batch: _Batch, *, uid, at, disposition, notes, state) -> None:
        from apps.telephony.services.cdr import call_wrapup_end

        row = self._row(uid)
        if row is None:
            return
        try:
            call_wrapup_end(row, at=at, disposition=disposition, notes=notes)
        except ApplicationError as error:
            if error.code != "unknown_disposition":
                raise
            call_wrapup_end(row, at=at, notes=notes)
        self._rows.pop(uid, None)
        batch.publish("wallboard", state)

    # --- attended transfer -------------------------------------------------------------
    def consult_started(
        self,
        call: CallState,
        from_agent: AgentRuntime,
        target: AgentRuntime,
        *,
        queue_id: int | None = None,
        ring_timeout_seconds: float | None = None,
    ) -> None:
        uid = call.uid
        caller = call.callee if call.direction == "outbound" else call.caller
        # The consulted agent's desk: who consults them, and the caller's screen pop.
        offer = {
            "type": "call.consult_offer",
            "call_uid": uid,
            "caller": caller,
            "direction": call.direction,
            "queue_id": call.queue_id,
            "from_agent_id": from_agent.agent_id,
            "from_agent_name": from_agent.name,
            "ring_timeout_seconds": ring_timeout_seconds,
        }
        self._durable(
            "consult_started",
            uid=uid,
            at=self._at(),
            from_id=from_agent.agent_id,
            target_id=target.agent_id,
            queue_id=queue_id,
            caller=caller,
            human=not target.is_virtual,
            offer=offer,
        )

    def _op_consult_started(self, batch: _Batch, *, uid, at, from_id, target_id, queue_id, caller, human, offer):
        from apps.telephony.services.cdr import call_event

        row = self._row(uid)
        if row is None:
            return
        call_event(row, "consult_started", at=at, agent=from_id, target_agent_id=target_id, queue_id=queue_id)
        if not _reserve(target_id, row, at=at, compare_and_set=False):
            batch.lost.append((uid, target_id))
            return
        if human:
            from apps.crm.selectors import screen_pop

            customer = screen_pop(caller, exclude_uid=uid) if caller else None
            batch.publish(f"agent.{target_id}", {**offer, "customer": customer})
        consulting = {"type": "agent.consult", "call_uid": uid, "agent_id": target_id, "from_agent_id": from_id}
        batch.publish("wallboard", {**consulting, "phase": "ringing"})

    def consult_answered(self, call: CallState, from_agent_id: int, agent_id: int) -> None:
        self._durable("consult_answered", uid=call.uid, at=self._at(), from_agent_id=from_agent_id, agent_id=agent_id)

    def _op_consult_answered(self, batch: _Batch, *, uid, at, from_agent_id, agent_id) -> None:
        from apps.telephony.services.cdr import call_event

        row = self._row(uid)
        if row is None:
            return
        call_event(row, "consult_answered", at=at, agent=agent_id, from_agent_id=from_agent_id)
        batch.publish("wallboard", _consult_message(uid, agent_id, from_agent_id, "talking"))

    def consult_ended(self, call: CallState, from_agent_id: int, agent_id: int, kind: str, reason: str) -> None:
        self._durable(
            "consult_ended",
            uid=call.uid,
            at=self._at(),
            from_agent_id=from_agent_id,
            agent_id=agent_id,
            kind=kind,
            reason=reason,
        )

    def _op_consult_ended(self, batch: _Batch, *, uid, at, from_agent_id, agent_id, kind, reason) -> None:
        from apps.telephony.services.cdr import call_event

        row = self._row(uid)
        if row is None:
            return
        call_event(row, kind, at=at, agent=agent_id, from_agent_id=from_agent_id, reason=reason)
        batch.publish("wallboard", _consult_message(uid, agent_id, from_agent_id, "ended"))

    def consult_completed(self, call: CallState, from_agent_id: int, agent_id: int, **data: Any) -> None:
        self._durable(
            "consult_completed",
            uid=call.uid,
            at=self._at(),
            from_agent_id=from_agent_id,
            agent_id=agent_id,
            data=data,
            state=self._call_state_message(call),
        )

    def _op_consult_completed(self, batch: _Batch, *, uid, at, from_agent_id, agent_id, data, state) -> None:
        from apps.telephony.services.cdr import call_event, call_hold_stop, call_update

        row = self._row(uid)
        if row is None:
            return
        if row.status == "hold":
            call_hold_stop(row, at=at)  # the caller leaves hold for the new agent
        # One CDR, the last agent named (as a blind transfer's answer); the timeline keeps both.
        call_update(row, agent=agent_id, status="talking")
        call_event(row, "transferred", at=at, agent=from_agent_id, target_agent_id=agent_id, **data)
        batch.publish("wallboard", _consult_message(uid, agent_id, from_agent_id, "completed"))
        batch.publish("wallboard", state)

    # --- agents ------------------------------------------------------------------------
    def agent_state(self, agent: AgentRuntime, previous: str, call: CallState | None = None) -> None:
        if agent.state == A_RESERVED:
            return  # written with the offer (call_offered), by the reservation
        self._durable(
            "agent_state",
            agent_id=agent.agent_id,
            previous=previous,
            state=agent.state,
            reason=agent.reason,
            uid=call.uid if call is not None else None,
            at=self._at(),
        )

    def _op_agent_state(self, batch: _Batch, *, agent_id, previous, state, reason, uid, at) -> None:
        row = self._row(uid) if uid else None
        released = (
            previous == A_RESERVED
            and state in (A_READY, A_NOT_READY)
            and row is not None
            and _release(agent_id, row, state, reason, at)
        )
        if not released:
            _set_agent_state(agent_id, state, reason, row if state in IN_CALL else None, at)

    def notify_agent(self, agent_id: int, message: dict) -> None:
        def job(batch: _Batch) -> None:
            batch.publish(f"agent.{agent_id}", message)

        self._submit(job)

    # --- queues ------------------------------------------------------------------------
    def queue_changed(self, queue_id: int, waiting: int, longest_wait: float) -> None:
        now = self.clock.now()
        self._queue_pending[queue_id] = (waiting, longest_wait)
        last = self._queue_sent.get(queue_id)
        if last is None or now - last >= QUEUE_UPDATE_INTERVAL:
            self._send_queue_update(queue_id)
        elif queue_id not in self._queue_timer:
            self._queue_timer[queue_id] = self.clock.call_at(
                last + QUEUE_UPDATE_INTERVAL, self._send_queue_update, queue_id
            )

    def _send_queue_update(self, queue_id: int) -> None:
        self._queue_timer.pop(queue_id, None)
        pending = self._queue_pending.pop(queue_id, None)
        if pending is None:
            return
        self._queue_sent[queue_id] = self.clock.now()
        message = {
            "type": "queue.update",
            "queue_id": queue_id,
            "waiting": pending[0],
            "longest_wait_seconds": round(pending[1], 1),
        }

        def job(batch: _Batch) -> None:
            batch.publish("wallboard", message)

        self._submit(job)

    def _kpi_changed(self, queue_id: int) -> None:
        self._kpi_dirty.add(queue_id)
        if self._kpi_timer is not None:
            return
        now = self.clock.now()
        last = max((self._kpi_sent.get(q, -QUEUE_KPI_INTERVAL) for q in self._kpi_dirty), default=None)
        delay = 0.0 if last is None else max(0.0, last + QUEUE_KPI_INTERVAL - now)
        self._kpi_timer = self.clock.call_later(delay, self._send_kpis)

    def _send_kpis(self) -> None:
        self._kpi_timer = None
        queue_ids = sorted(self._kpi_dirty)
        self._kpi_dirty.clear()
        now = self.clock.now()
        for queue_id in queue_ids:
            self._kpi_sent[queue_id] = now
        at = self._at()
        tenant = self.tenant

        def job(batch: _Batch) -> None:
            from apps.telephony.selectors.kpis import queue_kpis
            from apps.telephony.selectors.wallboard import KPI_KEYS, today_start

            for queue_id, kpi in queue_kpis(since=today_start(tenant, at), until=at, queue_ids=queue_ids).items():
                batch.publish(
                    "wallboard",
                    {"type": "queue.kpi", "queue_id": queue_id, **{key: kpi.get(key) for key in KPI_KEYS}},
                )

        self._submit(job)

    # --- campaigns ---------------------------------------------------------------------
    def campaign_stats(self, campaign_id: int, stats: dict) -> None:
        message = {"type": "campaign.stats", **stats}

        def job(batch: _Batch) -> None:
            batch.publish("wallboard", message)

        self._submit(job)

    # --- the rest ----------------------------------------------------------------------
    def callback_requested(self, call: CallState, queue_id: int, original_queued: float) -> None:
        self._durable(
            "callback_requested",
            uid=call.uid,
            queue_id=queue_id,
            number=call.caller,
            original=self._at(original_queued),
        )

    def _op_callback_requested(self, batch: _Batch, *, uid, queue_id, number, original) -> None:
        from apps.telephony.models import CallbackRequest

        row = self._row(uid)
        if row is not None:
            CallbackRequest.objects.create(call=row, queue_id=queue_id, number=number, original_queued_at=original)

    def callback_finished(self, request_uid: str, callback: CallState | None, status: str) -> None:
        self._durable(
            "callback_finished",
            request_uid=request_uid,
            callback_uid=callback.uid if callback is not None else None,
            attempts=callback.callback_attempts if callback is not None else 0,
            status=status,
            at=self._at(),
        )

    def _op_callback_finished(self, batch: _Batch, *, request_uid, callback_uid, attempts, status, at) -> None:
        from apps.telephony.models import CallbackRequest

        callback_row = self._row(callback_uid) if callback_uid else None
        CallbackRequest.objects.filter(call__uid=request_uid).update(
            status=status, completed_at=at, callback_call=callback_row, attempts=attempts
        )

    def voicemail_left(self, call: CallState, queue_id: int | None, seconds: float) -> None:
        self._durable(
            "voicemail_left",
            uid=call.uid,
            queue_id=queue_id,
            caller=call.caller,
            seconds=seconds,
            record=bool(self.record_all or self.record_left > 0),
            at=self._at(),
        )

    def _op_voicemail_left(self, batch: _Batch, *, uid, queue_id, caller, seconds, record, at) -> None:
        from django.core.files.base import ContentFile

        from apps.telephony.models import Voicemail

        row = self._row(uid)
        if row is None:
            return
        voicemail = Voicemail(call=row, queue_id=queue_id, caller=caller, duration_seconds=seconds, created_at=at)
        if record and seconds > 0:
            from apps.telephony.audio import synthesize_wav

            voicemail.file.save(
                f"{row.uid}-voicemail.wav", ContentFile(synthesize_wav(seconds, seed=row.pk)), save=False
            )
        voicemail.save()

    def survey_scored(self, call: CallState, score: int) -> None:
        fields: dict[str, Any] = {"survey_score": score}
        if call.ivr is not None:
            fields["ivr_path"] = list(call.ivr.path)
        self._durable("survey_scored", uid=call.uid, fields=fields)

    def _op_survey_scored(self, batch: _Batch, *, uid, fields) -> None:
        from apps.telephony.models import Call

        # The CDR may be closed already (the survey follows the conversation): update in place.
        Call.objects.filter(uid=uid).update(**fields)

    def monitor(self, call: CallState, supervisor_user_id: int, mode: str) -> None:
        self._durable(
            "monitor",
            uid=call.uid,
            at=self._at(),
            agent_id=call.agent_id,
            supervisor_user_id=supervisor_user_id,
            mode=mode,
        )

    def _op_monitor(self, batch: _Batch, *, uid, at, agent_id, supervisor_user_id, mode) -> None:
        from apps.telephony.services.cdr import call_event

        row = self._row(uid)
        if row is None:
            return
        call_event(row, "monitor", at=at, agent=agent_id, supervisor_user_id=supervisor_user_id, mode=mode)
        message = {
            "type": "call.monitor",
            "call_uid": uid,
            "agent_id": agent_id,
            "supervisor_user_id": supervisor_user_id,
            "mode": mode,
        }
        batch.publish("wallboard", message)
        if agent_id is not None and mode in ("whisper", "barge"):
            batch.publish(f"agent.{agent_id}", message)


def _consult_message(uid: str, agent_id: int, from_agent_id: int, phase: str) -> dict:
    return {
        "type": "agent.consult",
        "call_uid": uid,
        "agent_id": agent_id,
        "from_agent_id": from_agent_id,
        "phase": phase,
    }


# --- taking a tenant over ----------------------------------------------------------------------


def replay_outbox(tenant, path: Path) -> int:
    """Apply what an engine that is gone captured for ``tenant`` and did not write yet, in order,
    skipping what its cursor says is done; then delete the file and the cursor. Returns how many
    operations were applied. The caller holds the file's lock (:func:`replay_orphans`)."""
    from apps.telephony.models import EngineStoreCursor

    entries = read_entries(path)
    outbox_id = path.stem
    store = DbStore(tenant, None)
    with tenant_context(tenant):
        done = EngineStoreCursor.objects.filter(outbox=outbox_id).values_list("seq", flat=True).first() or 0
    pending = [(seq, op, payload) for seq, op, payload in entries if seq > done]
    for start in range(0, len(pending), BATCH_SIZE):
        store._run_batch(pending[start : start + BATCH_SIZE], cursor=outbox_id, replay=True)
    with tenant_context(tenant):
        EngineStoreCursor.objects.filter(outbox=outbox_id).delete()
    path.unlink(missing_ok=True)
    return len(pending)


def replay_orphans(tenant, *, exclude: str | None = None) -> tuple[int, int]:
    """Replay every outbox of ``tenant`` whose owner is gone (its lock is free). Returns
    (outboxes replayed, outboxes still owned by a live process)."""
    replayed = busy = 0
    for path in orphan_paths(tenant_key(tenant), exclude=exclude):
        with orphan(path) as mine:
            if not mine:
                busy += 1
                continue
            applied = replay_outbox(tenant, path)
            replayed += 1
            logger.info("engine %s: replayed %d operations of outbox %s", tenant.schema_name, applied, path.stem)
    return replayed, busy
