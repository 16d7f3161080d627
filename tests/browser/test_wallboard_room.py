"""Issue 12 item 8 in a real browser: the wallboard's counts by state and queue colours, the
listen feedback on the simulated switch, and the TV mode a wall screen opens with its token.

Screenshots (en and zh-hans) go to $SHOTS_DIR when it is set (the issue's notes), else to the
test's tmp directory."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.telephony.models import Agent, PauseReason, PhoneNumber, Queue
from apps.telephony.selectors import wallboard as wallboard_selectors
from apps.telephony.services import routing
from apps.telephony.services.agent_state import agent_ensure
from apps.telephony.services.cdr import call_answered, call_close, call_open, call_queued
from tests.browser.conftest import log_in


@pytest.fixture
def shots(tmp_path) -> Path:
    directory = Path(os.environ.get("SHOTS_DIR") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _the_room(walk) -> str:
    """Agents in every state, a queue missing its service level with a caller waiting, a call to
    listen to; returns the uid of that call."""

    def build() -> str:
        now = timezone.now()
        queue = routing.queue_update(queue=Queue.objects.get(pk=walk.queue_id), sl_threshold_seconds=2)
        number = PhoneNumber.objects.get()
        states = [("ready", None), ("wrap_up", None), ("not_ready", "break"), ("not_ready", "break")]
        states += [("not_ready", "login"), ("talking", None)]
        agents = []
        for index, (state, reason) in enumerate(states):
            user = User.objects.create_user(
                f"room{index}@{walk.host}.test", "x-Passw0rd-1", name=f"Room Agent {index}", roles=[Role.AGENT]
            )
            agent = agent_ensure(user=user)
            Agent.objects.filter(pk=agent.pk).update(
                state=state,
                reason=PauseReason.objects.get(code=reason) if reason else None,
                state_since=now - timedelta(seconds=30 * (index + 1)),
            )
            agents.append(agent)
        # Today's calls, answered late: the service level is far below the target.
        for index in range(3):
            at = now - timedelta(minutes=20 + index)
            call = call_open(
                uid=f"room-late-{index}",
                direction="inbound",
                caller="13900000000",
                callee=number.number,
                trunk=number.trunk_id,
                number=number,
                at=at,
            )
            call_queued(call, queue=queue, at=at)
            call_answered(call, agent=agents[0], at=at + timedelta(seconds=90))
            call_close(call, at=at + timedelta(seconds=200), end_reason="completed", wrapup=False)
        # A caller waiting (for longer than the SL threshold) and a call in progress.
        waiting = call_open(
            uid="room-waiting",
            direction="inbound",
            caller="13900000001",
            callee=number.number,
            trunk=number.trunk_id,
            number=number,
            at=now - timedelta(seconds=20),
        )
        call_queued(waiting, queue=queue, at=now - timedelta(seconds=20))
        live = call_open(
            uid="room-live",
            direction="inbound",
            caller="13900000002",
            callee=number.number,
            trunk=number.trunk_id,
            number=number,
            at=now - timedelta(seconds=60),
        )
        call_queued(live, queue=queue, at=now - timedelta(seconds=60))
        call_answered(live, agent=agents[-1], at=now - timedelta(seconds=50))
        return live.uid

    return walk.read(build)


def _zh(page, walk) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": walk.base_url}])


def test_the_wallboard_counts_colours_listens_and_goes_on_the_wall(walk, engine, new_page, shots, monkeypatch):
    # A red line for the longest wait that a test can reach (the default is two minutes).
    monkeypatch.setattr(wallboard_selectors, "WAIT_RED_SECONDS", 15)
    monkeypatch.setattr(settings, "SOFTPHONE_ENABLED", False)  # make run's simulated switch
    live_uid = _the_room(walk)

    page = new_page()
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, walk.supervisor_email, "/wallboard/")
    expect(page.locator("#wb-link")).to_have_text("Live")
    counts = page.locator("#wb-counts")
    expect(counts.locator('[data-count="ready"]')).to_have_text("1")
    expect(counts.locator('[data-count="wrap_up"]')).to_have_text("1")
    expect(counts.locator('[data-count="talking"]')).to_have_text("1")
    expect(counts.locator('[data-count="not_ready"]')).to_have_text("3")
    expect(counts.locator('[data-group="not_ready"] .wb-reasons')).to_contain_text("2")
    tile = page.locator(f'.queue-tile[data-queue="{walk.queue_id}"]')
    expect(tile).to_have_attribute("data-sl", "red")
    expect(tile).to_have_attribute("data-wait", "red")

    # Listen: "Listening…", then the simulated switch's plain answer.
    row = page.locator(f'#wb-calls tr[data-call="{live_uid}"]')
    row.get_by_role("button", name="Listen").click()
    note = row.locator(".monitor-note")
    expect(note).to_contain_text("no audio")
    expect(page.locator(".toast")).to_contain_text("no audio")
    page.screenshot(path=str(shots / "i5-wallboard-en.png"), full_page=True)

    _zh(page, walk)
    page.goto("/wallboard/")
    expect(page.locator("#wb-counts [data-count='ready']")).to_have_text("1")
    page.screenshot(path=str(shots / "i5-wallboard-zh.png"), full_page=True)

    # A wall screen's address, made on the screens page (shown once).
    page.goto("/wallboard/screens/")
    page.locator("#screen-name").fill("Room A")
    page.locator("form.row button[type=submit]").click()
    address = page.locator("#tv-url").inner_text().strip()
    assert "/wallboard/tv/?token=wb_" in address
    page.screenshot(path=str(shots / "i5-screens-zh.png"), full_page=True)
    token = address.split("token=", 1)[1]

    # The TV mode: no login, the token only; no buttons, no calls.
    tv = new_page()
    tv.set_viewport_size({"width": 1920, "height": 1080})
    tv.goto(f"/wallboard/tv/?token={token}")
    expect(tv.locator("#wb-link")).to_have_text("Live")
    expect(tv.locator("#wb-counts [data-count='not_ready']")).to_have_text("3")
    expect(tv.locator(f'.queue-tile[data-queue="{walk.queue_id}"]')).to_have_attribute("data-sl", "red")
    assert tv.locator("#wb-calls").count() == 0
    assert tv.locator("#wb-agents button").count() == 0
    tv.screenshot(path=str(shots / "i5-tv-en.png"))
    _zh(tv, walk)
    tv.goto(f"/wallboard/tv/?token={token}")
    expect(tv.locator("#wb-counts [data-count='not_ready']")).to_have_text("3")
    tv.screenshot(path=str(shots / "i5-tv-zh.png"))

    # A wrong token: the refusal page, and nothing else of the product.
    refused = new_page()
    refused.goto("/wallboard/tv/?token=wb_nope")
    expect(refused.locator("h1")).to_be_visible()
    refused.screenshot(path=str(shots / "i5-tv-refused-en.png"))

    assert page.js_errors == [] and tv.js_errors == [] and refused.js_errors == []
