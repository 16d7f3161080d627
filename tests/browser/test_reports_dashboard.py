"""The manager dashboard and a standard report in a browser, in English and in Chinese (issue 13
item 4): the charts are drawn by ECharts from the pages' chart specs, the "Now" tiles fill from the
wallboard's socket, a figure opens the calls behind it — with no console error, no internal value
and (in Chinese) no English string the catalog translates (the checks of the first-hour walk)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.conftest import wait_until
from tests.browser.test_first_hour_walk import EnglishCatalog, Visitor, _english_catalog
from tests.pending_po import pending_translations

UID_PREFIX = "browser-report-"


# The zh-Hans fragments of these pages, until the integrator merges them into locale/zh_Hans.
PENDING = ("pages", "kpi", "framework")


@pytest.fixture(scope="module")
def english_catalog(tmp_path_factory) -> EnglishCatalog:
    """The project's catalog plus the pending fragments: their English must not show either."""
    import polib

    from tests.browser import test_first_hour_walk

    merged = polib.pofile(str(test_first_hour_walk.CATALOG))
    for name in PENDING:
        fragment = test_first_hour_walk.CATALOG.parents[2] / "pending" / f"{name}.po"
        if fragment.exists():
            merged.extend(polib.pofile(str(fragment)))
    path = tmp_path_factory.mktemp("catalog") / "django.po"
    merged.save(str(path))
    original = test_first_hour_walk.CATALOG
    test_first_hour_walk.CATALOG = path
    try:
        return _english_catalog()
    finally:
        test_first_hour_walk.CATALOG = original


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def report_calls(walk):
    """Three ended calls in the walk's queue two days ago (answered, answered late, abandoned),
    in the rollups; removed again afterwards so the other browser tests see the tenant as before."""
    from apps.reports.services.rollups import rollups_rebuild
    from apps.telephony.models import Call, Queue

    day = timezone.now() - timedelta(days=2)

    def create() -> None:
        queue = Queue.objects.get(pk=walk.queue_id)
        for number, (wait, answered) in enumerate(((6, True), (30, True), (45, False))):
            arrived = day + timedelta(minutes=10 * number)
            Call.objects.create(
                uid=f"{UID_PREFIX}{number}",
                caller="13900139000",
                callee="4001234567",
                queue=queue,
                arrived_at=arrived,
                queued_at=arrived,
                answered_at=arrived + timedelta(seconds=wait) if answered else None,
                ended_at=arrived + timedelta(seconds=wait + 90),
                wrapup_ended_at=arrived + timedelta(seconds=wait + 100) if answered else None,
                wait_seconds=wait,
                talk_seconds=90 if answered else 0,
                wrapup_seconds=10 if answered else 0,
                answered_within_sl=(wait <= queue.sl_threshold_seconds) if answered else None,
                sl_threshold_seconds=queue.sl_threshold_seconds,
                abandoned=not answered,
                status="ended",
            )
        rollups_rebuild(since=day - timedelta(hours=1), until=day + timedelta(hours=1))

    def remove() -> None:
        Call.objects.filter(uid__startswith=UID_PREFIX).delete()
        rollups_rebuild(since=day - timedelta(hours=1), until=day + timedelta(hours=1))

    walk.read(create)
    yield
    walk.read(remove)


def _chart_drawn(page, selector: str) -> None:
    """ECharts drew into the element (the SVG renderer of docs/decisions/0015-charts.md)."""
    page.wait_for_selector(f"{selector}:not([hidden]) svg, {selector}:not([hidden]) canvas", state="attached")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_dashboard_and_a_report_in_the_browser(browser, walk, report_calls, shots, english_catalog, language):
    # The walk's queues and dispositions are data named in English ("General", "Resolved"), not
    # catalog strings (the calls list offers the dispositions on its filter bar).
    from apps.telephony.models import Disposition, Queue

    data_names = set(
        walk.read(
            lambda: [
                *Queue.objects.values_list("name", flat=True),
                *Disposition.objects.values_list("name", flat=True),
            ]
        )
    )
    catalog = EnglishCatalog(english_catalog.exact - data_names, english_catalog.patterns)
    visitor = Visitor(browser, walk.base_url, language, shots, catalog)
    visitor.set_language([walk.host])
    page = visitor.page
    try:
        with pending_translations(*PENDING):
            _walk_the_reports(page, visitor, walk)
    finally:
        visitor.close()


def _walk_the_reports(page, visitor, walk) -> None:
    page.goto("/reports/")
    visitor.log_in(walk.supervisor_email)
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/reports"))
    _chart_drawn(page, "#trend-1")
    _chart_drawn(page, "#trend-2")
    # The live tiles: the wallboard socket's snapshot replaces the dashes with counts.
    wait_until(
        lambda: page.locator('[data-live="waiting"] .stat-value').inner_text().strip().isdigit(),
        "the live tiles filled from the wallboard socket",
    )
    assert page.locator('[data-live="ready"] .stat-value').inner_text().strip().isdigit()
    assert page.locator("#today .stat-card").count() >= 5
    visitor.check("reports-dashboard")

    # The top bar's Reports menu opens, then its link (apps/core/navigation.py groups).
    menu = page.locator("nav.mainnav details.navmenu", has=page.locator("a[href='/reports/list/']"))
    menu.locator("summary").click()
    page.locator("nav.mainnav a[href='/reports/list/']").click()
    page.wait_for_url(lambda url: url.endswith("/reports/list/"))
    visitor.check("reports-list")

    page.locator("a[href='/reports/r/queue_performance/']").click()
    page.wait_for_url(lambda url: "/reports/r/queue_performance/" in url)
    _chart_drawn(page, "#report-chart")
    assert page.locator("#report-table tbody tr").count() >= 1
    assert page.locator(".report-definitions dt").count() >= 5
    visitor.check("reports-queue-performance")

    # A figure opens the calls behind it: the queue's abandoned calls of the period.
    link = page.locator(f"#report-table tbody a[href*='queue={walk.queue_id}'][href*='abandoned=true']").first
    link.click()
    page.wait_for_url(lambda url: "/calls/" in url and "abandoned=true" in url)
    assert page.locator("table.grid tbody tr").count() >= 1
    visitor.check("reports-drill-down")
