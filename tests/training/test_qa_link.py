"""From QA to training (issue 16 item 5): a coaching session that names a course assigns it
through QA's seam, and a QA rule assigns a course to whoever missed a question in N evaluations
in a month — idempotently, from the hourly task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.qa import hooks
from apps.qa.services.coaching import coaching_create
from apps.training.models import CourseAssignment, QaTrainingRule
from apps.training.services import qa_link
from apps.training.services.qa_link import qa_rule_save, qa_rules_run
from apps.training.tasks_courses import courses_tenant_task
from tests.qa.factories import make_agent_call, make_evaluation, make_scorecard, qa_user
from tests.training.course_helpers import make_course

MISSED_GREETING = [False, True, True, 5, 10, True]


@pytest.fixture(autouse=True)
def _registered():
    """TrainingConfig.ready registers the seam; a QA test's stand-in may have replaced it since."""
    qa_link.register()
    yield
    qa_link.register()


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        trainer, coach, ann, bob = acme.user("trainer"), qa_user(), acme.user("agent"), acme.user("agent")
        scorecard = make_scorecard()
        course = make_course(trainer, key="greeting-refresher", title="Greeting refresher")
    return {
        "w": acme,
        "trainer": trainer,
        "qa": coach,
        "ann": ann,
        "bob": bob,
        "scorecard": scorecard,
        "course": course,
    }


def test_training_fills_the_coaching_seam_with_the_published_courses(world):
    with tenant_context(world["w"].tenant):
        make_course(world["trainer"], key="draft-one", published=False)
        assert hooks.training_available()
        assert hooks.course_choices() == [("greeting-refresher", "Greeting refresher")]


def test_a_coaching_session_that_names_a_course_assigns_it(world):
    follow = timezone.localdate() + dt.timedelta(days=7)
    with tenant_context(world["w"].tenant):
        session = coaching_create(
            actor=world["qa"],
            agent=world["ann"],
            topic="Greeting",
            course_key="greeting-refresher",
            follow_up_on=follow,
        )
        assignment = CourseAssignment.objects.get(user=world["ann"])
        assert assignment.source == "coaching" and assignment.source_ref == str(session.pk)
        assert assignment.due_date == follow and assignment.assigned_by == world["qa"]


def _miss(world, agent, times: int, when: dt.datetime | None = None) -> None:
    for _ in range(times):
        call = make_agent_call(agent, start=(when or timezone.now()) - dt.timedelta(hours=1))
        make_evaluation(call, world["scorecard"], world["qa"], MISSED_GREETING)


def test_a_question_missed_three_times_in_a_month_assigns_the_course_once(world):
    with tenant_context(world["w"].tenant):
        rule = qa_rule_save(
            actor=world["trainer"],
            data={
                "name": "Greeting",
                "question_text": "Greeted the caller by the script",
                "misses": 3,
                "course": world["course"].pk,
            },
        )
        _miss(world, world["ann"], 3)
        _miss(world, world["bob"], 2)
        assert qa_rules_run() == 1
        assignment = CourseAssignment.objects.get()
        assert assignment.user == world["ann"] and assignment.source == "qa_rule"
        assert assignment.source_ref.startswith(f"{rule.pk}:")
        # Idempotent: the next runs (and the hourly task) assign nothing more.
        assert qa_rules_run() == 0
        assert courses_tenant_task()["assigned"] == 0
        # Completing the course does not make this month's misses assign it again.
        CourseAssignment.objects.update(completed_at=timezone.now())
        assert qa_rules_run() == 0
        assert CourseAssignment.objects.count() == 1
        # A paused rule does nothing.
        _miss(world, world["bob"], 1)
        qa_rule_save(actor=world["trainer"], data={"is_active": False}, rule=rule)
        assert qa_rules_run() == 0


def test_rules_through_the_api_validate_and_are_for_trainers(world):
    api = world["w"].api(world["trainer"])
    bad = api.post("/api/v1/training/qa-rules", {"name": "", "question_text": "x", "course": 0}, format="json")
    assert bad.status_code == 400 and {"name", "course"} <= set(bad.json()["fields"])
    good = api.post(
        "/api/v1/training/qa-rules",
        {"name": "R", "question_text": "Gave their name", "misses": 2, "course": world["course"].pk},
        format="json",
    )
    assert good.status_code == 201
    assert world["w"].api(world["ann"]).get("/api/v1/training/qa-rules").status_code == 403
    with tenant_context(world["w"].tenant):
        assert QaTrainingRule.objects.count() == 1
