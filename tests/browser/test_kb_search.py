"""The knowledge base from the desk between calls, in a real browser (issue 17 item 4's browser
step): the agent types an English question in the desk's KB card, the ranked answer shows with
its words marked, and opening it shows the article in place; the knowledge base counts the search
and the view (what trainers read), with no call attached. The live server and the tenant ``walk``
come from tests/browser/conftest.py; no engine is needed."""

from __future__ import annotations

from playwright.sync_api import expect

from apps.crm.models import KbUsage
from apps.crm.services.kb import article_create
from tests.browser.conftest import log_in, wait_until


def test_an_agent_on_the_desk_searches_the_knowledge_base_and_opens_an_article(walk, new_page):
    article = walk.read(
        lambda: (
            article_create(
                actor=None,
                title="Resetting a forgotten password",
                body="Open the sign-in page, choose Forgot password and follow the e-mailed link within 30 minutes.",
                language="en",
                tags=["account"],
            ).pk
        )
    )
    other = walk.read(
        lambda: article_create(actor=None, title="Delivery times", body="Parcels arrive in 2 days.", language="en").pk
    )
    before = walk.read(lambda: KbUsage.objects.filter(article_id=article).count())

    page = new_page()
    log_in(page, walk.agent_email, "/desk/")
    expect(page.locator("#kb-panel")).to_be_visible()

    page.locator("#kb-panel-q").fill("forgot my password")
    page.locator(".kb-panel-search").get_by_role("button", name="Search").click()
    results = page.locator("#kb-panel-results")
    hit = results.locator(f'a[href^="/kb/panel/articles/{article}/"]')
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_be_visible()  # the matched words are highlighted
    expect(results.locator(f'a[href^="/kb/panel/articles/{other}/"]')).to_have_count(0)

    hit.click()
    expect(page.locator("#kb-panel-article")).to_contain_text("follow the e-mailed link within 30 minutes")

    wait_until(
        lambda: walk.read(lambda: KbUsage.objects.filter(article_id=article, kind="view").count()) > 0,
        "the opened article counted",
    )
    views = walk.read(lambda: list(KbUsage.objects.filter(article_id=article).values_list("kind", "call_uid")))
    assert len(views) > before
    assert ("view", "") in views or ("view", None) in views
    assert walk.read(lambda: KbUsage.objects.filter(kind="search", query__icontains="password").exists())
    assert page.js_errors == []
