"""The campaign monitor's figures in a browser, in English and Chinese (issue 12, item 3): every
label carries its definition (tooltip and accessible description), the page lists the
definitions, and the figures are those of the rows. Screenshots go to SCREENSHOT_DIR (the notes'
shots folder when run by hand) as i3-campaign-monitor-<language>.png."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD

LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def campaign_id(walk) -> int:
    """A campaign with a morning's attempts: dials of every outcome and a contact handed back."""
    from apps.telephony.models import Campaign, DialAttempt
    from tests.telephony.campaign_factories import make_campaign, make_contact

    def create() -> int:
        existing = Campaign.objects.filter(name="Figures walk").first()
        if existing is not None:
            return existing.pk
        campaign = make_campaign(name="Figures walk")
        now = timezone.now()
        outcomes = ["answered", "answered", "answered", "abandoned", "busy", "no_answer", "machine", "returned"]
        for number, outcome in enumerate(outcomes):
            contact = make_contact(campaign, phone=f"+861390013{number:04d}", next_attempt_at=now, attempts=0)
            DialAttempt.objects.create(
                campaign=campaign,
                contact=contact,
                attempt_no=1,
                number=contact.phone,
                outcome=outcome,
                started_at=now - timedelta(minutes=3),
                ended_at=now - timedelta(minutes=2),
            )
        for number in range(4):
            make_contact(campaign, phone=f"+861390014{number:04d}", next_attempt_at=now)
        return campaign.pk

    return walk.read(create)


def _page(browser, walk, language: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(base_url=walk.base_url, locale=LOCALES[language], timezone_id="Asia/Shanghai")
    context.add_cookies(
        [
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"}
            for host in (walk.host, settings.PLATFORM_DOMAIN)
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_monitor_explains_its_figures(browser, walk, campaign_id, shots, language):
    context, page, errors = _page(browser, walk, language)
    try:
        page.goto(f"/console/campaigns/{campaign_id}/monitor/")
        page.wait_for_url(lambda url: "/accounts/login/" in url)
        page.locator("#id_username").fill(walk.supervisor_email)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: url.rstrip("/").endswith("/monitor"))

        # The rows: 7 dialled (the hand-back is not a dial), 4 live answers, 1 abandoned.
        expect(page.locator("[data-figure='dials_today']")).to_have_text("7")
        expect(page.locator("[data-figure='live_answers_today']")).to_have_text("4")
        expect(page.locator("[data-figure='abandoned_today']")).to_have_text("1")
        expect(page.locator("[data-figure='contacts.attempted']")).to_have_text("7")
        labels = page.locator(".figure-label")
        assert labels.count() >= 5
        for index in range(labels.count()):
            label = labels.nth(index)
            assert (label.get_attribute("title") or "").strip()
            described = label.get_attribute("aria-describedby")
            assert described and page.locator(f"#{described}").count() == 1
        page.locator(".figure-definitions summary").click()
        expect(page.locator(".figure-definitions dd").first).to_be_visible()
        if language == "zh-hans":
            # the definitions themselves are translated too
            expect(page.locator(".figure-definitions")).to_contain_text("今日真人接听")
        page.screenshot(path=str(shots / f"i3-campaign-monitor-{language}.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()
