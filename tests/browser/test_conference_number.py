"""A three-way conference with an outside number in a real browser: Wendy types a number under
Consult (a premium number is refused with the dialling policy's message first); the simulated
number answers after a short ring; Conference joins the caller, Wendy and the number; "Drop the
number" hangs it up and Wendy has the caller alone again; the call page's timeline names the
number. The live server, the engine and the tenant ``walk`` come from tests/browser/conftest.py."""

from __future__ import annotations

from playwright.sync_api import expect

from apps.telephony.models import CallEvent
from tests.browser.conftest import VIP_NUMBER, log_in, wait_until
from tests.browser.test_attended_transfer import _desk

NUMBER = "13900005555"


def test_an_agent_holds_a_conference_with_an_outside_number(walk, engine, new_page):
    wendy = _desk(new_page, walk, walk.agent_email, walk.seat)
    uid = engine.inject(VIP_NUMBER)
    expect(wendy.locator("#panel-offer")).to_be_visible()
    wendy.get_by_role("button", name="Answer").click()
    expect(wendy.locator("#call-status")).to_have_text("Talking to")

    consult = wendy.locator("#consult-form")
    wendy.get_by_label("Number to consult").fill("16812345")  # a premium number: the policy refuses it
    consult.get_by_role("button", name="Consult").click()
    expect(wendy.locator("#desk-error")).to_be_visible()
    expect(wendy.locator("#call-consult")).to_be_hidden()

    wendy.get_by_label("Number to consult").fill(NUMBER)
    consult.get_by_role("button", name="Consult").click()
    expect(wendy.locator("#call-consult")).to_have_text(f"Consulting {NUMBER}: ringing…")
    expect(wendy.locator("#call-consult")).to_have_text(f"Consulting {NUMBER}. The caller is on hold.")
    wendy.get_by_role("button", name="Conference").click()
    expect(wendy.locator("#call-conference")).to_have_text(f"Conference: you, the caller and {NUMBER}.")
    expect(wendy.locator("#conference-parties li")).to_have_text(["Caller", "Wendy Agent", NUMBER])
    expect(wendy.locator("#desk-state")).to_have_text("Talking")
    # A reload finds the conference with the number again.
    wendy.reload()
    expect(wendy.locator("#call-conference")).to_have_text(f"Conference: you, the caller and {NUMBER}.")

    wendy.get_by_role("button", name="Drop the number").click()
    expect(wendy.locator("#conference-panel")).to_be_hidden()
    expect(wendy.get_by_role("button", name="Hold")).to_be_visible()  # a call of two again
    wendy.get_by_role("button", name="Hang up").click()
    expect(wendy.locator("#panel-wrapup")).to_be_visible()
    wait_until(
        lambda: walk.read(lambda: CallEvent.objects.filter(call__uid=uid, kind="ended").exists()),
        "the call to end",
    )
    board = new_page()
    log_in(board, walk.supervisor_email, f"/calls/{uid}/")
    expect(board.locator(".timeline")).to_contain_text(f"with the caller and {NUMBER}")
    assert wendy.js_errors == []
    assert board.js_errors == []
