"""Courses and lessons (issue 16 item 1): authoring, golden calls, prerequisites, assignment,
completion tracking, permissions and tenant isolation — through the services and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.notifications.models import Notification
from apps.training.models import Certificate, Certification, Course, CourseAssignment, Lesson, LessonCompletion
from apps.training.services.courses import course_assign, lesson_complete
from tests.qa.factories import make_agent_call, make_team
from tests.training.course_helpers import COURSES, lessons_of, make_course


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        people = {
            "trainer": acme.user("trainer"),
            "ann": acme.user("agent"),
            "bob": acme.user("agent"),
            "sue": acme.user("supervisor"),
        }
        make_team(supervisors=[people["sue"]], members=[people["ann"]])
        call = make_agent_call(people["bob"], recording_seconds=6.0)
    return {"w": acme, "call": call, **people}


def test_trainer_authors_a_course_with_text_and_golden_call_lessons(world):
    api = world["w"].api(world["trainer"])
    created = api.post(COURSES, {"key": "greeting", "title": "Greeting", "status": "published"}, format="json")
    assert created.status_code == 201, created.content
    course_id = created.json()["id"]
    text = api.post(
        f"{COURSES}/{course_id}/lessons",
        {"kind": "html", "title": "Script", "body": "<script>alert(1)</script>\nSay hello"},
        format="json",
    )
    assert text.status_code == 201
    golden = api.post(
        f"{COURSES}/{course_id}/lessons",
        {
            "kind": "golden_call",
            "title": "A model greeting",
            "call_uid": world["call"].uid,
            "clip_start": 1,
            "clip_end": 4,
            "trainer_notes": "Listen to the pause.",
        },
        format="json",
    )
    assert golden.status_code == 201, golden.content
    assert golden.json()["clip_start"] == 1 and golden.json()["clip_end"] == 4
    with tenant_context(world["w"].tenant):
        assert [lesson.kind for lesson in lessons_of(Course.objects.get(pk=course_id))] == ["html", "golden_call"]
        assert AuditEntry.objects.filter(action="training_course.created").count() == 1
        assert AuditEntry.objects.filter(action="training_course.changed").count() == 2


@pytest.mark.parametrize(
    ("lesson", "field"),
    [
        ({"kind": "golden_call", "title": "x", "call_uid": "no-such-call"}, "call_uid"),
        ({"kind": "golden_call", "title": "x", "call_uid": "CALL", "clip_start": 5, "clip_end": 2}, "clip_end"),
        ({"kind": "golden_call", "title": "x", "call_uid": "CALL", "clip_start": 0, "clip_end": 600}, "clip_end"),
        ({"kind": "text", "title": "x", "body": ""}, "body"),
        ({"kind": "text", "title": "", "body": "b"}, "title"),
        ({"kind": "video", "title": "x", "body": "b"}, "kind"),
        ({"kind": "text", "title": "x", "body": "a\x00b"}, "body"),
        ({"kind": "attachment", "title": "x"}, "attachment"),
    ],
)
def test_a_bad_lesson_is_400_with_the_field_and_nothing_saved(world, lesson, field):
    with tenant_context(world["w"].tenant):
        course = make_course(world["trainer"], lessons=0)
    if lesson.get("call_uid") == "CALL":
        lesson = {**lesson, "call_uid": world["call"].uid}
    response = world["w"].api(world["trainer"]).post(f"{COURSES}/{course.pk}/lessons", lesson, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]
    with tenant_context(world["w"].tenant):
        assert Lesson.objects.count() == 0


def test_agents_cannot_author_and_see_only_their_assigned_courses(world):
    with tenant_context(world["w"].tenant):
        mine = make_course(world["trainer"], key="mine")
        make_course(world["trainer"], key="other")
        course_assign(actor=world["trainer"], course=mine, users=[world["ann"]])
    api = world["w"].api(world["ann"])
    assert api.post(COURSES, {"key": "x", "title": "X"}, format="json").status_code == 403
    assert [c["key"] for c in api.get(COURSES).json()["results"]] == ["mine"]
    with tenant_context(world["w"].tenant):
        other = Course.objects.get(key="other")
        other_lesson = lessons_of(other)[0]
    assert api.get(f"{COURSES}/{other.pk}").status_code == 404
    assert api.post(f"/api/v1/training/lessons/{other_lesson.pk}/complete").status_code == 404


def test_prerequisites_gate_the_start_and_refuse_a_cycle(world):
    with tenant_context(world["w"].tenant):
        basics = make_course(world["trainer"], key="basics", lessons=1)
        advanced = make_course(world["trainer"], key="advanced", lessons=1, prerequisites=[basics.pk])
        course_assign(actor=world["trainer"], course=advanced, users=[world["ann"]])
        course_assign(actor=world["trainer"], course=basics, users=[world["ann"]])
        advanced_lesson, basics_lesson = lessons_of(advanced)[0].pk, lessons_of(basics)[0].pk
    api = world["w"].api(world["ann"])
    blocked = api.post(f"/api/v1/training/lessons/{advanced_lesson}/complete")
    assert blocked.status_code == 400 and blocked.json()["code"] == "prerequisites_incomplete"
    assert api.post(f"/api/v1/training/lessons/{basics_lesson}/complete").json()["course_completed"]
    assert api.post(f"/api/v1/training/lessons/{advanced_lesson}/complete").json()["course_completed"]
    cycle = (
        world["w"]
        .api(world["trainer"])
        .patch(f"{COURSES}/{basics.pk}", {"prerequisites": [advanced.pk]}, format="json")
    )
    assert cycle.status_code == 400 and "prerequisites" in cycle.json()["fields"]


def test_completion_is_tracked_per_lesson_and_course_and_earns_the_course_certificate(world):
    with tenant_context(world["w"].tenant):
        course = make_course(world["trainer"], lessons=2)
        Certification.objects.create(name="Billing certified", course=course, valid_months=12)
        course_assign(actor=world["trainer"], course=course, users=[world["ann"]], due_date=timezone.localdate())
        first, second = lessons_of(course)
        assert lesson_complete(user=world["ann"], lesson=first) is False
        assert lesson_complete(user=world["ann"], lesson=first) is False  # idempotent
        assert LessonCompletion.objects.filter(user=world["ann"]).count() == 1
        assert lesson_complete(user=world["ann"], lesson=second) is True
        assignment = CourseAssignment.objects.get(user=world["ann"], course=course)
        assert assignment.completed_at is not None
        assert Certificate.objects.filter(user=world["ann"], certification__course=course).count() == 1
        # The trainer who assigned it is told; the agent was told of the assignment.
        assert Notification.objects.filter(user=world["ann"], kind="training.course_assigned").exists()
        assert Notification.objects.filter(user=world["trainer"], kind="training.course_completed").exists()
        # Re-assigning a completed course opens a new assignment.
        again = course_assign(actor=world["trainer"], course=course, users=[world["ann"]])
        assert again[0].pk != assignment.pk


def test_assigning_twice_keeps_one_open_assignment_and_tells_once(world):
    with tenant_context(world["w"].tenant):
        course = make_course(world["trainer"])
        course_assign(actor=world["trainer"], course=course, users=[world["ann"]])
        course_assign(actor=world["trainer"], course=course, users=[world["ann"]])
        assert CourseAssignment.objects.filter(user=world["ann"]).count() == 1
        assert Notification.objects.filter(user=world["ann"], kind="training.course_assigned").count() == 1


def test_a_draft_course_or_a_past_due_date_cannot_be_assigned(world):
    with tenant_context(world["w"].tenant):
        draft = make_course(world["trainer"], key="draft", published=False)
        course = make_course(world["trainer"], key="live")
    api = world["w"].api(world["trainer"])
    refused = api.post(f"{COURSES}/{draft.pk}/assignments", {"users": [world["ann"].pk]}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "course_not_published"
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    late = api.post(f"{COURSES}/{course.pk}/assignments", {"users": [world["ann"].pk], "due_date": past}, format="json")
    assert late.status_code == 400 and "due_date" in late.json()["fields"]
    with tenant_context(world["w"].tenant):
        assert CourseAssignment.objects.count() == 0


def test_a_supervisor_assigns_only_their_teams_members(world):
    with tenant_context(world["w"].tenant):
        course = make_course(world["trainer"])
    api = world["w"].api(world["sue"])
    outside = api.post(f"{COURSES}/{course.pk}/assignments", {"users": [world["bob"].pk]}, format="json")
    assert outside.status_code == 400 and "users" in outside.json()["fields"]
    inside = api.post(
        f"{COURSES}/{course.pk}/assignments", {"users": [world["ann"].pk], "due_date": None}, format="json"
    )
    assert inside.status_code == 201
    assert [row["user"] for row in inside.json()["results"]] == [world["ann"].pk]
    # An agent may not assign.
    assert (
        world["w"]
        .api(world["bob"])
        .post(f"{COURSES}/{course.pk}/assignments", {"users": []}, format="json")
        .status_code
        == 403
    )
    # The supervisor follows the member's assignments, not an outsider's.
    assert api.get("/api/v1/training/assignments", {"user": world["ann"].pk}).status_code == 200
    assert api.get("/api/v1/training/assignments", {"user": world["bob"].pk}).status_code == 404


def test_another_tenant_never_sees_the_course(world, globex):
    with tenant_context(world["w"].tenant):
        course = make_course(world["trainer"])
    with tenant_context(globex.tenant):
        trainer = globex.user("trainer")
    api = globex.api(trainer)
    assert api.get(COURSES).json()["results"] == []
    assert api.get(f"{COURSES}/{course.pk}").status_code == 404
