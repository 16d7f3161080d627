"""Attended transfer in a real browser: Wendy consults Olivia about a VIP caller, Olivia's desk
shows the consultation with the caller's screen pop, Wendy completes the transfer and the call is
Olivia's. The live server, the engine and the tenant ``walk`` come from tests/browser/conftest.py."""

from __future__ import annotations

from playwright.sync_api import expect

from apps.telephony.models import Agent, Call, CallEvent
from tests.browser.conftest import VIP_NAME, VIP_NUMBER, log_in, wait_until


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


def test_consult_a_colleague_then_complete_the_transfer(walk, engine, new_page):
    wendy = _desk(new_page, walk, walk.agent_email, walk.seat)
    # Olivia lacks the queue's skill: the caller reaches Wendy, Olivia stays Ready for the consultation.
    olivia = _desk(new_page, walk, walk.old_agent_email, walk.other_seat)
    wait_until(lambda: walk.read(lambda: Agent.objects.get(pk=walk.old_agent_id).state) == "ready", "Olivia Ready")

    board = new_page()
    log_in(board, walk.supervisor_email, "/wallboard/")
    wendy_row = board.locator(f'#wb-agents tr[data-agent="{walk.agent_id}"]')
    olivia_row = board.locator(f'#wb-agents tr[data-agent="{walk.old_agent_id}"]')
    expect(olivia_row).to_contain_text("Ready")

    uid = engine.inject(VIP_NUMBER)
    expect(wendy.locator("#panel-offer")).to_be_visible()
    wendy.get_by_role("button", name="Answer").click()
    expect(wendy.locator("#panel-call")).to_be_visible()  # the answer took effect (Talking)
    expect(wendy.locator("#call-status")).to_have_text("Talking to")

    wendy.get_by_label("Colleague to consult").select_option(label="Olivia Earlier")
    wendy.locator("#consult-form").get_by_role("button", name="Consult").click()
    # Wendy: the caller is held, the colleague rings; the transfer cannot complete yet.
    expect(wendy.locator("#call-consult")).to_have_text("Consulting Olivia Earlier: ringing…")
    expect(wendy.locator("#desk-state")).to_have_text("On hold")
    expect(wendy.get_by_role("button", name="Complete transfer")).to_be_disabled()
    expect(wendy.get_by_role("button", name="Resume")).to_be_hidden()
    expect(wendy.locator("#transfer-form")).to_be_hidden()
    # Olivia: who consults her, about whom.
    expect(olivia.locator("#offer-title")).to_have_text("Consultation from Wendy Agent")
    expect(olivia.locator("#offer-caller")).to_have_text(VIP_NUMBER)
    expect(olivia.locator("#pop-name")).to_have_text(VIP_NAME)
    expect(olivia.locator("#desk-state")).to_have_text("Ringing")

    olivia.get_by_role("button", name="Answer").click()
    expect(olivia.locator("#call-consult")).to_have_text(
        "Consultation from Wendy Agent. The caller is on hold and cannot hear you."
    )
    expect(olivia.locator("#desk-state")).to_have_text("Talking")
    expect(olivia.get_by_role("button", name="Hold")).to_be_hidden()
    expect(wendy.locator("#call-consult")).to_have_text("Consulting Olivia Earlier. The caller is on hold.")
    # The wallboard shows who consults whom.
    expect(wendy_row).to_contain_text("Consulting Olivia Earlier")
    expect(olivia_row).to_contain_text("Consultation from Wendy Agent")

    wendy.get_by_role("button", name="Complete transfer").click()
    expect(wendy.locator("#panel-wrapup")).to_be_visible()
    expect(wendy.locator("#desk-state")).to_have_text("Wrap-up")
    expect(olivia.locator("#desk-log")).to_contain_text("The transferred call is yours now.")
    expect(olivia.locator("#call-consult")).to_be_hidden()
    expect(olivia.locator("#call-caller")).to_have_text(VIP_NUMBER)
    expect(olivia.get_by_role("button", name="Hold")).to_be_visible()
    expect(wendy_row).not_to_contain_text("Consulting")
    expect(olivia_row).not_to_contain_text("Consultation")

    call = wait_until(
        lambda: (row := walk.read(lambda: Call.objects.get(uid=uid))).agent_id == walk.old_agent_id and row,
        "the call to be Olivia's in the database",
    )
    assert call.status == "talking"
    events = walk.read(lambda: list(CallEvent.objects.filter(call__uid=uid).values_list("kind", "agent_id", "data")))
    kinds = [kind for kind, _agent, _data in events]
    assert kinds.index("consult_started") < kinds.index("consult_answered") < kinds.index("transferred")
    (transferred,) = [event for event in events if event[0] == "transferred"]
    assert transferred[1] == walk.agent_id
    assert transferred[2]["type"] == "attended"
    assert transferred[2]["target_agent_id"] == walk.old_agent_id

    olivia.get_by_role("button", name="Hang up").click()
    expect(olivia.locator("#panel-wrapup")).to_be_visible()
    wendy.get_by_role("button", name="Finish wrap-up").click()
    expect(wendy.locator("#desk-state")).to_have_text("Ready")
    olivia.get_by_role("button", name="Finish wrap-up").click()
    expect(olivia.locator("#desk-state")).to_have_text("Ready")
    ended = wait_until(
        lambda: (row := walk.read(lambda: Call.objects.get(uid=uid))).wrapup_ended_at is not None and row,
        "the call's wrap-up to end",
    )
    assert ended.agent_id == walk.old_agent_id
    assert ended.end_reason == "completed"
    assert ended.hold_seconds > 0
    assert wendy.js_errors == []
    assert olivia.js_errors == []
    assert board.js_errors == []
