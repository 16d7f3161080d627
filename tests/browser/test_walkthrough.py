"""Issue 3's walk-through in a real browser: the agent desktop takes a call from a VIP customer end
to end, the supervisor's wallboard follows and forces states, and the desk speaks Chinese.

Each step checks what the person sees and what the database holds. The live server, the engine
and the tenant ``walk`` come from tests/browser/conftest.py."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from apps.telephony.models import Agent, AgentStateEvent, Call, CallEvent, Recording, RecordingAccess
from tests.browser.conftest import VIP_NAME, VIP_NUMBER, log_in, wait_until


def agent_row(walk):
    return walk.read(lambda: Agent.objects.select_related("reason", "seat").get(pk=walk.agent_id))


def call_row(walk, uid):
    return walk.read(lambda: Call.objects.select_related("disposition", "customer", "agent", "queue").get(uid=uid))


def set_offline(walk, email):
    """Each test starts with its agents logged out (through the API, as the agent would)."""
    status, body = walk.api("POST", "agents/me/state", token=walk.token(email), body={"state": "offline"})
    assert status == 200, body


def test_agent_takes_a_vip_call_from_offer_to_wrap_up_and_plays_its_recording(walk, engine, new_page):
    set_offline(walk, walk.agent_email)
    # A colleague in a seat but Not ready: a transfer to her cannot go through.
    status, body = walk.api(
        "POST", "agents/me/login", token=walk.token(walk.old_agent_email), body={"seat": walk.other_seat}
    )
    assert status == 200, body
    page = new_page()
    log_in(page, walk.agent_email, "/desk/")

    # Logged out of any seat: the desk asks for one.
    expect(page.locator("#desk-link")).to_have_text("Live")
    expect(page.locator("#panel-login")).to_be_visible()
    page.get_by_label("Seat").select_option(walk.seat)
    page.locator("#login-form").get_by_role("button", name="Log in").click()
    expect(page.locator("#desk-state")).to_have_text("Not ready")
    expect(page.locator("#desk-seat")).to_have_text(walk.seat)
    assert agent_row(walk).seat.extension == walk.seat

    page.get_by_role("button", name="Ready", exact=True).click()
    expect(page.locator("#desk-state")).to_have_text("Ready")
    wait_until(lambda: agent_row(walk).state == "ready", "the agent Ready in the database")

    # A known VIP customer calls: the offer with the screen pop.
    uid = engine.inject(VIP_NUMBER)
    offer = page.locator("#panel-offer")
    expect(offer).to_be_visible()
    expect(page.locator("#offer-caller")).to_have_text(VIP_NUMBER)
    expect(page.locator("#offer-queue")).to_have_text(walk.queue_name)
    expect(page.locator("#desk-state")).to_have_text("Ringing")
    pop = page.locator("#panel-pop")
    expect(pop).to_be_visible()
    expect(page.locator("#pop-name")).to_have_text(VIP_NAME)
    expect(page.locator("#pop-vip")).to_be_visible()
    expect(page.locator("#pop-vip")).to_have_text("VIP")
    expect(page.locator("#pop-notes")).to_have_text("Key account")
    history = page.locator("#pop-calls tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("Olivia Earlier")
    expect(history.nth(0)).to_contain_text("Resolved")  # newest first
    expect(history.nth(1)).to_contain_text("Needs follow-up")
    expect(page.get_by_role("button", name="Call back")).to_be_hidden()  # not while ringing
    offered = call_row(walk, uid)
    assert offered.status == "offered"
    assert offered.customer_id == walk.customer_id
    assert agent_row(walk).state == "reserved"

    page.get_by_role("button", name="Answer").click()
    expect(page.locator("#panel-call")).to_be_visible()
    expect(page.locator("#call-status")).to_have_text("Talking to")
    expect(page.locator("#call-caller")).to_have_text(VIP_NUMBER)
    expect(pop).to_be_visible()  # the customer stays on screen during the call
    wait_until(lambda: call_row(walk, uid).status == "talking", "the call talking in the database")

    page.get_by_role("button", name="Hold").click()
    expect(page.locator("#call-status")).to_have_text("On hold")
    expect(page.locator("#desk-state")).to_have_text("On hold")
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    expect(page.get_by_role("button", name="Hold")).to_be_hidden()
    wait_until(lambda: call_row(walk, uid).status == "hold", "the call on hold in the database")

    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#call-status")).to_have_text("Talking to")
    expect(page.get_by_role("button", name="Hold")).to_be_visible()
    expect(page.get_by_role("button", name="Resume")).to_be_hidden()
    wait_until(lambda: call_row(walk, uid).status == "talking", "the call resumed in the database")

    # A transfer the engine cannot make (the colleague is Not ready): the agent is told, the call stays.
    page.get_by_label("Agent").select_option(label="Olivia Earlier")
    page.locator("#transfer-form").get_by_role("button", name="Transfer").click()
    expect(page.locator("#desk-error")).to_have_text("The transfer did not go through: the call is still yours.")
    expect(page.locator("#panel-call")).to_be_visible()
    assert call_row(walk, uid).status == "talking"

    # A supervisor whispers: the agent sees it on the call panel.
    status, body = walk.api(
        "POST", f"calls/{uid}/monitor", token=walk.token(walk.supervisor_email), body={"mode": "whisper"}
    )
    assert status == 202, body
    expect(page.locator("#call-monitor")).to_have_text(
        "A supervisor is whispering to you; the caller cannot hear them."
    )
    wait_until(
        lambda: walk.read(lambda: CallEvent.objects.filter(call__uid=uid, kind="monitor").exists()),
        "the monitor event in the call's timeline",
    )

    page.get_by_role("button", name="Hang up").click()
    expect(page.locator("#panel-wrapup")).to_be_visible()
    expect(page.locator("#desk-state")).to_have_text("Wrap-up")
    page.get_by_label("Disposition").select_option("resolved")
    page.get_by_label("Notes").fill("Asked about invoice 42; sent a copy.")
    page.get_by_role("button", name="Finish wrap-up").click()
    expect(page.locator("#desk-state")).to_have_text("Ready")
    expect(page.locator("#panel-wrapup")).to_be_hidden()

    call = wait_until(
        lambda: (row := call_row(walk, uid)).wrapup_ended_at is not None and row, "the call's wrap-up to end"
    )
    assert call.status == "ended"
    assert call.end_reason == "completed"
    assert call.agent_id == walk.agent_id
    assert call.queue_id == walk.queue_id
    assert call.arrived_at <= call.queued_at <= call.offered_at <= call.answered_at < call.ended_at
    assert call.ended_at <= call.wrapup_ended_at
    assert call.hold_seconds > 0
    assert call.talk_seconds > 0
    assert call.disposition.code == "resolved"
    assert call.notes == "Asked about invoice 42; sent a copy."
    assert agent_row(walk).state == "ready"

    # The CDR on the calls page, and its recording.
    recording = wait_until(
        lambda: walk.read(lambda: Recording.objects.filter(call_id=call.pk).first()), "the recording"
    )
    page.goto("/calls/")
    row = page.locator("tr", has_text=VIP_NUMBER).filter(has_text="Resolved")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(VIP_NAME)
    expect(row).to_contain_text(walk.queue_name)
    expect(row).to_contain_text("Wendy Agent")
    row.locator("td").first.get_by_role("link").click()
    # Titled by whom the call was with (issue 12); the call ID stays among the facts.
    expect(page.locator("h1")).to_contain_text(VIP_NAME)
    expect(page.locator("dl.facts")).to_contain_text(uid)
    expect(page.locator("dl.facts")).to_contain_text("Asked about invoice 42; sent a copy.")
    audio = page.locator("audio")
    expect(audio).to_have_attribute("src", re.compile(rf"^/calls/recordings/{recording.pk}/file\?token="))

    before = walk.read(lambda: RecordingAccess.objects.filter(recording=recording).count())
    fetched = page.evaluate(
        """async (url) => {
            const response = await fetch(url);
            const bytes = new Uint8Array(await response.arrayBuffer());
            return {
                status: response.status,
                type: response.headers.get("content-type"),
                head: String.fromCharCode(...bytes.slice(0, 4)),
                size: bytes.length,
            };
        }""",
        audio.get_attribute("src"),
    )
    assert fetched["status"] == 200
    assert fetched["type"] == "audio/wav"
    assert fetched["head"] == "RIFF"
    assert fetched["size"] == recording.size_bytes
    accesses = walk.read(lambda: list(RecordingAccess.objects.filter(recording=recording).select_related("user")))
    assert len(accesses) == before + 1
    assert accesses[-1].action == "play"
    assert accesses[-1].user.email == walk.agent_email

    # The player itself loads and plays it.
    page.evaluate("document.querySelector('audio').play()")
    page.wait_for_function("document.querySelector('audio').currentTime > 0 && !document.querySelector('audio').error")
    assert page.js_errors == []
    set_offline(walk, walk.old_agent_email)


def test_wallboard_follows_agents_and_queues_live_and_forces_states(walk, engine, new_page):
    set_offline(walk, walk.agent_email)
    set_offline(walk, walk.old_agent_email)
    agent_token = walk.token(walk.agent_email)
    status, body = walk.api("POST", "agents/me/login", token=agent_token, body={"seat": walk.seat})
    assert status == 200, body

    board = new_page()
    log_in(board, walk.supervisor_email, "/wallboard/")
    expect(board.locator("#wb-link")).to_have_text("Live")
    board.evaluate("window.notReloaded = true")  # gone if the page reloads
    expect(board.locator("#wb-seats")).to_have_text("3")
    agent = board.locator(f'#wb-agents tr[data-agent="{walk.agent_id}"]')
    expect(agent).to_contain_text("Wendy Agent")
    expect(agent).to_contain_text(walk.seat)
    expect(agent.locator(".state-badge")).to_have_text("Not ready")
    expect(agent).to_contain_text("Logged in")
    expect(board.locator(f'#wb-agents tr[data-agent="{walk.old_agent_id}"] .state-badge')).to_have_text("Offline")
    tile = board.locator(f'#wb-queues [data-queue="{walk.queue_id}"]')
    expect(tile).to_contain_text(walk.queue_name)
    expect(tile.locator(".big")).to_have_text("0")

    # The agent changes state through the API: the tile follows without a reload.
    status, body = walk.api(
        "POST", "agents/me/state", token=agent_token, body={"state": "not_ready", "reason": "lunch"}
    )
    assert status == 200, body
    expect(agent).to_contain_text("Lunch")
    assert agent_row(walk).reason.code == "lunch"

    # ... and through the desk.
    desk = new_page()
    log_in(desk, walk.agent_email, "/desk/")
    expect(desk.locator("#desk-state")).to_have_text("Not ready")
    desk.locator("#pause-reason").select_option("break")
    desk.get_by_role("button", name="Not ready", exact=True).click()
    expect(agent).to_contain_text("Break")
    assert agent_row(walk).reason.code == "break"

    # Nobody is Ready: a caller waits, and the queue tile shows it.
    uid = engine.inject("13912345678")
    expect(tile.locator(".big")).to_have_text("1")
    expect(tile.locator(".longest")).to_contain_text("Longest wait")
    assert call_row(walk, uid).status == "queued"

    # The supervisor forces the agent Ready: the waiting call is offered to them at once.
    agent.get_by_role("button", name="Ready", exact=True).click()
    expect(agent.locator(".state-badge")).to_have_text("Ringing")
    expect(tile.locator(".big")).to_have_text("0")
    live_call = board.locator(f'#wb-calls tr[data-call="{uid}"]')
    expect(live_call).to_contain_text("13912345678")
    expect(live_call).to_contain_text("Offered")
    expect(desk.locator("#panel-offer")).to_be_visible()
    expect(desk.locator("#offer-caller")).to_have_text("13912345678")
    offered = wait_until(lambda: (row := call_row(walk, uid)).status == "offered" and row, "the offer in the database")
    ringing = agent_row(walk)
    assert (ringing.state, ringing.current_call_id) == ("reserved", offered.pk)
    forced = walk.read(
        lambda: AgentStateEvent.objects.filter(agent_id=walk.agent_id, to_state="ready").select_related("actor").last()
    )
    assert forced.actor.email == walk.supervisor_email

    # The supervisor releases the call (after confirming): it ends, the agent is free again.
    live_call.get_by_role("button", name="Release").click()
    confirm = board.locator("dialog.confirm-dialog")  # the shared confirm dialog (static/js/ui.js)
    expect(confirm).to_be_visible()
    confirm.locator(".confirm-ok").click()
    expect(live_call).to_have_count(0)
    expect(board.locator("#wb-calls")).to_contain_text("No calls in progress.")
    expect(desk.locator("#panel-offer")).to_be_hidden()
    released = wait_until(lambda: (row := call_row(walk, uid)).status == "ended" and row, "the released call to end")
    assert released.end_reason == "force_released"
    expect(agent.locator(".state-badge")).to_have_text("Ready")
    wait_until(lambda: agent_row(walk).state == "ready", "the agent Ready again in the database")

    # Forced Not ready (with the reason chosen on the board), then logged out.
    board.get_by_label("Reason for Not ready").select_option("training")
    agent.get_by_role("button", name="Not ready").click()
    expect(agent.locator(".state-badge")).to_have_text("Not ready")
    expect(agent).to_contain_text("Training")
    expect(desk.locator("#desk-state")).to_have_text("Not ready")
    expect(desk.locator("#desk-reason")).to_have_text("Training")
    row = agent_row(walk)
    assert (row.state, row.reason.code) == ("not_ready", "training")

    agent.get_by_role("button", name="Log out").click()
    expect(agent.locator(".state-badge")).to_have_text("Offline")
    expect(desk.locator("#panel-login")).to_be_visible()
    row = agent_row(walk)
    assert (row.state, row.seat_id) == ("offline", None)

    assert board.evaluate("window.notReloaded") is True
    assert board.js_errors == []
    assert desk.js_errors == []


def test_the_desk_speaks_chinese_after_the_language_switch(walk, new_page):
    set_offline(walk, walk.agent_email)
    page = new_page()
    log_in(page, walk.agent_email, "/desk/")
    expect(page.locator("#panel-login h2")).to_have_text("Log into a seat")

    page.get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_title(re.compile("^座席工作台"))
    expect(page.locator("#panel-login h2")).to_have_text("登录座席")
    expect(page.locator("#desk-state")).to_have_text("离线")
    expect(page.locator("#desk-link")).to_have_text("已连接")
    expect(page.locator("#panel-wrapup h2")).to_contain_text(
        "话后处理"
    )  # hidden until wrap-up, translated all the same

    page.get_by_label("座席", exact=True).select_option(walk.seat)
    page.locator("#login-form").get_by_role("button", name="登录").click()
    expect(page.locator("#desk-state")).to_have_text("示忙")
    expect(page.locator("#panel-state h2")).to_have_text("状态")
    expect(page.get_by_role("button", name="示闲")).to_be_visible()
    # The event log's times follow the page's language (24-hour), not the browser's (en-US: "PM").
    expect(page.locator("#desk-log li").first).to_have_text(re.compile(r"^\d{1,2}:\d{2}:\d{2} 示忙"))
    row = agent_row(walk)
    assert (row.state, row.seat.extension) == ("not_ready", walk.seat)
    assert page.js_errors == []
