"""Course pages (issue 16 item 1): the trainer's authoring, the lesson page (text escaped, the golden
call through the signed-link player with every play logged), attachments under the tenant's
prefix, the agent's completion, and who may open what."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.telephony.models import RecordingAccess
from apps.training.models import Course, CourseAssignment, Lesson
from apps.training.services.courses import course_assign, lesson_save
from tests.accounts.helpers import web_login
from tests.qa.factories import make_agent_call
from tests.training.course_helpers import lessons_of, make_course


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        trainer, ann, bob = acme.user("trainer"), acme.user("agent"), acme.user("agent")
        call = make_agent_call(bob, recording_seconds=6.0)
        course = make_course(trainer, lessons=0)
        lesson_save(
            actor=trainer,
            course=course,
            data={
                "kind": "html",
                "title": "Script",
                "body": '<b onclick="steal()">Hi</b><script>alert(1)</script><a href="javascript:alert(2)">x</a>'
                '<p style="color:red">line two</p>',
            },
        )
        golden = lesson_save(
            actor=trainer,
            course=course,
            data={
                "kind": "golden_call",
                "title": "Model call",
                "call_uid": call.uid,
                "clip_start": 2,
                "clip_end": 5,
                "trainer_notes": "Note the empathy.",
            },
        )
        course_assign(actor=trainer, course=course, users=[ann])
    return {"w": acme, "trainer": trainer, "ann": ann, "bob": bob, "course": course, "golden": golden}


def test_the_trainer_creates_a_course_on_the_page_and_bad_input_is_400(world):
    client = web_login(world["w"], world["trainer"].email)
    bad = client.post("/training/courses/new/", {"key": "Bad Key!", "title": "", "status": "draft", "position": 0})
    assert bad.status_code == 400
    good = client.post("/training/courses/new/", {"key": "tone", "title": "Tone", "status": "published", "position": 1})
    assert good.status_code == 302
    with tenant_context(world["w"].tenant):
        assert Course.objects.filter(key="tone").exists()


def test_the_lesson_page_sanitises_html_and_plays_the_golden_call_through_a_logged_signed_link(world):
    client = web_login(world["w"], world["ann"].email)
    with tenant_context(world["w"].tenant):
        html_lesson = lessons_of(world["course"])[0]
    page = client.get(f"/training/lessons/{html_lesson.pk}/").content.decode()
    body = page.split('id="training-lesson-body">', 1)[1].split("</section>", 1)[0]
    # Formatting survives; scripts, handlers, styles and javascript: links do not (nh3).
    assert "<b>Hi</b>" in body and "<p>line two</p>" in body
    assert "script" not in body and "onclick" not in body and "javascript" not in body and "style" not in body
    page = client.get(f"/training/lessons/{world['golden'].pk}/").content.decode()
    assert 'id="qa-player"' in page and 'data-clip-start="2"' in page and 'data-clip-end="5"' in page
    assert "Note the empathy." in page
    link = re.search(r'data-src="([^"]+)"', page).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"RIFF"
    with tenant_context(world["w"].tenant):
        assert RecordingAccess.objects.filter(user=world["ann"], action="play").count() == 1
        entry = AuditEntry.objects.get(action="recording.played")
        assert entry.extra["lesson"] == world["golden"].pk
    # The link is the agent's own: another person (even one who may read the lesson) is refused.
    assert web_login(world["w"], world["trainer"].email).get(link).status_code == 403
    forged = link.split("token=")[0] + "token=forged"
    assert client.get(forged).status_code == 403


def test_an_agent_without_the_course_cannot_open_its_lessons_or_recording(world):
    client = web_login(world["w"], world["bob"].email)
    assert client.get(f"/training/lessons/{world['golden'].pk}/").status_code == 404
    assert client.get(f"/training/courses/{world['course'].pk}/").status_code == 404
    assert client.get("/training/courses/new/").status_code == 403


def test_the_agent_completes_lessons_on_the_pages(world):
    client = web_login(world["w"], world["ann"].email)
    with tenant_context(world["w"].tenant):
        first, second = lessons_of(world["course"])
    assert client.post(f"/training/lessons/{first.pk}/complete/").status_code == 302
    response = client.post(f"/training/lessons/{second.pk}/complete/")
    assert response["Location"] == f"/training/courses/{world['course'].pk}/"
    with tenant_context(world["w"].tenant):
        assert CourseAssignment.objects.get(user=world["ann"]).completed_at is not None
    mine = client.get("/training/").content.decode()
    assert "Completed" in mine and world["course"].title in mine


def test_an_attachment_is_stored_under_the_tenant_prefix_and_served_to_trainees(world):
    client = web_login(world["w"], world["trainer"].email)
    upload = SimpleUploadedFile("guide.pdf", b"%PDF-1.4 guide", content_type="application/pdf")
    response = client.post(
        f"/training/courses/{world['course'].pk}/lessons/new/",
        {"kind": "attachment", "title": "Guide", "attachment": upload},
    )
    assert response.status_code == 302, response.content
    with tenant_context(world["w"].tenant):
        lesson = Lesson.objects.get(title="Guide")
        assert lesson.attachment.name.startswith(f"tenants/{world['w'].tenant.schema_name}/training/")
        assert default_storage.exists(lesson.attachment.name)
    got = web_login(world["w"], world["ann"].email).get(f"/training/lessons/{lesson.pk}/file/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF-1.4 guide"
    refused = client.post(
        f"/training/courses/{world['course'].pk}/lessons/new/",
        {"kind": "attachment", "title": "Bad", "attachment": SimpleUploadedFile("x.exe", b"MZ")},
    )
    assert refused.status_code == 400


def test_the_trainer_orders_and_deletes_lessons(world):
    client = web_login(world["w"], world["trainer"].email)
    client.post(f"/training/lessons/{world['golden'].pk}/move/", {"to": "up"})
    with tenant_context(world["w"].tenant):
        assert [lesson.title for lesson in lessons_of(world["course"])] == ["Model call", "Script"]
    client.post(f"/training/lessons/{world['golden'].pk}/delete/")
    with tenant_context(world["w"].tenant):
        assert [lesson.title for lesson in lessons_of(world["course"])] == ["Script"]
    assert client.get(f"/training/lessons/{world['golden'].pk}/delete/").status_code == 405


def test_every_course_and_programme_page_renders_for_the_trainer_and_the_supervisor(world):
    from apps.training.services.programmes import programme_assign, programme_save

    with tenant_context(world["w"].tenant):
        programme = programme_save(
            actor=world["trainer"],
            data={"name": "Onboarding", "steps": [{"kind": "course", "course": world["course"].pk, "due_days": 2}]},
        )
        [run] = programme_assign(actor=world["trainer"], programme=programme, users=[world["ann"]])
    trainer = web_login(world["w"], world["trainer"].email)
    for path in (
        "/training/",
        "/training/courses/",
        f"/training/courses/{world['course'].pk}/",
        f"/training/courses/{world['course'].pk}/edit/",
        f"/training/courses/{world['course'].pk}/assign/",
        f"/training/courses/{world['course'].pk}/lessons/new/?kind=golden_call",
        f"/training/lessons/{world['golden'].pk}/edit/",
        "/training/effectiveness/",
        "/training/qa-rules/",
        "/training/programmes/",
        f"/training/programmes/{programme.pk}/",
        f"/training/programmes/{programme.pk}/assign/",
        f"/training/programme-runs/{run.pk}/",
        "/training/careers/",
        "/training/people/",
        f"/training/people/{world['ann'].pk}/",
    ):
        assert trainer.get(path).status_code == 200, path
    # A trainer cannot browse calls: the new-lesson page lists recent recorded calls to pick from.
    with tenant_context(world["w"].tenant):
        uid = Lesson.objects.get(pk=world["golden"].pk).call_uid
    picker = trainer.get(f"/training/courses/{world['course'].pk}/lessons/new/").content.decode()
    assert 'id="training-recent-calls"' in picker and f"call={uid}" in picker
    chosen = trainer.get(f"/training/courses/{world['course'].pk}/lessons/new/?kind=golden_call&call={uid}")
    assert f'value="{uid}"' in chosen.content.decode()
    supervisor = web_login(world["w"], world["w"].user("supervisor").email)
    assert supervisor.get(f"/training/courses/{world['course'].pk}/assign/").status_code == 200
    assert supervisor.get("/training/effectiveness/").status_code == 403
    rule = trainer.post(
        "/training/qa-rules/",
        {
            "name": "R1",
            "question_text": "Greeted",
            "misses": 3,
            "course": world["course"].pk,
            "due_days": 7,
            "is_active": "on",
        },
    )
    assert rule.status_code == 302
    step = trainer.post(
        f"/training/programmes/{programme.pk}/",
        {"form": "step", "s-kind": "milestone", "s-title": "x", "s-due_days": 3},
    )
    assert step.status_code == 400  # the programme is followed: its steps are locked
