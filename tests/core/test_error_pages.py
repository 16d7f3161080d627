"""Pages for people, not for debugging: 403/404/500, an unknown host, the public host's login,
and 127.0.0.1 after ``make run``."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.utils import translation
from django.views.defaults import server_error

from tests.accounts.helpers import web_login
from tests.conftest import PASSWORD


def _login(world, *roles: str) -> Client:
    return web_login(world, world.user(*roles).email)


def test_404_has_the_shell_and_a_way_home(acme):
    client = _login(acme, "agent")

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert 'class="mainnav"' in page and "Page not found" in page
    assert 'class="error-links"' in page and 'href="/"' in page
    assert "Using the URLconf" not in page


def test_404_in_chinese(acme):
    client = _login(acme, "agent")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "云呼叫中心 · " in page  # the shell (footer), in the visitor's language


def test_403_is_a_page_with_navigation(acme):
    client = _login(acme, "agent")

    response = client.get("/console/users/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot open this page" in page and 'class="mainnav"' in page


def test_403_in_chinese(acme):
    client = _login(acme, "agent")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.get("/console/users/")

    assert response.status_code == 403
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_500_renders_without_request_or_database(language):
    """Django renders 500.html with an empty context: no context processors, no request."""
    request = RequestFactory().get("/")
    with translation.override(language):
        response = server_error(request)

    page = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{language}">' in page
    assert "favicon.svg" in page and 'href="/"' in page
    assert ("云呼叫中心" if language == "zh-hans" else "Hosted Contact Center") in page


def test_an_unknown_host_gets_a_friendly_404(db):
    response = Client(HTTP_HOST=f"nobody.{settings.PLATFORM_DOMAIN}").get("/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "This address is not a contact center" in page
    assert f"http://{settings.PLATFORM_DOMAIN}/" in page
    assert "URLconf" not in page and "No tenant for hostname" not in page


@override_settings(DEBUG=True)
def test_an_unknown_host_lists_no_url_patterns_even_in_development(db):
    response = Client(HTTP_HOST=f"nobody.{settings.PLATFORM_DOMAIN}:8100").get("/console/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "URLconf" not in page and "console/" not in page.replace("/console/", "")
    assert f"http://{settings.PLATFORM_DOMAIN}:8100/" in page
    assert f'href="http://{settings.PLATFORM_DOMAIN}:8100/static/css/app.css"' in page


def test_an_unknown_host_in_chinese(db):
    client = Client(HTTP_HOST=f"nobody.{settings.PLATFORM_DOMAIN}", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    response = client.get("/")

    assert response.status_code == 404
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "云呼叫中心" in response.content.decode()


@pytest.mark.parametrize("host", ["127.0.0.1:8100", "127.0.0.1", "[::1]:8100"])
def test_loopback_address_redirects_to_the_landing_page(db, host):
    response = Client(HTTP_HOST=host).get("/")

    port = host.rpartition(":")[2] if host.endswith("8100") else ""
    assert response.status_code == 302
    assert response["Location"] == f"http://{settings.PLATFORM_DOMAIN}{':' + port if port else ''}/"


def test_public_host_root_is_the_landing_page(db):
    response = Client(HTTP_HOST=f"{settings.PLATFORM_DOMAIN}:8100").get("/")

    assert response.status_code == 200


def test_public_login_without_next(db):
    """The public host has no URL named "home": logging in there without ``next`` was a 500."""
    from apps.accounts.models import User
    from apps.accounts.two_factor import two_factor_required

    User.objects.create_user("visitor@platform.test", PASSWORD, name="Visitor")
    staff = User.objects.create_user("operator@platform.test", PASSWORD, name="Operator", is_staff=True)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)

    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "visitor@platform.test", "password": PASSWORD})
    assert response.status_code == 302
    if response["Location"] == "/":
        assert client.get("/").status_code == 200

    # Staff go on to their second factor, and from there to the platform console.
    staff_client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    response = staff_client.post("/accounts/login/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    if two_factor_required(staff):
        assert response["Location"] == "/accounts/two-factor/setup/"
        assert staff_client.session["two_factor_pending"]["next"] == "/platform/"
    else:
        assert response["Location"] == "/platform/"


def test_base_links_a_real_favicon(acme):
    page = acme.client().get("/accounts/login/").content.decode()

    assert 'href="data:,"' not in page
    assert "favicon.svg" in page
