"""API token rules: optional expiry, revoked with a password change or reset, and the per-user
cap that ``POST /api/v1/auth/token`` respects like the tokens page."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import ApiToken
from apps.accounts.services import MAX_TOKENS_PER_USER, token_create, token_issue
from tests.accounts.helpers import api_token, web_login
from tests.conftest import PASSWORD

NEW_PASSWORD = "Another-Fresh-Pass-9!"


def _me_with(world, raw: str) -> int:
    return world.api().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {raw}").status_code


# --- expiry ---------------------------------------------------------------------------------------------


def test_a_token_with_a_future_expiry_works(acme):
    agent = acme.user("agent")
    with tenant_context(acme.tenant):
        raw = token_issue(user=agent, name="short", expires_at=timezone.now() + timedelta(hours=1)).raw

    assert _me_with(acme, raw) == 200


def test_an_expired_token_is_refused(acme):
    agent = acme.user("agent")
    with tenant_context(acme.tenant):
        issued = token_issue(user=agent, name="short", expires_at=timezone.now() + timedelta(hours=1))
        ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = acme.api().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {issued.raw}")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_an_expired_token_opens_no_websocket_either(acme):
    from apps.accounts.services import token_user

    agent = acme.user("agent")
    with tenant_context(acme.tenant):
        issued = token_issue(user=agent, name="short", expires_at=timezone.now() + timedelta(hours=1))
        ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert token_user(issued.raw) is None


def test_the_api_issues_a_token_with_an_expiry(acme):
    admin = acme.admin()
    expires = (timezone.now() + timedelta(days=30)).isoformat()

    response = acme.api(admin).post("/api/v1/auth/tokens", {"name": "month", "expires_at": expires}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["expires_at"] is not None
    listed = acme.api(admin).get("/api/v1/auth/tokens").json()
    assert [t["expires_at"] for t in listed if t["name"] == "month"][0] is not None


def test_an_expiry_in_the_past_is_400_and_creates_nothing(acme):
    admin = acme.admin()
    client = acme.api(admin)
    with tenant_context(acme.tenant):
        before = ApiToken.objects.count()

    response = client.post(
        "/api/v1/auth/tokens",
        {"name": "old", "expires_at": (timezone.now() - timedelta(minutes=1)).isoformat()},
        format="json",
    )

    assert response.status_code == 400
    assert "expires_at" in response.json()["fields"]
    with tenant_context(acme.tenant):
        assert ApiToken.objects.count() == before


def test_auth_token_accepts_an_expiry(acme):
    expires = (timezone.now() + timedelta(days=1)).isoformat()

    response = acme.api().post(
        "/api/v1/auth/token",
        {"email": acme.admin_email, "password": PASSWORD, "expires_at": expires, "name": "nightly job"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["expires_at"]
    with tenant_context(acme.tenant):
        token = ApiToken.objects.get(prefix=response.json()["token"][:8])
        assert token.name == "nightly job"
        assert token.expires_at is not None


def test_console_page_issues_a_token_that_expires(acme):
    agent = acme.user("agent")
    client = web_login(acme, agent.email)

    client.post("/console/tokens/", {"name": "week", "expires_in_days": "7"})

    with tenant_context(acme.tenant):
        token = ApiToken.objects.get(user=agent, name="week")
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)


def test_expired_tokens_make_room_under_the_cap(acme):
    agent = acme.user("agent")
    with tenant_context(acme.tenant):
        for i in range(MAX_TOKENS_PER_USER):
            token_create(user=agent, name=f"t{i}")
        ApiToken.objects.filter(user=agent, name="t0").update(expires_at=timezone.now() - timedelta(days=1))

        issued = token_issue(user=agent, name="fresh")

        assert issued.token.pk
        assert not ApiToken.objects.filter(user=agent, name="t0").exists()


# --- the cap on POST /auth/token ------------------------------------------------------------------------


def test_auth_token_respects_the_per_user_cap(acme):
    agent = acme.user("agent")
    with tenant_context(acme.tenant):
        for i in range(MAX_TOKENS_PER_USER):
            token_create(user=agent, name=f"t{i}")

    response = api_token(acme, agent.email)

    assert response.status_code == 400
    assert response.json()["code"] == "too_many_tokens"
    with tenant_context(acme.tenant):
        assert ApiToken.objects.filter(user=agent).count() == MAX_TOKENS_PER_USER


def test_auth_token_below_the_cap_still_works(acme):
    agent = acme.user("agent")
    with tenant_context(acme.tenant):
        for i in range(MAX_TOKENS_PER_USER - 1):
            token_create(user=agent, name=f"t{i}")

    assert api_token(acme, agent.email).status_code == 200
    assert api_token(acme, agent.email).json()["code"] == "too_many_tokens"


# --- revoked with the password --------------------------------------------------------------------------


def test_a_password_change_by_an_administrator_revokes_the_users_tokens(acme):
    agent = acme.user("agent", email="changed@acme.test")
    raw = acme.token(agent)
    other = acme.token(acme.user("agent", email="bystander@acme.test"))

    response = acme.api(acme.admin()).patch(f"/api/v1/users/{agent.pk}", {"password": NEW_PASSWORD}, format="json")

    assert response.status_code == 200
    assert _me_with(acme, raw) == 401
    assert _me_with(acme, other) == 200
    with tenant_context(acme.tenant):
        assert not ApiToken.objects.filter(user=agent).exists()


def test_an_update_without_a_password_keeps_the_tokens(acme):
    agent = acme.user("agent")
    raw = acme.token(agent)

    acme.api(acme.admin()).patch(f"/api/v1/users/{agent.pk}", {"name": "Renamed"}, format="json")

    assert _me_with(acme, raw) == 200


def test_a_password_reset_revokes_the_users_tokens(acme, mailoutbox):
    raw = acme.token(acme.admin())
    acme.client().post("/accounts/password-reset/", {"email": acme.admin_email})
    link = re.search(r"https?://[^\s]+/accounts/reset/[^\s]+/", mailoutbox[0].body).group(0)
    client = acme.client()
    form_url = client.get(link.removeprefix(f"http://{acme.host}"))["Location"]

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert _me_with(acme, raw) == 401
