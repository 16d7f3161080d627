"""The QA reports (issue 14 item 9) on hand-made evaluations: each report's rows, its CSV/XLSX
files and one PDF, the team / scorecard / grain filters and who may read them.

The world, in March 2025 (Asia/Shanghai; weeks from Monday 3 and 10 March), on the default
scorecard of tests/qa/factories.py (points 1, 1, 2, 5, 10, 1; Greeting weight 1, Resolution 3):

    #1  Ann (team Red),        queue One, by Eve,  3 Mar,  perfect                     → 100
    #2  Ann,                   queue One, by Finn, 5 Mar,  resolved 3 of 5              → (100 + 3·17/21·100) / 4 = 85.7143
    #3  Bob (teams Red, Blue), queue Two, by Eve, 11 Mar,  compliance "no" (form)       → 0
    #4  Cat (no team),         queue Two, by Eve, 11 Mar,  not verified (section), N/A  → (0 + 3·100) / 4 = 75
    a draft of Ann's call and a calibration evaluation: never in a score.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.qa.choices import DisputeStatus
from apps.qa.models import CalibrationSession, Dispute, Evaluation
from apps.qa.services.calibration import calibration_close, calibration_create
from apps.reports import registry
from apps.reports.registry import ReportParams, render_report
from tests.accounts.helpers import web_login
from tests.factories import QueueFactory
from tests.pending_po import pending_translations
from tests.qa.factories import PERFECT, make_agent_call, make_evaluation, make_scorecard, make_team, qa_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = {"since": "2025-03-01", "until": "2025-04-01"}


def local(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, tzinfo=SHANGHAI)


def _submitted(evaluation: Evaluation, day: int, seconds: int) -> Evaluation:
    """Place an evaluation in the past: submitted on ``day`` of March 2025, ``seconds`` after its first save."""
    at = local(day)
    Evaluation.objects.filter(pk=evaluation.pk).update(submitted_at=at, created_at=at - dt.timedelta(seconds=seconds))
    return evaluation


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        ann = qa_user(Role.AGENT, name="Ann")
        bob = qa_user(Role.AGENT, name="Bob")
        cat = qa_user(Role.AGENT, name="Cat")
        eve, finn = qa_user(name="Eve"), qa_user(name="Finn")
        lead = qa_user(Role.QA_LEAD, name="Lena")
        red = make_team(name="Red", members=[ann, bob])
        blue = make_team(name="Blue", members=[bob])
        one = QueueFactory(name="One", wrapup_seconds=0)
        two = QueueFactory(name="Two", wrapup_seconds=0)
        scorecard = make_scorecard(name="Service")

        def evaluate(agent, queue, evaluator, values, day, seconds):
            call = make_agent_call(agent, queue=queue, recording_seconds=None)
            return _submitted(make_evaluation(call, scorecard, evaluator, values), day, seconds)

        first = evaluate(ann, one, eve, PERFECT, 3, 600)
        second = evaluate(ann, one, finn, [True, True, True, 3, 10, True], 5, 120)
        third = evaluate(bob, two, eve, [True, True, True, 5, 10, False], 11, 300)
        fourth = evaluate(cat, two, eve, [True, "na", False, 5, 10, True], 11, 900)
        make_evaluation(make_agent_call(ann, queue=one, recording_seconds=None), scorecard, finn, submit=False)

        # A calibration on another of Ann's calls, closed on 4 March: Eve matches the lead, Finn
        # said N/A to "gave their name" and 4 of 5 for "resolved" → (7 − 1 − 0.2·2) / 7 = 80 %.
        session = calibration_create(
            actor=lead,
            title="March calibration",
            call=make_agent_call(ann, queue=one, recording_seconds=None).uid,
            scorecard=scorecard.pk,
            participants=[eve.pk, finn.pk],
            benchmark_mode="lead",
        )
        make_evaluation(session.call, scorecard, lead, PERFECT, calibration=session)
        make_evaluation(session.call, scorecard, eve, PERFECT, calibration=session)
        finns = make_evaluation(session.call, scorecard, finn, [True, "na", True, 4, 10, True], calibration=session)
        _submitted(finns, 4, 60)
        calibration_close(actor=lead, session=session)
        CalibrationSession.objects.filter(pk=session.pk).update(closed_at=local(4, 18))

        Dispute.objects.create(evaluation=first, reason="I did greet", status=DisputeStatus.REJECTED)
        Dispute.objects.create(evaluation=third, reason="Compliance was fine", status=DisputeStatus.ACCEPTED)
        Dispute.objects.create(evaluation=fourth, reason="I verified", status=DisputeStatus.OPEN)
        yield {
            "acme": acme,
            "people": {"ann": ann, "bob": bob, "cat": cat, "eve": eve, "finn": finn, "lead": lead},
            "teams": {"red": red, "blue": blue},
            "queues": {"one": one, "two": two},
            "scorecard": scorecard,
            "evaluations": [first, second, third, fourth],
        }


def _rows(code: str, **query):
    report = registry.get(code)
    params = ReportParams.from_query({**MARCH, **query})
    rows, totals = report.rows_and_totals(params)
    return report, params, rows, totals


def _pick(rows, *keys):
    return [tuple(str(row[key]) if key == "label" else row[key] for key in keys) for row in rows]


FIGURES = ("period", "label", "evaluations", "score_mean", "score_min", "score_max", "critical_failed")


def test_score_by_agent_per_week_with_totals(world):
    _report, _params, rows, totals = _rows("qa_score_agent", grain="week")
    assert _pick(rows, *FIGURES, "critical_failed_percent") == [
        ("2025-03-03", "Ann", 2, 92.86, 85.71, 100.0, 0, 0.0),
        ("2025-03-10", "Bob", 1, 0.0, 0.0, 0.0, 1, 100.0),
        ("2025-03-10", "Cat", 1, 75.0, 75.0, 75.0, 1, 100.0),
    ]
    assert totals is not None
    assert (totals["evaluations"], totals["score_mean"], totals["critical_failed_percent"]) == (4, 65.18, 50.0)


def test_score_by_team_counts_an_agent_in_each_team_and_the_filter_keeps_one(world):
    _report, _params, rows, _totals = _rows("qa_score_team", grain="week")
    assert _pick(rows, *FIGURES) == [
        ("2025-03-03", "Red", 2, 92.86, 85.71, 100.0, 0),
        ("2025-03-10", "(no team)", 1, 75.0, 75.0, 75.0, 1),
        ("2025-03-10", "Blue", 1, 0.0, 0.0, 0.0, 1),
        ("2025-03-10", "Red", 1, 0.0, 0.0, 0.0, 1),
    ]
    _report, _params, rows, totals = _rows("qa_score_team", grain="month", team=world["teams"]["blue"].pk)
    assert _pick(rows, *FIGURES) == [("2025-03", "Blue", 1, 0.0, 0.0, 0.0, 1)]
    assert totals is not None and totals["evaluations"] == 1


def test_score_by_queue_and_the_agent_and_scorecard_filters(world):
    _report, _params, rows, _totals = _rows("qa_score_queue", grain="week")
    assert _pick(rows, "period", "label", "evaluations", "score_mean") == [
        ("2025-03-03", "One", 2, 92.86),
        ("2025-03-10", "Two", 2, 37.5),
    ]
    ann_agent = world["people"]["ann"].agent.pk
    _report, _params, rows, _totals = _rows("qa_score_queue", grain="month", agent=ann_agent)
    assert _pick(rows, "period", "label", "evaluations") == [("2025-03", "One", 2)]
    other = make_scorecard(name="Sales")
    _report, _params, rows, totals = _rows("qa_score_queue", scorecard=other.pk)
    assert rows == [] and totals is None


def test_score_by_day_skips_days_without_evaluations_but_the_chart_has_them(world):
    report, params, rows, _totals = _rows("qa_score_agent", since="2025-03-03", until="2025-03-06")
    assert _pick(rows, "period", "label", "evaluations") == [("2025-03-03", "Ann", 1), ("2025-03-05", "Ann", 1)]
    chart = report.chart(params, rows)
    assert chart["categories"] == ["2025-03-03", "2025-03-04", "2025-03-05"]
    assert chart["series"] == [{"name": "Ann", "data": [100.0, None, 85.71]}]


def test_score_by_question(world):
    _report, _params, rows, _totals = _rows("qa_score_question", grain="month")
    keys = ("question", "answered", "not_applicable", "missed", "points_percent", "miss_rate")
    assert _pick(rows, *keys) == [
        ("Greeted the caller by the script", 4, 0, 0, 100.0, 0.0),
        ("Gave their name", 3, 1, 0, 100.0, 0.0),
        ("Verified the caller's identity", 4, 0, 1, 75.0, 25.0),
        ("Resolved the request", 4, 0, 1, 90.0, 25.0),  # 5 + 3 + 5 + 5 of 20
        ("Wrap-up notes complete", 4, 0, 0, 100.0, 0.0),
        ("No compliance breach", 4, 0, 1, 75.0, 25.0),
    ]
    assert {row["period"] for row in rows} == {"2025-03"}


def test_most_missed_questions_first(world):
    _report, _params, rows, _totals = _rows("qa_missed_questions")
    assert _pick(rows, "question", "critical_label", "missed", "miss_rate") == [
        ("Verified the caller's identity", "Critical to its section", 1, 25.0),
        ("Resolved the request", "", 1, 25.0),
        ("No compliance breach", "Critical to the whole form", 1, 25.0),
        ("Greeted the caller by the script", "", 0, 0.0),
        ("Gave their name", "", 0, 0.0),
        ("Wrap-up notes complete", "", 0, 0.0),
    ]


def test_critical_failure_rate(world):
    _report, _params, rows, totals = _rows("qa_critical_failures", grain="week")
    keys = ("period", "evaluations", "critical_failed", "critical_failed_percent", "form_failed", "section_failed")
    assert _pick(rows, *keys) == [("2025-03-03", 2, 0, 0.0, 0, 0), ("2025-03-10", 2, 2, 100.0, 1, 1)]
    assert totals is not None
    assert [totals[key] for key in keys[1:]] == [4, 2, 50.0, 1, 1]


def test_dispute_rate_and_accepted_share(world):
    _report, _params, rows, totals = _rows("qa_disputes", grain="week")
    keys = ("period", "evaluations", "disputes", "disputed", "dispute_rate", "accepted", "rejected", "open")
    assert _pick(rows, *keys, "accepted_percent") == [
        ("2025-03-03", 2, 1, 1, 50.0, 0, 1, 0, 0.0),
        ("2025-03-10", 2, 2, 2, 100.0, 1, 0, 1, 100.0),
    ]
    assert totals is not None
    assert [totals[key] for key in (*keys[1:], "accepted_percent")] == [4, 3, 3, 75.0, 1, 1, 1, 50.0]


def test_evaluator_throughput(world):
    _report, _params, rows, _totals = _rows("qa_evaluator_throughput", grain="week")
    keys = ("period", "label", "evaluations", "seconds_mean", "score_mean", "calibrations")
    # Eve's calibration evaluation was submitted today (outside March 2025); Finn's was moved to 4 March.
    assert _pick(rows, *keys) == [
        ("2025-03-03", "Eve", 1, 600.0, 100.0, 0),
        ("2025-03-03", "Finn", 1, 120.0, 85.71, 1),
        ("2025-03-10", "Eve", 2, 600.0, 37.5, 0),
    ]


def test_evaluator_alignment_over_time(world):
    report, params, rows, _totals = _rows("qa_evaluator_alignment", grain="month")
    assert _pick(rows, "period", "label", "sessions", "alignment_percent") == [
        ("2025-03", "Eve", 1, 100.0),
        ("2025-03", "Finn", 1, 80.0),
    ]
    assert report.chart(params, rows)["series"] == [
        {"name": "Eve", "data": [100.0]},
        {"name": "Finn", "data": [80.0]},
    ]
    _report, _params, rows, _totals = _rows("qa_evaluator_alignment", since="2025-03-05", until="2025-04-01")
    assert rows == []


def test_every_qa_report_defines_its_figures(world):
    for report in registry.all_reports():
        if not report.code.startswith("qa_"):
            continue
        params = ReportParams.from_query(MARCH)
        terms = [term for term, _text in report.definitions(params)]
        labels = {str(column.label) for column in report.columns(params)} - {"Period", "Agent", "Team", "Queue"}
        labels -= {"Evaluator", "Scorecard", "Section"}
        defined = {*terms, *(part.strip() for term in terms for part in term.split(" / "))}
        assert labels <= defined, report.code


def test_filters_are_checked(world):
    for query, field in (
        ({"team": "red"}, "team"),
        ({"team": [999999]}, "team"),
        ({"scorecard": [999999]}, "scorecard"),
        ({"grain": "year"}, "grain"),
    ):
        with pytest.raises(ValidationError) as caught:
            ReportParams.from_query({**MARCH, **query})
        assert field in caught.value.message_dict
    params = ReportParams.from_query({**MARCH, "team": world["teams"]["red"].pk, "grain": "week"})
    assert params.chosen("team") == [world["teams"]["red"].pk] and params.grain == "week"
    assert ReportParams.from_query(params.as_query()) == params
    assert ("Team", "Red") in params.words(("team", "grain"))
    assert ("Grouped by", "Week") in params.words(("team", "grain"))


def test_csv_and_xlsx_files(world):
    from openpyxl import load_workbook

    report = registry.get("qa_score_agent")
    params = ReportParams.from_query({**MARCH, "grain": "week"})
    content, name, _type = render_report(report, params, "csv")
    lines = list(csv.reader(io.StringIO(b"".join(content).decode("utf-8").lstrip("\ufeff"))))
    assert name == "qa_score_agent-20250301-20250331.csv"
    assert lines[0] == [
        "Period",
        "Agent",
        "Evaluations",
        "Mean score",
        "Lowest score",
        "Highest score",
        "Critical failures",
        "Critical failure rate",
    ]
    assert lines[1][:4] == ["2025-03-03", "Ann", "2", "92.86"]
    assert lines[-1][:4] == ["", "Total", "4", "65.18"]

    content, name, _type = render_report(registry.get("qa_disputes"), params, "xlsx")
    sheet = list(load_workbook(io.BytesIO(content)).active.values)
    assert sheet[0][:5] == ("Period", "Evaluations", "Disputes", "Disputed evaluations", "Dispute rate")
    assert sheet[1][:5] == ("2025-03-03", 2, 1, 1, 50)
    assert sheet[-1][:5] == ("Total", 4, 3, 3, 75)


def test_pdf_prints_the_report_its_filters_and_definitions(world, tmp_path):
    params = ReportParams.from_query({**MARCH, "grain": "week", "team": world["teams"]["red"].pk})
    content, name, content_type = render_report(registry.get("qa_score_agent"), params, "pdf")
    path = tmp_path / name
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout  # noqa: S603, S607
    assert content_type == "application/pdf"
    assert "QA score by agent" in text
    assert "Red" in text and "Week" in text  # the filters in words
    assert "92.86" in text
    assert "Critical failure rate" in text and "drafts and" in text  # the definitions


# --- who reads them ------------------------------------------------------------------------------


def test_qa_roles_read_qa_reports_and_only_those(world):
    acme = world["acme"]
    analyst = web_login(acme, world["people"]["eve"].email)
    listing = analyst.get("/reports/list/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "QA score by agent" in text and "QA evaluator alignment" in text
    assert "Queue performance" not in text and "Report schedules" not in text
    page = analyst.get("/reports/r/qa_score_agent/?since=2025-03-01&until=2025-03-31&grain=week")
    assert page.status_code == 200 and "92.86" in page.content.decode()
    assert analyst.get("/reports/r/qa_disputes/export/csv/?since=2025-03-01&until=2025-03-31").status_code == 200
    assert analyst.get("/reports/r/queue_performance/").status_code == 403

    agent = web_login(acme, world["people"]["ann"].email)
    assert agent.get("/reports/list/").status_code == 403
    assert agent.get("/reports/r/qa_score_agent/").status_code == 403

    supervisor = web_login(acme, qa_user(Role.SUPERVISOR).email)
    listing = supervisor.get("/reports/list/").content.decode()
    assert "QA score by team" in listing and "Queue performance" in listing and "Report schedules" in listing


def test_a_bad_filter_on_a_qa_report_page_is_shown_not_computed(world):
    analyst = web_login(world["acme"], world["people"]["eve"].email)
    response = analyst.get("/reports/r/qa_score_agent/export/xlsx/?since=2025-03-01&until=2025-03-31&team=999999")
    assert response.status_code == 400
    page = analyst.get("/reports/r/qa_score_agent/?since=2025-03-01&until=2025-03-31&grain=year")
    assert page.status_code == 200 and "92.86" not in page.content.decode()


class LeadsOnly(registry.Report):
    code = "qa_test_leads_only"
    title = "Leads only"
    roles = (Role.QA_LEAD,)

    def columns(self, params):
        return []

    def rows(self, params):
        return []


def test_runs_api_takes_qa_reports_and_refuses_a_report_the_requester_may_not_read(world):
    supervisor = qa_user(Role.SUPERVISOR)
    api = world["acme"].api(supervisor)
    body = {"format": "csv", **MARCH, "filters": {"grain": "week", "team": [world["teams"]["red"].pk]}}
    response = api.post("/api/v1/reports/runs", {"report": "qa_score_agent", **body}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["params"]["grain"] == "week"
    assert response.json()["params"]["team"] == [world["teams"]["red"].pk]
    registry.register(LeadsOnly)
    try:
        refused = api.post("/api/v1/reports/runs", {"report": LeadsOnly.code, **body}, format="json")
    finally:
        registry.unregister(LeadsOnly.code)
    assert refused.status_code == 400 and "report" in refused.json()["fields"]


def test_a_qa_report_page_speaks_chinese(world):
    analyst = web_login(world["acme"], world["people"]["eve"].email)
    analyst.cookies["django_language"] = "zh-hans"
    with pending_translations("qa-calibration", "qa-core", "qa-workspace"):
        page = analyst.get("/reports/r/qa_disputes/?since=2025-03-01&until=2025-03-31&grain=week").content.decode()
        listing = analyst.get("/reports/list/").content.decode()
    assert "<h1>质检申诉率</h1>" in page and "申诉成立率" in page and "汇总周期" in page and "班组" in page
    assert "座席质检得分" in listing and "质检" in listing
