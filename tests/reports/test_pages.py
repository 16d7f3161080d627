"""The report pages: the dashboard, the catalogue, each standard report and its files, the KPI
settings — for supervisors and administrators, in English and Chinese; refused to agents; bad
filters answered with form errors, never a crash."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.reports import registry
from apps.reports.models import KpiSettings
from apps.reports.services.rollups import rollups_rebuild
from tests.accounts.helpers import web_login
from tests.pending_po import pending_translations
from tests.reports.test_catalog import CODES
from tests.telephony.call_factories import make_agent, make_queue, stored_call

LANGUAGES = ("en", "zh-hans")
# The zh-Hans fragments of these pages, until the integrator merges them into locale/zh_Hans.
PENDING = ("pages", "kpi", "framework")


@pytest.fixture
def calls_yesterday(acme):
    """A queue with an answered and an abandoned call yesterday (inside the reports' default
    period, the last 7 whole days) and one answered today (the dashboard's day)."""
    agent_user = acme.user(Role.AGENT, email="pages-agent@acme.test")
    with tenant_context(acme.tenant):
        queue = make_queue("pages-queue", name="Pages queue")
        agent = make_agent(agent_user)
        now = timezone.now()
        for arrived, answered in ((now - timedelta(days=1), True), (now - timedelta(days=1, minutes=5), False)):
            stored_call(
                queue=queue,
                agent=agent if answered else None,
                arrived_at=arrived,
                queued_at=arrived,
                answered_at=arrived + timedelta(seconds=8) if answered else None,
                ended_at=arrived + timedelta(seconds=60),
                wrapup_ended_at=arrived + timedelta(seconds=70) if answered else None,
                wait_seconds=8 if answered else 40,
                talk_seconds=52 if answered else 0,
                answered_within_sl=True if answered else None,
                sl_threshold_seconds=15,
                abandoned=not answered,
                status="ended",
            )
        rollups_rebuild(since=now - timedelta(days=2), until=now + timedelta(minutes=15))
    return queue


@pytest.fixture
def supervisor(acme):
    return web_login(acme, acme.user(Role.SUPERVISOR, email="pages-supervisor@acme.test").email)


def _get(client, path: str, language: str = "en"):
    client.cookies["django_language"] = language
    return client.get(path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_dashboard_and_catalogue_render_for_a_supervisor(supervisor, calls_yesterday, language):
    with pending_translations(*PENDING):
        page = _get(supervisor, "/reports/", language)
    assert page.status_code == 200
    html = page.content.decode()
    assert ("<h1>仪表盘</h1>" if language == "zh-hans" else "<h1>Dashboard</h1>") in html
    assert f'<html lang="{language}">' in html
    assert 'id="dashboard-live-config"' in html and "js/report_dashboard.js" in html
    assert 'id="trend-1-data"' in html  # yesterday's calls make a trend
    assert "Pages queue" in html
    assert "/reports/settings/" not in html  # administrators only
    listing = _get(supervisor, "/reports/list/", language).content.decode()
    for code in CODES:
        assert f'href="/reports/r/{code}/"' in listing


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", sorted(CODES))
def test_each_report_renders_with_chart_table_and_definitions(supervisor, calls_yesterday, code, language):
    with pending_translations(*PENDING):
        response = _get(supervisor, f"/reports/r/{code}/", language)
        with translation.override(language):
            title = str(registry.get(code).title)
            definitions = str(_("Definitions"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{title}</h1>" in html and definitions in html
    if language == "zh-hans":
        assert re.search("[\u4e00-\u9fff]", title), title  # the title is Chinese, not the English msgid
    assert 'class="filter-bar"' in html
    assert 'class="grid" data-sortable' in html
    assert "report-definitions" in html
    for fmt in ("csv", "xlsx", "pdf"):
        assert f"/reports/r/{code}/export/{fmt}/?since=" in html
    if code in ("queue_performance", "interval", "abandons"):
        assert 'id="report-chart-data"' in html and "js/report_chart.js" in html
        assert 'href="/calls/?since=' in html or 'href="/calls/' in html


def test_schedule_button_carries_the_report_and_its_filters(supervisor, calls_yesterday):
    html = supervisor.get(f"/reports/r/interval/?queue={calls_yesterday.pk}&interval_minutes=15").content.decode()
    match = re.search(r'href="(/reports/schedules/new/\?[^"]+)"', html)
    assert match is not None
    link = match.group(1).replace("&amp;", "&")
    assert "report=interval" in link and f"queue={calls_yesterday.pk}" in link and "interval_minutes=15" in link
    form = supervisor.get(link).content.decode()
    assert 'value="interval" selected' in form
    assert "/reports/schedules/" in supervisor.get("/reports/").content.decode()


def test_queue_report_figures_link_to_the_calls_behind_them(supervisor, calls_yesterday):
    html = _get(supervisor, "/reports/r/queue_performance/").content.decode()
    links = re.findall(r'href="(/calls/\?[^"]+)"', html)
    assert any(f"queue={calls_yesterday.pk}" in link and "abandoned=true" in link for link in links)


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("since=yesterday", "since", "Enter a valid date."),
        ("since=2025-03-10&until=2025-03-01", "until", "The last day is before the first day."),
        ("since=2020-01-01&until=2025-03-01", "until", "A report covers at most"),
        ("queue=999999", "queue", "Select a valid choice."),
        ("since=9999-12-30&until=9999-12-31", "since", "Choose a day between 2000-01-01 and"),
        ("since=0001-01-01&until=0001-01-02", "since", "Choose a day between 2000-01-01 and"),
        ("since=2025-02-30", "since", "Enter a valid date."),
        ("queue=99999999999999999999", "queue", "Select a valid choice."),
        ("queue=abc", "queue", "Select a valid choice."),
        ("interval_minutes=7", "interval_minutes", "Select a valid choice."),
    ],
)
def test_bad_filters_are_form_errors_not_crashes(supervisor, query, field, message):
    code = "interval" if field == "interval_minutes" else "queue_performance"
    response = _get(supervisor, f"/reports/r/{code}/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error"' in html and message in html
    assert "report-chart-data" not in html and "/export/" not in html
    export = supervisor.get(f"/reports/r/{code}/export/csv/?{query}")
    assert export.status_code == 400
    assert message in export.content.decode()


@pytest.mark.parametrize(
    "fmt, content_type",
    [
        ("csv", "text/csv"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pdf", "application/pdf"),
    ],
)
def test_exports_have_the_right_content_type(supervisor, calls_yesterday, fmt, content_type):
    response = supervisor.get(f"/reports/r/queue_performance/export/{fmt}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert "attachment" in response["Content-Disposition"] and f".{fmt}" in response["Content-Disposition"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        assert "Pages queue" in body.decode("utf-8-sig")
    elif fmt == "pdf":
        assert body.startswith(b"%PDF")
    else:
        assert body.startswith(b"PK")


@pytest.mark.parametrize(
    "language, message",
    [
        ("en", "More rows than one XLSX sheet holds (2); export CSV or choose a shorter period."),
        ("zh-hans", "行数超过单个 XLSX 工作表的上限（2）；请导出 CSV 或选择较短的期间。"),
    ],
)
def test_an_xlsx_too_large_for_one_sheet_is_a_400_with_the_message(
    supervisor, calls_yesterday, monkeypatch, language, message
):
    """The sheet limit lowered to 2 rows: the header, one queue row and the totals no longer fit.
    The page answers 400 in the user's language, like a bad filter; CSV still downloads."""
    monkeypatch.setattr(registry.exports, "XLSX_MAX_ROWS", 2)
    with pending_translations(*PENDING):
        response = _get(supervisor, "/reports/r/queue_performance/export/xlsx/", language)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == message
    csv = supervisor.get("/reports/r/queue_performance/export/csv/")
    assert csv.status_code == 200
    assert "Pages queue" in b"".join(csv.streaming_content).decode("utf-8-sig")


def test_unknown_report_and_format_are_404(supervisor):
    assert supervisor.get("/reports/r/nothing/").status_code == 404
    assert supervisor.get("/reports/r/interval/export/doc/").status_code == 404


def test_agents_are_refused_every_report_page(acme):
    agent = web_login(acme, acme.user(Role.AGENT, email="pages-refused@acme.test").email)
    for path in (
        "/reports/",
        "/reports/list/",
        "/reports/r/interval/",
        "/reports/r/interval/export/csv/",
        "/reports/settings/",
    ):
        assert agent.get(path).status_code == 403, path


def test_kpi_settings_page_is_for_administrators_and_validates(acme, supervisor):
    assert supervisor.get("/reports/settings/").status_code == 403
    admin = web_login(acme, acme.admin_email)
    assert 'href="/reports/settings/"' in admin.get("/reports/").content.decode()
    for language in LANGUAGES:
        assert _get(admin, "/reports/settings/", language).status_code == 200
    valid = {
        "fcr_window_hours": "48",
        "fcr_resolved_counts": "on",
        "short_abandons_excluded": "on",
        "abandon_rate_target_percent": "3",
        "asa_target_seconds": "20",
        "fcr_target_percent": "85",
        "occupancy_target_percent": "75",
    }
    bad = admin.post("/reports/settings/", {**valid, "fcr_window_hours": "0", "fcr_target_percent": "150"})
    assert bad.status_code == 200
    assert bad.content.decode().count('class="error"') >= 2
    with tenant_context(acme.tenant):
        assert KpiSettings.objects.get().fcr_window_hours == 72  # unchanged
    good = admin.post("/reports/settings/", valid)
    assert good.status_code == 302
    with tenant_context(acme.tenant):
        saved = KpiSettings.objects.get()
        assert (saved.fcr_window_hours, saved.asa_target_seconds, saved.fcr_resolved_counts) == (48, 20, True)


def test_dashboard_tiles_compare_today_with_the_targets(acme, supervisor, calls_yesterday):
    with tenant_context(acme.tenant):
        now = timezone.now()
        # A minute ago, but never before the tenant's midnight: the tile is about *today*, and
        # a run just after midnight (CI runs at any hour) must not put the call on yesterday.
        midnight = timezone.localtime(now, ZoneInfo(acme.tenant.time_zone)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        arrived = max(now - timedelta(minutes=1), midnight)
        stored_call(
            queue=calls_yesterday,
            arrived_at=arrived,
            queued_at=arrived,
            ended_at=now,
            wait_seconds=50,
            abandoned=True,
            sl_threshold_seconds=15,
            status="ended",
        )
        rollups_rebuild(since=now - timedelta(hours=1), until=now + timedelta(minutes=15))
    html = supervisor.get("/reports/").content.decode()
    # One call today, abandoned: abandon rate 100% against a 2% target is red, with its definition.
    assert re.search(r'class="card stat-card stat-bad"[^>]*title="Abandoned calls ÷ offered calls', html)
    assert "100.0%" in html


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_report_prints_as_pdf_and_csv(supervisor, calls_yesterday, code):
    """Each report's chart spec and rows go through the framework's files (the PDF draws the
    chart as SVG and refuses a malformed spec)."""
    pdf = supervisor.get(f"/reports/r/{code}/export/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    csv = supervisor.get(f"/reports/r/{code}/export/csv/")
    assert csv.status_code == 200
    assert b"".join(csv.streaming_content).decode("utf-8-sig").strip()


def test_reports_show_only_the_own_tenants_calls(acme, globex, supervisor, calls_yesterday):
    with tenant_context(globex.tenant):
        other = make_queue("pages-globex", name="Globex only queue")
        arrived = timezone.now() - timedelta(days=1)
        stored_call(
            queue=other, arrived_at=arrived, queued_at=arrived, ended_at=arrived, abandoned=True, status="ended"
        )
        rollups_rebuild(since=arrived - timedelta(hours=1), until=arrived + timedelta(hours=1))
    for path in ("/reports/", "/reports/r/queue_performance/", "/reports/r/abandons/"):
        html = supervisor.get(path).content.decode()
        assert "Globex only queue" not in html, path
    csv = b"".join(supervisor.get("/reports/r/abandons/export/csv/").streaming_content).decode("utf-8-sig")
    assert "Globex only queue" not in csv and "Pages queue" in csv
