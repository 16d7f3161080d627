"""The QA API contracts of issue 14 item 8: scorecards and evaluations, 400s that change
nothing, and who reads what (agents their own submitted ones, supervisors their teams',
QA and administrators all, another tenant never)."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.qa.models import Answer, Evaluation, EvaluationComment, Question, Scorecard
from tests.qa.factories import (
    PERFECT,
    answers_for,
    default_sections,
    make_agent_call,
    make_evaluation,
    make_scorecard,
    make_team,
    question_ids,
)

SCORECARDS = "/api/v1/qa/scorecards"
EVALUATIONS = "/api/v1/qa/evaluations"


@pytest.fixture
def world(acme):
    """A lead, an analyst, a supervisor of one team with agent ``ann``; ``bob`` in no team."""
    with tenant_context(acme.tenant):
        people = {role: acme.user(role) for role in ("qa_lead", "qa", "supervisor", "tenant_admin")}
        people["ann"] = acme.user("agent")
        people["bob"] = acme.user("agent")
        make_team(supervisors=[people["supervisor"]], members=[people["ann"]])
        scorecard = make_scorecard(actor=people["qa_lead"])
        ann_call = make_agent_call(people["ann"])
        bob_call = make_agent_call(people["bob"])
        ids = question_ids(scorecard)
    return {"tenant": acme, "scorecard": scorecard, "ann_call": ann_call, "bob_call": bob_call, "q": ids, **people}


def _api(world, who):
    return world["tenant"].api(world[who])


def _count(world) -> tuple[int, int, int]:
    with tenant_context(world["tenant"].tenant):
        return Evaluation.objects.count(), Answer.objects.count(), EvaluationComment.objects.count()


# --- scorecards -------------------------------------------------------------------------------


def test_post_scorecard_answers_201_with_every_id_and_the_version(world):
    body = {"name": "Inbound", "sections": default_sections()}
    response = _api(world, "qa_lead").post(SCORECARDS, body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["version"] == 1 and isinstance(data["id"], int)
    assert [s["title"] for s in data["sections"]] == ["Greeting", "Resolution"]
    assert data["sections"][1]["weight"] == 3
    with tenant_context(world["tenant"].tenant):
        stored = set(Question.objects.filter(section__scorecard_id=data["id"]).values_list("pk", flat=True))
    returned = {q["id"] for s in data["sections"] for q in s["questions"]}
    assert returned == stored and len(returned) == 6
    assert all(isinstance(s["id"], int) for s in data["sections"])


def test_post_scorecard_with_bad_fields_is_400_and_creates_nothing(world):
    sections = default_sections()
    sections[0]["questions"][0]["points"] = 0
    sections[1]["questions"][0]["kind"] = "essay"
    with tenant_context(world["tenant"].tenant):
        before = Scorecard.objects.count()
    response = _api(world, "qa_lead").post(SCORECARDS, {"name": "X", "sections": sections}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {"sections.0.questions.0.points", "sections.1.questions.0.kind"} <= set(body["fields"])
    with tenant_context(world["tenant"].tenant):
        assert Scorecard.objects.count() == before


def test_analysts_read_scorecards_but_do_not_write_them(world):
    api = _api(world, "qa")
    assert api.get(SCORECARDS).status_code == 200
    assert api.get(f"{SCORECARDS}/{world['scorecard'].pk}").json()["sections"][0]["questions"][2]["critical"] == (
        "section"
    )
    assert api.post(SCORECARDS, {"name": "Mine", "sections": default_sections()}, format="json").status_code == 403
    assert _api(world, "ann").get(SCORECARDS).status_code == 403


def test_put_on_a_scored_scorecard_makes_a_new_version(world):
    with tenant_context(world["tenant"].tenant):
        make_evaluation(world["bob_call"], world["scorecard"], world["qa"])
    url = f"{SCORECARDS}/{world['scorecard'].pk}"
    sections = default_sections()
    sections[0]["weight"] = 2
    response = _api(world, "qa_lead").put(url, {"name": "Inbound v2", "sections": sections}, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["version"] == 2 and data["id"] != world["scorecard"].pk and data["is_current"]
    assert _api(world, "qa_lead").get(url).json()["is_current"] is False
    versions = _api(world, "qa").get(f"{url}/versions").json()["results"]
    assert [(v["version"], v["evaluation_count"]) for v in versions] == [(2, 0), (1, 1)]


def test_patch_on_an_unscored_scorecard_edits_it_in_place(world):
    url = f"{SCORECARDS}/{world['scorecard'].pk}"
    response = _api(world, "qa_lead").patch(url, {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["version"], response.json()["name"]) == (
        world["scorecard"].pk,
        1,
        "Renamed",
    )


# --- evaluations: the contract ----------------------------------------------------------------


def _evaluation_body(world, values, **extra):
    with tenant_context(world["tenant"].tenant):
        answers = answers_for(world["scorecard"], values)
    return {"call": world["ann_call"].uid, "scorecard": world["scorecard"].pk, "answers": answers, **extra}


def test_post_evaluation_answers_201_with_the_scores(world):
    body = _evaluation_body(
        world,
        [True, False, True, 3, 7.5, True],
        comments=[{"at_seconds": 1.5, "text": "Good greeting"}, {"at_seconds": None, "text": "Overall fine"}],
        submit=True,
    )
    response = _api(world, "qa").post(EVALUATIONS, body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert {"id", "score", "sections", "critical_failed", "status"} <= set(data)
    assert data["status"] == "submitted"
    assert data["score"] == 70.54  # (1·75 + 3·(14.5/21·100)) / 4, rounded for the API
    assert [(s["id"], s["score"]) for s in data["sections"]] == [
        (data["sections"][0]["id"], 75.0),
        (data["sections"][1]["id"], 69.05),
    ]
    assert data["critical_failed"] is False
    with tenant_context(world["tenant"].tenant):
        evaluation = Evaluation.objects.get(pk=data["id"])
        assert str(evaluation.score) == "70.5357"  # stored unrounded to 4 decimals
        assert evaluation.agent == world["ann"] and evaluation.evaluator == world["qa"]
        # In recording order; a comment pinned to no moment comes last.
        assert list(evaluation.comments.values_list("at_seconds", "text")) == [
            (1.5, "Good greeting"),
            (None, "Overall fine"),
        ]
        assert AuditEntry.objects.filter(action="evaluation.submitted", target_id=str(evaluation.pk)).exists()


def test_a_failed_form_critical_question_gives_0_and_says_so(world):
    body = _evaluation_body(world, [True, True, True, 5, 10, False], submit=True)
    data = _api(world, "qa").post(EVALUATIONS, body, format="json").json()
    assert data["score"] == 0.0 and data["critical_failed"] is True


def test_score_is_null_when_nothing_is_scorable(world):
    sections = [{"title": "Optional", "weight": 1, "questions": [{"text": "Upsell?", "allow_na": True}]}]
    created = _api(world, "qa_lead").post(SCORECARDS, {"name": "Optional", "sections": sections}, format="json")
    question = created.json()["sections"][0]["questions"][0]["id"]
    body = {
        "call": world["ann_call"].uid,
        "scorecard": created.json()["id"],
        "answers": [{"question": question, "na": True}],
        "submit": True,
    }
    data = _api(world, "qa").post(EVALUATIONS, body, format="json").json()
    assert data["score"] is None
    assert data["sections"][0]["score"] is None
    assert data["status"] == "submitted"


@pytest.mark.parametrize(
    ("index", "answer", "field"),
    [
        (0, {"value": 1}, "answers.0.value"),  # yes_no takes booleans
        (3, {"value": 6}, "answers.0.value"),  # scale 0..5
        (3, {"value": 2.5}, "answers.0.value"),  # scale takes whole numbers
        (3, {"value": -1}, "answers.0.value"),
        (4, {"value": 10.5}, "answers.0.value"),  # points 0..10
        (4, {"value": 3.333}, "answers.0.value"),  # 2 decimals
        (4, {"value": "7"}, "answers.0.value"),
        (0, {"na": True}, "answers.0.na"),  # N/A not allowed on this question
        (1, {"na": True, "value": True}, "answers.0.value"),
        (1, {}, "answers.0.value"),
    ],
)
def test_a_bad_answer_is_400_on_its_field_and_nothing_is_written(world, index, answer, field):
    body = {
        "call": world["ann_call"].uid,
        "scorecard": world["scorecard"].pk,
        "answers": [{"question": world["q"][index], **answer}],
        "comments": [{"at_seconds": 2, "text": "would be saved"}],
    }
    before = _count(world)
    response = _api(world, "qa").post(EVALUATIONS, body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["fields"], response.json()
    assert _count(world) == before


def test_an_answer_to_another_scorecards_question_is_400(world):
    with tenant_context(world["tenant"].tenant):
        other = question_ids(make_scorecard())[0]
    body = {
        "call": world["ann_call"].uid,
        "scorecard": world["scorecard"].pk,
        "answers": [{"question": world["q"][0], "value": True}, {"question": other, "value": True}],
    }
    before = _count(world)
    response = _api(world, "qa").post(EVALUATIONS, body, format="json")
    assert response.status_code == 400
    assert "answers.1.question" in response.json()["fields"]
    assert _count(world) == before


def test_submit_needs_every_question_answered_or_na(world):
    body = _evaluation_body(world, [True, None, True, 5, None, True], submit=True)
    before = _count(world)
    response = _api(world, "qa").post(EVALUATIONS, body, format="json")

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {f"questions.{world['q'][1]}", f"questions.{world['q'][4]}"}
    assert _count(world) == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"call": "no-such-call"}, "call"),
        ({"scorecard": 999999}, "scorecard"),
        ({"comments": [{"at_seconds": -3, "text": "x"}]}, "comments.0.at_seconds"),
        ({"comments": [{"at_seconds": 3, "text": ""}]}, "comments.0.text"),
        ({"submit": "yes"}, "submit"),
    ],
)
def test_other_bad_fields_are_400(world, extra, field):
    body = {**_evaluation_body(world, PERFECT), **extra}
    before = _count(world)
    response = _api(world, "qa").post(EVALUATIONS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert _count(world) == before


def test_a_draft_is_continued_and_submitted_with_patch(world):
    api = _api(world, "qa")
    created = api.post(EVALUATIONS, _evaluation_body(world, [True, "na"]), format="json").json()
    assert created["status"] == "draft"
    assert created["score"] == 100.0  # the draft is scored on what is answered

    url = f"{EVALUATIONS}/{created['id']}"
    with tenant_context(world["tenant"].tenant):
        answers = answers_for(world["scorecard"], [True, "na", False, 4, 5, True])
    response = api.patch(url, {"answers": answers, "submit": True}, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "submitted"
    assert data["critical_failed"] is True
    assert data["failed_questions"] == [world["q"][2]]
    # Greeting 0 (section-critical failed); Resolution (4·2 + 5 + 1)/21 = 66.67; (0 + 3·66.67)/4 = 50
    assert data["score"] == 50.0
    detail = api.get(url).json()
    assert {a["question"]: a["value"] for a in detail["answers"]}[world["q"][0]] is True
    assert {a["question"]: a["na"] for a in detail["answers"]}[world["q"][1]] is True


def test_the_same_evaluator_cannot_evaluate_a_call_twice_on_one_scorecard(world):
    api = _api(world, "qa")
    assert api.post(EVALUATIONS, _evaluation_body(world, PERFECT), format="json").status_code == 201
    again = api.post(EVALUATIONS, _evaluation_body(world, PERFECT), format="json")
    assert again.status_code == 409 and again.json()["code"] == "exists"


def test_a_change_after_submission_keeps_a_revision_and_is_audited(world):
    with tenant_context(world["tenant"].tenant):
        evaluation = make_evaluation(world["ann_call"], world["scorecard"], world["qa"])
        answers = answers_for(world["scorecard"], [True, True, True, 2, 10, True])
    response = _api(world, "qa_lead").patch(
        f"{EVALUATIONS}/{evaluation.pk}", {"answers": answers, "reason": "Resolution overrated"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["score"] < 100
    with tenant_context(world["tenant"].tenant):
        revision = evaluation.revisions.get()
        assert revision.before["score"] == "100.0000" and revision.reason == "Resolution overrated"
        assert AuditEntry.objects.filter(action="evaluation.changed", target_id=str(evaluation.pk)).count() == 1


def test_preview_scores_without_saving(world):
    with tenant_context(world["tenant"].tenant):
        answers = answers_for(world["scorecard"], [True, False, True, 3, 7.5])
    before = _count(world)
    response = _api(world, "qa").post(
        f"{EVALUATIONS}/preview", {"scorecard": world["scorecard"].pk, "answers": answers}, format="json"
    )
    assert response.status_code == 200
    # Without the compliance answer: Resolution (6 + 7.5) / 20 = 67.5; (75 + 3·67.5) / 4 = 69.375
    assert response.json()["score"] == 69.38
    assert _count(world) == before
    bad = _api(world, "qa").post(
        f"{EVALUATIONS}/preview",
        {"scorecard": world["scorecard"].pk, "answers": [{"question": world["q"][3], "value": 9}]},
        format="json",
    )
    assert bad.status_code == 400 and "answers.0.value" in bad.json()["fields"]


# --- who may score, who reads -----------------------------------------------------------------


def test_agents_may_not_score(world):
    response = _api(world, "bob").post(EVALUATIONS, _evaluation_body(world, PERFECT), format="json")
    assert response.status_code == 403


def test_a_supervisor_scores_their_teams_calls_only(world):
    api = _api(world, "supervisor")
    assert api.post(EVALUATIONS, _evaluation_body(world, PERFECT, submit=True), format="json").status_code == 201
    other = {**_evaluation_body(world, PERFECT), "call": world["bob_call"].uid}
    assert api.post(EVALUATIONS, other, format="json").status_code == 403


@pytest.fixture
def evaluations(world):
    """ann: submitted, draft, calibration-kind; bob: submitted."""
    with tenant_context(world["tenant"].tenant):
        from apps.qa.models import CalibrationSession

        submitted = make_evaluation(world["ann_call"], world["scorecard"], world["qa"])
        draft = make_evaluation(world["ann_call"], world["scorecard"], world["qa_lead"], [True], submit=False)
        session = CalibrationSession.objects.create(
            title="Week 1", call=world["ann_call"], scorecard=world["scorecard"], created_by=world["qa_lead"]
        )
        calibration = make_evaluation(world["ann_call"], world["scorecard"], world["tenant_admin"], calibration=session)
        bobs = make_evaluation(world["bob_call"], world["scorecard"], world["qa"])
    return {"submitted": submitted, "draft": draft, "calibration": calibration, "bobs": bobs}


def _listed(world, who, query: str = "") -> set[int]:
    response = _api(world, who).get(f"{EVALUATIONS}{query}")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_an_agent_reads_only_their_own_submitted_regular_evaluations(world, evaluations):
    assert _listed(world, "ann") == {evaluations["submitted"].pk}
    assert _listed(world, "bob") == {evaluations["bobs"].pk}
    api = _api(world, "ann")
    for hidden in ("draft", "calibration", "bobs"):
        assert api.get(f"{EVALUATIONS}/{evaluations[hidden].pk}").status_code == 404
    assert api.get(f"{EVALUATIONS}/{evaluations['submitted'].pk}").status_code == 200
    assert api.patch(f"{EVALUATIONS}/{evaluations['submitted'].pk}", {"submit": True}, format="json").status_code == (
        403
    )


def test_a_supervisor_reads_their_teams_submitted_evaluations(world, evaluations):
    assert _listed(world, "supervisor") == {evaluations["submitted"].pk}


def test_qa_and_administrators_read_everything(world, evaluations):
    everything = {e.pk for e in evaluations.values()}
    assert _listed(world, "qa") == everything
    assert _listed(world, "tenant_admin") == everything


def test_the_list_filters_by_agent_and_period(world, evaluations):
    ann = world["ann"].pk
    assert _listed(world, "qa", f"?agent={ann}") == {
        evaluations["submitted"].pk,
        evaluations["draft"].pk,
        evaluations["calibration"].pk,
    }
    assert _listed(world, "qa", f"?agent={ann}&status=submitted&kind=regular") == {evaluations["submitted"].pk}
    assert _listed(world, "qa", "?until=2000-01-01") == set()
    assert _listed(world, "qa", "?since=2000-01-01") == {e.pk for e in evaluations.values()}
    bad = _api(world, "qa").get(f"{EVALUATIONS}?since=yesterday")
    assert bad.status_code == 400 and "since" in bad.json()["fields"]


def test_another_tenant_never_sees_them(world, evaluations, globex):
    with tenant_context(globex.tenant):
        stranger = globex.user("qa")
    api = globex.api(stranger)
    response = api.get(EVALUATIONS)
    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert api.get(f"{EVALUATIONS}/{evaluations['submitted'].pk}").status_code == 404
    # And a token of acme is refused on globex's host.
    assert (
        globex.api().get(EVALUATIONS, HTTP_AUTHORIZATION=f"Token {world['tenant'].token(world['qa'])}").status_code
        == 401
    )


def test_text_postgresql_cannot_store_is_a_400_not_a_500(world):
    bad_scorecard = _api(world, "qa_lead").post(
        SCORECARDS, {"name": "a\x00b", "sections": default_sections()}, format="json"
    )
    assert bad_scorecard.status_code == 400 and "name" in bad_scorecard.json()["fields"]
    body = _evaluation_body(world, [True], summary="s\x00", comments=[{"text": "c\x00"}])
    body["answers"][0]["note"] = "n\x00"
    before = _count(world)
    response = _api(world, "qa").post(EVALUATIONS, body, format="json")
    assert response.status_code == 400
    assert {"summary", "comments.0.text", "answers.0.note"} <= set(response.json()["fields"])
    assert _count(world) == before
    no_call = _api(world, "qa").post(EVALUATIONS, {**body, "call": "x\x00"}, format="json")
    assert no_call.status_code == 400 and "call" in no_call.json()["fields"]


def test_the_list_reads_a_scorecard_once_per_page_not_once_per_row(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        api = _api(world, "qa")
        api.get(EVALUATIONS)  # warm: the token's user, the tenant
        with tenant_context(world["tenant"].tenant), CaptureQueriesContext(connection) as captured:
            assert api.get(EVALUATIONS).status_code == 200
        return len(captured)

    with tenant_context(world["tenant"].tenant):
        for _ in range(2):
            make_evaluation(make_agent_call(world["bob"]), world["scorecard"], world["qa"])
    few = queries()
    with tenant_context(world["tenant"].tenant):
        for _ in range(4):
            make_evaluation(make_agent_call(world["bob"]), world["scorecard"], world["qa"])
    assert queries() == few
