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

Layout: ``core.py`` the machinery (capture, outbox, batches, worker, cursor); ``calls.py`` call
and CDR writes; ``agents.py`` agent-state writes and reservations; ``realtime.py`` the
realtime-only messages (queues, KPIs, campaign stats); ``store.py`` :class:`DbStore` put
together; ``replay.py`` the outbox replay when a tenant is taken over.
"""

from apps.telephony.engine.dbstore.core import (
    BATCH_SIZE,
    IN_CALL,
    MAX_BACKLOG,
    QUEUE_KPI_INTERVAL,
    QUEUE_UPDATE_INTERVAL,
    RETRY_FIRST_SECONDS,
    RETRY_MAX_SECONDS,
    TRANSIENT,
    StoreCore,
)
from apps.telephony.engine.dbstore.replay import replay_orphans, replay_outbox
from apps.telephony.engine.dbstore.store import DbStore

__all__ = [
    "BATCH_SIZE",
    "IN_CALL",
    "MAX_BACKLOG",
    "QUEUE_KPI_INTERVAL",
    "QUEUE_UPDATE_INTERVAL",
    "RETRY_FIRST_SECONDS",
    "RETRY_MAX_SECONDS",
    "TRANSIENT",
    "DbStore",
    "StoreCore",
    "replay_orphans",
    "replay_outbox",
]
