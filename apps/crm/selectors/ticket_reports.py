"""The figures of the ticket reports (apps/crm/reports/tickets.py), read from the ticket table's
stored SLA flags and due times (computed in business minutes by apps/crm/sla.py and the SLA sweep,
apps/crm/services/ticket_sla.py), so no report computes business time again.

SLA attainment, per ticket, on both clocks (first response and resolution):
*breached* — a target was missed (``Ticket.breached``); *warned* — a due-soon warning went out on
a clock but no target was missed; *within* — neither. Tickets still open count where they stand now.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from apps.crm.models import OPEN_STATUSES, Ticket
from apps.telephony.kpis import as_percent

# Group keys of the breakdown report and the ticket field each reads.
BREAKDOWN_FIELDS = {
    "status": "status",
    "category": "category__name",
    "department": "department__name",
    "assignee": "assignee__name",
    "queue": "calls__queue__name",
}
# Backlog age buckets: (key, lower bound in days, upper bound in days or None).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("age_under_1d", 0, 1),
    ("age_1_3d", 1, 3),
    ("age_3_7d", 3, 7),
    ("age_7_30d", 7, 30),
    ("age_over_30d", 30, None),
)

WARNED = Q(first_response_warned=True) | Q(resolution_warned=True)


def _received(since: dt.datetime, until: dt.datetime) -> QuerySet[Ticket]:
    return Ticket.objects.filter(received_at__gte=since, received_at__lt=until)


def _sla_counts() -> dict[str, Any]:
    return {
        "tickets": Count("id", distinct=True),
        "open": Count("id", filter=Q(status__in=OPEN_STATUSES), distinct=True),
        "resolved": Count("id", filter=Q(resolved_at__isnull=False), distinct=True),
        "missed": Count("id", filter=Q(breached=True), distinct=True),
        "warned": Count("id", filter=WARNED & Q(breached=False), distinct=True),
    }


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    tickets = row["tickets"]
    row["within"] = tickets - row["missed"] - row["warned"]
    row["attainment_percent"] = as_percent((tickets - row["missed"]) / tickets) if tickets else None
    return row


def ticket_breakdown(*, since: dt.datetime, until: dt.datetime, by: str) -> list[dict[str, Any]]:
    """Tickets received in [since, until) grouped ``by`` status, category, department, assignee or
    queue (of the linked calls; a ticket linked to calls of two queues counts in both)."""
    field = BREAKDOWN_FIELDS[by]
    rows = _received(since, until).values(key=F(field)).annotate(**_sla_counts()).order_by("key")
    return [_with_rates(dict(row)) for row in rows]


def ticket_sla(*, since: dt.datetime, until: dt.datetime) -> list[dict[str, Any]]:
    """SLA attainment of the tickets received in [since, until), per category and priority."""
    rows = (
        _received(since, until)
        .values("priority", category_name=F("category__name"))
        .annotate(
            **_sla_counts(),
            first_response_missed=Count("id", filter=Q(first_response_breached=True)),
            resolution_missed=Count("id", filter=Q(resolution_breached=True)),
        )
        .order_by("category_name", "priority")
    )
    return [_with_rates(dict(row)) for row in rows]


def ticket_backlog(*, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Open tickets now, per category, by age since receipt, with how many are past their
    resolution due time."""
    now = now or timezone.now()
    counts: dict[str, Any] = {
        "open": Count("id"),
        "overdue": Count("id", filter=Q(resolution_due__lt=now)),
    }
    for key, low, high in AGE_BUCKETS:
        condition = Q(received_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            condition &= Q(received_at__gt=now - dt.timedelta(days=high))
        counts[key] = Count("id", filter=condition)
    rows = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .values(category_name=F("category__name"))
        .annotate(**counts)
        .order_by("category_name")
    )
    return [dict(row) for row in rows]
