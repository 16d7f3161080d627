"""The IVR editor's diagram in a browser: the flow page draws a box per node; clicking one opens its
form beside the diagram (htmx, no page load); saving redraws the diagram with the change and the
validator's problems on the boxes (a new, empty node is outlined in red); no JavaScript or console
error (the Content-Security-Policy refuses inline scripts and styles). In English and in Chinese,
with screenshots to SCREENSHOT_DIR (default /work/notes/shots when it exists, else tmp_path)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from apps.telephony.models import IvrFlow
from apps.telephony.services import ivr as ivr_services
from tests.browser.conftest import PASSWORD, WAIT_SECONDS

LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
NOTES_SHOTS = Path("/work/notes/shots")


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or (NOTES_SHOTS if NOTES_SHOTS.is_dir() else tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def admin_page(browser, walk):
    contexts = []

    def open_page(language: str):
        context = browser.new_context(
            base_url=walk.base_url,
            locale=LOCALES[language],
            timezone_id="Asia/Shanghai",
            viewport={"width": 1400, "height": 900},
        )
        context.set_default_timeout(WAIT_SECONDS * 1000)
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": walk.host, "path": "/"}]
        )
        context.route("**/static/sipjs/**", lambda route: route.abort())
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and page.js_errors.append(message.text))
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(f"admin@{walk.tenant.slug}.test")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()


def _default_flow(walk) -> tuple[int, list[str]]:
    def find():
        flow = IvrFlow.objects.order_by("pk").first()  # the flow sign-up made
        draft = ivr_services.flow_draft(flow)
        if draft is not None:  # the other language's run left one
            ivr_services.version_delete(version=draft)
        return flow.pk, sorted(flow.published.graph["nodes"])

    return walk.read(find)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_click_a_node_edit_it_and_see_the_diagram_redrawn(walk, admin_page, shots, language):
    flow_id, node_ids = _default_flow(walk)
    page = admin_page(language)

    page.goto(f"/console/ivr/flows/{flow_id}/")
    expect(page.locator("svg.ivr-diagram")).to_be_visible()
    expect(page.locator("svg.ivr-diagram a.ivr-node")).to_have_count(len(node_ids))
    page.screenshot(path=str(shots / f"i6-flow-{language}.png"), full_page=True)

    # Click a box: its form opens beside the diagram, the page stays.
    url = page.url
    page.locator("#dnode-welcome").click()
    prompt = page.locator("#node-panel textarea[name=prompt], #node-panel input[name=prompt]")
    expect(prompt).to_be_visible()
    assert page.url == url
    prompt.fill("Thanks for calling the diagram test")
    page.locator("#node-panel button.primary").click()

    # Saved: the diagram is drawn again from the draft, the box shows the new prompt.
    expect(page.locator("#node-panel .notice.good")).to_be_visible()
    expect(page.locator("#dnode-welcome .ivr-summary")).to_contain_text("Thanks for calling")
    expect(page.locator("#dnode-welcome")).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator(".ivr-status .badge")).to_contain_text("v2")

    # Add a node: its form opens at once, and the new box is outlined as a problem (no prompt yet,
    # nothing leads to it) until it is filled in and connected.
    page.locator("#id_add-node_id").fill("goodbye")
    page.locator("#id_add-type").select_option("play")
    page.locator(".ivr-toolbar form").nth(1).locator("button").click()
    expect(page.locator("#dnode-goodbye")).to_be_visible()
    expect(page.locator("#dnode-goodbye")).to_have_class(re.compile(r"\bhas-problem\b.*\bunreachable\b"))
    expect(page.locator("#dnode-goodbye .ivr-problem")).to_be_visible()
    page.screenshot(path=str(shots / f"i6-flow-edited-{language}.png"), full_page=True)

    # Connect it: the welcome prompt now goes to the new node, and the new node on to the menu.
    page.locator("#node-panel textarea[name=prompt], #node-panel input[name=prompt]").fill("Goodbye")
    page.locator("#node-panel select[name=next]").select_option("menu")
    page.locator("#node-panel button.primary").click()
    expect(page.locator("#node-panel .notice.good")).to_be_visible()
    page.locator("#dnode-welcome").click()
    expect(page.locator('#node-panel .ivr-panel-body[data-node="welcome"]')).to_be_visible()
    page.locator("#node-panel select[name=next]").select_option("goodbye")
    page.locator("#node-panel button.primary").click()
    expect(page.locator('.ivr-edge[data-source="welcome"][data-target="goodbye"]')).to_have_count(1)
    expect(page.locator(".ivr-node.unreachable, .ivr-node.has-problem")).to_have_count(0)
    expect(page.locator("#dnode-goodbye")).not_to_have_class(re.compile(r"\bunreachable\b|\bhas-problem\b"))

    # The JSON is a tab away and shows the same draft.
    page.locator('[data-ivr-tab="json"]').click()
    expect(page.locator('[data-ivr-panel="json"] textarea')).to_contain_text('"goodbye"')
    expect(page.locator("svg.ivr-diagram")).to_be_hidden()
    page.locator('[data-ivr-tab="diagram"]').click()
    expect(page.locator("svg.ivr-diagram")).to_be_visible()
    page.screenshot(path=str(shots / f"i6-flow-connected-{language}.png"), full_page=True)

    assert page.js_errors == []
