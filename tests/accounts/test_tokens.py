"""Managing API tokens: issue by name, list, revoke (API and console page)."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from apps.accounts.models import ApiToken
from apps.accounts.services import MAX_TOKENS_PER_USER, token_create
from tests.accounts.helpers import web_login


def test_issued_token_is_shown_once_and_works(acme):
    admin = acme.admin()
    response = acme.api(admin).post("/api/v1/auth/tokens", {"name": "wallboard TV"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "wallboard TV"
    assert body["token"].startswith(body["prefix"])
    me = acme.api().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.status_code == 200
    assert me.json()["email"] == acme.admin_email
    listed = acme.api(admin).get("/api/v1/auth/tokens").json()
    assert "wallboard TV" in [t["name"] for t in listed]
    assert all("token" not in t for t in listed)


def test_token_without_name_is_refused_and_nothing_is_created(acme):
    client = acme.api(acme.admin())
    with tenant_context(acme.tenant):
        before = ApiToken.objects.count()
    response = client.post("/api/v1/auth/tokens", {"name": "   "}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "name" in response.json()["fields"]
    with tenant_context(acme.tenant):
        assert ApiToken.objects.count() == before


def test_tokens_per_user_are_capped(acme):
    agent = acme.user("agent")
    with tenant_context(acme.tenant):
        for i in range(MAX_TOKENS_PER_USER - 1):
            token_create(user=agent, name=f"t{i}")
    client = acme.api(agent)  # the client's own token is the last allowed one
    response = client.post("/api/v1/auth/tokens", {"name": "one too many"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_tokens"


def test_revoked_token_stops_working_at_once(acme):
    agent = acme.user("agent")
    raw = acme.token(agent)
    with tenant_context(acme.tenant):
        token_id = ApiToken.objects.get(user=agent, prefix=raw[:8]).pk
    client = acme.api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.delete(f"/api/v1/auth/tokens/{token_id}").status_code == 204
    assert client.get("/api/v1/me").status_code in (401, 403)


def test_user_cannot_see_or_revoke_another_users_token(acme):
    agent = acme.user("agent", email="one@acme.test")
    other = acme.user("agent", email="two@acme.test")
    with tenant_context(acme.tenant):
        theirs = token_create(user=other, name="theirs").token
    client = acme.api(agent)
    assert client.delete(f"/api/v1/auth/tokens/{theirs.pk}").status_code == 404
    assert theirs.pk not in [t["id"] for t in client.get("/api/v1/auth/tokens?all=1").json()]
    with tenant_context(acme.tenant):
        assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_admin_lists_and_revokes_any_users_token(acme):
    agent = acme.user("agent")
    with tenant_context(acme.tenant):
        theirs = token_create(user=agent, name="leaked").token
    client = acme.api(acme.admin())
    assert theirs.pk in [t["id"] for t in client.get("/api/v1/auth/tokens?all=1").json()]
    assert theirs.pk not in [t["id"] for t in client.get("/api/v1/auth/tokens").json()]
    assert client.delete(f"/api/v1/auth/tokens/{theirs.pk}").status_code == 204
    with tenant_context(acme.tenant):
        assert not ApiToken.objects.filter(pk=theirs.pk).exists()


def test_token_of_another_tenant_cannot_be_revoked(acme, globex):
    with tenant_context(globex.tenant):
        theirs = token_create(user=globex.admin(), name="globex").token
    response = acme.api(acme.admin()).delete(f"/api/v1/auth/tokens/{theirs.pk}")
    assert response.status_code == 404
    with tenant_context(globex.tenant):
        assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_console_page_issues_shows_once_and_revokes(acme):
    agent = acme.user("agent")
    client = web_login(acme, agent.email)
    response = client.post("/console/tokens/", {"name": "CRM sync"})
    assert response.status_code == 200
    page = response.content.decode()
    with tenant_context(acme.tenant):
        token = ApiToken.objects.get(user=agent, name="CRM sync")
    assert 'id="issued-token"' in page
    again = client.get("/console/tokens/").content.decode()
    assert 'id="issued-token"' not in again
    assert f"{token.prefix}…" in again
    response = client.post("/console/tokens/", {"revoke": token.pk})
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert not ApiToken.objects.filter(pk=token.pk).exists()
