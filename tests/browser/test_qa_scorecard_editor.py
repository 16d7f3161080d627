"""The scorecard editor in a real browser: a QA lead builds a form with static/js/qa-scorecard.js
— adds a question and a section without the page reloading, moves a question up, removes one —
and saves; the database holds the sections and questions in the order shown, and the page raised
no JavaScript error."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import SLUG, log_in
from tests.conftest import PASSWORD


def _lead(walk) -> str:
    from apps.accounts.choices import Role
    from apps.accounts.models import User

    email = f"lead@{SLUG}.test"

    def create() -> None:
        if not User.objects.filter(email=email).exists():
            User.objects.create_user(email, PASSWORD, name="Lena Lead", roles=[Role.QA_LEAD])

    walk.read(create)
    return email


def test_a_lead_builds_a_scorecard_with_the_editor(walk, new_page):
    page = new_page()
    log_in(page, _lead(walk), "/qa/scorecards/new/")
    page.evaluate("window.qaNoReload = true")  # gone if a button posted the form instead

    page.get_by_label("Name").fill("Browser-built form")
    sections = page.locator("[data-section]:not(template [data-section])")
    first = sections.nth(0)
    first.get_by_label("Title").fill("Opening")
    first.locator("[data-question]").nth(0).get_by_label("Question", exact=True).fill("Greeted")

    first.get_by_role("button", name="Add question").click()
    expect(first.locator("[data-question]")).to_have_count(2)
    second_question = first.locator("[data-question]").nth(1)
    second_question.get_by_label("Question", exact=True).fill("Verified identity")
    second_question.locator("[data-qfield=kind]").select_option("scale")
    second_question.locator("[data-qfield=points]").fill("5")
    second_question.locator("[data-qfield=critical]").select_option("section")
    second_question.get_by_label("N/A allowed").check()
    second_question.get_by_role("button", name="Up").click()  # now first

    page.get_by_role("button", name="Add section").click()
    expect(sections).to_have_count(2)
    other = sections.nth(1)
    other.get_by_label("Title").fill("Closing")
    other.locator("[data-sfield=weight]").fill("2")
    other.locator("[data-question]").nth(0).get_by_label("Question", exact=True).fill("Thanked the caller")
    other.get_by_role("button", name="Add question").click()
    other.locator("[data-question]").nth(1).get_by_label("Question", exact=True).fill("To be removed")
    other.locator("[data-question]").nth(1).get_by_role("button", name="Remove").click()
    expect(other.locator("[data-question]")).to_have_count(1)
    assert page.evaluate("window.qaNoReload === true")

    expect(other.locator("[data-sfield=title]")).to_have_attribute("name", "s-1-title")
    page.get_by_role("button", name="Save").first.click()
    page.wait_for_url(lambda url: "/qa/scorecards/" in url and "/new/" not in url)
    expect(page.get_by_role("heading", name="Browser-built form")).to_be_visible()

    def stored():
        from apps.qa.models import Question, Scorecard

        scorecard = Scorecard.objects.get(name="Browser-built form")
        return [
            (q.section.title, str(q.section.weight), q.text, q.kind, q.points, q.critical, q.allow_na)
            for q in Question.objects.filter(section__scorecard=scorecard)
            .select_related("section")
            .order_by("section__position", "position")
        ]

    assert walk.read(stored) == [
        ("Opening", "1.00", "Verified identity", "scale", 5, "section", True),
        ("Opening", "1.00", "Greeted", "yes_no", 1, "none", False),
        ("Closing", "2.00", "Thanked the caller", "yes_no", 1, "none", False),
    ]
    assert page.js_errors == []
