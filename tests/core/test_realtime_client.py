"""static/js/live.js in Debian's Chromium: a missing pong is a dead link, reconnects back off.

The page is blank except for live.js; ``WebSocket`` is replaced by a fake the test drives (open,
server messages, closes) and Playwright's clock runs the timers, so minutes of pings take no
time. Chromium as in tests/browser (CONTRIBUTING.md, "Browser tests"); no server is involved.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser  # Chromium runs live.js against a fake WebSocket

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
LIVE_JS = (ROOT / "static" / "js" / "live.js").read_text()

FAKE_WEBSOCKET = """
window.sockets = [];
window.links = [];
window.messages = [];
class FakeSocket {
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; this.closedWith = null; window.sockets.push(this); }
  send(data) { this.sent.push(JSON.parse(data)); }
  close(code) { this.readyState = 3; this.closedWith = code || 1000; }
}
window.WebSocket = FakeSocket;
window.serverOpens = (i) => { const s = window.sockets[i]; s.readyState = 1; s.onopen && s.onopen({}); };
window.serverSends = (i, message) => { const s = window.sockets[i]; s.onmessage && s.onmessage({data: JSON.stringify(message)}); };
window.serverCloses = (i, code) => { const s = window.sockets[i]; s.readyState = 3; s.onclose && s.onclose({code: code}); };
window.pings = (i) => window.sockets[i].sent.filter((m) => m.type === "ping").length;
"""

START = """
Live.connect("/ws/wallboard/", (m) => window.messages.push(m.type), (up) => window.links.push(up),
             {pingSeconds: 20, pongSeconds: 10});
"""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/system-packages.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.clock.install()
    page.clock.pause_at(1_800_000_000_000)  # time moves only when the test runs the clock
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=FAKE_WEBSOCKET)
    page.add_script_tag(content=LIVE_JS)
    page.evaluate(START)
    yield page
    page.close()


def _count(page) -> int:
    return page.evaluate("window.sockets.length")


def _connected(page, index: int) -> None:
    page.evaluate(f"window.serverOpens({index})")
    page.evaluate(f"window.serverSends({index}, {{type: 'snapshot', ts: '2026-01-01T00:00:00.000Z'}})")


def test_a_link_is_up_only_once_the_snapshot_arrives(page):
    page.evaluate("window.serverOpens(0)")
    assert page.evaluate("window.links") == []

    page.evaluate("window.serverSends(0, {type: 'snapshot'})")

    assert page.evaluate("window.links") == [True]
    assert page.evaluate("window.messages") == ["snapshot"]


def test_pings_answered_by_pongs_keep_the_socket(page):
    _connected(page, 0)
    for _ in range(6):
        page.clock.run_for(20_000)
        page.evaluate("window.serverSends(0, {type: 'pong'})")

    assert page.evaluate("window.pings(0)") == 6
    assert _count(page) == 1
    assert page.evaluate("window.sockets[0].closedWith") is None
    assert page.evaluate("window.links") == [True]


def test_a_missing_pong_drops_the_link_and_reconnects(page):
    _connected(page, 0)
    page.clock.run_for(20_000)  # the first ping
    assert page.evaluate("window.pings(0)") == 1

    page.clock.run_for(10_500)  # no pong within 10 s

    assert page.evaluate("window.sockets[0].closedWith") == 4000
    assert page.evaluate("window.links") == [True, False]
    page.clock.run_for(600)  # the first back-off is at most 0.5 s
    assert _count(page) == 2
    _connected(page, 1)
    assert page.evaluate("window.links") == [True, False, True]


def test_a_late_close_of_a_dropped_socket_does_not_reconnect_twice(page):
    _connected(page, 0)
    page.clock.run_for(30_500)  # ping, then no pong
    page.evaluate("window.serverCloses(0, 1006)")  # the browser finally gives up on the old socket
    page.clock.run_for(10_000)

    assert _count(page) == 2


def test_reconnects_back_off_until_a_snapshot_arrives(page):
    """A server that accepts and closes at once (1011: Redis down) is retried ever more slowly."""
    opened_at = []
    for index in range(6):
        page.evaluate(f"window.serverOpens({index})")
        page.evaluate(f"window.serverCloses({index}, 1011)")
        waited = 0
        while _count(page) == index + 1:
            page.clock.run_for(100)
            waited += 100
        opened_at.append(waited)

    assert opened_at[0] <= 500
    assert max(opened_at) <= 5_000
    assert opened_at[-1] >= 2_500  # doubled up to the 5 s cap (jitter: half to all of it)

    _connected(page, 6)
    page.evaluate("window.serverCloses(6, 1011)")
    waited = 0
    while _count(page) == 7:
        page.clock.run_for(100)
        waited += 100
    assert waited <= 500  # a snapshot resets the back-off


def test_a_socket_closed_for_lost_access_waits_long_before_trying_again(page):
    _connected(page, 0)
    page.evaluate("window.serverCloses(0, 4403)")

    page.clock.run_for(20_000)
    assert _count(page) == 1
    page.clock.run_for(10_500)
    assert _count(page) == 2
