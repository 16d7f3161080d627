"""Exams through the API (issue 16 items 2 and 6): the contracts, answer secrecy, the server's timer,
attempt limits, seeded draws by tag, short answers graded by a trainer, permissions, tenants."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.training.choices import AttemptStatus
from apps.training.models import Attempt, AttemptAnswer, Exam
from tests.accounts.helpers import web_login
from tests.training.helpers import CONTRACT_EXAM, EXAMS, create_exam, right_answers


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        return {"w": acme, "trainer": acme.user("trainer"), "ann": acme.user("agent"), "bob": acme.user("agent")}


def _secret_free(payload) -> None:
    """No key that could carry an answer, anywhere in the payload."""
    text = json.dumps(payload)
    for key in ('"answer"', '"correct"', '"explanation"', '"is_correct"', '"tags"'):
        assert key not in text, key


def test_trainer_creates_an_exam_with_the_contract_and_gets_the_ids(world):
    exam = create_exam(world["w"], world["trainer"])
    assert isinstance(exam["id"], int)
    assert [q["kind"] for q in exam["questions"]] == ["single", "multiple", "true_false"]
    assert all(isinstance(q["id"], int) for q in exam["questions"])
    with tenant_context(world["w"].tenant):
        assert Exam.objects.get(pk=exam["id"]).pass_percent == 60
        assert AuditEntry.objects.filter(action="training_exam.created").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"pass_percent": 101}, "pass_percent"),
        ({"time_limit_minutes": 0}, "time_limit_minutes"),
        (
            {"questions": [{"kind": "single", "text": "x", "options": ["a", "b"], "answer": [5], "points": 1}]},
            "questions[0].answer",
        ),
        (
            {"questions": [{"kind": "multiple", "text": "x", "options": ["a"], "answer": [0], "points": 1}]},
            "questions[0].options",
        ),
        ({"questions": []}, "questions"),
    ],
)
def test_a_bad_exam_is_refused_whole_and_nothing_is_saved(world, change, field):
    with tenant_context(world["w"].tenant):
        before = Exam.objects.count()
    response = world["w"].api(world["trainer"]).post(EXAMS, {**CONTRACT_EXAM, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]
    with tenant_context(world["w"].tenant):
        assert Exam.objects.count() == before


def test_starting_an_attempt_returns_questions_and_a_deadline_without_answers(world):
    exam = create_exam(world["w"], world["trainer"])
    api = world["w"].api(world["ann"])
    started = api.post(f"{EXAMS}/{exam['id']}/attempts")
    assert started.status_code == 201
    data = started.json()
    assert set(data) >= {"id", "questions", "deadline"}
    assert [q["id"] for q in data["questions"]] == [q["id"] for q in exam["questions"]]
    _secret_free(data)
    # Nor anything else a taker can read while the attempt runs.
    _secret_free(api.get(f"/api/v1/training/attempts/{data['id']}").json())
    _secret_free(api.get(f"{EXAMS}/{exam['id']}").json())
    _secret_free(api.get(EXAMS).json())
    # Starting again while it runs: the same attempt.
    again = api.post(f"{EXAMS}/{exam['id']}/attempts")
    assert again.status_code == 200 and again.json()["id"] == data["id"]


def test_the_taking_page_has_no_answers_in_its_html(world):
    exam = create_exam(world["w"], world["trainer"])
    attempt = world["w"].api(world["ann"]).post(f"{EXAMS}/{exam['id']}/attempts").json()
    client = web_login(world["w"], world["ann"].email)
    html = client.get(f"/training/attempts/{attempt['id']}/").content.decode()
    assert "Which plan has no roaming?" in html
    assert 'data-remaining="' in html and "training-correct" not in html and "✓" not in html


def test_submitting_right_answers_passes_and_the_result_gives_feedback(world):
    exam = create_exam(world["w"], world["trainer"])
    answers = right_answers(exam)
    api = world["w"].api(world["ann"])
    attempt = api.post(f"{EXAMS}/{exam['id']}/attempts").json()
    wrong_multiple = exam["questions"][1]["id"]
    body = {
        "answers": [
            {"question": qid, "choice": [0] if qid == wrong_multiple else choice} for qid, choice in answers.items()
        ]
    }
    result = api.post(f"/api/v1/training/attempts/{attempt['id']}/submit", body, format="json")
    assert result.status_code == 200, result.content
    # 1 + 0 (partial multiple: all or nothing) + 1 out of 4 points = 50 % < 60 %.
    assert result.json()["score_percent"] == 50.0 and result.json()["passed"] is False
    detail = api.get(f"/api/v1/training/attempts/{attempt['id']}").json()
    by_id = {q["id"]: q for q in detail["questions"]}
    assert by_id[wrong_multiple]["correct"] == [0, 2] and by_id[wrong_multiple]["is_correct"] is False
    again = api.post(f"/api/v1/training/attempts/{attempt['id']}/submit", body, format="json")
    assert again.status_code == 400 and again.json()["code"] == "attempt_closed"


def test_a_late_submission_is_refused_and_the_attempt_expires(world):
    exam = create_exam(world["w"], world["trainer"])
    api = world["w"].api(world["ann"])
    attempt = api.post(f"{EXAMS}/{exam['id']}/attempts").json()
    with tenant_context(world["w"].tenant):
        Attempt.objects.filter(pk=attempt["id"]).update(deadline=timezone.now() - timedelta(seconds=30))
    body = {"answers": [{"question": q, "choice": c} for q, c in right_answers(exam).items()]}
    late = api.post(f"/api/v1/training/attempts/{attempt['id']}/submit", body, format="json")
    assert late.status_code == 400 and late.json()["code"] == "attempt_expired"
    with tenant_context(world["w"].tenant):
        row = Attempt.objects.get(pk=attempt["id"])
        assert row.status == AttemptStatus.EXPIRED and row.passed is False
        assert not AttemptAnswer.objects.filter(attempt=row).exists()


def test_attempts_are_limited_and_expired_ones_count(world):
    exam = create_exam(world["w"], world["trainer"], {**CONTRACT_EXAM, "max_attempts": 2})
    api = world["w"].api(world["ann"])
    for _ in range(2):
        attempt = api.post(f"{EXAMS}/{exam['id']}/attempts").json()
        with tenant_context(world["w"].tenant):
            Attempt.objects.filter(pk=attempt["id"]).update(deadline=timezone.now() - timedelta(minutes=1))
    third = api.post(f"{EXAMS}/{exam['id']}/attempts")
    assert third.status_code == 400 and third.json()["code"] == "attempt_limit"


def test_invalid_answers_are_refused_and_nothing_is_recorded(world):
    exam = create_exam(world["w"], world["trainer"])
    api = world["w"].api(world["ann"])
    attempt = api.post(f"{EXAMS}/{exam['id']}/attempts").json()
    single = exam["questions"][0]["id"]
    for answers in (
        [{"question": single, "choice": [0, 1]}],
        [{"question": 999999, "choice": [0]}],
        [{"question": single, "choice": [7]}],
    ):
        response = api.post(f"/api/v1/training/attempts/{attempt['id']}/submit", {"answers": answers}, format="json")
        assert response.status_code == 400 and response.json()["code"] == "invalid"
    with tenant_context(world["w"].tenant):
        assert Attempt.objects.get(pk=attempt["id"]).status == AttemptStatus.IN_PROGRESS
        assert not AttemptAnswer.objects.exists()


def test_draws_from_a_bank_by_tag_are_seeded_and_recorded(world):
    api = world["w"].api(world["trainer"])
    bank = api.post("/api/v1/training/banks", {"name": "Products"}, format="json").json()
    for i in range(6):
        tag = "billing" if i % 2 == 0 else "network"
        q = {"kind": "true_false", "text": f"Fact {i}", "answer": [0], "tags": [tag]}
        assert api.post(f"/api/v1/training/banks/{bank['id']}/questions", q, format="json").status_code == 201
    exam = create_exam(
        world["w"],
        world["trainer"],
        {
            "title": "Drawn",
            "pass_percent": 50,
            "time_limit_minutes": 5,
            "draws": [{"bank": bank["id"], "tag": "billing", "count": 2}],
        },
    )
    attempt = world["w"].api(world["ann"]).post(f"{EXAMS}/{exam['id']}/attempts").json()
    assert len(attempt["questions"]) == 2
    assert all(q["text"] in {"Fact 0", "Fact 2", "Fact 4"} for q in attempt["questions"])
    with tenant_context(world["w"].tenant):
        from apps.training.services.attempts import draw_questions

        row = Attempt.objects.get(pk=attempt["id"])
        assert row.question_ids == [q["id"] for q in attempt["questions"]]
        assert draw_questions(row.exam, row.seed) == row.question_ids  # the seed reproduces the draw
    too_many = api.post(
        EXAMS,
        {"title": "Too many", "draws": [{"bank": bank["id"], "tag": "billing", "count": 4}]},
        format="json",
    )
    assert too_many.status_code == 400 and "draws[0].count" in too_many.json()["fields"]


def test_a_short_answer_waits_for_a_trainer_who_grades_it(world):
    exam = create_exam(
        world["w"],
        world["trainer"],
        {
            "title": "Calls",
            "pass_percent": 50,
            "time_limit_minutes": 10,
            "questions": [
                {"kind": "true_false", "text": "Greet first.", "answer": [0], "points": 1},
                {"kind": "short_answer", "text": "How do you calm an angry caller?", "points": 3},
            ],
        },
    )
    ann = world["w"].api(world["ann"])
    attempt = ann.post(f"{EXAMS}/{exam['id']}/attempts").json()
    tf, short = (q["id"] for q in exam["questions"])
    result = ann.post(
        f"/api/v1/training/attempts/{attempt['id']}/submit",
        {"answers": [{"question": tf, "choice": [0]}, {"question": short, "text": "Listen, then apologise."}]},
        format="json",
    ).json()
    assert result == {"id": attempt["id"], "status": "awaiting_grading", "score_percent": None, "passed": None}
    trainer = world["w"].api(world["trainer"])
    queue = trainer.get("/api/v1/training/grading").json()["results"]
    (item,) = [row for row in queue if row["attempt"] == attempt["id"]]
    assert ann.get("/api/v1/training/grading").status_code == 403
    too_many = trainer.post(f"/api/v1/training/answers/{item['id']}/grade", {"points": 4}, format="json")
    assert too_many.status_code == 400
    graded = trainer.post(
        f"/api/v1/training/answers/{item['id']}/grade", {"points": 2, "feedback": "Good"}, format="json"
    )
    assert graded.status_code == 200
    assert graded.json()["attempt"] == {
        "id": attempt["id"],
        "status": "submitted",
        "passed": True,
        "score_percent": 75.0,
    }


def test_agents_cannot_author_and_take_only_their_own_attempts(world):
    exam = create_exam(world["w"], world["trainer"])
    ann, bob = world["w"].api(world["ann"]), world["w"].api(world["bob"])
    assert ann.post(EXAMS, CONTRACT_EXAM, format="json").status_code == 403
    assert ann.post("/api/v1/training/banks", {"name": "x"}, format="json").status_code == 403
    attempt = ann.post(f"{EXAMS}/{exam['id']}/attempts").json()
    assert bob.get(f"/api/v1/training/attempts/{attempt['id']}").status_code == 404
    body = {"answers": [{"question": q, "choice": c} for q, c in right_answers(exam).items()]}
    assert bob.post(f"/api/v1/training/attempts/{attempt['id']}/submit", body, format="json").status_code == 404
    # A trainer reads the attempt's status but neither its questions live nor submits it.
    trainer = world["w"].api(world["trainer"])
    assert "questions" not in trainer.get(f"/api/v1/training/attempts/{attempt['id']}").json()
    assert trainer.post(f"/api/v1/training/attempts/{attempt['id']}/submit", body, format="json").status_code == 404
    assert world["w"].api().post(f"{EXAMS}/{exam['id']}/attempts").status_code in (401, 403)


def test_another_tenant_sees_nothing(world, globex):
    exam = create_exam(world["w"], world["trainer"])
    attempt = world["w"].api(world["ann"]).post(f"{EXAMS}/{exam['id']}/attempts").json()
    with tenant_context(globex.tenant):
        outsider = globex.user("trainer")
    api = globex.api(outsider)
    assert all(row["title"] != "Billing basics" for row in api.get(EXAMS).json()["results"])
    assert api.get(f"{EXAMS}/{exam['id']}").status_code == 404
    assert api.get(f"/api/v1/training/attempts/{attempt['id']}").status_code == 404
    # acme's token does not open globex's host.
    foreign = globex.api()
    foreign.credentials(HTTP_AUTHORIZATION=f"Token {world['w'].token(world['ann'])}")
    assert foreign.get(EXAMS).status_code in (401, 403)
