"""Training effectiveness (issue 16 item 5): the before/after arithmetic on hand-made numbers, and
a course's effect read from real QA evaluations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.qa.models import Evaluation
from apps.training.selectors.effectiveness import before_after, course_effectiveness, pooled
from apps.training.services.courses import course_assign, lesson_complete
from tests.qa.factories import make_agent_call, make_evaluation, make_scorecard, qa_user
from tests.training.course_helpers import lessons_of, make_course

T0 = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


def _at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def test_before_after_takes_the_last_n_before_and_the_first_n_after():
    scores = [(_at(-5), 50.0), (_at(-4), 60.0), (_at(-3), 70.0), (_at(0), 80.0), (_at(1), 90.0), (_at(2), 100.0)]
    assert before_after(scores, _at(0), 2) == ([60.0, 70.0], [80.0, 90.0])  # "at" the completion counts as after
    assert before_after(list(reversed(scores)), _at(0), 5) == ([50.0, 60.0, 70.0], [80.0, 90.0, 100.0])
    assert before_after(scores, _at(10), 3) == ([80.0, 90.0, 100.0], [])
    assert before_after([], _at(0), 3) == ([], [])


def test_pooled_means_counts_and_change():
    figures = pooled([([60.0, 70.0], [80.0, 90.0]), ([50.0], []), ([], [100.0])])
    assert figures == {
        "mean_before": 60.0,  # (60 + 70 + 50) / 3
        "evaluations_before": 3,
        "trainees_before": 2,
        "mean_after": 90.0,  # (80 + 90 + 100) / 3
        "evaluations_after": 3,
        "trainees_after": 2,
        "change": 30.0,
    }
    assert pooled([([70.0], [])])["change"] is None
    assert pooled([])["mean_before"] is None


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        trainer, evaluator, ann = acme.user("trainer"), qa_user(), acme.user("agent")
        scorecard = make_scorecard()
    return {"w": acme, "trainer": trainer, "qa": evaluator, "ann": ann, "scorecard": scorecard}


def _evaluate(world, when: dt.datetime, perfect: bool) -> Evaluation:
    call = make_agent_call(world["ann"], start=when - dt.timedelta(hours=1))
    values = [True, True, True, 5, 10, True] if perfect else [False, True, True, 5, 10, True]
    evaluation = make_evaluation(call, world["scorecard"], world["qa"], values)
    Evaluation.objects.filter(pk=evaluation.pk).update(submitted_at=when)
    evaluation.refresh_from_db()
    return evaluation


def test_a_course_effect_is_read_from_its_trainees_evaluations(world):
    now = timezone.now()
    with tenant_context(world["w"].tenant):
        weaker = [_evaluate(world, now - dt.timedelta(days=d), perfect=False) for d in (3, 2)]
        course = make_course(world["trainer"], lessons=1)
        course_assign(actor=world["trainer"], course=course, users=[world["ann"]])
        lesson_complete(user=world["ann"], lesson=lessons_of(course)[0])
        later = timezone.now() + dt.timedelta(hours=1)
        stronger = _evaluate(world, later, perfect=True)
        [row] = course_effectiveness(n=5)
        before = sum(float(e.score) for e in weaker) / 2
        assert row["course_title"] == course.title and row["trainees"] == 1
        assert row["evaluations_before"] == 2 and row["evaluations_after"] == 1
        assert row["mean_before"] == round(before, 2)
        assert row["mean_after"] == round(float(stronger.score), 2) == 100.0
        assert row["change"] == round(100.0 - round(before, 2), 2)
