"""Three-way conference in a real browser: Wendy consults Olivia about a VIP caller, then joins the
three of them ("Conference"); both desks show who is on the line; Olivia leaves and Wendy has the
caller alone again; the timeline keeps the conference. The live server, the engine and the tenant
``walk`` come from tests/browser/conftest.py."""

from __future__ import annotations

from playwright.sync_api import expect

from apps.telephony.models import Agent, CallEvent
from tests.browser.conftest import VIP_NUMBER, log_in, wait_until
from tests.browser.test_attended_transfer import _desk


def test_an_agent_holds_a_three_way_conference(walk, engine, new_page):
    wendy = _desk(new_page, walk, walk.agent_email, walk.seat)
    olivia = _desk(new_page, walk, walk.old_agent_email, walk.other_seat)
    wait_until(lambda: walk.read(lambda: Agent.objects.get(pk=walk.old_agent_id).state) == "ready", "Olivia Ready")

    uid = engine.inject(VIP_NUMBER)
    expect(wendy.locator("#panel-offer")).to_be_visible()
    wendy.get_by_role("button", name="Answer").click()
    expect(wendy.locator("#call-status")).to_have_text("Talking to")
    expect(wendy.locator("#conference-panel")).to_be_hidden()

    wendy.get_by_label("Colleague to consult").select_option(label="Olivia Earlier")
    wendy.locator("#consult-form").get_by_role("button", name="Consult").click()
    expect(wendy.locator("#call-consult")).to_have_text("Consulting Olivia Earlier: ringing…")
    expect(wendy.get_by_role("button", name="Conference")).to_be_disabled()  # not before Olivia answers
    olivia.get_by_role("button", name="Answer").click()
    expect(wendy.locator("#call-consult")).to_have_text("Consulting Olivia Earlier. The caller is on hold.")

    wendy.get_by_role("button", name="Conference").click()
    # Wendy (the host): the caller and Olivia on the line, all three ways out.
    expect(wendy.locator("#call-conference")).to_have_text("Conference: you, the caller and Olivia Earlier.")
    expect(wendy.locator("#conference-parties li")).to_have_text(["Caller", "Wendy Agent", "Olivia Earlier"])
    expect(wendy.locator("#desk-state")).to_have_text("Talking")  # the caller left hold
    expect(wendy.locator("#call-consult")).to_be_hidden()
    expect(wendy.get_by_role("button", name="Hold")).to_be_hidden()
    expect(wendy.locator("#transfer-form")).to_be_hidden()
    expect(wendy.get_by_role("button", name="Drop the colleague")).to_be_visible()
    expect(wendy.get_by_role("button", name="End for everyone")).to_be_visible()
    # Olivia (the colleague): she may leave; dropping and ending are Wendy's.
    expect(olivia.locator("#call-conference")).to_have_text(
        "Conference: you, the caller and Wendy Agent (who has the call)."
    )
    expect(olivia.locator("#desk-state")).to_have_text("Talking")
    expect(olivia.get_by_role("button", name="Leave the conference")).to_be_visible()
    expect(olivia.get_by_role("button", name="Drop the colleague")).to_be_hidden()
    expect(olivia.get_by_role("button", name="End for everyone")).to_be_hidden()
    # The database: both agents on the call.
    wait_until(
        lambda: (
            walk.read(
                lambda: set(Agent.objects.filter(current_call__uid=uid, state="talking").values_list("pk", flat=True))
            )
            == {walk.agent_id, walk.old_agent_id}
        ),
        "both agents talking on the call",
    )

    # A reload finds the conference again.
    olivia.reload()
    expect(olivia.locator("#call-conference")).to_have_text(
        "Conference: you, the caller and Wendy Agent (who has the call)."
    )

    olivia.get_by_role("button", name="Leave the conference").click()
    expect(olivia.locator("#desk-state")).to_have_text("Ready")
    expect(wendy.locator("#conference-panel")).to_be_hidden()
    expect(wendy.locator("#desk-log")).to_contain_text("The conference has ended.")
    expect(wendy.get_by_role("button", name="Hold")).to_be_visible()  # a call of two again

    wendy.get_by_role("button", name="Hang up").click()
    expect(wendy.locator("#panel-wrapup")).to_be_visible()
    kinds = wait_until(
        lambda: (
            (
                found := walk.read(
                    lambda: list(
                        CallEvent.objects.filter(call__uid=uid).order_by("at", "id").values_list("kind", flat=True)
                    )
                )
            )
            and "ended" in found
            and found
        ),
        "the call's timeline",
    )
    conference = [kind for kind in kinds if kind.startswith("conference_")]
    assert conference == ["conference_started", "conference_party_joined", "conference_party_left", "conference_ended"]

    board = new_page()
    log_in(board, walk.supervisor_email, f"/calls/{uid}/")
    expect(board.locator(".timeline")).to_contain_text("Conference started")
    expect(board.locator(".timeline")).to_contain_text("Left the conference")
    assert wendy.js_errors == []
    assert olivia.js_errors == []
    assert board.js_errors == []
