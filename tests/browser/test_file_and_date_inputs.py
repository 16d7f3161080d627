"""Chinese pages in an English browser (decision 0021): no "Choose File", "No file chosen" or
"mm/dd/yyyy" from Chromium's own controls on the upload and date pages; the file picker names
the chosen file in the page's language and the calendar fills an ISO date. Screenshots go to
SCREENSHOT_DIR when set (else the test's tmp_path)."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.pending_po import pending_translations

# Page → what it asks for. The campaign form has dates and times, the calls filter date-times.
PAGES = (
    ("/console/campaigns/new/", "campaign-form"),
    ("/console/campaigns/dnc/", "dnc"),
    ("/console/ivr/prompts/", "prompts"),
    ("/console/audit/", "audit"),
    ("/calls/", "calls"),
)
BROWSER_WORDS = ("Choose File", "No file chosen", "mm/dd/yyyy", "--:-- --")


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def chinese_admin_in_english_browser(browser, walk):
    """The administrator, pages in zh-hans, Chromium's own language and locale English (en-US)."""
    context = browser.new_context(base_url=walk.base_url, locale="en-US", timezone_id="Asia/Shanghai")
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "domain": walk.host, "path": "/"}])
    context.route("**/static/sipjs/**", lambda route: route.abort())
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    with pending_translations("first-hour"):
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(f"admin@{walk.tenant.slug}.test")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        yield page
    context.close()


def _native_controls(page) -> list[str]:
    """Visible native date/time/file controls: Chromium draws those in its own language."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('input')).filter((input) => {
            if (!['date', 'datetime-local', 'time', 'month', 'week', 'file'].includes(input.type)) return false;
            const box = input.getBoundingClientRect();
            return box.width > 2 && box.height > 2 && getComputedStyle(input).opacity !== '0';
        }).map((input) => input.type + '#' + input.id)"""
    )


def test_upload_and_date_pages_show_only_our_words(walk, chinese_admin_in_english_browser, shots, tmp_path):
    page = chinese_admin_in_english_browser
    for path, name in PAGES:
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        text = page.locator("body").inner_text()
        for word in BROWSER_WORDS:
            assert word not in text, (path, word)
        assert _native_controls(page) == [], path
        page.screenshot(path=str(shots / f"h7-inputs-{name}-zh-hans.png"), full_page=True)

    # The prompt upload: our button and "no file" words, then the chosen file's name.
    page.goto("/console/ivr/prompts/")
    picker = page.locator("[data-file-picker]").first
    expect(picker.locator(".file-picker-button")).to_contain_text("选择文件")
    expect(picker.locator(".file-picker-name")).to_have_text("未选择文件")
    audio = tmp_path / "问候语.wav"
    audio.write_bytes(b"RIFF")
    picker.locator("input[type=file]").set_input_files(str(audio))
    expect(picker.locator(".file-picker-name")).to_have_text("问候语.wav")

    # The campaign form: the format hint in Chinese, and the calendar fills an ISO date.
    page.goto("/console/campaigns/new/")
    start = page.locator("#id_start_date")
    expect(start).to_have_attribute("placeholder", "年-月-日")
    expect(page.locator("#id_window_start")).to_have_attribute("placeholder", "时:分")
    toggle = page.locator("#id_start_date + [data-date-picker]")
    expect(toggle).to_have_attribute("aria-label", "选择日期")
    toggle.click()
    calendar = page.locator(".date-picker")
    expect(calendar).to_be_visible()
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the browser's time zone
    expect(calendar.locator(".date-picker-title")).to_have_text(f"{today.year}年{today.month}月")
    assert calendar.locator("thead th").all_inner_texts() == ["一", "二", "三", "四", "五", "六", "日"]
    page.screenshot(path=str(shots / "h7-inputs-calendar-zh-hans.png"))
    calendar.locator(".date-picker-next").click()
    following = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=15)
    calendar.locator(f"[data-day='{following.isoformat()}']").click()
    expect(calendar).to_have_count(0)
    expect(start).to_have_value(following.isoformat())

    # A date-time: the calendar sets the day and keeps the time typed.
    page.goto("/calls/")
    since = page.locator("#id_since")
    expect(since).to_have_attribute("placeholder", "年-月-日 时:分")
    since.fill("2026-01-02 08:15")
    page.locator("#id_since + [data-date-picker]").click()
    page.locator(".date-picker [data-day='2026-01-20']").click()
    expect(since).to_have_value("2026-01-20 08:15")
    page.keyboard.press("Escape")

    assert page.js_errors == []
