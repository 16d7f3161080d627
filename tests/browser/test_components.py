"""The shared page components in a browser (CONTRIBUTING.md, "Page components"): a sortable
table sorts by the clicked header, ``data-confirm`` opens a <dialog> (Cancel keeps, Confirm
submits; never window.confirm), ``ui.toast`` shows a notice; in English and in Chinese, with no
JavaScript error. Screenshots go to SCREENSHOT_DIR when set (else the test's tmp_path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def admin_page(browser, walk):
    contexts = []

    def open_page(language: str = "en"):
        context = browser.new_context(base_url=walk.base_url, locale=LOCALES[language], timezone_id="Asia/Shanghai")
        context.add_cookies(
            [
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"}
                for host in (walk.host, settings.PLATFORM_DOMAIN)
            ]
        )
        context.route("**/static/sipjs/**", lambda route: route.abort())
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(f"admin@{walk.tenant.slug}.test")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()


def _column(page, table: str, index: int) -> list[str]:
    return page.locator(f"{table} tbody tr td:nth-child({index})").all_inner_texts()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_sorting_confirm_dialog_and_toast(walk, admin_page, shots, language):
    page = admin_page(language)

    # Sorting: the users page, by e-mail, ascending then descending.
    page.goto("/console/users/")
    expect(page.locator(".page-header h1")).to_be_visible()
    header = page.locator("table[data-sortable] th[data-sort]").first
    header.locator("button.sort").click()
    emails = _column(page, "table[data-sortable]", 1)
    assert emails == sorted(emails, key=str.lower) and len(emails) >= 3
    expect(header).to_have_attribute("aria-sort", "ascending")
    header.locator("button.sort").click()
    assert _column(page, "table[data-sortable]", 1) == sorted(emails, key=str.lower, reverse=True)
    expect(header).to_have_attribute("aria-sort", "descending")
    page.screenshot(path=str(shots / f"i1-users-{language}.png"), full_page=True)

    # Confirm: removing a seat asks in a <dialog>; Cancel keeps it, Confirm removes it.
    page.goto("/console/seats/")
    rows = page.locator("#seat-table tbody tr")
    before = rows.count()
    remove = page.locator("#seat-table form[data-confirm] button.danger").last
    remove.click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-text")).not_to_be_empty()
    page.screenshot(path=str(shots / f"i1-confirm-{language}.png"))
    dialog.locator("button.confirm-cancel").click()
    expect(dialog).to_be_hidden()
    assert rows.count() == before
    remove.click()
    with page.expect_navigation():
        dialog.locator("button.confirm-ok").click()
    expect(rows).to_have_count(before - 1)
    assert page.dialogs == []  # no window.confirm

    # Toast: the API realtime scripts call.
    page.wait_for_function("() => window.ui && window.ui.toast")
    page.evaluate("ui.toast('Campaign paused', 'warn')")
    toast = page.locator("#toasts .toast.toast-warn")
    expect(toast).to_contain_text("Campaign paused")
    page.screenshot(path=str(shots / f"i1-toast-{language}.png"))
    toast.locator(".toast-close").click()
    expect(toast).to_have_count(0)

    # The other adopted pages, for the eye.
    for path, name in (
        ("/console/audit/", "audit"),
        ("/calls/", "calls"),
        ("/customers/", "customers"),
        ("/console/calendar/", "calendar"),
        ("/console/retention/", "retention"),
        ("/no-such-page/", "404"),
    ):
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        page.screenshot(path=str(shots / f"i1-{name}-{language}.png"), full_page=True)
    # Under ASGI the 404 is rendered in another thread: still the company's shell, still logged in.
    expect(page.locator(".topbar .brand")).to_contain_text(walk.tenant.name)
    expect(page.locator(".userbox .who")).to_be_visible()

    assert page.js_errors == []


def test_unknown_host_page(walk, browser, shots):
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        response = page.goto(f"http://nobody.{settings.PLATFORM_DOMAIN}:{walk.port}/")
        assert response is not None and response.status == 404
        expect(page.locator("main h1")).to_be_visible()
        # Styled: the stylesheet comes from the public site (no static files on an unknown host).
        assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
        page.screenshot(path=str(shots / "i1-unknown-host-zh-hans.png"))
    finally:
        context.close()


def test_the_last_pages_to_adopt_the_components(walk, admin_page, shots):
    """Campaign, prompt, plant, dialling, account pages and the administrator's home (issue 12's
    last pass): a page header with breadcrumbs, no JavaScript error; revoking a token asks first."""
    page = admin_page("zh-hans")
    page.goto("/")
    expect(page.locator(".stat-cards .stat-card").first).to_be_visible()
    for path, name in (
        ("/", "home"),
        ("/console/campaigns/", "campaigns"),
        ("/console/campaigns/dnc/", "dnc"),
        ("/console/campaigns/callbacks/", "callbacks"),
        ("/console/ivr/prompts/", "prompts"),
        ("/console/telephony/", "telephony"),
        ("/console/dialling/", "dialling"),
        ("/console/security/", "security"),
        ("/console/tokens/", "tokens"),
        ("/accounts/two-factor/", "two-factor"),
    ):
        page.goto(path)
        expect(page.locator("main .page-header h1")).to_be_visible()
        assert page.locator("main h1").count() == 1, path
        if path != "/":
            expect(page.locator("main .page-header .crumbs a").first).to_have_text("首页")
        page.screenshot(path=str(shots / f"h7-{name}-zh-hans.png"), full_page=True)

    # A token is revoked only after the dialog's Confirm.
    page.goto("/console/tokens/")
    revokes = page.locator("main form[data-confirm] button.danger")
    before = revokes.count()
    page.locator("#id_name").fill("wall screen")
    page.locator("main form button.primary").click()
    expect(page.locator("#issued-token")).to_be_visible()
    expect(revokes).to_have_count(before + 1)
    revoke = revokes.first
    revoke.click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("button.confirm-cancel").click()
    expect(revokes).to_have_count(before + 1)
    revoke.click()
    with page.expect_navigation():
        dialog.locator("button.confirm-ok").click()
    expect(revokes).to_have_count(before)
    assert page.js_errors == []
