"""/api/v1/users: administrators manage the company's people; every other role is refused."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.services import user_delete, user_update
from apps.core.errors import ApplicationError
from tests.accounts.helpers import api_token, web_login
from tests.conftest import PASSWORD

NON_ADMIN_ROLES = ["supervisor", "agent", "qa", "trainer", "hr", "billing"]


def _count(world) -> int:
    with tenant_context(world.tenant):
        return User.objects.count()


def _get(world, pk: int) -> User:
    with tenant_context(world.tenant):
        return User.objects.get(pk=pk)


def _new_user(**overrides) -> dict:
    return {"email": "new.agent@acme.test", "password": PASSWORD, "name": "New Agent", "roles": ["agent"], **overrides}


@pytest.fixture
def admin_api(acme):
    return acme.api(acme.admin())


# --- create -------------------------------------------------------------------------------------


def test_admin_creates_a_user(acme, admin_api):
    response = admin_api.post("/api/v1/users", _new_user(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["id"], int)
    assert body["email"] == "new.agent@acme.test"
    assert body["name"] == "New Agent"
    assert body["roles"] == ["agent"]
    assert body["is_active"] is True
    assert "password" not in body
    created = _get(acme, body["id"])
    assert created.email == "new.agent@acme.test"
    assert created.check_password(PASSWORD)


def test_created_user_can_log_in_on_the_tenant_host(acme, admin_api):
    admin_api.post("/api/v1/users", _new_user(), format="json")

    assert api_token(acme, "new.agent@acme.test").status_code == 200


def test_created_user_exists_only_in_its_tenant(acme, globex, admin_api):
    admin_api.post("/api/v1/users", _new_user(), format="json")

    with tenant_context(globex.tenant):
        assert not User.objects.filter(email="new.agent@acme.test").exists()
    assert api_token(globex, "new.agent@acme.test").status_code == 401


def test_create_normalises_email_and_roles(acme, admin_api):
    response = admin_api.post(
        "/api/v1/users",
        _new_user(email="  Mixed.Case@ACME.test ", roles=["qa", "agent", "qa"]),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "mixed.case@acme.test"
    assert body["roles"] == ["agent", "qa"]


def test_a_user_may_hold_several_roles(admin_api):
    response = admin_api.post("/api/v1/users", _new_user(roles=["supervisor", "qa", "trainer"]), format="json")

    assert response.status_code == 201
    assert response.json()["roles"] == ["supervisor", "qa", "trainer"]


def test_same_email_may_exist_in_two_tenants(acme, globex):
    globex_admin_api = globex.api(globex.admin())

    response = globex_admin_api.post("/api/v1/users", _new_user(email=acme.admin_email), format="json")

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param(_new_user(email="not-an-email"), "email", id="bad-email"),
        pytest.param(_new_user(email=""), "email", id="empty-email"),
        pytest.param(_new_user(email="admin@acme.test"), "email", id="duplicate-email"),
        pytest.param(_new_user(email="ADMIN@acme.test"), "email", id="duplicate-email-other-case"),
        pytest.param(_new_user(roles=["wizard"]), "roles", id="unknown-role"),
        pytest.param(_new_user(roles=["agent", "root"]), "roles", id="one-unknown-role"),
        pytest.param(_new_user(roles="agent"), "roles", id="roles-not-a-list"),
        pytest.param(_new_user(password="123"), "password", id="short-password"),
        pytest.param(_new_user(password="password123"), "password", id="common-password"),
        pytest.param(_new_user(password="83749201938"), "password", id="numeric-password"),
        pytest.param(_new_user(password="new.agent.acme"), "password", id="password-like-email"),
        pytest.param({k: v for k, v in _new_user().items() if k != "email"}, "email", id="missing-email"),
        pytest.param({k: v for k, v in _new_user().items() if k != "roles"}, "roles", id="missing-roles"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_creates_nothing(acme, admin_api, payload, field):
    before = _count(acme)

    response = admin_api.post("/api/v1/users", payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == "invalid"
    assert body["message"]
    assert field in body["fields"]
    assert all(isinstance(message, str) and message for message in body["fields"][field])
    assert _count(acme) == before


# --- read, update, delete -------------------------------------------------------------------------


def test_admin_lists_the_tenants_users_only(acme, globex, admin_api):
    agent = acme.user("agent")
    globex.user("agent", email="outsider@globex.test")

    response = admin_api.get("/api/v1/users")

    assert response.status_code == 200
    emails = [user["email"] for user in response.json()["results"]]
    assert acme.admin_email in emails
    assert agent.email in emails
    assert globex.admin_email not in emails
    assert "outsider@globex.test" not in emails
    assert response.json()["count"] == _count(acme)


def test_list_never_exposes_password_hashes(acme, admin_api):
    response = admin_api.get("/api/v1/users")

    for user in response.json()["results"]:
        assert "password" not in user
    assert b"md5$" not in response.content


def test_admin_reads_one_user(acme, admin_api):
    agent = acme.user("agent")

    response = admin_api.get(f"/api/v1/users/{agent.pk}")

    assert response.status_code == 200
    assert response.json()["email"] == agent.email


def test_admin_renames_and_changes_roles(acme, admin_api):
    agent = acme.user("agent")

    response = admin_api.patch(f"/api/v1/users/{agent.pk}", {"name": "Renamed", "roles": ["supervisor"]}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["roles"] == ["supervisor"]
    stored = _get(acme, agent.pk)
    assert stored.name == "Renamed"
    assert stored.roles == ["supervisor"]


def test_update_with_an_unknown_role_is_400_and_changes_nothing(acme, admin_api):
    agent = acme.user("agent")

    response = admin_api.patch(f"/api/v1/users/{agent.pk}", {"roles": ["agent", "wizard"]}, format="json")

    assert response.status_code == 400
    assert "roles" in response.json()["fields"]
    assert _get(acme, agent.pk).roles == ["agent"]


def test_update_with_a_weak_password_is_400_and_keeps_the_old_one(acme, admin_api):
    agent = acme.user("agent")

    response = admin_api.patch(f"/api/v1/users/{agent.pk}", {"password": "123"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert _get(acme, agent.pk).check_password(PASSWORD)


def test_admin_deactivates_a_user_who_then_cannot_log_in(acme, admin_api):
    agent = acme.user("agent")
    token = acme.token(agent)

    response = admin_api.patch(f"/api/v1/users/{agent.pk}", {"is_active": False}, format="json")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert api_token(acme, agent.email).status_code == 401
    assert acme.api().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_admin_deletes_a_user(acme, admin_api):
    agent = acme.user("agent")

    response = admin_api.delete(f"/api/v1/users/{agent.pk}")

    assert response.status_code == 204
    with tenant_context(acme.tenant):
        assert not User.objects.filter(pk=agent.pk).exists()


def test_unknown_user_id_is_404(admin_api):
    response = admin_api.get("/api/v1/users/999999")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- the rules that keep a company administrable ------------------------------------------------


def test_admin_cannot_delete_themselves(acme, admin_api):
    admin = acme.admin()

    response = admin_api.delete(f"/api/v1/users/{admin.pk}")

    assert response.status_code == 400
    assert response.json()["code"] == "self_delete"
    assert _get(acme, admin.pk).is_active


def test_admin_cannot_delete_themselves_even_with_another_admin(acme, admin_api):
    acme.user("tenant_admin")
    admin = acme.admin()

    response = admin_api.delete(f"/api/v1/users/{admin.pk}")

    assert response.status_code == 400
    assert response.json()["code"] == "self_delete"


def test_admin_cannot_deactivate_themselves(acme, admin_api):
    admin = acme.admin()

    response = admin_api.patch(f"/api/v1/users/{admin.pk}", {"is_active": False}, format="json")

    assert response.status_code == 400
    assert "is_active" in response.json()["fields"]
    assert _get(acme, admin.pk).is_active is True


def test_last_admin_cannot_drop_the_admin_role(acme, admin_api):
    admin = acme.admin()

    response = admin_api.patch(f"/api/v1/users/{admin.pk}", {"roles": ["supervisor"]}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "last_admin"
    assert Role.TENANT_ADMIN in _get(acme, admin.pk).roles


def test_an_admin_may_drop_their_role_when_another_admin_remains(acme, admin_api):
    acme.user("tenant_admin")
    admin = acme.admin()

    response = admin_api.patch(f"/api/v1/users/{admin.pk}", {"roles": ["supervisor"]}, format="json")

    assert response.status_code == 200
    assert _get(acme, admin.pk).roles == ["supervisor"]


def test_an_inactive_admin_does_not_count_as_the_other_admin(acme, admin_api):
    other = acme.user("tenant_admin")
    with tenant_context(acme.tenant):
        User.objects.filter(pk=other.pk).update(is_active=False)
    admin = acme.admin()

    response = admin_api.patch(f"/api/v1/users/{admin.pk}", {"roles": []}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "last_admin"


def test_admin_may_deactivate_and_delete_another_admin(acme, admin_api):
    other = acme.user("tenant_admin")

    assert admin_api.patch(f"/api/v1/users/{other.pk}", {"is_active": False}, format="json").status_code == 200
    assert admin_api.delete(f"/api/v1/users/{other.pk}").status_code == 204


def test_service_refuses_to_deactivate_the_last_admin(acme):
    actor = acme.user("supervisor")
    admin = acme.admin()

    with tenant_context(acme.tenant), pytest.raises(ApplicationError) as error:
        user_update(user=admin, actor=actor, is_active=False)

    assert error.value.code == "last_admin"
    assert _get(acme, admin.pk).is_active is True


def test_service_refuses_to_delete_the_last_admin(acme):
    actor = acme.user("supervisor")
    admin = acme.admin()

    with tenant_context(acme.tenant), pytest.raises(ApplicationError) as error:
        user_delete(user=admin, actor=actor)

    assert error.value.code == "last_admin"
    with tenant_context(acme.tenant):
        assert User.objects.filter(pk=admin.pk).exists()


# --- roles without user administration ------------------------------------------------------------


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_roles_cannot_list_users(acme, role):
    user = acme.user(role)

    response = acme.api(user).get("/api/v1/users")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_roles_cannot_create_users(acme, role):
    user = acme.user(role)
    before = _count(acme)

    response = acme.api(user).post("/api/v1/users", _new_user(roles=["tenant_admin"]), format="json")

    assert response.status_code == 403
    assert _count(acme) == before


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_roles_cannot_change_or_delete_users(acme, role):
    user = acme.user(role)
    client = acme.api(user)
    admin = acme.admin()

    assert client.get(f"/api/v1/users/{admin.pk}").status_code == 403
    assert client.patch(f"/api/v1/users/{user.pk}", {"roles": ["tenant_admin"]}, format="json").status_code == 403
    assert client.delete(f"/api/v1/users/{admin.pk}").status_code == 403
    assert _get(acme, user.pk).roles == [role]
    assert _get(acme, admin.pk).is_active


def test_user_without_roles_is_refused(acme):
    user = acme.user()

    assert acme.api(user).get("/api/v1/users").status_code == 403


def test_anonymous_is_refused_with_401(acme):
    assert acme.api().get("/api/v1/users").status_code == 401


# --- console pages --------------------------------------------------------------------------------


def test_console_users_page_for_admin(acme):
    client = web_login(acme, acme.admin_email)

    response = client.get("/console/users/")

    assert response.status_code == 200
    assert acme.admin_email.encode() in response.content


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_console_users_page_is_403_for_other_roles(acme, role):
    user = acme.user(role)
    client = web_login(acme, user.email)

    assert client.get("/console/users/").status_code == 403
    assert client.get(f"/console/users/{user.pk}/").status_code == 403


def test_console_users_page_sends_anonymous_to_login(acme):
    response = acme.client().get("/console/users/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_console_creates_a_user_with_a_password(acme):
    client = web_login(acme, acme.admin_email)

    response = client.post(
        "/console/users/",
        {"email": "console.user@acme.test", "name": "Console", "roles": ["agent", "qa"], "password": PASSWORD},
    )

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        created = User.objects.get(email="console.user@acme.test")
    assert created.roles == ["agent", "qa"]
    assert created.check_password(PASSWORD)


def test_console_shows_a_weak_password_error_and_creates_nothing(acme):
    client = web_login(acme, acme.admin_email)
    before = _count(acme)

    response = client.post("/console/users/", {"email": "weak@acme.test", "roles": ["agent"], "password": "123"})

    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert _count(acme) == before


def test_console_refuses_to_delete_yourself(acme):
    client = web_login(acme, acme.admin_email)
    admin = acme.admin()

    response = client.post(f"/console/users/{admin.pk}/", {"delete": "1"})

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert User.objects.filter(pk=admin.pk).exists()
