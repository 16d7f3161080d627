"""The knowledge base beside the call, in a real browser: the agent answers a call and the desk's
KB card shows the article for the call's queue; searching in the card opens an answer in place;
in wrap-up one click puts a standard phrase into the notes and counts its use with the call.
The live server, the engine and the tenant ``walk`` come from tests/browser/conftest.py."""

from __future__ import annotations

from playwright.sync_api import expect

from apps.crm.models import KbUsage, StandardPhrase
from apps.crm.services.kb import article_create, phrase_create
from tests.browser.conftest import VIP_NUMBER, log_in, wait_until

GREETING = "您好，很高兴为您服务。"


def test_the_kb_card_follows_the_call_and_a_phrase_goes_into_the_notes(walk, engine, new_page):
    queue_answer = walk.read(
        lambda: (
            article_create(
                actor=None,
                title=f"{walk.queue_name} FAQ: opening hours",
                body="Agents answer from 8:00 to 22:00 every day.",
                language="en",
                tags=[walk.queue_name],
            ).pk
        )
    )
    refund = walk.read(
        lambda: (
            article_create(
                actor=None,
                title="如何申请退款",
                body="在订单详情页点击“申请退款”，1-3个工作日原路退回。",
                language="zh-hans",
            ).pk
        )
    )
    phrase = walk.read(lambda: phrase_create(actor=None, category="greeting", text=GREETING, language="zh-hans").pk)
    status, body = walk.api("POST", "agents/me/state", token=walk.token(walk.agent_email), body={"state": "offline"})
    assert status == 200, body

    page = new_page()
    log_in(page, walk.agent_email, "/desk/")
    expect(page.locator("#kb-panel")).to_be_visible()  # loaded by the desk's hook before any call
    page.get_by_label("Seat").select_option(walk.seat)
    page.locator("#login-form").get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Ready", exact=True).click()
    expect(page.locator("#desk-state")).to_have_text("Ready")

    uid = engine.inject(VIP_NUMBER)
    expect(page.locator("#panel-offer")).to_be_visible()
    page.get_by_role("button", name="Answer").click()
    expect(page.locator("#panel-call")).to_be_visible()
    # Pre-searched from the call: its queue's name finds the article tagged with it.
    expect(page.locator(f'#kb-panel a[href^="/kb/panel/articles/{queue_answer}/"]')).to_be_visible()
    expect(page.locator("#kb-panel .kb-call")).to_have_value(uid)

    page.locator("#kb-panel-q").fill("我想申请退款怎么办")
    page.locator(".kb-panel-search").get_by_role("button", name="Search").click()
    answer = page.locator(f'#kb-panel-results a[href^="/kb/panel/articles/{refund}/"]')
    expect(answer.locator("mark").first).to_have_text("申请退款")  # adjacent matched words merge
    answer.click()
    expect(page.locator("#kb-panel-article")).to_contain_text("1-3个工作日原路退回")

    page.get_by_role("button", name="Hang up").click()
    expect(page.locator("#panel-wrapup")).to_be_visible()
    page.locator("#wrapup-notes").fill("客户咨询退款。")
    page.locator("#kb-panel").get_by_role("button", name=GREETING).click()
    expect(page.locator("#wrapup-notes")).to_have_value(f"客户咨询退款。 {GREETING}")
    expect(page.locator("#kb-panel .kb-phrase-count").first).to_have_text("1")

    wait_until(lambda: walk.read(lambda: StandardPhrase.objects.get(pk=phrase).usage_count) == 1, "use counted")
    uses = walk.read(lambda: sorted(KbUsage.objects.filter(call_uid=uid).values_list("kind", flat=True)))
    assert uses == ["insert", "search", "view"]
    assert page.js_errors == []
