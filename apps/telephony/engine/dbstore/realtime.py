"""The DbStore's realtime-only messages: nothing written, only published after the batch.

Queue updates and today's KPIs are throttled per queue (:data:`QUEUE_UPDATE_INTERVAL`,
:data:`QUEUE_KPI_INTERVAL`) on the engine's clock, so a burst of arrivals sends a few messages,
not one per call; the KPI figures come from the one KPI module (``selectors/kpis.py``).
"""

from __future__ import annotations

import logging

from apps.telephony.engine.dbstore.core import QUEUE_KPI_INTERVAL, QUEUE_UPDATE_INTERVAL, StoreCore, _Batch
from apps.telephony.selectors.kpis import queue_kpis
from apps.telephony.selectors.wallboard import KPI_KEYS, today_start

logger = logging.getLogger(__name__)


class RealtimeMessages(StoreCore):
    """Realtime-only messages (queue.update, queue.kpi, campaign.stats, an agent's notices):
    nothing is journaled for them, and the two queue messages are rate-limited per queue."""

    def notify_agent(self, agent_id: int, message: dict) -> None:
        def job(batch: _Batch) -> None:
            batch.publish(f"agent.{agent_id}", message)

        self._submit(job)

    # --- queues ------------------------------------------------------------------------
    def queue_changed(self, queue_id: int, waiting: int, longest_wait: float) -> None:
        now = self.live_clock.now()
        self._queue_pending[queue_id] = (waiting, longest_wait)
        last = self._queue_sent.get(queue_id)
        if last is None or now - last >= QUEUE_UPDATE_INTERVAL:
            self._send_queue_update(queue_id)
        elif queue_id not in self._queue_timer:
            self._queue_timer[queue_id] = self.live_clock.call_at(
                last + QUEUE_UPDATE_INTERVAL, self._send_queue_update, queue_id
            )

    def _send_queue_update(self, queue_id: int) -> None:
        self._queue_timer.pop(queue_id, None)
        pending = self._queue_pending.pop(queue_id, None)
        if pending is None:
            return
        self._queue_sent[queue_id] = self.live_clock.now()
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
        now = self.live_clock.now()
        last = max((self._kpi_sent.get(q, -QUEUE_KPI_INTERVAL) for q in self._kpi_dirty), default=None)
        delay = 0.0 if last is None else max(0.0, last + QUEUE_KPI_INTERVAL - now)
        self._kpi_timer = self.live_clock.call_later(delay, self._send_kpis)

    def _send_kpis(self) -> None:
        self._kpi_timer = None
        queue_ids = sorted(self._kpi_dirty)
        self._kpi_dirty.clear()
        now = self.live_clock.now()
        for queue_id in queue_ids:
            self._kpi_sent[queue_id] = now
        at = self._at()
        tenant = self.tenant

        def job(batch: _Batch) -> None:
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
