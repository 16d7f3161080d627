"""The engine's database store: CDRs, timelines, agent states, recordings, realtime messages.

The controller calls the store synchronously and must never wait for the database, so every
method here only *captures* what happened (values and wall-clock times, right now) into a
job. Jobs run in order:

* ``asynchronous=True`` (``run_engine``): a worker task runs batches of jobs in one thread
  through ``sync_to_async``, each batch inside ``tenant_context(tenant)`` (never
  ``connection.set_tenant``, which would leak between tenants sharing the thread), then
  publishes the batch's realtime messages with ``apublish``.
* ``asynchronous=False`` (tests, virtual time): each job runs at once, in the caller's
  transaction; realtime messages are collected in :attr:`DbStore.published` instead of sent.

CDR rules live in :mod:`apps.telephony.services.cdr`; agent states go through
``agent_set_state`` (and the reservation compare-and-set for offers), so the engine writes
nothing those services would not.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.core.events import apublish
from apps.telephony.engine.clock import Clock
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
IN_CALL = (A_RESERVED, A_TALKING, A_HOLD, A_WRAP_UP)  # agent states that name their call

Messages = list[tuple[str, dict]]
Job = Callable[["_Batch"], None]


class _Batch:
    """What a batch of jobs produced: realtime messages, refused reservations, and results to
    hand back to the engine loop (:meth:`DbStore.defer`)."""

    __slots__ = ("lost", "messages", "results")

    def __init__(self) -> None:
        self.messages: Messages = []
        self.lost: list[tuple[str, int]] = []
        self.results: list[tuple[Callable[[Any], None], Any]] = []

    def publish(self, topic: str, message: dict) -> None:
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


class DbStore(Store):
    wants_queue_updates = True
    wants_campaign_stats = True

    def __init__(
        self,
        tenant,
        clock: Clock,
        *,
        asynchronous: bool = False,
        record: bool | int = False,
        simulated: bool = True,
    ) -> None:
        self.tenant = tenant
        self.schema = tenant.schema_name
        self.clock = clock
        self.asynchronous = asynchronous
        # True: every answered call gets a recording; an int N: only the first N (``--record-sample``).
        self.record_all = record is True
        self.record_left = 0 if isinstance(record, bool) else int(record)
        self.simulated = simulated
        self.published: Messages = []  # synchronous mode: what would have been sent
        self.reservation_lost: Callable[[str, int], None] | None = None  # set by the runner/controller
        self._rows: dict[str, Any] = {}  # call uid -> Call row (worker side)
        self._jobs: deque[Job] = deque()
        self._wakeup: asyncio.Event | None = None
        self._closed = False
        self._queue_sent: dict[int, float] = {}
        self._queue_pending: dict[int, tuple[int, float]] = {}
        self._queue_timer: dict[int, Any] = {}
        self._kpi_dirty: set[int] = set()
        self._kpi_sent: dict[int, float] = {}
        self._kpi_timer: Any = None

    # --- running jobs ------------------------------------------------------------------
    def _submit(self, job: Job) -> None:
        if self.asynchronous:
            self._jobs.append(job)
            if self._wakeup is not None:
                self._wakeup.set()
            return
        batch = self._run_batch([job])
        self.published.extend(batch.messages)
        for uid, agent_id in batch.lost:
            self.clock.call_later(0, self._lost, uid, agent_id)
        for done, result in batch.results:
            self.clock.call_later(0, done, result)

    def _run_batch(self, jobs: list[Job]) -> _Batch:
        batch = _Batch()
        with tenant_context(self.tenant):
            for job in jobs:
                try:
                    job(batch)
                except DatabaseError:
                    logger.exception("engine store job failed (%s)", self.schema)
                    close_old_connections()
                except Exception:
                    logger.exception("engine store job failed (%s)", self.schema)
        return batch

    def _lost(self, uid: str, agent_id: int) -> None:
        if self.reservation_lost is not None:
            self.reservation_lost(uid, agent_id)

    async def run(self) -> None:
        """The worker (asynchronous mode): until :meth:`close`, then drain what is left."""
        self._wakeup = asyncio.Event()
        run_batch = sync_to_async(self._run_batch, thread_sensitive=True)
        while True:
            if not self._jobs:
                if self._closed:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            jobs = [self._jobs.popleft() for _ in range(min(BATCH_SIZE, len(self._jobs)))]
            batch = await run_batch(jobs)
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
        its call's CDR written."""

        def job(batch: _Batch) -> None:
            try:
                result = work()
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

    @property
    def backlog(self) -> int:
        return len(self._jobs)

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

    def _row_job(self, uid: str, work: Callable[[Any, _Batch], None]) -> None:
        """A job on the call's row (skipped if the row could not be created)."""

        def job(batch: _Batch) -> None:
            row = self._rows.get(uid)
            if row is not None:
                work(row, batch)

        self._submit(job)

    # --- calls -------------------------------------------------------------------------
    def call_arrived(self, call: CallState) -> None:
        at = self._at(call.arrived)
        uid = call.uid
        values = {
            "uid": uid,
            "direction": call.direction,
            "caller": call.caller,
            "callee": call.callee,
            "trunk": call.trunk_id,
            "number": call.number_id,
            "at": at,
            "customer": call.customer_id,
            "priority": call.priority,
            "is_simulated": self.simulated,
        }
        ivr_version_id = call.ivr_version_id
        state = self._call_state_message(call)
        campaign = (
            {"campaign_id": call.campaign_id, "contact_id": call.contact_id, "attempt": call.contact.attempt}
            if call.campaign_id is not None and call.contact is not None
            else None
        )

        def job(batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_event, call_open, call_update

            row = call_open(**values)
            if ivr_version_id:
                call_update(row, ivr_version=ivr_version_id)
            if campaign is not None:
                # The CDR's link to the campaign, for reports by campaign; the attempt itself
                # (DialAttempt.call) is linked when the dialer reports its outcome.
                call_update(row, campaign=campaign["campaign_id"])
                call_event(row, "campaign_dial", at=values["at"], **campaign)
            self._rows[uid] = row
            batch.publish("wallboard", state)

        self._submit(job)

    def call_blocked(self, call: CallState) -> None:
        at = self._at(call.arrived)
        values = {
            "uid": call.uid,
            "direction": call.direction,
            "caller": call.caller,
            "callee": call.callee,
            "trunk": call.trunk_id,
            "number": call.number_id,
            "at": at,
            "customer": call.customer_id,
            "priority": call.priority,
            "is_simulated": self.simulated,
        }

        def job(batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_close, call_open

            row = call_open(**values)
            call_close(row, at=at, end_reason="blocked", blocked=True)

        self._submit(job)

    def call_event(self, call: CallState, kind: str, agent_id: int | None = None, **data: Any) -> None:
        at = self._at()

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_event

            call_event(row, kind, at=at, agent=agent_id, **data)

        self._row_job(call.uid, work)

    def call_ivr_exited(self, call: CallState) -> None:
        at = self._at(call.ivr_exited)
        path = list(call.ivr.path) if call.ivr is not None else []

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_update

            call_update(row, ivr_exited_at=at, ivr_path=path)

        self._row_job(call.uid, work)

    def call_queued(self, call: CallState) -> None:
        at = self._at(call.queue_entered)
        queue_id = call.queue_id
        priority = call.priority
        state = self._call_state_message(call)

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_queued

            if row.status == "queued" and row.queue_id == queue_id:
                return
            call_queued(row, queue=queue_id, at=at, priority=priority)
            batch.publish("wallboard", state)

        self._row_job(call.uid, work)

    def call_offered(self, call: CallState, agents: list[AgentRuntime], queue: Any = None) -> None:
        at = self._at()
        uid = call.uid
        inbound = call.status != DIALING
        # The party on the line: for an outbound call (click-to-dial, callback, campaign) that is
        # the number dialled, never our own caller ID — whatever the call's status by now.
        caller = call.callee if call.direction == "outbound" or not inbound else call.caller
        humans = [agent.agent_id for agent in agents if not agent.is_virtual]
        agent_ids = [agent.agent_id for agent in agents]
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
        state = self._call_state_message(call, "offered")

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_offered

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

        self._row_job(uid, work)

    def call_offer_ended(self, call: CallState, agent_id: int, reason: str) -> None:
        self.call_event(call, "rona" if reason == "rona" else "offer_ended", agent_id=agent_id, reason=reason)

    def call_requeued(self, call: CallState) -> None:
        at = self._at()
        queue_id = call.queue_id
        state = self._call_state_message(call)

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_event, call_update

            fields: dict[str, Any] = {"status": "queued"}
            if row.answered_at is None:
                fields["agent"] = None  # the reservation named the agent offered; nobody has it now
            call_update(row, **fields)
            call_event(row, "requeued", at=at, queue_id=queue_id)
            batch.publish("wallboard", state)

        self._row_job(call.uid, work)

    def call_answered(self, call: CallState) -> None:
        at = self._at()
        agent_id = call.agent_id
        transferred = len(call.agents_served) > 1
        state = self._call_state_message(call)

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_answered, call_event, call_update

            if row.answered_at is None:
                call_answered(row, agent=agent_id, at=at)
            else:  # a transferred call: one CDR, the last agent named
                call_update(row, agent=agent_id, status="talking")
                call_event(row, "answered", at=at, agent=agent_id, transfer=transferred)
            batch.publish("wallboard", state)

        self._row_job(call.uid, work)

    def call_held(self, call: CallState) -> None:
        at = self._at()
        state = self._call_state_message(call)

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_hold_start

            call_hold_start(row, at=at)
            batch.publish("wallboard", state)

        self._row_job(call.uid, work)

    def call_resumed(self, call: CallState) -> None:
        at = self._at()
        state = self._call_state_message(call)

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_hold_stop

            call_hold_stop(row, at=at)
            batch.publish("wallboard", state)

        self._row_job(call.uid, work)

    def call_transferred(self, call: CallState, from_agent_id: int | None, **data: Any) -> None:
        at = self._at()
        hold = call.hold_seconds

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_event, call_update

            fields: dict[str, Any] = {"hold_seconds": hold}
            if row.status == "hold":
                fields["status"] = "talking"
            call_update(row, **fields)
            call_event(row, "transferred", at=at, agent=from_agent_id, **data)

        self._row_job(call.uid, work)

    def call_ended(self, call: CallState, queue: Any = None) -> None:
        at = self._at(call.ended)
        uid = call.uid
        reason = call.end_reason
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
        queue_id = call.queue_id
        state = self._call_state_message(call)

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_close, call_update

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

        self._row_job(uid, work)
        if queue_id is not None and not wrapup:
            self._kpi_changed(queue_id)

    def call_wrapup_ended(self, call: CallState) -> None:
        at = self._at(call.wrapup_ended)
        uid = call.uid
        disposition = call.disposition
        notes = call.notes
        queue_id = call.queue_id
        state = self._call_state_message(call)

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_wrapup_end

            try:
                call_wrapup_end(row, at=at, disposition=disposition, notes=notes)
            except ApplicationError as error:
                if error.code != "unknown_disposition":
                    raise
                call_wrapup_end(row, at=at, notes=notes)
            self._rows.pop(uid, None)
            batch.publish("wallboard", state)

        self._row_job(uid, work)
        if queue_id is not None:
            self._kpi_changed(queue_id)

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
        at = self._at()
        uid = call.uid
        from_id, target_id = from_agent.agent_id, target.agent_id
        caller = call.callee if call.direction == "outbound" else call.caller
        # The consulted agent's desk: who consults them, and the caller's screen pop.
        offer = {
            "type": "call.consult_offer",
            "call_uid": uid,
            "caller": caller,
            "direction": call.direction,
            "queue_id": call.queue_id,
            "from_agent_id": from_id,
            "from_agent_name": from_agent.name,
            "ring_timeout_seconds": ring_timeout_seconds,
        }
        human = not target.is_virtual
        consulting = {"type": "agent.consult", "call_uid": uid, "agent_id": target_id, "from_agent_id": from_id}

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_event

            call_event(row, "consult_started", at=at, agent=from_id, target_agent_id=target_id, queue_id=queue_id)
            if not _reserve(target_id, row, at=at, compare_and_set=False):
                batch.lost.append((uid, target_id))
                return
            if human:
                from apps.crm.selectors import screen_pop

                customer = screen_pop(caller, exclude_uid=uid) if caller else None
                batch.publish(f"agent.{target_id}", {**offer, "customer": customer})
            batch.publish("wallboard", {**consulting, "phase": "ringing"})

        self._row_job(uid, work)

    def consult_answered(self, call: CallState, from_agent_id: int, agent_id: int) -> None:
        at = self._at()
        message = {
            "type": "agent.consult",
            "call_uid": call.uid,
            "agent_id": agent_id,
            "from_agent_id": from_agent_id,
            "phase": "talking",
        }

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_event

            call_event(row, "consult_answered", at=at, agent=agent_id, from_agent_id=from_agent_id)
            batch.publish("wallboard", message)

        self._row_job(call.uid, work)

    def consult_ended(self, call: CallState, from_agent_id: int, agent_id: int, kind: str, reason: str) -> None:
        at = self._at()
        message = {
            "type": "agent.consult",
            "call_uid": call.uid,
            "agent_id": agent_id,
            "from_agent_id": from_agent_id,
            "phase": "ended",
        }

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_event

            call_event(row, kind, at=at, agent=agent_id, from_agent_id=from_agent_id, reason=reason)
            batch.publish("wallboard", message)

        self._row_job(call.uid, work)

    def consult_completed(self, call: CallState, from_agent_id: int, agent_id: int, **data: Any) -> None:
        at = self._at()
        state = self._call_state_message(call)
        message = {
            "type": "agent.consult",
            "call_uid": call.uid,
            "agent_id": agent_id,
            "from_agent_id": from_agent_id,
            "phase": "completed",
        }

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_event, call_hold_stop, call_update

            if row.status == "hold":
                call_hold_stop(row, at=at)  # the caller leaves hold for the new agent
            # One CDR, the last agent named (as a blind transfer's answer); the timeline keeps both.
            call_update(row, agent=agent_id, status="talking")
            call_event(row, "transferred", at=at, agent=from_agent_id, target_agent_id=agent_id, **data)
            batch.publish("wallboard", message)
            batch.publish("wallboard", state)

        self._row_job(call.uid, work)

    # --- agents ------------------------------------------------------------------------
    def agent_state(self, agent: AgentRuntime, previous: str, call: CallState | None = None) -> None:
        if agent.state == A_RESERVED:
            return  # written with the offer (call_offered), by the reservation
        at = self._at()
        agent_id = agent.agent_id
        state = agent.state
        reason = agent.reason
        uid = call.uid if call is not None else None

        def job(batch: _Batch) -> None:
            row = self._rows.get(uid) if uid else None
            released = (
                previous == A_RESERVED
                and state in (A_READY, A_NOT_READY)
                and row is not None
                and _release(agent_id, row, state, reason, at)
            )
            if not released:
                _set_agent_state(agent_id, state, reason, row if state in IN_CALL else None, at)

        self._submit(job)

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
        original = self._at(original_queued)
        number = call.caller

        def work(row, batch: _Batch) -> None:
            from apps.telephony.models import CallbackRequest

            CallbackRequest.objects.create(call=row, queue_id=queue_id, number=number, original_queued_at=original)

        self._row_job(call.uid, work)

    def callback_finished(self, request_uid: str, callback: CallState | None, status: str) -> None:
        at = self._at()
        callback_uid = callback.uid if callback is not None else None
        attempts = callback.callback_attempts if callback is not None else 0

        def job(batch: _Batch) -> None:
            from apps.telephony.models import Call, CallbackRequest

            callback_row = self._rows.get(callback_uid) if callback_uid else None
            if callback_row is None and callback_uid:
                callback_row = Call.objects.filter(uid=callback_uid).first()
            CallbackRequest.objects.filter(call__uid=request_uid).update(
                status=status, completed_at=at, callback_call=callback_row, attempts=attempts
            )

        self._submit(job)

    def voicemail_left(self, call: CallState, queue_id: int | None, seconds: float) -> None:
        record = self.record_all or self.record_left > 0
        caller = call.caller
        at = self._at()

        def work(row, batch: _Batch) -> None:
            from django.core.files.base import ContentFile

            from apps.telephony.models import Voicemail

            voicemail = Voicemail(call=row, queue_id=queue_id, caller=caller, duration_seconds=seconds, created_at=at)
            if record and seconds > 0:
                from apps.telephony.audio import synthesize_wav

                voicemail.file.save(
                    f"{row.uid}-voicemail.wav", ContentFile(synthesize_wav(seconds, seed=row.pk)), save=False
                )
            voicemail.save()

        self._row_job(call.uid, work)

    def survey_scored(self, call: CallState, score: int) -> None:
        uid = call.uid
        fields: dict[str, Any] = {"survey_score": score}
        if call.ivr is not None:
            fields["ivr_path"] = list(call.ivr.path)

        def job(batch: _Batch) -> None:
            from apps.telephony.models import Call

            # The CDR may be closed already (the survey follows the conversation): update in place.
            Call.objects.filter(uid=uid).update(**fields)

        self._submit(job)

    def monitor(self, call: CallState, supervisor_user_id: int, mode: str) -> None:
        at = self._at()
        agent_id = call.agent_id
        message = {
            "type": "call.monitor",
            "call_uid": call.uid,
            "agent_id": agent_id,
            "supervisor_user_id": supervisor_user_id,
            "mode": mode,
        }

        def work(row, batch: _Batch) -> None:
            from apps.telephony.services.cdr import call_event

            call_event(row, "monitor", at=at, agent=agent_id, supervisor_user_id=supervisor_user_id, mode=mode)
            batch.publish("wallboard", message)
            if agent_id is not None and mode in ("whisper", "barge"):
                batch.publish(f"agent.{agent_id}", message)

        self._row_job(call.uid, work)
