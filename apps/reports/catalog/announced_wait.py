"""Announced wait accuracy: the expected wait spoken to waiting callers against the wait they
really had, per queue (issue 18 item 3; the figures in apps/reports/selectors/announced_wait.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.reports.catalog.common import chart_spec
from apps.reports.registry import Column, Report, ReportParams, register
from apps.reports.selectors.announced_wait import ErrorSummary, announced_wait_errors

WITHIN_SECONDS = 60


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _row(key: str, name: str, summary: ErrorSummary) -> dict[str, Any]:
    within = summary.within(WITHIN_SECONDS)
    return {
        "key": key,
        "queue": name,
        "calls": len(summary.calls),
        "announcements": summary.count,
        "unanswered": summary.unanswered,
        "mae_seconds": _round(summary.mean_absolute_error),
        "bias_seconds": _round(summary.bias),
        "p50_seconds": _round(summary.percentile(0.5)),
        "p90_seconds": _round(summary.percentile(0.9)),
        "within_minute": round(100 * within, 1) if within is not None else None,
    }


@register
class AnnouncedWait(Report):
    code = "announced_wait"
    title = _("Announced wait accuracy")
    description = _(
        "The expected wait announced to waiting callers against the wait they really had, per queue: "
        "mean absolute error, bias and percentiles."
    )
    filters = ("since", "until", "queue")

    def columns(self, params: ReportParams) -> list[Column]:
        return [
            Column("queue", _("Queue")),
            Column("calls", _("Calls announced to"), "count"),
            Column("announcements", _("Announcements checked"), "count"),
            Column("unanswered", _("Not answered"), "count"),
            Column("mae_seconds", _("Mean absolute error"), "seconds"),
            Column("bias_seconds", _("Bias"), "seconds"),
            Column("p50_seconds", _("Median error"), "seconds"),
            Column("p90_seconds", _("90th percentile error"), "seconds"),
            Column("within_minute", _("Within a minute"), "percent"),
        ]

    def rows(self, params: ReportParams) -> list[dict[str, Any]]:
        found = announced_wait_errors(since=params.since, until=params.until, queue_ids=params.queue_ids or None)
        rows = [
            _row(str(queue_id), name or str(_("(no queue)")), summary)
            for (queue_id, name), summary in sorted(found.items(), key=lambda item: item[0][1])
        ]
        if len(found) > 1:
            total = ErrorSummary()
            for summary in found.values():
                total.errors += summary.errors
                total.unanswered += summary.unanswered
                total.calls |= summary.calls
            rows.append({**_row("total", str(_("Total")), total), "is_total": True})
        return rows

    def chart(self, params: ReportParams, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        shown = [row for row in rows if not row.get("is_total") and row["announcements"]]
        if not shown:
            return None
        return chart_spec(
            _("Error of the announced wait per queue"),
            [row["queue"] for row in shown],
            [
                (_("Mean absolute error"), [row["mae_seconds"] for row in shown]),
                (_("Bias"), [row["bias_seconds"] for row in shown]),
            ],
            "seconds",
            "bar",
        )

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [
            (
                str(_("Announcements checked")),
                str(
                    _(
                        "Position announcements with an expected wait, to calls later answered. The realised "
                        "wait of an announcement is the time from it to the answer; its error is the "
                        "announced wait minus the realised wait."
                    )
                ),
            ),
            (str(_("Not answered")), str(_("Announcements to calls that were never answered (no realised wait)."))),
            (str(_("Mean absolute error")), str(_("The mean of the errors' sizes, in seconds."))),
            (
                str(_("Bias")),
                str(_("The mean error: above zero the callers were told longer waits than they had, below shorter.")),
            ),
            (
                str(_("Median error")),
                str(_("Half of the announcements were off by at most this (absolute error, seconds).")),
            ),
            (str(_("90th percentile error")), str(_("Nine in ten announcements were off by at most this."))),
            (str(_("Within a minute")), str(_("The share of announcements off by 60 seconds or less."))),
        ]
