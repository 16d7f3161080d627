"""The first pages of a new company, in a browser, in English and in Chinese (issue 12 items 6–7):
the landing page's way to one's own login page, the sign-up's result (the login page welcoming
the administrator with the new address), an agent's home (the desk) and a quality analyst's
plain home. Screenshots go to SCREENSHOT_DIR when set (else the test's tmp_path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.conftest import PASSWORD

LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
QA_EMAIL = "quinn@walk.test"


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def qa_user(walk) -> str:
    from apps.accounts.choices import Role
    from apps.accounts.models import User

    def create() -> None:
        if not User.objects.filter(email=QA_EMAIL).exists():
            User.objects.create_user(QA_EMAIL, PASSWORD, name="Quinn Quality", roles=[Role.QA])

    walk.read(create)
    return QA_EMAIL


def _log_in(page, email: str) -> None:
    """Through the login page, in whichever language it speaks."""
    page.goto("/")
    page.wait_for_url(lambda url: "/accounts/login/" in url)
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _page(browser, walk, language: str):
    context = browser.new_context(base_url=walk.base_url, locale=LOCALES[language], timezone_id="Asia/Shanghai")
    context.add_cookies(
        [
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"}
            for host in (walk.host, settings.PLATFORM_DOMAIN)
        ]
    )
    context.route("**/static/sipjs/**", lambda route: route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_first_hour_pages(browser, walk, qa_user, shots, language):
    from apps.accounts.choices import Role  # noqa: PLC0415 -- as the fixtures above: Django set up first
    from tests.core.test_homes import NAVIGATION  # noqa: PLC0415

    context, page, errors = _page(browser, walk, language)
    try:
        public = f"http://{settings.PLATFORM_DOMAIN}:{walk.port}"
        page.goto(f"{public}/")
        page.locator("#id_address").fill(walk.tenant.slug)
        page.screenshot(path=str(shots / f"i4-landing-{language}.png"), full_page=True)
        with page.expect_navigation():
            page.locator("#tenant-login button").click()
        assert page.url.startswith(f"{walk.base_url}/accounts/login/"), page.url

        page.goto("/accounts/login/?welcome=1")
        assert f"{walk.base_url}/" in page.locator("[data-welcome] .address").inner_text()
        page.screenshot(path=str(shots / f"i4-signup-result-{language}.png"), full_page=True)

        _log_in(page, walk.agent_email)
        page.wait_for_url(lambda url: url.rstrip("/").endswith("/desk"))
        page.screenshot(path=str(shots / f"i4-agent-home-{language}.png"), full_page=True)
        nav = page.locator("nav.mainnav a")
        # The navigation each role sees is the table of tests/core/test_homes.py.
        assert [link.get_attribute("href") for link in nav.all()] == NAVIGATION[Role.AGENT]
    finally:
        context.close()

    context, page, errors_qa = _page(browser, walk, language)
    try:
        _log_in(page, qa_user)
        page.wait_for_url(lambda url: url.rstrip("/").endswith("/qa"))  # a QA analyst lands on the workspace
        assert [link.get_attribute("href") for link in page.locator("nav.mainnav a").all()] == NAVIGATION[Role.QA]
        page.screenshot(path=str(shots / f"i4-qa-home-{language}.png"), full_page=True)
    finally:
        context.close()
    assert errors + errors_qa == []
