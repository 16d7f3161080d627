"""The platform console's tenant page in a browser: the seats chart draws (ECharts, no JavaScript
error, no CSP refusal), suspend and resume ask through the shared confirm dialog and come back to
the page, and the staff actions list them; in English and in Chinese ("恢复", not "取回").

Platform staff sign in with a password and a TOTP code; the tests give the browser a session made
by Django's test client instead (as tests/tenants/test_platform.py does), the second factor being
tested in tests/accounts/test_two_factor.py. Screenshots go to SCREENSHOT_DIR when set (else the
test's tmp_path)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
STAFF_EMAIL = "ops-i7@platform.test"


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def staff_session(walk):
    """A platform staff member, signed in; the tenant with two months of seat-day rows."""
    from apps.accounts.models import User
    from apps.tenants.models import SeatUsageDay
    from apps.tenants.selectors.usage import platform_today
    from apps.tenants.services.usage import seat_days_record

    def prepare() -> str:
        with schema_context("public"):
            user = User.objects.filter(email=STAFF_EMAIL).first() or User.objects.create_superuser(
                STAFF_EMAIL, PASSWORD, name="Olga Ops"
            )
            today = platform_today()
            for age in range(60, -1, -1):
                seats = 5 if age > 40 else 8 if age > 12 else 12
                seat_days_record(tenant_id=walk.tenant.pk, seats=seats, day=today - timedelta(days=age))
            client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
            client.force_login(user)
            return client.cookies[settings.SESSION_COOKIE_NAME].value

    def clean() -> None:
        with schema_context("public"):
            # The ORM's cascade would look for tenant-only tables (telephony agents) in public.
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM accounts_user WHERE email = %s", [STAFF_EMAIL])
            SeatUsageDay.objects.filter(tenant=walk.tenant).delete()

    session = walk.database.run(prepare)
    yield session
    walk.database.run(clean)


def _open(browser, walk, session: str, language: str):
    base = f"http://{settings.PLATFORM_DOMAIN}:{walk.port}"
    context = browser.new_context(base_url=base, locale=LOCALES[language], timezone_id="Asia/Shanghai")
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": settings.PLATFORM_DOMAIN, "path": "/"},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": settings.PLATFORM_DOMAIN, "path": "/"},
        ]
    )
    page = context.new_page()
    page.js_errors = []
    page.console_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    return context, page


def _suspend_and_resume(page, resume_label: str) -> None:
    page.locator(".page-actions > .status-form input[name=reason]").fill("unpaid")
    page.locator(".page-actions button[value=suspend]").click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.locator(".confirm-ok").click()
    expect(page.locator(".page-actions button[value=resume]")).to_have_text(resume_label)
    page.locator(".page-actions button[value=resume]").click()
    expect(dialog).to_be_visible()
    dialog.locator(".confirm-ok").click()
    expect(page.locator(".page-actions button[value=suspend]")).to_be_visible()


@pytest.mark.parametrize(
    ("language", "resume_label", "suspended_label"),
    [("en", "Resume", "Suspended by the platform"), ("zh-hans", "恢复", None)],
)
def test_tenant_page(browser, walk, staff_session, shots, language, resume_label, suspended_label):
    context, page = _open(browser, walk, staff_session, language)
    try:
        page.goto(f"/platform/tenants/{walk.tenant.slug}/")
        expect(page.locator("#seat-chart svg")).to_be_visible()  # ECharts drew, from static files
        expect(page.locator(".seat-days-total")).to_have_text(str(5 * 20 + 8 * 28 + 12 * 13))

        _suspend_and_resume(page, resume_label)

        assert page.url.endswith(f"/platform/tenants/{walk.tenant.slug}/")
        actions = page.locator("#staff-actions tbody tr")  # newest first
        expect(actions.nth(0)).to_have_attribute("data-action", "platform.tenant_resumed")
        expect(actions.nth(1)).to_have_attribute("data-action", "platform.tenant_suspended")
        if suspended_label:
            expect(actions.nth(1)).to_contain_text(suspended_label)
        expect(actions.nth(1)).to_contain_text("unpaid")
        assert "取回" not in page.content()
        page.locator("#seat-chart").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"i7-tenant-{language}.png"), full_page=True)
        page.locator(".page-actions button[value=suspend]").click()
        page.screenshot(path=str(shots / f"i7-confirm-{language}.png"))
        page.locator("dialog.confirm-dialog .confirm-cancel").click()
        assert page.js_errors == []
        assert page.console_errors == []
    finally:
        context.close()
