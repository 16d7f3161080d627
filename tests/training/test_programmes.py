"""Onboarding programmes (issue 16 item 4): building, assigning to new hires (courses assigned with
due dates), milestone sign-off by whom, completion, the progress pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.notifications.models import Notification
from apps.training.models import Attempt, CourseAssignment, Exam, ProgrammeAssignment
from apps.training.services.courses import lesson_complete
from apps.training.services.programmes import programme_assign, programme_save, programmes_refresh_all, step_states
from tests.accounts.helpers import web_login
from tests.qa.factories import make_team
from tests.training.course_helpers import lessons_of, make_course

PROGRAMMES = "/api/v1/training/programmes"


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        people = {
            "trainer": acme.user("trainer"),
            "hire": acme.user("agent"),
            "sue": acme.user("supervisor"),
            "tom": acme.user("supervisor"),
            "bob": acme.user("agent"),
        }
        make_team(supervisors=[people["sue"]], members=[people["hire"]])
        course = make_course(people["trainer"], key="systems", lessons=1)
        exam = Exam.objects.create(title="Systems exam", pass_percent=60, time_limit_minutes=10)
        programme = programme_save(
            actor=people["trainer"],
            data={
                "name": "New hire onboarding",
                "steps": [
                    {"kind": "course", "course": course.pk, "due_days": 3},
                    {"kind": "exam", "exam": exam.pk, "due_days": 5},
                    {"kind": "milestone", "title": "First 20 calls shadowed", "due_days": 10},
                ],
            },
        )
    return {"w": acme, "course": course, "exam": exam, "programme": programme, **people}


def test_assigning_a_programme_assigns_its_courses_with_due_dates_and_tells_the_hire(world):
    start = timezone.localdate()
    with tenant_context(world["w"].tenant):
        [run] = programme_assign(
            actor=world["trainer"], programme=world["programme"], users=[world["hire"]], started_on=start
        )
        assignment = CourseAssignment.objects.get(user=world["hire"], course=world["course"])
        assert assignment.source == "programme" and assignment.source_ref == str(run.pk)
        assert assignment.due_date == start + dt.timedelta(days=3)
        assert [row["due"] for row in step_states(run)] == [start + dt.timedelta(days=d) for d in (3, 5, 10)]
        assert Notification.objects.filter(user=world["hire"], kind="training.programme_assigned").exists()
        assert AuditEntry.objects.filter(action="training_programme.assigned").exists()
        # Assigning again keeps the run.
        assert (
            programme_assign(actor=world["trainer"], programme=world["programme"], users=[world["hire"]])[0].pk
            == run.pk
        )


def test_the_programme_completes_when_course_exam_and_milestone_are_done(world):
    with tenant_context(world["w"].tenant):
        [run] = programme_assign(actor=world["trainer"], programme=world["programme"], users=[world["hire"]])
        lesson_complete(user=world["hire"], lesson=lessons_of(world["course"])[0])
        now = timezone.now()
        Attempt.objects.create(
            exam=world["exam"],
            user=world["hire"],
            deadline=now,
            submitted_at=now,
            status="submitted",
            score_percent=90,
            passed=True,
        )
        assert programmes_refresh_all() == 0  # the milestone is still open
        assert [row["done"] for row in step_states(run)] == [True, True, False]
        milestone = run.programme.steps.get(kind="milestone")
    api = world["w"].api(world["sue"])
    signed = api.post(
        f"/api/v1/training/programme-runs/{run.pk}/signoffs", {"step": milestone.pk, "notes": "Good"}, format="json"
    )
    assert signed.status_code == 201, signed.content
    assert signed.json()["completed_at"] is not None
    again = api.post(f"/api/v1/training/programme-runs/{run.pk}/signoffs", {"step": milestone.pk}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "already_signed"
    with tenant_context(world["w"].tenant):
        assert Notification.objects.filter(user=world["hire"], kind="training.programme_completed").exists()


def test_only_a_trainer_or_the_hires_supervisor_signs_off(world):
    with tenant_context(world["w"].tenant):
        [run] = programme_assign(actor=world["trainer"], programme=world["programme"], users=[world["hire"]])
        milestone = run.programme.steps.get(kind="milestone")
    path = f"/api/v1/training/programme-runs/{run.pk}/signoffs"
    assert world["w"].api(world["hire"]).post(path, {"step": milestone.pk}, format="json").status_code == 403
    # Another team's supervisor does not even see the run.
    assert world["w"].api(world["tom"]).post(path, {"step": milestone.pk}, format="json").status_code == 404
    course_step = run.programme.steps.get(kind="course")
    wrong = world["w"].api(world["trainer"]).post(path, {"step": course_step.pk}, format="json")
    assert wrong.status_code == 400
    assert world["w"].api(world["trainer"]).post(path, {"step": milestone.pk}, format="json").status_code == 201


def test_programmes_through_the_api_validate_and_lock_their_steps_once_followed(world):
    api = world["w"].api(world["trainer"])
    bad = api.post(PROGRAMMES, {"name": "X", "steps": [{"kind": "course", "course": 999999}]}, format="json")
    assert bad.status_code == 400 and "steps.0.course" in bad.json()["fields"]
    assert api.post(PROGRAMMES, {"name": "Y", "steps": []}, format="json").status_code == 400
    assigned = api.post(
        f"{PROGRAMMES}/{world['programme'].pk}/assignments", {"users": [world["hire"].pk]}, format="json"
    )
    assert assigned.status_code == 201
    locked = api.patch(
        f"{PROGRAMMES}/{world['programme'].pk}", {"steps": [{"kind": "milestone", "title": "x"}]}, format="json"
    )
    assert locked.status_code == 400 and "steps" in locked.json()["fields"]
    assert world["w"].api(world["hire"]).post(PROGRAMMES, {"name": "Z"}, format="json").status_code == 403
    # The hire reads their own run; another agent does not.
    run_id = assigned.json()["results"][0]["id"]
    assert world["w"].api(world["hire"]).get(f"/api/v1/training/programme-runs/{run_id}").status_code == 200
    assert world["w"].api(world["bob"]).get(f"/api/v1/training/programme-runs/{run_id}").status_code == 404


def test_progress_pages_for_the_hire_the_supervisor_and_the_trainer(world):
    with tenant_context(world["w"].tenant):
        [run] = programme_assign(actor=world["trainer"], programme=world["programme"], users=[world["hire"]])
    mine = web_login(world["w"], world["hire"].email).get("/training/").content.decode()
    assert "New hire onboarding" in mine and "First 20 calls shadowed" in mine
    sue = web_login(world["w"], world["sue"].email)
    team = sue.get("/training/people/").content.decode()
    assert f'data-person="{world["hire"].pk}"' in team and f'data-person="{world["bob"].pk}"' not in team
    assert sue.get(f"/training/people/{world['bob'].pk}/").status_code == 404
    run_page = sue.get(f"/training/programme-runs/{run.pk}/").content.decode()
    assert "Sign off" in run_page
    trainer = web_login(world["w"], world["trainer"].email)
    assert f'data-person="{world["bob"].pk}"' in trainer.get("/training/people/").content.decode()
    assert trainer.get(f"/training/programmes/{world['programme'].pk}/").status_code == 200
    assert web_login(world["w"], world["bob"].email).get("/training/people/").status_code == 403
    with tenant_context(world["w"].tenant):
        assert ProgrammeAssignment.objects.count() == 1
