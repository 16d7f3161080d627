"""The staffing pages (day, calculator, what-if, adherence) and the staffing reports: figures
on the page, gaps highlighted, bad input → 400, who may see them, and another tenant's data
never shown."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.reports import registry
from apps.reports.registry import ReportParams, render_report
from apps.workforce.choices import ShiftStatus
from apps.workforce.models import Shift, ShiftType
from apps.workforce.reports.staffing import forecast_accuracy_rows
from apps.workforce.views.staffing import staffing_day_context
from tests.accounts.helpers import web_login
from tests.factories import QueueFactory, UserFactory
from tests.pending_po import pending_translations
from tests.workforce.test_adherence import ann_world  # noqa: F401 -- the fixture
from tests.workforce.test_staffing import _history, at

TARGET = dt.date(2025, 3, 31)  # a Monday after four weeks of history


@pytest.fixture
def staffed(acme):
    """History: 50 calls per half hour 10:00–11:00 on every day of March 3–30 (→ 12 staff at
    10:00 and 10:30); roster: two published agents 09:00–17:00 (no break) on the target day."""
    with tenant_context(acme.tenant):
        queue = QueueFactory(name="Hotline", sl_target_percent=80, sl_threshold_seconds=20)
        _history(queue, first=dt.date(2025, 3, 3), days=28, calls_per_bucket={10: 25})
        day_type = ShiftType.objects.create(code="D", name="Day", start=dt.time(9), end=dt.time(17))
        for _ in range(2):
            Shift.objects.create(
                user=UserFactory(roles=[Role.AGENT]),
                date=TARGET,
                shift_type=day_type,
                start=at(TARGET, 9),
                end=at(TARGET, 17),
                status=ShiftStatus.PUBLISHED,
            )
    return queue


def _client(world, *roles):
    with tenant_context(world.tenant):
        user = world.user(*roles)
    return web_login(world, user.email)


def test_staffing_day_shows_requirement_against_roster_with_gaps(acme, staffed):
    with tenant_context(acme.tenant):
        context = staffing_day_context(TARGET)
    ten = context["intervals"][20]
    assert (ten["label"], ten["calls"], ten["required"], ten["scheduled"], ten["shortfall"]) == (
        "10:00",
        50.0,
        12,
        2,
        10,
    )
    assert context["intervals"][18]["required"] == 0 and context["intervals"][18]["scheduled"] == 2
    assert context["gap_count"] == 2
    assert context["shortfall_hours"] == 10.0
    assert context["chart"]["series"][0]["data"][20] == 12
    client = _client(acme, Role.SUPERVISOR)
    page = client.get(f"/workforce/staffing/?day={TARGET}", HTTP_HOST=acme.host)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-slot="20" class="wf-gap-row"' in html
    assert 'id="staffing-chart-data"' in html
    assert "Hotline" in html


def test_a_bad_day_is_answered_400(acme):
    client = _client(acme, Role.HR)
    assert client.get("/workforce/staffing/?day=2025-02-30", HTTP_HOST=acme.host).status_code == 400
    assert client.get("/workforce/staffing/what-if/?day=nope", HTTP_HOST=acme.host).status_code == 400
    assert (
        client.get("/workforce/staffing/adherence/?since=2025-03-05&until=2025-03-01", HTTP_HOST=acme.host).status_code
        == 400
    )


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.HR, Role.TENANT_ADMIN])
def test_supervisors_hr_and_administrators_see_the_pages(acme, role):
    client = _client(acme, role)
    for url in (
        "/workforce/staffing/",
        "/workforce/staffing/calculator/",
        "/workforce/staffing/what-if/",
        "/workforce/staffing/adherence/",
    ):
        assert client.get(url, HTTP_HOST=acme.host).status_code == 200, url


def test_agents_are_refused_and_strangers_sent_to_log_in(acme):
    client = _client(acme, Role.AGENT)
    for url in (
        "/workforce/staffing/",
        "/workforce/staffing/calculator/",
        "/workforce/staffing/what-if/",
        "/workforce/staffing/adherence/",
    ):
        assert client.get(url, HTTP_HOST=acme.host).status_code == 403, url
    assert acme.client().get("/workforce/staffing/", HTTP_HOST=acme.host).status_code == 302


def test_the_calculator_gives_people_per_seat_and_the_domain_erlang_example(acme):
    client = _client(acme, Role.SUPERVISOR)
    page = client.get(
        "/workforce/staffing/calculator/?seat_hours_per_day=14&working_days_per_month=30&monthly_legal_hours=174&seats=20",
        HTTP_HOST=acme.host,
    )
    assert page.status_code == 200
    assert page.context["per_seat"] == 2.41 and page.context["people"] == 48.3
    page = client.get(
        "/workforce/staffing/calculator/?calls=100&interval_minutes=30&aht_seconds=180&sl_target_percent=80"
        "&sl_threshold_seconds=20&max_occupancy_percent=100&shrinkage_percent=30",
        HTTP_HOST=acme.host,
    )
    erlang = page.context["erlang"]
    assert (erlang["agents"], erlang["staff"], erlang["service_level"], erlang["wait_probability"]) == (
        14,
        20,
        88.8,
        17.4,
    )
    bad = client.get(
        "/workforce/staffing/calculator/?seat_hours_per_day=30&working_days_per_month=30&monthly_legal_hours=174",
        HTTP_HOST=acme.host,
    )
    assert bad.status_code == 400


def test_the_what_if_simulates_the_roster_and_reports_its_service_level(acme, staffed):
    client = _client(acme, Role.SUPERVISOR)
    page = client.get(f"/workforce/staffing/what-if/?day={TARGET}", HTTP_HOST=acme.host)
    assert page.status_code == 200
    result = page.context["result"]
    rows = {row["slot"]: row for row in result["rows"]}
    # Two agents for 100 calls an hour of 180 s (5 Erlangs): the queue grows, nearly nobody is
    # answered within 20 s; Erlang C says 0 as N ≤ A.
    assert rows[20]["agents"] == 2 and rows[20]["calls"] == 50.0
    assert rows[20]["erlang_service_level"] == 0.0
    assert rows[20]["service_level"] < 30
    assert result["service_level"] < 30 and not result["partial"]


def test_the_adherence_page_lists_people_and_teams(acme, ann_world):  # noqa: F811
    client = _client(acme, Role.HR)
    page = client.get("/workforce/staffing/adherence/?since=2025-03-03&until=2025-03-03", HTTP_HOST=acme.host)
    assert page.status_code == 200
    assert [row["adherence_percent"] for row in page.context["people"]] == [86.5]
    assert page.context["teams"][0]["team"] == "Red"


def test_the_adherence_report_rows_and_csv(acme, ann_world):  # noqa: F811
    with tenant_context(acme.tenant):
        params = ReportParams.from_query({"since": "2025-03-03", "until": "2025-03-04"})
        report = registry.get("workforce_adherence")
        rows = report.rows(params)
        content, name, _type = render_report(report, params, "csv")
    assert [(row["user"], row["adherence_percent"], row["conformance_percent"]) for row in rows] == [
        ("Ann", 86.5, 88.1)
    ]
    lines = list(csv.reader(io.StringIO(b"".join(content).decode("utf-8").lstrip("\ufeff"))))
    assert lines[0][:3] == ["Person", "E-mail", "Team"]
    assert lines[1][0] == "Ann"


def test_forecast_accuracy_compares_each_days_forecast_with_what_was_offered(acme, staffed):
    with tenant_context(acme.tenant):
        # Two more days as history predicts them, then a day with twice the calls.
        _history(staffed, first=TARGET, days=2, calls_per_bucket={10: 25})
        _history(staffed, first=TARGET + dt.timedelta(days=2), days=1, calls_per_bucket={10: 50})
        rows = forecast_accuracy_rows(since=TARGET, until=TARGET + dt.timedelta(days=3), queue_ids=[staffed.pk])
        report = registry.get("workforce_forecast_accuracy")
        params = ReportParams.from_query(
            {"since": str(TARGET), "until": str(TARGET + dt.timedelta(days=3)), "queue": staffed.pk}
        )
        assert report.rows(params)[0]["actual_calls"] == 400
    assert rows == [
        {
            "queue_id": staffed.pk,
            "queue": "Hotline",
            "forecast_calls": 300.0,
            "actual_calls": 400,
            "wape_percent": 25.0,
            "bias_percent": -25.0,
        }
    ]


def test_another_tenants_roster_and_history_stay_out_of_the_page(acme, globex, staffed):
    client = _client(globex, Role.SUPERVISOR)
    page = client.get(f"/workforce/staffing/?day={TARGET}", HTTP_HOST=globex.host)
    assert page.status_code == 200
    assert "Hotline" not in page.content.decode()
    assert all(row["required"] == 0 and row["scheduled"] == 0 for row in page.context["intervals"])


def test_the_staffing_pages_speak_chinese(acme, staffed):
    client = _client(acme, Role.SUPERVISOR)
    client.cookies["django_language"] = "zh-hans"
    with pending_translations("workforce-core", "workforce-staffing"):
        day = client.get(f"/workforce/staffing/?day={TARGET}", HTTP_HOST=acme.host).content.decode()
        calculator = client.get("/workforce/staffing/calculator/", HTTP_HOST=acme.host).content.decode()
        report = client.get("/reports/list/", HTTP_HOST=acme.host).content.decode()
    assert "人力配置" in day and "需求人数" in day and "人手不足的半小时数" in day
    assert "每座席人数" in calculator and "按 Erlang C 计算单个时段" in calculator
    assert "排班遵守率" in report and "预测准确度" in report
