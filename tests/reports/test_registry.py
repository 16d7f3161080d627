"""The report framework (apps/reports/registry.py): filters, registration, CSV/XLSX/PDF files."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django_tenants.utils import tenant_context

from apps.reports import registry
from apps.reports.registry import ReportParams, render_report
from tests.factories import QueueFactory
from tests.reports import framework_report

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def report():
    framework_report.install()
    yield registry.get(framework_report.CODE)
    framework_report.uninstall()


@pytest.fixture
def in_acme(acme):
    with tenant_context(acme.tenant):
        yield acme


def test_dates_are_local_midnights_and_until_is_exclusive(in_acme):
    params = ReportParams.from_query({"since": "2026-11-01", "until": "2026-12-01"})
    assert params.since == dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)
    assert params.until == dt.datetime(2026, 12, 1, tzinfo=SHANGHAI)


def test_naive_times_are_local_and_offsets_are_kept(in_acme):
    params = ReportParams.from_query({"since": "2026-11-01T08:00", "until": "2026-11-01T10:00:00+00:00"})
    assert params.since == dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC)
    assert params.until == dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC)


def test_default_is_the_last_seven_whole_days(in_acme):
    params = ReportParams.from_query({})
    now = dt.datetime.now(SHANGHAI)
    assert params.until == dt.datetime.combine(now.date(), dt.time(), tzinfo=SHANGHAI)
    assert params.until - params.since == dt.timedelta(days=7)


def test_ids_from_a_query_string_and_round_trip(in_acme):
    first, second = QueueFactory(), QueueFactory()
    query = QueryDict(f"since=2026-11-01&until=2026-11-02&queue={first.pk}&queue={second.pk}&interval_minutes=15")
    params = ReportParams.from_query(query)
    assert params.queue_ids == sorted([first.pk, second.pk])
    assert params.interval_minutes == 15
    assert ReportParams.from_query(params.as_query()) == params


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "until"),
        ({"since": "2026-11-02T10:00", "until": "2026-11-02T10:00"}, "until"),
        ({"since": "2020-01-01", "until": "2026-01-01"}, "until"),
        ({"queue": "abc"}, "queue"),
        ({"queue": [999999]}, "queue"),
        ({"agent": "999999"}, "agent"),
        ({"campaign_ids": [999999]}, "campaign"),
        ({"interval_minutes": "45"}, "interval_minutes"),
    ],
)
def test_bad_filters_name_their_field(in_acme, query, field):
    with pytest.raises(ValidationError) as caught:
        ReportParams.from_query(query)
    assert field in caught.value.message_dict


def test_another_tenants_queue_is_unknown(acme, globex):
    with tenant_context(globex.tenant):
        theirs = QueueFactory()
    with tenant_context(acme.tenant), pytest.raises(ValidationError) as caught:
        ReportParams.from_query({"queue": [theirs.pk + 100000]})
    assert "queue" in caught.value.message_dict


def test_register_get_and_list(report):
    assert registry.get(framework_report.CODE) is report
    assert report in registry.all_reports()
    with pytest.raises(KeyError):
        registry.get("no-such-report")


def test_a_code_belongs_to_one_report(report):
    class Other(registry.Report):
        code = framework_report.CODE

    with pytest.raises(ValueError):
        registry.register(Other)


def test_csv_has_header_rows_totals_and_is_formula_safe(in_acme, report):
    QueueFactory(name="=HYPERLINK(1)")
    QueueFactory(name="售后")
    params = ReportParams.from_query({"since": "2026-11-01", "until": "2026-11-02"})
    content, name, content_type = render_report(report, params, "csv")
    text = b"".join(content).decode("utf-8")

    assert name == "framework_test-20261101-20261101.csv"
    assert content_type.startswith("text/csv")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "Queue,Offered,Service level,From"
    assert "'=HYPERLINK(1)" in text and "售后" in text
    assert "2026-11-01T00:00:00+08:00" in text  # times in the tenant's zone
    assert lines[-1].startswith("Total,")


def test_xlsx_opens_with_the_same_cells(in_acme, report):
    from openpyxl import load_workbook

    QueueFactory(name="售后")
    params = ReportParams.from_query({"since": "2026-11-01", "until": "2026-11-02"})
    content, name, content_type = render_report(report, params, "xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.values)

    assert name.endswith(".xlsx") and "spreadsheetml" in content_type
    assert rows[0] == ("Queue", "Offered", "Service level", "From")
    assert "售后" in [row[0] for row in rows]
    assert rows[-1][0] == "Total"


def test_pdf_prints_title_filters_chart_table_and_definitions(in_acme, report, tmp_path):
    queue = QueueFactory(name="售后队列")
    params = ReportParams.from_query({"since": "2026-11-01", "until": "2026-12-01", "queue": [queue.pk]})
    content, name, content_type = render_report(report, params, "pdf")
    path = tmp_path / name
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout  # noqa: S603, S607

    assert content_type == "application/pdf"
    assert "Queues (framework test)" in text
    assert "2026-11-01 00:00 – 2026-12-01 00:00 (Asia/Shanghai)" in text  # the filters in words
    assert "售后队列" in text
    assert "Agents" not in text and "Interval length" not in text  # filters the report does not take
    assert "87.50%" in text
    assert "Service level" in text and "Calls answered within T seconds" in text  # the definition
    assert in_acme.tenant.name in text


def test_a_month_of_a_100_agent_queue_report_is_fast_and_small(in_acme):
    """A month by day for 100 agents' queues, with a 30-row table and its chart: ≤ 5 s (issue 13)."""

    class Month(registry.Report):
        code = "framework_month"
        title = "Queue performance"

        def columns(self, params):
            return [registry.Column("label", "Day")] + [
                registry.Column(key, key, "percent" if key.endswith("percent") else "count")
                for key in (
                    "offered",
                    "answered",
                    "abandoned",
                    "sl_percent",
                    "asa_seconds",
                    "aht_seconds",
                    "fcr_percent",
                )
            ]

        def rows(self, params):
            day = params.since
            rows = []
            while day < params.until:
                rows.append(
                    {
                        "label": f"{day:%m-%d}",
                        "offered": 4000,
                        "answered": 3900,
                        "abandoned": 100,
                        "sl_percent": 81.25,
                        "asa_seconds": 12.5,
                        "aht_seconds": 245.0,
                        "fcr_percent": 77.0,
                    }
                )
                day += dt.timedelta(days=1)
            return rows

        def chart(self, params, rows):
            return {
                "type": "line",
                "title": "SL",
                "categories": [r["label"] for r in rows],
                "series": [{"name": "SL", "data": [r["sl_percent"] for r in rows]}],
                "unit": "percent",
            }

    registry.register(Month)
    try:
        params = ReportParams.from_query({"since": "2026-11-01", "until": "2026-12-01"})
        render_report(registry.get("framework_month"), params, "pdf")  # warm: fontconfig, imports
        started = time.perf_counter()
        content, _, _ = render_report(registry.get("framework_month"), params, "pdf")
        seconds = time.perf_counter() - started
    finally:
        registry.unregister("framework_month")
    print(f"month PDF: {seconds:.2f} s, {len(content)} bytes")
    assert seconds < 5
    assert len(content) < 500_000


def test_pdf_in_chinese(in_acme, report, tmp_path):
    from django.utils import translation

    from tests.pending_po import pending_translations

    QueueFactory(name="售后队列")
    params = ReportParams.from_query({"since": "2026-11-01", "until": "2026-12-01"})
    with pending_translations("framework", "kpi"), translation.override("zh-hans"):
        content, name, _ = render_report(report, params, "pdf")
    path = tmp_path / name
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout  # noqa: S603, S607
    assert "筛选条件" in text and "时区" in text
    assert "售后队列" in text
