"""The exam and certification pages (issue 16 item 2/3 pages): an agent takes an exam through the
pages (no answers in the taking page, the server's deadline shown), the trainer's editor, bank and
grading queue, the certification list and a person's certificates; roles and tenants."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.training.choices import AttemptStatus
from apps.training.models import Attempt, Certificate, Certification, Exam, Question
from tests.accounts.helpers import web_login
from tests.factories import SkillFactory
from tests.training.helpers import create_exam


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        people = {"trainer": acme.user("trainer"), "ann": acme.user("agent"), "hr": acme.user("hr")}
    return {"w": acme, **people}


def _client(world, who):
    return web_login(world["w"], world[who].email)


def test_an_agent_takes_and_passes_an_exam_through_the_pages(world):
    exam = create_exam(world["w"], world["trainer"])
    ann = _client(world, "ann")
    listing = ann.get("/training/exams/")
    assert listing.status_code == 200 and "Billing basics" in listing.content.decode()
    started = ann.post(f"/training/exams/{exam['id']}/start/")
    assert started.status_code == 302
    page = ann.get(started["Location"]).content.decode()
    assert 'data-remaining="' in page and "<time datetime=" in page
    with tenant_context(world["w"].tenant):
        attempt = Attempt.objects.get(user=world["ann"])
    assert "training-correct" not in page and "✓" not in page
    single, multiple, true_false = exam["questions"]
    form = {f"q{single['id']}": "1", f"q{multiple['id']}": ["0", "2"], f"q{true_false['id']}": "0"}
    done = ann.post(f"/training/attempts/{attempt.pk}/submit/", form)
    assert done.status_code == 302
    result = ann.get(f"/training/attempts/{attempt.pk}/").content.decode()
    assert "100.00%" in result and "training-correct" in result
    with tenant_context(world["w"].tenant):
        attempt.refresh_from_db()
        assert attempt.passed is True and attempt.status == AttemptStatus.SUBMITTED


def test_a_late_page_submission_records_nothing_and_says_so(world):
    exam = create_exam(world["w"], world["trainer"])
    ann = _client(world, "ann")
    ann.post(f"/training/exams/{exam['id']}/start/")
    with tenant_context(world["w"].tenant):
        attempt = Attempt.objects.get(user=world["ann"])
        Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    response = ann.post(f"/training/attempts/{attempt.pk}/submit/", {}, follow=True)
    assert "ran out" in response.content.decode()
    with tenant_context(world["w"].tenant):
        assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.EXPIRED


def test_the_trainer_builds_an_exam_in_the_editor(world):
    trainer = _client(world, "trainer")
    created = trainer.post(
        "/training/exams/new/", {"title": "Greeting", "pass_percent": 80, "time_limit_minutes": 10, "max_attempts": 2}
    )
    assert created.status_code == 302
    with tenant_context(world["w"].tenant):
        exam = Exam.objects.get(title="Greeting")
    url = f"/training/exams/{exam.pk}/edit/"
    bad = trainer.post(
        url,
        {"form": "question", "q-kind": "single", "q-text": "?", "q-options": "A\nB", "q-correct": "3", "q-points": 1},
    )
    assert bad.status_code == 200
    with tenant_context(world["w"].tenant):
        assert not exam.exam_questions.exists()
    good = trainer.post(
        url,
        {
            "form": "question",
            "q-kind": "multiple",
            "q-text": "Which greetings?",
            "q-options": "您好\n喂\n早上好",
            "q-correct": "1,3",
            "q-points": 2,
        },
    )
    assert good.status_code == 302
    with tenant_context(world["w"].tenant):
        question = Question.objects.get(text="Which greetings?")
        assert question.answer == [0, 2] and question.options == ["您好", "喂", "早上好"]
    editor = trainer.get(url).content.decode()
    assert "training-correct" in editor  # the author sees the answers


def test_banks_grading_and_certification_pages_are_for_trainers(world):
    trainer, ann = _client(world, "trainer"), _client(world, "ann")
    for path in ("/training/banks/", "/training/grading/", "/training/exams/new/"):
        assert trainer.get(path).status_code == 200, path
        assert ann.get(path).status_code == 403, path
    bank = trainer.post("/training/banks/", {"name": "Products"})
    assert bank.status_code == 302
    added = trainer.post(
        bank["Location"],
        {"q-kind": "true_false", "q-text": "4G covers the city.", "q-correct": "1", "q-points": 1, "q-tags": "network"},
    )
    assert added.status_code == 302
    exam = create_exam(world["w"], world["trainer"])
    with tenant_context(world["w"].tenant):
        skill = SkillFactory(code="page-skill")
    created = trainer.post(
        "/training/certifications/",
        {
            "name": "Network desk",
            "exam": exam["id"],
            "valid_months": 12,
            "renewal_notice_days": 30,
            "skill": skill.pk,
            "level": 4,
        },
    )
    assert created.status_code == 302
    with tenant_context(world["w"].tenant):
        assert Certification.objects.get(name="Network desk").level == 4
    assert ann.post("/training/certifications/", {"name": "Mine"}).status_code == 404
    listing = ann.get("/training/certifications/").content.decode()
    assert "Network desk" in listing and "training-all-certificates" not in listing


def test_certificate_pages_show_expiry_to_the_holder_and_to_hr(world):
    exam = create_exam(world["w"], world["trainer"])
    with tenant_context(world["w"].tenant):
        certification = Certification.objects.create(name="Complaints", exam_id=exam["id"], valid_months=3)
        Certificate.objects.create(
            user=world["ann"], certification=certification, expires_at=timezone.now() + timedelta(days=5)
        )
    mine = _client(world, "ann").get("/training/certificates/").content.decode()
    assert "Complaints" in mine and "Expiring soon" in mine
    assert _client(world, "ann").get(f"/training/people/{world['trainer'].pk}/certificates/").status_code == 403
    hr_view = _client(world, "hr").get(f"/training/people/{world['ann'].pk}/certificates/").content.decode()
    assert "Complaints" in hr_view
    all_rows = _client(world, "hr").get("/training/certifications/").content.decode()
    assert "training-all-certificates" in all_rows


def test_someone_elses_attempt_page_is_not_found(world, globex):
    exam = create_exam(world["w"], world["trainer"])
    _client(world, "ann").post(f"/training/exams/{exam['id']}/start/")
    with tenant_context(world["w"].tenant):
        attempt = Attempt.objects.get(user=world["ann"])
        bob = world["w"].user("agent")
    client = web_login(world["w"], bob.email)
    assert client.get(f"/training/attempts/{attempt.pk}/").status_code == 404
    with tenant_context(globex.tenant):
        outsider = globex.user("agent")
    other = web_login(globex, outsider.email)
    assert other.get(f"/training/attempts/{attempt.pk}/").status_code == 404
    assert not re.search("Billing basics", other.get("/training/exams/").content.decode())


def test_the_taking_page_and_certificates_speak_chinese(world):
    from django.conf import settings

    from tests.pending_po import pending_translations

    exam = create_exam(world["w"], world["trainer"])
    client = _client(world, "ann")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    with pending_translations("training-core"):
        client.post(f"/training/exams/{exam['id']}/start/")
        with tenant_context(world["w"].tenant):
            attempt = Attempt.objects.get(user=world["ann"])
        page = client.get(f"/training/attempts/{attempt.pk}/").content.decode()
        mine = client.get("/training/certificates/").content.decode()
    for words in ("交卷截止", "剩余时间", "以服务器时间为准", "交卷"):
        assert words in page, words
    assert "Hand in by" not in page
    assert "我的证书" in mine and "还没有证书。" in mine


def test_an_agent_takes_a_typing_test_on_its_page(world):
    trainer, ann = _client(world, "trainer"), _client(world, "ann")
    created = trainer.post(
        "/training/typing/",
        {
            "title": "English entry",
            "language": "en",
            "passage": "Thank you for calling.",
            "duration_seconds": 60,
            "pass_cpm": 30,
            "pass_accuracy": 90,
        },
    )
    assert created.status_code == 302
    assert ann.post("/training/typing/", {"title": "x"}).status_code == 404
    from apps.training.models import TypingAttempt, TypingTest

    with tenant_context(world["w"].tenant):
        test = TypingTest.objects.get(title="English entry")
    started = ann.post(f"/training/typing/{test.pk}/start/")
    page = ann.get(started["Location"]).content.decode()
    assert "Thank you for calling." in page and "data-no-paste" in page and 'data-remaining="' in page
    with tenant_context(world["w"].tenant):
        attempt = TypingAttempt.objects.get(user=world["ann"])
        TypingAttempt.objects.filter(pk=attempt.pk).update(started_at=timezone.now() - timedelta(seconds=30))
    ann.post(f"/training/typing/attempts/{attempt.pk}/submit/", {"typed": "Thank you for calling."})
    result = ann.get(f"/training/typing/attempts/{attempt.pk}/").content.decode()
    assert "training-typing-result" in result and "100.00" in result and "Passed" in result
    assert _client(world, "trainer").get(f"/training/typing/attempts/{attempt.pk}/").status_code == 404
