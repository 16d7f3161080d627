"""Abandon detail: each call abandoned in a queue, how long the caller waited, and whether it was
a short abandon (left out of the service level and the abandon rate)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.reports.catalog.common import chart_spec
from apps.reports.definitions import FIGURES
from apps.reports.registry import Column, Report, ReportParams, register
from apps.reports.selectors.details import abandoned_calls

# Wait buckets of the chart, in seconds (upper bounds; the last is open).
BUCKETS = (5, 15, 30, 60, 120)


def bucket_label(seconds: float | None) -> str:
    seconds = seconds or 0
    lower = 0
    for upper in BUCKETS:
        if seconds < upper:
            return f"{lower}–{upper} s"
        lower = upper
    return f"≥ {BUCKETS[-1]} s"


@register
class Abandons(Report):
    code = "abandons"
    title = _("Abandoned calls")
    description = _("Each call abandoned in a queue: when, which queue, how long the caller waited, short or not.")
    filters = ("since", "until", "queue")

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("time", _("Arrived"), "datetime"),
            Column("queue", _("Queue")),
            Column("caller", _("Caller")),
            Column("wait_seconds", _("Wait (s)"), "seconds"),
            Column("short", _("Short abandon")),
            Column("offers", _("Offers to agents"), "count"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        return [
            {
                "key": call["uid"],
                "time": call["arrived_at"],
                "queue": call["queue__name"],
                "caller": call["caller"],
                "wait_seconds": round(call["wait_seconds"], 1) if call["wait_seconds"] is not None else None,
                "short": str(_("Yes")) if call["short_abandon"] else str(_("No")),
                "is_short": call["short_abandon"],
                "offers": call["offer_count"],
                "href": reverse("calls:detail", args=[call["uid"]]),
            }
            for call in abandoned_calls(since=params.since, until=params.until, queue_ids=params.queue_ids or None)
        ]

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not rows:
            return None
        labels = [bucket_label(bound - 0.5) for bound in BUCKETS] + [bucket_label(BUCKETS[-1])]
        counted = Counter((bucket_label(row["wait_seconds"]), row["is_short"]) for row in rows)
        return chart_spec(
            _("Abandoned calls by wait"),
            labels,
            [
                (FIGURES["abandoned"].label, [counted[(label, False)] for label in labels]),
                (FIGURES["short_abandons"].label, [counted[(label, True)] for label in labels]),
            ],
            "count",
            "stacked_bar",
        )

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [
            (str(FIGURES["abandoned"].label), str(FIGURES["abandoned"].definition)),
            (str(FIGURES["short_abandons"].label), str(FIGURES["short_abandons"].definition)),
            (str(_("Wait (s)")), str(_("Seconds from entering the queue to hanging up."))),
            (str(_("Offers to agents")), str(_("How many times the call rang an agent before the caller hung up."))),
        ]

    def drill_url(self, params: ReportParams, row: dict[str, Any], column_key: str) -> str | None:
        return row.get("href")
