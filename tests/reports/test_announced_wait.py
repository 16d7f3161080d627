"""The announced-wait report: the expected wait spoken to waiting callers against the wait they
really had, per queue (mean absolute error, bias, percentiles)."""

from __future__ import annotations

from datetime import timedelta

from django_tenants.utils import tenant_context

from apps.reports import registry
from apps.reports.registry import ReportParams
from apps.telephony.services.cdr import call_event
from tests.telephony.call_factories import T0, at, make_queue, stored_call


def _params(**extra) -> ReportParams:
    return ReportParams(since=T0 - timedelta(hours=1), until=T0 + timedelta(hours=23), **extra)


def _waiting(queue, *, offset: float, answered_after: float | None, announcements: list[tuple[float, object]]):
    call = stored_call(
        queue=queue,
        arrived_at=at(offset),
        queued_at=at(offset),
        answered_at=at(offset + answered_after) if answered_after is not None else None,
        abandoned=answered_after is None,
    )
    for when, estimate in announcements:
        data = {"position": 1}
        if estimate is not ...:
            data["expected_wait_seconds"] = estimate
        call_event(call, "announcement", at=at(offset + when), **data)
    return call


def test_errors_per_queue_with_bias_and_percentiles(acme):
    with tenant_context(acme.tenant):
        sales, support = make_queue("aw-sales", name="Sales"), make_queue("aw-support", name="Support")
        # Sales: told 120 s at t=0, answered at 100 s → +20; told 60 s at t=30 (70 s left) → −10.
        _waiting(sales, offset=0, answered_after=100, announcements=[(0, 120), (30, 60)])
        # Sales: told 30 s, waited 90 s → −60; an announcement without an estimate is not checked.
        _waiting(sales, offset=500, answered_after=90, announcements=[(0, ...), (0, 30)])
        # Sales: abandoned after an announcement: counted, not checked.
        _waiting(sales, offset=900, answered_after=None, announcements=[(0, 45)])
        # Support: one exact estimate.
        _waiting(support, offset=0, answered_after=40, announcements=[(0, 40)])
        report = registry.get("announced_wait")
        rows = {row["queue"]: row for row in report.rows(_params())}
        s = rows["Sales"]
        assert (s["calls"], s["announcements"], s["unanswered"]) == (3, 3, 1)
        assert s["mae_seconds"] == 30.0  # (20 + 10 + 60) / 3
        assert s["bias_seconds"] == round((20 - 10 - 60) / 3, 1)  # told shorter than it was
        assert (s["p50_seconds"], s["p90_seconds"]) == (20.0, 60.0)
        assert s["within_minute"] == 100.0
        assert rows["Support"]["mae_seconds"] == 0.0 and rows["Support"]["bias_seconds"] == 0.0
        assert rows["Total"]["announcements"] == 4 and rows["Total"]["mae_seconds"] == 22.5
        chart = report.chart(_params(), report.rows(_params()))
        assert chart is not None and chart["categories"] == ["Sales", "Support"]
        only = report.rows(_params(queue_ids=[support.pk]))
        assert [row["queue"] for row in only] == ["Support"]
        assert {code for code, _text in [(str(d[0]), d[1]) for d in report.definitions(_params())]} >= {
            "Mean absolute error",
            "Bias",
        }


def test_the_report_page_and_its_csv(acme):
    from apps.accounts.choices import Role
    from tests.accounts.helpers import web_login

    with tenant_context(acme.tenant):
        queue = make_queue("aw-page", name="Page queue")
        _waiting(queue, offset=0, answered_after=100, announcements=[(0, 120)])
    supervisor = web_login(acme, acme.user(Role.SUPERVISOR).email)
    query = "since=2025-03-03&until=2025-03-03"
    page = supervisor.get(f"/reports/r/announced_wait/?{query}")
    assert page.status_code == 200
    assert "Page queue" in page.content.decode()
    csv = supervisor.get(f"/reports/r/announced_wait/export/csv/?{query}")
    assert csv.status_code == 200 and "Page queue" in b"".join(csv.streaming_content).decode("utf-8-sig")
    agent = web_login(acme, acme.user(Role.AGENT).email)
    assert agent.get(f"/reports/r/announced_wait/?{query}").status_code == 403
