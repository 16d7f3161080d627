"""The queue's agent script on the desk, in a real browser: an inbound call from a queue with a
script shows it filled in with the caller's customer data — a sensitive field masked, markup in
a name shown as text — from the offer until wrap-up. The live server, the engine and the tenant
``walk`` come from tests/browser/conftest.py."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import log_in, wait_until

CALLER = "13900000123"
SCRIPT = "您好 {{customer.name}}！证件 {{customer.id_no}}，来电 {{call.caller}}（{{call.queue}}）。{{ivr.none}}"


def test_the_desk_shows_the_queue_script_filled_in_as_text(walk, engine, new_page):
    def set_up() -> None:
        from apps.crm.services.custom_fields import custom_field_create
        from apps.crm.services.customers import customer_create
        from apps.telephony.models import Queue
        from apps.telephony.services import routing

        custom_field_create(key="id_no", label="ID number", field_type="text", sensitive=True)
        customer_create(name="<b>Bold</b> & Co", phones=[CALLER], custom={"id_no": "110101199001011234"})
        routing.queue_update(queue=Queue.objects.get(pk=walk.queue_id), script=SCRIPT)

    walk.read(set_up)

    def engine_has_script() -> bool:
        return engine.on_loop(lambda: engine.tenant_engine.controller.queues[walk.queue_id].script == SCRIPT)

    wait_until(engine_has_script, "the engine reloaded the queue with its script")
    status, body = walk.api("POST", "agents/me/state", token=walk.token(walk.agent_email), body={"state": "offline"})
    assert status == 200, body

    page = new_page()
    log_in(page, walk.agent_email, "/desk/")
    page.get_by_label("Seat").select_option(walk.seat)
    page.locator("#login-form").get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Ready", exact=True).click()
    expect(page.locator("#desk-state")).to_have_text("Ready")
    expect(page.locator("#panel-script")).to_be_hidden()

    engine.inject(CALLER)
    expect(page.locator("#panel-offer")).to_be_visible()
    expected = f"您好 <b>Bold</b> & Co！证件 1101**********1234，来电 {CALLER}（{walk.queue_name}）。"
    expect(page.locator("#call-script")).to_have_text(expected)
    assert page.locator("#call-script b").count() == 0  # text, never markup
    page.get_by_role("button", name="Answer").click()
    expect(page.locator("#panel-call")).to_be_visible()
    expect(page.locator("#panel-script")).to_be_visible()

    page.reload()  # a reloaded desk gets the script back from its snapshot
    expect(page.locator("#call-script")).to_have_text(expected)
    page.get_by_role("button", name="Hang up").click()
    expect(page.locator("#panel-wrapup")).to_be_visible()
    expect(page.locator("#panel-script")).to_be_visible()
    page.locator("#wrapup-form").get_by_role("button", name="Finish wrap-up").click()
    expect(page.locator("#panel-script")).to_be_hidden()
    assert page.js_errors == []
