"""A small report for the framework's tests (test_registry, test_runs_api, test_schedules): rows
from the tenant's queues, so it has data without a call history, and a tenant-typed name in it."""

from __future__ import annotations

from typing import Any

from apps.reports.registry import Column, Report, ReportParams, register, unregister
from apps.telephony.models import Queue

CODE = "framework_test"


class FrameworkTestReport(Report):
    code = CODE
    title = "Queues (framework test)"
    description = "One row per queue."
    filters = ("since", "until", "queue")
    fail_with: Exception | None = None  # set by a test to make rendering fail

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("label", "Queue"),
            Column("offered", "Offered", "count"),
            Column("sl_percent", "Service level", "percent"),
            Column("since", "From", "datetime"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        if FrameworkTestReport.fail_with is not None:
            raise FrameworkTestReport.fail_with
        queues = Queue.objects.order_by("name")
        if params.queue_ids:
            queues = queues.filter(pk__in=params.queue_ids)
        return [
            {"key": q.pk, "label": q.name, "offered": 10 * (i + 1), "sl_percent": 87.5, "since": params.since}
            for i, q in enumerate(queues)
        ]

    def rows_and_totals(self, params: ReportParams):
        rows = self.rows(params)
        return rows, {"label": "Total", "offered": sum(r["offered"] for r in rows), "sl_percent": None, "since": None}

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        return {
            "type": "bar",
            "title": "Offered",
            "categories": [r["label"] for r in rows],
            "series": [{"name": "Offered", "data": [r["offered"] for r in rows]}],
            "unit": "count",
        }


def install() -> None:
    register(FrameworkTestReport)


def uninstall() -> None:
    FrameworkTestReport.fail_with = None
    unregister(CODE)
