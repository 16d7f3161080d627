"""Exam item analysis (issue 16 item 5): facility and the discrimination index (upper 27% minus
lower 27% by total score), on hand-made attempts, then from real attempts of an exam."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.training.models import Attempt, AttemptAnswer, Exam, Question
from apps.training.selectors.item_analysis import exam_item_analysis, group_size, item_statistics


def test_group_size_is_27_percent_rounded_up_and_never_more_than_half():
    assert [group_size(n) for n in (0, 1, 2, 3, 4, 10, 11, 100)] == [0, 0, 1, 1, 2, 3, 3, 27]


def test_facility_and_discrimination_on_ten_attempts():
    # Ten attempts ranked by score; groups of 3 (ceil 2.7). Question 1: the top 3 right, the bottom 3
    # wrong → D = 1. Question 2: everybody right → facility 1, D = 0. Question 3: only the bottom 3
    # right → D = −1. Question 4: given only to some attempts (a random draw).
    attempts = []
    for rank in range(10):
        score = 100 - rank * 10
        answers = {1: rank < 5, 2: True, 3: rank >= 7}
        if rank % 2 == 0:
            answers[4] = rank in (0, 8)
        attempts.append((float(score), answers))
    stats = item_statistics(attempts)
    assert stats[1]["facility"] == 0.5 and stats[1]["discrimination"] == 1.0
    assert stats[2]["facility"] == 1.0 and stats[2]["discrimination"] == 0.0
    assert stats[3]["facility"] == 0.3 and stats[3]["discrimination"] == -1.0
    # Q4 given to ranks 0, 2, 4, 6, 8: upper group (0, 1, 2) gave it to 0 and 2 → 1/2; lower (7, 8, 9) to 8 → 1/1.
    assert stats[4]["given"] == 5 and stats[4]["correct"] == 2
    assert stats[4]["upper"] == 0.5 and stats[4]["lower"] == 1.0 and stats[4]["discrimination"] == -0.5


def test_one_attempt_has_facility_but_no_discrimination():
    stats = item_statistics([(80.0, {7: True})])
    assert stats[7]["facility"] == 1.0 and stats[7]["discrimination"] is None


@pytest.fixture
def exam(acme):
    with tenant_context(acme.tenant):
        exam = Exam.objects.create(title="Products", pass_percent=50, time_limit_minutes=10)
        easy = Question.objects.create(kind="true_false", text="Easy", options=["True", "False"], answer=[0])
        hard = Question.objects.create(kind="single", text="Hard", options=["a", "b"], answer=[1])
        now = timezone.now()
        for index, (easy_ok, hard_ok) in enumerate([(True, True), (True, True), (True, False), (False, False)]):
            user = acme.user("agent")
            score = 50 * easy_ok + 50 * hard_ok
            attempt = Attempt.objects.create(
                exam=exam,
                user=user,
                deadline=now,
                submitted_at=now,
                status="submitted",
                score_percent=score,
                passed=score >= 50,
                question_ids=[easy.pk, hard.pk],
                seed=index,
            )
            AttemptAnswer.objects.create(attempt=attempt, question=easy, choice=[0], is_correct=easy_ok)
            AttemptAnswer.objects.create(attempt=attempt, question=hard, choice=[1], is_correct=hard_ok)
        # An attempt still being graded is left out.
        Attempt.objects.create(
            exam=exam, user=acme.user("agent"), deadline=now, status="awaiting_grading", question_ids=[easy.pk, hard.pk]
        )
    return {"w": acme, "exam": exam}


def test_the_exam_item_analysis_reads_graded_attempts(exam):
    with tenant_context(exam["w"].tenant):
        rows = {row["question"]: row for row in exam_item_analysis(exam["exam"])}
    assert rows["Easy"]["given"] == 4 and rows["Easy"]["facility"] == 0.75
    assert rows["Hard"]["facility"] == 0.5
    # Groups of 2 (ceil 1.08 → 2, half of 4): upper = the two 100s, lower = the 50 and the 0.
    assert rows["Hard"]["discrimination"] == 1.0 and rows["Easy"]["discrimination"] == 0.5
    trainer = exam["w"].user("trainer")
    api = exam["w"].api(trainer)
    assert len(api.get(f"/api/v1/training/item-analysis/{exam['exam'].pk}").json()["results"]) == 2
    assert (
        exam["w"].api(exam["w"].user("agent")).get(f"/api/v1/training/item-analysis/{exam['exam'].pk}").status_code
        == 403
    )
