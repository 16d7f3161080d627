"""API tokens, the web login, logout, lockout, password reset and invitations on a tenant host."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.models import ApiToken, User
from tests.accounts.helpers import api_token, web_login
from tests.conftest import PASSWORD

NEW_PASSWORD = "Fresh-Pass-4-Reset!"
LINK_RE = re.compile(r"https?://[^\s]+/accounts/reset/[^\s]+/")


def _token_rows_as_text(world) -> str:
    """Every column of every token row, as text: the raw token must appear in none of them."""
    with tenant_context(world.tenant), connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM accounts_apitoken t")
        return "\n".join(row[0] for row in cursor.fetchall())


def _link(message) -> str:
    match = LINK_RE.search(message.body)
    assert match, message.body
    return match.group(0)


def _path(link: str, world) -> str:
    prefix = f"http://{world.host}"
    assert link.startswith(prefix), link
    return link.removeprefix(prefix)


def _set_password_through_link(world, link: str, password: str = NEW_PASSWORD):
    client = world.client()
    response = client.get(_path(link, world))
    # Django swaps the token in the URL for a session value and redirects to .../set-password/.
    assert response.status_code == 302
    assert response["Location"].endswith("/set-password/")
    form_url = response["Location"]
    assert client.get(form_url).status_code == 200
    return client.post(form_url, {"new_password1": password, "new_password2": password})


# --- POST /api/v1/auth/token ----------------------------------------------------------------


def test_token_is_issued_for_the_right_password(acme):
    response = api_token(acme, acme.admin_email)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert body["expires_at"] is None
    assert isinstance(body["token"], str)
    assert len(body["token"]) >= 32


def test_token_email_is_case_insensitive(acme):
    response = api_token(acme, acme.admin_email.upper())

    assert response.status_code == 200
    assert response.json()["token"]


def test_each_login_issues_a_different_token(acme):
    first = api_token(acme, acme.admin_email).json()["token"]
    second = api_token(acme, acme.admin_email).json()["token"]

    assert first != second


def test_token_is_stored_only_as_its_sha256_digest(acme):
    raw = api_token(acme, acme.admin_email).json()["token"]

    with tenant_context(acme.tenant):
        token = ApiToken.objects.select_related("user").get(digest=hashlib.sha256(raw.encode()).hexdigest())
        assert token.user.email == acme.admin_email
        assert token.prefix == raw[: len(token.prefix)]
        assert len(token.prefix) < len(raw)
    assert raw not in _token_rows_as_text(acme)


def test_token_digest_is_a_sha256_hex_and_the_prefix_is_short(acme):
    raw = api_token(acme, acme.admin_email).json()["token"]

    with tenant_context(acme.tenant):
        token = ApiToken.objects.get(prefix=raw[:8])
    assert re.fullmatch(r"[0-9a-f]{64}", token.digest)
    assert len(token.prefix) <= 12


def test_token_authenticates_me(acme):
    raw = api_token(acme, acme.admin_email).json()["token"]

    response = acme.api().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {raw}")

    assert response.status_code == 200
    admin = acme.admin()
    body = response.json()
    assert body["id"] == admin.pk
    assert body["email"] == acme.admin_email
    assert body["name"] == admin.name
    assert body["roles"] == ["tenant_admin", "supervisor"]
    assert body["tenant"] == "acme"


def test_me_shows_the_callers_own_roles(acme):
    agent = acme.user("agent", "qa")

    body = acme.api(agent).get("/api/v1/me").json()

    assert body["email"] == agent.email
    assert body["id"] == agent.pk
    assert body["roles"] == ["agent", "qa"]
    assert body["tenant"] == "acme"


def test_me_without_credentials_is_401(acme):
    response = acme.api().get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Token a b", "Token "])
def test_me_with_a_bad_token_is_401(acme, header):
    response = acme.api().get("/api/v1/me", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


def test_token_of_a_deactivated_user_is_refused(acme):
    agent = acme.user("agent")
    raw = acme.token(agent)
    with tenant_context(acme.tenant):
        User.objects.filter(pk=agent.pk).update(is_active=False)

    response = acme.api().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {raw}")

    assert response.status_code == 401


def test_wrong_password_is_401_invalid_credentials(acme):
    response = api_token(acme, acme.admin_email, "Wrong-password-123")

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert body["message"]
    assert body["fields"] == {}
    assert "token" not in body


def test_unknown_email_is_401_invalid_credentials(acme):
    response = api_token(acme, "nobody@acme.test")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_a_user_of_another_tenant_cannot_get_a_token_here(acme, globex):
    response = api_token(acme, globex.admin_email)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_inactive_user_gets_no_token(acme):
    agent = acme.user("agent")
    with tenant_context(acme.tenant):
        User.objects.filter(pk=agent.pk).update(is_active=False)

    response = api_token(acme, agent.email)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_missing_password_is_400_naming_the_field(acme):
    response = acme.api().post("/api/v1/auth/token", {"email": acme.admin_email}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "password" in body["fields"]


def test_wrong_password_issues_no_token(acme):
    with tenant_context(acme.tenant):
        before = ApiToken.objects.count()

    api_token(acme, acme.admin_email, "Wrong-password-123")

    with tenant_context(acme.tenant):
        assert ApiToken.objects.count() == before


# --- lockout (django-axes, AXES_FAILURE_LIMIT = 5) ------------------------------------------------


def _fail(world, email: str, times: int) -> list[int]:
    return [api_token(world, email, f"Wrong-password-{n}").status_code for n in range(times)]


def test_four_failures_do_not_lock_the_account(acme, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    agent = acme.user("agent")

    assert _fail(acme, agent.email, 4) == [401, 401, 401, 401]
    assert api_token(acme, agent.email).status_code == 200


def test_after_five_failures_the_right_password_is_refused_with_429(acme):
    agent = acme.user("agent")
    _fail(acme, agent.email, 5)

    response = api_token(acme, agent.email)

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out"
    assert body["message"]
    assert "token" not in body


def test_a_locked_account_gets_no_token_row(acme):
    agent = acme.user("agent")
    _fail(acme, agent.email, 5)

    api_token(acme, agent.email)

    with tenant_context(acme.tenant):
        assert not ApiToken.objects.filter(user=agent).exists()


def test_lockout_of_one_user_leaves_others_alone(acme):
    victim = acme.user("agent")
    _fail(acme, victim.email, 5)

    assert api_token(acme, acme.admin_email).status_code == 200


def test_lockout_on_one_tenant_does_not_lock_the_same_email_elsewhere(acme, globex):
    email = "shared-person@example.test"
    acme.user("agent", email=email)
    globex.user("agent", email=email)
    _fail(acme, email, 5)

    assert api_token(acme, email).status_code == 429
    assert api_token(globex, email).status_code == 200


def test_a_success_before_the_limit_resets_the_failure_count(acme):
    agent = acme.user("agent")
    _fail(acme, agent.email, 4)
    assert api_token(acme, agent.email).status_code == 200
    _fail(acme, agent.email, 4)

    assert api_token(acme, agent.email).status_code == 200


def test_web_login_is_refused_for_a_locked_account(acme):
    agent = acme.user("agent")
    _fail(acme, agent.email, 5)

    client = acme.client()
    response = client.post("/accounts/login/", {"username": agent.email, "password": PASSWORD})

    assert response.status_code == 429
    assert client.get("/api/v1/me").status_code == 401


# --- web login and logout -------------------------------------------------------------------------


def test_login_page_renders(acme):
    response = acme.client().get("/accounts/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_login_with_email_and_password_redirects_home(acme):
    client = acme.client()

    response = client.post("/accounts/login/", {"username": acme.admin_email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == acme.admin_email


def test_login_email_is_case_insensitive(acme):
    client = acme.client()

    response = client.post("/accounts/login/", {"username": acme.admin_email.upper(), "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/api/v1/me").json()["email"] == acme.admin_email


def test_login_honours_next(acme):
    client = acme.client()

    response = client.post(
        "/accounts/login/", {"username": acme.admin_email, "password": PASSWORD, "next": "/console/users/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/console/users/"


def test_login_with_wrong_password_stays_on_the_page(acme):
    client = acme.client()

    response = client.post("/accounts/login/", {"username": acme.admin_email, "password": "Wrong-password-1"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get("/api/v1/me").status_code == 401


def test_anonymous_home_redirects_to_login(acme):
    response = acme.client().get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logout_ends_the_session(acme):
    client = web_login(acme, acme.admin_email)
    assert client.get("/api/v1/me").status_code == 200

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/")["Location"].startswith("/accounts/login/")


# --- password reset ----------------------------------------------------------------------------


def test_password_reset_sends_a_link_on_the_tenant_host(acme, mailoutbox):
    response = acme.client().post("/accounts/password-reset/", {"email": acme.admin_email})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [acme.admin_email]
    assert _link(message).startswith("http://acme.localhost/accounts/reset/")


def test_password_reset_link_lets_the_user_choose_a_new_password(acme, mailoutbox):
    acme.client().post("/accounts/password-reset/", {"email": acme.admin_email})

    response = _set_password_through_link(acme, _link(mailoutbox[0]))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/reset/done/"
    assert api_token(acme, acme.admin_email, NEW_PASSWORD).status_code == 200
    assert api_token(acme, acme.admin_email, PASSWORD).status_code == 401


def test_password_reset_link_works_only_once(acme, mailoutbox):
    acme.client().post("/accounts/password-reset/", {"email": acme.admin_email})
    link = _link(mailoutbox[0])
    _set_password_through_link(acme, link)

    response = acme.client().get(_path(link, acme))

    assert response.status_code == 200
    assert response.context["validlink"] is False


def test_password_reset_refuses_a_weak_password(acme, mailoutbox):
    acme.client().post("/accounts/password-reset/", {"email": acme.admin_email})

    response = _set_password_through_link(acme, _link(mailoutbox[0]), "123")

    assert response.status_code == 200
    assert response.context["form"].errors
    assert api_token(acme, acme.admin_email, PASSWORD).status_code == 200


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(acme, mailoutbox):
    response = acme.client().post("/accounts/password-reset/", {"email": "nobody@acme.test"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mailoutbox == []


def test_password_reset_only_knows_the_hosts_own_users(acme, globex, mailoutbox):
    acme.client().post("/accounts/password-reset/", {"email": globex.admin_email})

    assert mailoutbox == []


def test_a_reset_link_of_one_tenant_is_invalid_on_another(acme, globex, mailoutbox):
    acme.client().post("/accounts/password-reset/", {"email": acme.admin_email})
    path = _path(_link(mailoutbox[0]), acme)

    response = globex.client().get(path)

    assert response.status_code == 200
    assert response.context["validlink"] is False


# --- invitations ---------------------------------------------------------------------------------


def _invite(world, admin, email: str, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = world.api(admin).post(
            "/api/v1/users", {"email": email, "name": "New Person", "roles": ["agent"]}, format="json"
        )
    assert response.status_code == 201, response.json()
    return response


def test_creating_a_user_without_password_sends_an_invitation(acme, mailoutbox, django_capture_on_commit_callbacks):
    _invite(acme, acme.admin(), "invitee@acme.test", django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["invitee@acme.test"]
    assert _link(message).startswith("http://acme.localhost/accounts/reset/")


def test_invited_user_has_no_usable_password_until_they_choose_one(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    _invite(acme, acme.admin(), "invitee@acme.test", django_capture_on_commit_callbacks)

    with tenant_context(acme.tenant):
        invitee = User.objects.get(email="invitee@acme.test")
        assert invitee.has_usable_password() is False
        assert invitee.roles == ["agent"]
    assert api_token(acme, "invitee@acme.test", "").status_code == 400
    assert api_token(acme, "invitee@acme.test", PASSWORD).status_code == 401


def test_invitation_link_sets_the_password(acme, mailoutbox, django_capture_on_commit_callbacks):
    _invite(acme, acme.admin(), "invitee@acme.test", django_capture_on_commit_callbacks)

    response = _set_password_through_link(acme, _link(mailoutbox[0]))

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert User.objects.get(email="invitee@acme.test").has_usable_password() is True
    assert api_token(acme, "invitee@acme.test", NEW_PASSWORD).status_code == 200


def test_creating_a_user_with_a_password_sends_no_invitation(acme, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(acme.admin()).post(
            "/api/v1/users",
            {"email": "direct@acme.test", "password": PASSWORD, "name": "Direct", "roles": ["agent"]},
            format="json",
        )

    assert response.status_code == 201
    assert mailoutbox == []
    assert api_token(acme, "direct@acme.test").status_code == 200


def test_console_invitation_sends_the_same_email(acme, mailoutbox, django_capture_on_commit_callbacks):
    client = web_login(acme, acme.admin_email)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/console/users/", {"email": "console-invitee@acme.test", "roles": ["agent"]})

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["console-invitee@acme.test"]
    assert _link(mailoutbox[0]).startswith("http://acme.localhost/accounts/reset/")
