"""Issue 16 items 1 and 4 in a real browser: an agent opens the course assigned to them from My
training, reads the text lesson, plays the golden call (a clip of a recorded call, through the QA
player and the lesson's signed link: the player starts at the clip and the play is logged), marks
both lessons done and sees the course completed. The database holds the completion and the one
logged play; no page raised a JavaScript error or a CSP violation."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import log_in, wait_until
from tests.browser.test_qa_workspace import csp_violations, player_time, qa_scene


def _course(walk, call_uid: str) -> dict:
    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.training.models import Course
    from apps.training.services.courses import course_assign, course_save, lesson_save

    def create() -> dict:
        course = Course.objects.filter(key="walk-greeting").first()
        if course is None:
            trainer = User.objects.filter(email="trainer@walk.test").first() or User.objects.create_user(
                "trainer@walk.test", "Walk-Trainer-2026!", name="Tess Trainer", roles=[Role.TRAINER]
            )
            course = course_save(
                actor=trainer, data={"key": "walk-greeting", "title": "Greeting basics", "status": "published"}
            )
            lesson_save(
                actor=trainer, course=course, data={"kind": "text", "title": "The opening", "body": "Say the name."}
            )
            lesson_save(
                actor=trainer,
                course=course,
                data={
                    "kind": "golden_call",
                    "title": "A model call",
                    "call_uid": call_uid,
                    "clip_start": 2,
                    "clip_end": 5,
                    "trainer_notes": "Listen for the pause before the answer.",
                },
            )
            agent = User.objects.get(email=walk.agent_email)
            course_assign(actor=trainer, course=course, users=[agent])
        return {"course": course.pk, "lessons": list(course.lessons.order_by("position").values_list("pk", flat=True))}

    return walk.read(create)


def test_an_agent_completes_an_assigned_course_with_a_golden_call(walk, new_page):
    from apps.telephony.models import RecordingAccess
    from apps.training.models import CourseAssignment

    scene = qa_scene(walk, uid="walk-training-golden-1")
    made = _course(walk, scene.call_uid)
    page = new_page()
    violations = csp_violations(page)
    log_in(page, walk.agent_email, "/training/")
    row = page.locator("#training-my-courses tr", has_text="Greeting basics")
    expect(row).to_contain_text("0 / 2")
    row.get_by_role("link", name="Greeting basics").click()
    page.locator("#training-lessons").get_by_role("link", name="The opening").click()
    expect(page.locator("#training-lesson-body")).to_contain_text("Say the name.")
    page.locator("#training-lesson-complete").click()

    # The next lesson: the golden call, its clip, the trainer's notes.
    page.wait_for_url(lambda url: url.rstrip("/").endswith(f"/training/lessons/{made['lessons'][1]}"))
    expect(page.locator("#training-trainer-notes")).to_contain_text("Listen for the pause")
    expect(page.locator("#qa-player")).to_have_attribute("data-ready", "true")
    expect(page.locator("#training-clip")).to_have_attribute("data-clip-ready", "true")
    wait_until(lambda: abs(player_time(page) - 2) < 0.5, "the player to start at the clip")
    page.locator("#training-lesson-complete").click()

    page.wait_for_url(lambda url: url.rstrip("/").endswith(f"/training/courses/{made['course']}"))
    expect(page.locator(".messages")).to_contain_text("Course completed")
    expect(page.locator("#training-lessons .lesson-done")).to_have_count(2)

    def stored():
        assignment = CourseAssignment.objects.get(course_id=made["course"], user__email=walk.agent_email)
        plays = RecordingAccess.objects.filter(recording_id=scene.recording_id, user__email=walk.agent_email).count()
        return assignment.completed_at is not None, plays

    assert wait_until(lambda: walk.read(stored) == (True, 1) or None, "the completion and the logged play")
    page.goto(f"{walk.base_url}/training/")
    expect(page.locator("#training-my-courses tr", has_text="Greeting basics")).to_contain_text("Completed")
    assert page.js_errors == []
    assert violations == [], violations
