"""Queue and agent KPIs from the CDRs: the counting in SQL, the formulas in apps/telephony/kpis.py.

One aggregate query per call (conditional ``Count``/``Sum``) over calls that *arrived* in
``[since, until)``. The per-call classification (abandoned, short abandon, answered within SL,
the SL threshold in force) was fixed when the call closed (apps/telephony/services/cdr.py), so
changing a queue's threshold never rewrites history. The one SQL comparison not fixed per call,
"abandoned after T" (``wait_seconds > sl_threshold_seconds``), is :func:`apps.telephony.kpis.abandoned_after_sl`
written as a filter.

Per queue:

- ``offered``: calls that entered the queue.
- ``answered``: offered calls answered by an agent.
- ``abandoned``: offered calls the caller left unanswered, **short abandons excluded**;
  ``short_abandons`` counts those left out.
- ``sl_percent``: answered within T ÷ (answered + abandoned after T) × 100; short abandons are in
  neither part. ``None`` when the denominator is 0.
- ``asa_seconds``: mean queue → answer wait of answered calls.
- ``abandon_rate``: ``abandoned`` ÷ ``offered`` × 100 (a percentage, like ``sl_percent``: both are
  display fields of the API contract; the kpis module works in fractions).
- ``handled``: answered calls whose conversation and wrap-up are both over.
- ``aht_seconds``: mean talk + hold + wrap-up seconds over handled calls.
- ``blocked``: calls refused for want of a trunk channel, counted against the queue of the
  number they dialled (they never reach a queue themselves).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.telephony import kpis
from apps.telephony.models import Call, Queue

_QUEUED = Q(queued_at__isnull=False, queue__isnull=False)
_ANSWERED = _QUEUED & Q(answered_at__isnull=False)
_HANDLED = Q(answered_at__isnull=False, ended_at__isnull=False, wrapup_ended_at__isnull=False)
_ABANDONED = _QUEUED & Q(abandoned=True, short_abandon=False)
_HANDLE_TIME = F("talk_seconds") + F("hold_seconds") + F("wrapup_seconds")


def day_bounds(day=None) -> tuple[datetime, datetime]:
    """Midnight to midnight of ``day`` (default: today) in the current time zone."""
    zone = timezone.get_current_timezone()
    day = day or timezone.localdate()
    since = datetime.combine(day, time.min, tzinfo=zone)
    return since, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def queue_kpis(*, since: datetime, until: datetime, queue_ids=None) -> dict[int, dict[str, Any]]:
    """``{queue_id: {...}}`` for every queue (or those in ``queue_ids``), zeros when it had no calls."""
    chosen = Queue.objects.order_by("id")
    if queue_ids is not None:
        chosen = chosen.filter(pk__in=list(queue_ids))
    queues = list(chosen.values("id", "name", "sl_threshold_seconds", "short_abandon_seconds"))
    ids = [queue["id"] for queue in queues]
    rows = (
        Call.objects.filter(arrived_at__gte=since, arrived_at__lt=until)
        .annotate(kpi_queue=Coalesce("queue_id", "number__queue_id"))
        .filter(kpi_queue__in=ids)
        .values("kpi_queue")
        .annotate(
            n_offered=Count("id", filter=_QUEUED),
            n_answered=Count("id", filter=_ANSWERED),
            n_answered_in_sl=Count("id", filter=_ANSWERED & Q(answered_within_sl=True)),
            n_abandoned=Count("id", filter=_ABANDONED),
            n_abandoned_after_sl=Count("id", filter=_ABANDONED & Q(wait_seconds__gt=F("sl_threshold_seconds"))),
            n_short_abandons=Count("id", filter=_QUEUED & Q(abandoned=True, short_abandon=True)),
            n_wait=Sum("wait_seconds", filter=_ANSWERED),
            n_waited=Count("wait_seconds", filter=_ANSWERED),  # a live answered call has no wait yet
            n_handled=Count("id", filter=_QUEUED & _HANDLED),
            n_handle=Sum(_HANDLE_TIME, filter=_QUEUED & _HANDLED),
            n_handle_count=Count(_HANDLE_TIME, filter=_QUEUED & _HANDLED),
            n_blocked=Count("id", filter=Q(blocked=True)),
        )
        .order_by()
    )
    by_queue: dict[int, dict[str, Any]] = {row["kpi_queue"]: dict(row) for row in rows}
    result: dict[int, dict[str, Any]] = {}
    for queue in queues:
        row: dict[str, Any] = by_queue.get(queue["id"], {})
        offered = row.get("n_offered", 0)
        answered = row.get("n_answered", 0)
        abandoned = row.get("n_abandoned", 0)
        handled = row.get("n_handled", 0)
        service_level = kpis.service_level(row.get("n_answered_in_sl", 0), answered, row.get("n_abandoned_after_sl", 0))
        result[queue["id"]] = {
            "queue_id": queue["id"],
            "name": queue["name"],
            "offered": offered,
            "answered": answered,
            "abandoned": abandoned,
            "short_abandons": row.get("n_short_abandons", 0),
            "short_abandons_excluded": True,
            "short_abandon_seconds": queue["short_abandon_seconds"],
            "sl_threshold_seconds": queue["sl_threshold_seconds"],
            "sl_percent": kpis.as_percent(service_level),
            "asa_seconds": kpis.rounded(kpis.asa_seconds(row.get("n_wait") or 0.0, row.get("n_waited", 0)), 2),
            "abandon_rate": kpis.as_percent(kpis.abandon_rate(abandoned, offered)),
            "handled": handled,
            "aht_seconds": kpis.rounded(kpis.aht_seconds(row.get("n_handle") or 0.0, row.get("n_handle_count", 0)), 2),
            "blocked": row.get("n_blocked", 0),
        }
    return result


def agent_kpis(*, since: datetime, until: datetime, agent_ids=None) -> dict[int, dict[str, Any]]:
    """``{agent_id: {answered, handled, talk_seconds, hold_seconds, wrapup_seconds, aht_seconds}}`` for
    agents who answered calls that arrived in ``[since, until)`` (sums in seconds)."""
    calls = Call.objects.filter(arrived_at__gte=since, arrived_at__lt=until, agent__isnull=False)
    if agent_ids is not None:
        calls = calls.filter(agent_id__in=list(agent_ids))
    rows = (
        calls.values("agent_id")
        .annotate(
            n_answered=Count("id", filter=Q(answered_at__isnull=False)),
            n_handled=Count("id", filter=_HANDLED),
            n_talk=Sum("talk_seconds", filter=_HANDLED),
            n_hold=Sum("hold_seconds", filter=_HANDLED),
            n_wrapup=Sum("wrapup_seconds", filter=_HANDLED),
            n_handle=Sum(_HANDLE_TIME, filter=_HANDLED),
            n_handle_count=Count(_HANDLE_TIME, filter=_HANDLED),
        )
        .order_by()
    )
    return {
        row["agent_id"]: {
            "agent_id": row["agent_id"],
            "answered": row["n_answered"],
            "handled": row["n_handled"],
            "talk_seconds": round(row["n_talk"] or 0, 2),
            "hold_seconds": round(row["n_hold"] or 0, 2),
            "wrapup_seconds": round(row["n_wrapup"] or 0, 2),
            "aht_seconds": kpis.rounded(kpis.aht_seconds(row["n_handle"] or 0.0, row["n_handle_count"]), 2),
        }
        for row in rows
    }
