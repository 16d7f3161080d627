"""Calibration (issue 14 item 6): the figures on hand-made answers, the sessions' API and who may
do what. Expected figures are worked out by hand in the comments, on the default scorecard of
tests/qa/factories.py (question points 1, 1, 2, 5, 10, 1; weights 1, 1, 1, 2, 1, 1; Σw = 7)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.qa import calibration as figures
from apps.qa.choices import CalibrationStatus, EvaluationKind
from apps.qa.models import CalibrationSession
from apps.qa.selectors.calibration import (
    calibration_results,
    calibration_scoring_error,
    closed_alignments,
    workspace_url,
)
from apps.qa.selectors.evaluations import evaluations_visible_to
from apps.qa.services.calibration import calibration_close, calibration_create
from apps.qa.services.evaluations import evaluation_save, may_change
from tests.accounts.helpers import web_login
from tests.pending_po import pending_translations
from tests.qa.factories import answers_for, make_agent_call, make_evaluation, make_scorecard, qa_user, question_ids

D = Decimal
Q = figures.QuestionSpec


# --- the figures, on plain answers ----------------------------------------------------------


def test_answer_alignment_is_one_minus_the_gap_over_the_points():
    assert figures.answer_alignment(D(3), D(3), D(5)) == 1
    assert figures.answer_alignment(D(3), D(5), D(5)) == D("0.6")
    assert figures.answer_alignment(D(0), D(1), D(1)) == 0
    assert figures.answer_alignment(D(10), D(0), D(10)) == 0


def test_na_on_both_sides_agrees_and_on_one_side_disagrees():
    assert figures.answer_alignment(None, None, D(5)) == 1
    assert figures.answer_alignment(None, D(0), D(5)) == 0
    assert figures.answer_alignment(D(5), None, D(5)) == 0


def test_an_evaluator_is_the_question_weight_weighted_mean():
    questions = [Q(1, D(1), D(1)), Q(2, D(2), D(1)), Q(3, D(4), D(2))]
    result = figures.evaluator_alignment(questions, {1: D(1), 2: D(0), 3: D(2)}, {1: D(1), 2: D(2), 3: D(4)})
    # alignments 1, 0, 0.5 with weights 1, 1, 2: (1 + 0 + 1) / 4
    assert result.questions == {1: 1, 2: 0, 3: D("0.5")}
    assert result.alignment == D("0.5")


def test_an_unanswered_question_counts_as_na():
    questions = [Q(1, D(1), D(1)), Q(2, D(1), D(1))]
    result = figures.evaluator_alignment(questions, {1: D(1)}, {1: D(1), 2: None})
    assert result.alignment == 1


def test_all_weights_zero_falls_back_to_the_plain_mean():
    questions = [Q(1, D(1), D(0)), Q(2, D(1), D(0)), Q(3, D(1), D(0))]
    result = figures.evaluator_alignment(questions, {1: D(1), 2: D(1), 3: D(0)}, {1: D(1), 2: D(1), 3: D(1)})
    assert result.alignment == D(2) / D(3)


def test_consensus_is_the_median_and_na_when_most_say_na():
    questions = [Q(1, D(5), D(1)), Q(2, D(1), D(1)), Q(3, D(1), D(1)), Q(4, D(10), D(1)), Q(5, D(1), D(1))]
    sets = [
        {1: D(5), 2: D(1), 3: None, 4: D(10)},
        {1: D(2), 2: D(0), 3: None, 4: None},
        {1: D(4), 2: D(1), 3: D(1), 4: D(6)},
    ]
    benchmark = figures.consensus(questions, sets)
    assert benchmark[1] == 4  # median of 2, 4, 5
    assert benchmark[2] == 1  # median of 0, 1, 1
    assert benchmark[3] is None  # two of three said N/A
    assert benchmark[4] == 8  # one N/A of three is no majority: median of 6 and 10
    assert benchmark[5] is None  # nobody answered: N/A


def test_an_even_split_gives_the_mean_of_the_two_middle_answers():
    questions = [Q(1, D(1), D(1)), Q(2, D(1), D(1))]
    sets = [{1: D(1), 2: None}, {1: D(1), 2: D(1)}, {1: D(0), 2: None}, {1: D(0), 2: D(0)}]
    benchmark = figures.consensus(questions, sets)
    assert benchmark[1] == D("0.5")  # two yes, two no: nobody is fully aligned
    assert benchmark[2] == D("0.5")  # exactly half N/A is not "more than half": median of 0 and 1


def test_session_result_per_question_and_overall():
    questions = [Q(1, D(1), D(1)), Q(2, D(4), D(1))]
    result = figures.session_result(questions, {1: D(1), 2: D(4)}, {"a": {1: D(1), 2: D(4)}, "b": {1: D(0), 2: D(2)}})
    assert result.evaluators["a"].alignment == 1
    assert result.evaluators["b"].alignment == D("0.25")  # (0 + 0.5) / 2
    assert result.questions == {1: D("0.5"), 2: D("0.75")}
    assert result.alignment == D("0.625")
    assert figures.percent(result.alignment) == D("62.50")
    assert figures.percent(D(2) / D(3)) == D("66.67")


# --- sessions, with evaluations saved through the evaluation service ---------------------------


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        lead = qa_user(Role.QA_LEAD)
        first, second, third = qa_user(), qa_user(), qa_user()
        agent = qa_user(Role.AGENT)
        scorecard = make_scorecard()
        call = make_agent_call(agent)
        yield {
            "acme": acme,
            "lead": lead,
            "analysts": [first, second, third],
            "agent": agent,
            "scorecard": scorecard,
            "call": call,
        }


def _session(world, mode="lead", participants=None) -> CalibrationSession:
    return calibration_create(
        actor=world["lead"],
        title="Week 12 calibration",
        call=world["call"].uid,
        scorecard=world["scorecard"].pk,
        participants=[u.pk for u in (participants or world["analysts"][:2])],
        benchmark_mode=mode,
    )


def _score(world, session, user, values):
    return make_evaluation(world["call"], world["scorecard"], user, values, calibration=session)


def test_lead_mode_figures(world):
    session = _session(world)
    first, second = world["analysts"][:2]
    _score(world, session, world["lead"], [True, True, True, 5, 10, True])
    # first: q1 N/A against yes (0), q3 4 of 5 against 5 (0.8); the rest agree.
    #   (1 + 0 + 1 + 2·0.8 + 1 + 1) / 7 = 5.6 / 7 = 0.8
    _score(world, session, first, [True, "na", True, 4, 10, True])
    # second: q0 no (0), q3 3 of 5 (0.6), q4 5 of 10 (0.5): (0 + 1 + 1 + 1.2 + 0.5 + 1) / 7 = 4.7 / 7
    _score(world, session, second, [False, True, True, 3, 5, True])
    session = calibration_close(actor=world["lead"], session=session)

    results = calibration_results(session)
    assert results is not None
    assert results.benchmark_evaluation.evaluator == world["lead"]
    by_user = {row.user.pk: row for row in results.evaluators}
    assert set(by_user) == {first.pk, second.pk}  # the lead is the benchmark, not compared
    assert figures.percent(by_user[first.pk].alignment) == D("80.00")
    assert figures.percent(by_user[second.pk].alignment) == D("67.14")
    assert figures.percent(results.alignment) == D("73.57")
    per_question = [figures.percent(row.alignment) for row in results.questions]
    assert per_question == [D("50.00"), D("50.00"), D("100.00"), D("70.00"), D("75.00"), D("100.00")]
    assert results.benchmark_score == D("100.0000")


def test_consensus_mode_figures(world):
    session = _session(world, "consensus", world["analysts"])
    first, second, third = world["analysts"]
    _score(world, session, first, [True, True, True, 5, 10, True])
    _score(world, session, second, [True, "na", False, 3, 6, True])
    _score(world, session, third, [False, "na", True, 4, "na", True])
    # consensus: q0 yes, q1 N/A (2 of 3), q2 2 pts, q3 4, q4 median(6, 10) = 8, q5 yes
    session = calibration_close(actor=world["lead"], session=session)

    results = calibration_results(session)
    assert results is not None and results.benchmark_evaluation is None
    ids = question_ids(world["scorecard"])
    assert [results.questions[i].benchmark for i in range(6)] == [D(1), None, D(2), D(4), D(8), D(1)]
    assert results.questions[0].question.pk == ids[0]
    by_user = {row.user.pk: figures.percent(row.alignment) for row in results.evaluators}
    # first:  1, 0, 1, 0.8, 0.8, 1 → 5.4 / 7;  second: 1, 1, 0, 0.8, 0.8, 1 → 5.4 / 7
    # third:  0, 1, 1, 1, 0 (N/A against 8), 1 → 5 / 7
    assert by_user == {first.pk: D("77.14"), second.pk: D("77.14"), third.pk: D("71.43")}
    assert figures.percent(results.alignment) == D("75.24")  # 15.8 / 21
    # the consensus scored by the contract: Greeting 100; Resolution (8 + 8 + 1) / 21; (100 + 3·80.95) / 4
    assert results.benchmark_score.quantize(D("0.01")) == D("85.71")


def test_close_needs_a_benchmark_and_evaluations(world):
    session = _session(world)
    with pytest.raises(ApplicationError) as caught:
        calibration_close(actor=world["lead"], session=session)
    assert set(caught.value.fields) == {"benchmark_evaluation", "participants"}

    consensus = calibration_create(
        actor=world["lead"],
        title="Consensus",
        call=world["call"].uid,
        scorecard=world["scorecard"].pk,
        participants=[u.pk for u in world["analysts"]],
        benchmark_mode="consensus",
    )
    _score(world, consensus, world["analysts"][0], [True, True, True, 5, 10, True])
    with pytest.raises(ApplicationError) as caught:
        calibration_close(actor=world["lead"], session=consensus)
    assert "participants" in caught.value.fields
    consensus.refresh_from_db()
    assert consensus.status == CalibrationStatus.OPEN


def test_the_lead_may_name_another_benchmark_at_close(world):
    session = _session(world, participants=world["analysts"])
    first, second, third = world["analysts"]
    _score(world, session, first, [True, True, True, 5, 10, True])
    senior = _score(world, session, second, [True, True, True, 5, 10, True])
    _score(world, session, third, [True, True, True, 0, 10, True])
    session = calibration_close(actor=world["lead"], session=session, benchmark_evaluation=senior.pk)
    results = calibration_results(session)
    assert results is not None
    by_user = {row.user.pk: figures.percent(row.alignment) for row in results.evaluators}
    assert by_user == {first.pk: D("100.00"), third.pk: D("71.43")}  # q3 weight 2 at 0: 5 / 7


def test_a_closed_session_takes_no_more_scoring_and_is_audited(world):
    session = _session(world)
    _score(world, session, world["lead"], [True, True, True, 5, 10, True])
    _score(world, session, world["analysts"][0], [True, True, True, 5, 10, True])
    calibration_close(actor=world["lead"], session=session)
    session.refresh_from_db()
    assert session.status == CalibrationStatus.CLOSED and session.closed_at is not None
    assert calibration_scoring_error(actor=world["analysts"][1], session=session)
    with pytest.raises(ApplicationError):
        _score(world, session, world["analysts"][1], [True, True, True, 5, 10, True])
    with pytest.raises(ApplicationError) as caught:
        calibration_close(actor=world["lead"], session=session)
    assert caught.value.code == "calibration_closed"
    actions = list(AuditEntry.objects.filter(target_id=str(session.pk)).values_list("action", flat=True))
    assert {"calibration.created", "calibration.closed"} <= set(actions)


def test_a_closed_sessions_evaluations_are_final(world):
    session = _session(world)
    _score(world, session, world["lead"], [True, True, True, 5, 10, True])
    mine = _score(world, session, world["analysts"][0], [True, True, True, 5, 10, True])
    calibration_close(actor=world["lead"], session=session)
    before = mine.score
    for who in (world["analysts"][0], world["lead"]):
        assert not may_change(who, mine)
        with pytest.raises(PermissionDeniedError):
            evaluation_save(
                actor=who,
                call=world["call"],
                scorecard=world["scorecard"],
                evaluation=mine,
                answers=answers_for(world["scorecard"], [False, True, True, 5, 10, True]),
            )
    mine.refresh_from_db()
    assert mine.score == before


def test_only_participants_and_the_lead_may_score_an_open_session(world):
    session = _session(world)
    assert calibration_scoring_error(actor=world["lead"], session=session) is None
    assert calibration_scoring_error(actor=world["analysts"][0], session=session) is None
    assert calibration_scoring_error(actor=world["analysts"][2], session=session)


def test_agents_never_see_calibration_evaluations(world):
    session = _session(world)
    evaluation = _score(world, session, world["analysts"][0], [True, True, True, 5, 10, True])
    assert evaluation.kind == EvaluationKind.CALIBRATION
    assert not evaluations_visible_to(world["agent"]).filter(pk=evaluation.pk).exists()


def test_alignment_over_time_reads_closed_sessions(world):
    session = _session(world)
    _score(world, session, world["lead"], [True, True, True, 5, 10, True])
    _score(world, session, world["analysts"][0], [True, "na", True, 4, 10, True])
    open_one = _session(world)
    _score(world, open_one, world["lead"], [True, True, True, 5, 10, True])
    calibration_close(actor=world["lead"], session=session)
    now = timezone.now()
    rows = closed_alignments(since=now - timedelta(hours=1), until=now + timedelta(hours=1))
    assert [(s.pk, {k: figures.percent(v) for k, v in a.items()}) for s, a in rows] == [
        (session.pk, {world["analysts"][0].pk: D("80.00")})
    ]


# --- the API ---------------------------------------------------------------------------------


def _body(world, **overrides):
    body = {
        "title": "Calibration 1",
        "call": world["call"].uid,
        "scorecard": world["scorecard"].pk,
        "participants": [u.pk for u in world["analysts"][:2]],
        "benchmark_mode": "lead",
    }
    body.update(overrides)
    return body


def test_api_create_list_detail_close(world):
    acme = world["acme"]
    lead_api = acme.api(world["lead"])
    due = (timezone.now() + timedelta(days=3)).isoformat()
    response = lead_api.post("/api/v1/qa/calibrations", _body(world, due_at=due), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["benchmark_mode"] == "lead" and data["status"] == "open" and data["results"] is None
    assert data["call"] == world["call"].uid and data["scorecard"] == world["scorecard"].pk
    assert [p["state"] for p in data["participants"]] == ["not_started", "not_started"]
    assert f"calibration={data['id']}" in data["evaluate_url"]

    with tenant_context(acme.tenant):
        session = CalibrationSession.objects.get(pk=data["id"])
        _score(world, session, world["lead"], [True, True, True, 5, 10, True])
        _score(world, session, world["analysts"][0], [True, "na", True, 4, 10, True])
        assert workspace_url(session).endswith(f"scorecard={world['scorecard'].pk}&calibration={session.pk}")

    listed = lead_api.get("/api/v1/qa/calibrations").json()
    assert [row["id"] for row in listed["results"]] == [data["id"]]
    detail = lead_api.get(f"/api/v1/qa/calibrations/{data['id']}").json()
    states = {p["id"]: p["state"] for p in detail["participants"]}
    assert states == {world["analysts"][0].pk: "submitted", world["analysts"][1].pk: "not_started"}
    assert detail["results"] is None  # blind until closed

    closed = lead_api.post(f"/api/v1/qa/calibrations/{data['id']}/close", {}, format="json")
    assert closed.status_code == 200, closed.content
    results = closed.json()["results"]
    assert closed.json()["status"] == "closed"
    assert results["alignment_percent"] == 80.0
    assert results["benchmark_score"] == 100.0
    assert [(e["id"], e["alignment_percent"]) for e in results["evaluators"]] == [(world["analysts"][0].pk, 80.0)]
    assert [q["alignment_percent"] for q in results["questions"]] == [100.0, 0.0, 100.0, 80.0, 100.0, 100.0]
    assert results["questions"][0]["benchmark"] == {"value": 1.0}
    assert results["questions"][3]["weight"] == 2.0
    assert lead_api.get("/api/v1/qa/calibrations?status=open").json()["results"] == []


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        (
            {"title": "", "call": "", "scorecard": None, "participants": None},
            {"title", "call", "scorecard", "participants"},
        ),
        ({"call": "no-such-call"}, {"call"}),
        ({"scorecard": 999999}, {"scorecard"}),
        ({"participants": []}, {"participants"}),
        ({"participants": [999999]}, {"participants"}),
        ({"participants": "1,2"}, {"participants"}),
        ({"benchmark_mode": "median"}, {"benchmark_mode"}),
        ({"due_at": "tomorrow"}, {"due_at"}),
        ({"due_at": "2001-01-01T09:00:00+08:00"}, {"due_at"}),
    ],
)
def test_api_bad_input_is_a_400_naming_fields_and_creates_nothing(world, overrides, fields):
    response = (
        world["acme"].api(world["lead"]).post("/api/v1/qa/calibrations", _body(world, **overrides), format="json")
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["fields"]) == fields
    with tenant_context(world["acme"].tenant):
        assert not CalibrationSession.objects.exists()


def test_api_participants_must_be_evaluators_and_not_the_lead(world):
    api = world["acme"].api(world["lead"])
    agent_in = api.post("/api/v1/qa/calibrations", _body(world, participants=[world["agent"].pk]), format="json")
    assert agent_in.status_code == 400 and "participants" in agent_in.json()["fields"]
    lead_in = api.post("/api/v1/qa/calibrations", _body(world, participants=[world["lead"].pk]), format="json")
    assert lead_in.status_code == 400 and "participants" in lead_in.json()["fields"]
    lonely = api.post(
        "/api/v1/qa/calibrations",
        _body(world, benchmark_mode="consensus", participants=[world["analysts"][0].pk]),
        format="json",
    )
    assert lonely.status_code == 400 and "participants" in lonely.json()["fields"]


def test_api_close_errors_are_400s(world):
    api = world["acme"].api(world["lead"])
    created = api.post("/api/v1/qa/calibrations", _body(world), format="json").json()
    response = api.post(f"/api/v1/qa/calibrations/{created['id']}/close", {}, format="json")
    assert response.status_code == 400
    assert "benchmark_evaluation" in response.json()["fields"]
    wrong = api.post(f"/api/v1/qa/calibrations/{created['id']}/close", {"benchmark_evaluation": 999999}, format="json")
    assert wrong.status_code == 400 and "benchmark_evaluation" in wrong.json()["fields"]


def test_api_permissions_by_role(world):
    acme = world["acme"]
    first, second, third = world["analysts"]
    with tenant_context(acme.tenant):
        admin = acme.admin()
        supervisor = qa_user(Role.SUPERVISOR)
    created = acme.api(admin).post("/api/v1/qa/calibrations", _body(world), format="json")
    assert created.status_code == 201  # administrators run sessions too
    pk = created.json()["id"]
    url = f"/api/v1/qa/calibrations/{pk}"

    for outsider in (world["agent"], supervisor):
        api = acme.api(outsider)
        assert api.get("/api/v1/qa/calibrations").status_code == 403
        assert api.get(url).status_code == 403
        assert api.post("/api/v1/qa/calibrations", _body(world), format="json").status_code == 403

    participant = acme.api(first)
    assert participant.get(url).status_code == 200
    assert [row["id"] for row in participant.get("/api/v1/qa/calibrations").json()["results"]] == [pk]
    assert participant.post("/api/v1/qa/calibrations", _body(world), format="json").status_code == 403
    assert participant.post(f"{url}/close", {}, format="json").status_code == 403

    stranger = acme.api(third)  # a QA analyst outside the session
    assert stranger.get(url).status_code == 404
    assert stranger.get("/api/v1/qa/calibrations").json()["results"] == []
    assert acme.api(world["lead"]).get(url).status_code == 200  # a QA lead reads every session


def test_another_tenant_never_sees_a_session(world, globex):
    created = world["acme"].api(world["lead"]).post("/api/v1/qa/calibrations", _body(world), format="json").json()
    with tenant_context(globex.tenant):
        their_lead = qa_user(Role.QA_LEAD)
    response = globex.api(their_lead).get(f"/api/v1/qa/calibrations/{created['id']}")
    assert response.status_code == 404


# --- the pages ---------------------------------------------------------------------------------


def test_pages_open_score_and_close_a_session(world):
    acme = world["acme"]
    first, second = world["analysts"][:2]
    lead = web_login(acme, world["lead"].email)
    assert lead.get("/qa/calibration/new/").status_code == 200
    bad = lead.post("/qa/calibration/new/", {"title": "x", "call": "nope", "scorecard": world["scorecard"].pk})
    assert bad.status_code == 400
    response = lead.post(
        "/qa/calibration/new/",
        {
            "title": "Page calibration",
            "call": world["call"].uid,
            "scorecard": world["scorecard"].pk,
            "participants": [first.pk, second.pk],
            "benchmark_mode": "lead",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    session = CalibrationSession.objects.get(title="Page calibration")
    detail_url = f"/qa/calibration/{session.pk}/"
    assert response["Location"] == detail_url

    analyst = web_login(acme, first.email)
    page = analyst.get(detail_url).content.decode()
    assert workspace_url(session).replace("&", "&amp;") in page and "Score this call" in page
    assert "Close and compare" not in page
    assert "Page calibration" in analyst.get("/qa/calibration/").content.decode()

    _score(world, session, world["lead"], [True, True, True, 5, 10, True])
    _score(world, session, first, [True, "na", True, 4, 10, True])
    assert analyst.post(f"{detail_url}close/").status_code == 403
    closed = lead.post(f"{detail_url}close/", {"benchmark_evaluation": ""})
    assert closed.status_code == 302
    page = lead.get(detail_url).content.decode()
    assert 'id="qa-calibration-results"' in page and "80.00%" in page
    assert 'class="num cal-bad"' in page  # "gave their name": N/A against yes
    assert 'class="num cal-warn"' in page  # 80 % overall, below 90
    assert 'id="report-chart-data"' in page
    assert "Score this call" not in page


def test_closing_too_early_on_the_page_says_why(world):
    session = _session(world)
    lead = web_login(world["acme"], world["lead"].email)
    response = lead.post(f"/qa/calibration/{session.pk}/close/", {})
    assert response.status_code == 400
    assert "The lead has not submitted their evaluation of this call yet." in response.content.decode()
    session.refresh_from_db()
    assert session.status == CalibrationStatus.OPEN


def test_pages_refuse_agents_supervisors_and_outsiders(world):
    acme = world["acme"]
    session = _session(world)
    supervisor = qa_user(Role.SUPERVISOR)
    for user in (world["agent"], supervisor):
        client = web_login(acme, user.email)
        assert client.get("/qa/calibration/").status_code == 403
        assert client.get(f"/qa/calibration/{session.pk}/").status_code == 403
    outsider = web_login(acme, world["analysts"][2].email)
    assert outsider.get(f"/qa/calibration/{session.pk}/").status_code == 404
    assert outsider.get("/qa/calibration/new/").status_code == 403


def test_the_session_page_speaks_chinese(world):
    session = _session(world)
    _score(world, session, world["lead"], [True, True, True, 5, 10, True])
    _score(world, session, world["analysts"][0], [True, "na", True, 4, 10, True])
    calibration_close(actor=world["lead"], session=session)
    client = web_login(world["acme"], world["lead"].email)
    client.cookies["django_language"] = "zh-hans"
    with pending_translations("qa-calibration", "qa-core", "qa-workspace"):
        page = client.get(f"/qa/calibration/{session.pk}/").content.decode()
        listing = client.get("/qa/calibration/").content.decode()
    assert "评分进度" in page and "一致率（按考核项权重加权）" in page and "已关闭" in page
    assert "不适用" in page  # the N/A answer of the analyst
    assert "新建校准会" in listing and "80.00%" in listing
