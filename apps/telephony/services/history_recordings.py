"""Recordings (and their analyses) for part of a tenant's generated past.

``generate_history`` writes tens of thousands of calls; a stereo recording of each would be tens
of gigabytes. It records a bounded number instead (``--recordings``; the demo: DEMO_RECORDINGS),
spread evenly over the answered calls of the range, each with hold music where its timeline
put the caller on hold, and analyses each one inline from the samples it has just synthesised
(no queue round trip, and the demo has its analyses as soon as ``make run`` has started). Work
is committed in batches, so an interrupted run keeps what it finished; a re-run fills in the
calls still without a recording.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from apps.telephony.analysis import Audio, analyse_audio
from apps.telephony.audio import SAMPLE_RATE, plan_call, render, wav_bytes
from apps.telephony.models import Call
from apps.telephony.services.analysis import call_analyse_result
from apps.telephony.services.recordings import MAX_DURATION_SECONDS, call_hold_spans, recording_store_bytes

DEMO_RECORDINGS = 60
BATCH = 20


@dataclass
class HistoryRecordings:
    recordings: int
    audio_seconds: float
    wall_seconds: float


def _chosen(since: datetime, until: datetime, limit: int, uid_prefix: str) -> list[int]:
    """``limit`` answered generated calls without a recording, evenly spread by arrival."""
    ids = list(
        Call.objects.filter(
            uid__startswith=uid_prefix,
            is_simulated=True,
            arrived_at__gte=since,
            arrived_at__lt=until,
            answered_at__isnull=False,
            ended_at__isnull=False,
            talk_seconds__gt=0,
            recording__isnull=True,
        )
        .order_by("arrived_at", "id")
        .values_list("id", flat=True)
    )
    if len(ids) <= limit:
        return ids
    step = len(ids) / limit
    return [ids[int(index * step)] for index in range(limit)]


def history_recordings_write(*, since: datetime, until: datetime, limit: int, uid_prefix: str) -> HistoryRecordings:
    started = time.perf_counter()
    chosen = _chosen(since, until, limit, uid_prefix) if limit > 0 else []
    audio_seconds = 0.0
    for first in range(0, len(chosen), BATCH):
        with transaction.atomic():
            for call in Call.objects.filter(pk__in=chosen[first : first + BATCH]).order_by("arrived_at", "id"):
                span = (call.ended_at - call.answered_at).total_seconds()  # type: ignore[operator]
                duration = round(min(max(span, call.talk_seconds), MAX_DURATION_SECONDS), 3)
                samples = render(plan_call(duration, seed=call.pk, holds=call_hold_spans(call)), seed=call.pk)
                recording_store_bytes(call=call, data=wav_bytes(samples), duration_seconds=duration, analyse=False)
                call_analyse_result(call=call, result=analyse_audio(Audio(rate=SAMPLE_RATE, channels=samples.T.copy())))
                audio_seconds += duration
    return HistoryRecordings(
        recordings=len(chosen), audio_seconds=round(audio_seconds, 1), wall_seconds=time.perf_counter() - started
    )
