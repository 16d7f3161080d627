"""Taking a tenant over: replaying the outboxes an engine that is gone left behind.

An outbox is replayed by the same ``_op_`` methods the live run used, with the tenant's cursor
skipping what was applied already, so the database ends as if the dead engine had finished.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django_tenants.utils import tenant_context

from apps.telephony.engine.dbstore.core import BATCH_SIZE
from apps.telephony.engine.dbstore.store import DbStore
from apps.telephony.engine.outbox import orphan, orphan_paths, read_entries, tenant_key
from apps.telephony.models import EngineStoreCursor

logger = logging.getLogger(__name__)


def replay_outbox(tenant, path: Path) -> int:
    """Apply what an engine that is gone captured for ``tenant`` and did not write yet, in order,
    skipping what its cursor says is done; then delete the file and the cursor. Returns how many
    operations were applied. The caller holds the file's lock (:func:`replay_orphans`)."""
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
