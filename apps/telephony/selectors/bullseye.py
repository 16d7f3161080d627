"""Bullseye queues' figures: in which ring their calls were answered (the ring is on the ``offered``
event of the offer that was answered, written by the engine: apps/telephony/services/cdr.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, F
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from apps.telephony.models import CallEvent, Queue

RING_WINDOW_DAYS = 7


def answered_by_ring(queue: Queue, *, since: datetime | None = None) -> list[dict[str, int]]:
    """``[{"ring": 1, "answered": n}, ...]`` for the queue's calls answered since ``since`` (default:
    the last seven days), innermost ring first; rings with no answered call are left out."""
    since = since or timezone.now() - timedelta(days=RING_WINDOW_DAYS)
    rows = (
        CallEvent.objects.filter(
            kind="offered",
            data__has_key="ring",
            call__queue=queue,
            call__answered_at__gte=since,
            agent_id=F("call__agent_id"),
        )
        .annotate(ring=KeyTextTransform("ring", "data"))
        .values("ring")
        .annotate(answered=Count("call_id", distinct=True))
    )
    counts = [{"ring": int(row["ring"]), "answered": row["answered"]} for row in rows if str(row["ring"]).isdigit()]
    return sorted(counts, key=lambda row: row["ring"])
