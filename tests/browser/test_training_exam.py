"""Issue 16 item 8 in a real browser: an agent takes and passes an exam and starts receiving the
skill's calls. The certification grants the queue's skill (``general``), so until Olivia holds a
certificate the walk's queue does not offer her its calls — a caller waits; she opens the exam
page (the server's deadline shown, no answers in the page), answers, hands in (the confirm
dialog), reads her result, and the waiting call is offered on her desk at once (the certificate
gave her the skill and the engine reloaded her settings). The database holds the passed attempt and
the certificate; no JavaScript error on either page."""

from __future__ import annotations

from playwright.sync_api import expect

from apps.telephony.models import Agent, Call
from tests.browser.conftest import PASSWORD, log_in, wait_until
from tests.browser.test_qa_workspace import csp_violations

CALLER = "13700001616"


def _setup(walk) -> dict:
    from apps.accounts.choices import Role
    from apps.accounts.models import User
    from apps.telephony.models import Skill
    from apps.training.services.certifications import certification_create
    from apps.training.services.exams import exam_create

    def build() -> dict:
        trainer = User.objects.create_user("trainer@walk.test", PASSWORD, name="Tina Trainer", roles=[Role.TRAINER])
        exam = exam_create(
            actor=trainer,
            data={
                "title": "General line",
                "pass_percent": 100,
                "time_limit_minutes": 10,
                "questions": [
                    {
                        "kind": "single",
                        "text": "How do you greet a caller?",
                        "options": ["Hello?", "Thank you for calling"],
                        "answer": [1],
                    },
                    {"kind": "true_false", "text": "Verify the caller before account details.", "answer": [0]},
                ],
            },
        )
        general = Skill.objects.get(code="general")
        certification_create(
            actor=trainer,
            data={"name": "General line", "exam": exam.pk, "valid_months": 12, "skill": general.pk, "level": 5},
        )
        return {"exam": exam.pk, "questions": list(exam.exam_questions.values_list("question_id", flat=True))}

    return walk.read(build)


def _desk(new_page, walk, email, seat):
    status, body = walk.api("POST", "agents/me/state", token=walk.token(email), body={"state": "offline"})
    assert status == 200, body
    page = new_page()
    log_in(page, email, "/desk/")
    expect(page.locator("#panel-login")).to_be_visible()
    page.get_by_label("Seat").select_option(seat)
    page.locator("#login-form").get_by_role("button", name="Log in").click()
    expect(page.locator("#desk-state")).to_have_text("Not ready")
    page.get_by_role("button", name="Ready", exact=True).click()
    expect(page.locator("#desk-state")).to_have_text("Ready")
    return page


def test_an_agent_passes_the_exam_and_starts_receiving_the_skills_calls(walk, engine, new_page):
    from apps.training.models import Attempt, Certificate

    scene = _setup(walk)
    desk = _desk(new_page, walk, walk.old_agent_email, walk.other_seat)
    wait_until(lambda: walk.read(lambda: Agent.objects.get(pk=walk.old_agent_id).state) == "ready", "Olivia Ready")

    # Not certified yet: the queue's call waits (Wendy, uncertified as well, is not even logged in).
    uid = engine.inject(CALLER)
    wait_until(lambda: walk.read(lambda: Call.objects.filter(uid=uid, status="queued").exists()) or None, "queued")
    expect(desk.locator("#panel-offer")).to_be_hidden()

    exam_page = new_page()
    violations = csp_violations(exam_page)
    log_in(exam_page, walk.old_agent_email, "/training/exams/")
    exam_page.locator(f'button[data-start-exam="{scene["exam"]}"]').click()
    expect(exam_page.locator("#training-remaining")).not_to_have_text("")
    html = exam_page.content()
    assert "training-correct" not in html and "Thank you for calling" in html
    first, second = scene["questions"]
    exam_page.locator(f'fieldset[data-question="{first}"] input[value="1"]').check()
    exam_page.locator(f'fieldset[data-question="{second}"] input[value="0"]').check()
    exam_page.get_by_role("button", name="Submit").click()
    dialog = exam_page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("button.confirm-ok").click()
    expect(exam_page.locator("#training-result")).to_contain_text("Passed")
    expect(exam_page.locator("#training-result")).to_contain_text("100.00%")

    # The certificate gave Olivia the skill; the engine reloaded her settings: the waiting call is hers.
    expect(desk.locator("#panel-offer")).to_be_visible()
    expect(desk.locator("#offer-caller")).to_have_text(CALLER)

    def stored():
        attempt = Attempt.objects.get(user__email=walk.old_agent_email)
        return attempt.passed, Certificate.objects.filter(user__email=walk.old_agent_email).count()

    assert walk.read(stored) == (True, 1)
    assert desk.js_errors == [] and exam_page.js_errors == []
    assert violations == [], violations
