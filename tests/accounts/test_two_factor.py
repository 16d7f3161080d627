"""Two-factor authentication: enrolment, the login's code step, recovery codes, the company
policy, platform staff, and ``POST /api/v1/auth/token`` with a code."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.models import User
from apps.accounts.two_factor import (
    recovery_codes_left,
    security_policy_update,
    two_factor_enabled,
    two_factor_enrolment_confirm,
    two_factor_enrolment_start,
)
from tests.accounts.helpers import api_token
from tests.conftest import PASSWORD


def _code(device: TOTPDevice, world=None) -> str:
    """The authenticator app's current code (the device may accept it: its last use is forgotten)."""
    if world is not None:
        with tenant_context(world.tenant):
            TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def _enrol(world, user: User) -> list[str]:
    with tenant_context(world.tenant):
        enrolment = two_factor_enrolment_start(user=user)
        TOTPDevice.objects.filter(pk=enrolment.device.pk).update(last_t=-1)
        return two_factor_enrolment_confirm(user=user, code=_code(enrolment.device))


def _device(world, user: User) -> TOTPDevice:
    with tenant_context(world.tenant):
        return TOTPDevice.objects.get(user=user, confirmed=True)


def _password_step(world, email: str, client: Client | None = None):
    client = client or world.client()
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    return client, response


def _me(client: Client) -> int:
    return client.get("/api/v1/me").status_code


# --- enrolment ----------------------------------------------------------------------------------


def test_setup_page_shows_a_qr_code_and_the_manual_key(acme):
    agent = acme.user("agent")
    client, _ = _password_step(acme, agent.email)

    page = client.get("/accounts/two-factor/setup/")

    assert page.status_code == 200
    html = page.content.decode()
    assert '<div class="qr" id="two-factor-qr"><svg' in html
    key = re.search(r'id="two-factor-key">([A-Z2-7 ]+)<', html).group(1)
    assert len(key.replace(" ", "")) == 32
    assert "style=" not in html  # the inline SVG must pass the Content-Security-Policy
    with tenant_context(acme.tenant):
        assert not two_factor_enabled(agent)


def test_a_wrong_code_does_not_enable_two_factor(acme):
    agent = acme.user("agent")
    client, _ = _password_step(acme, agent.email)
    client.get("/accounts/two-factor/setup/")

    response = client.post("/accounts/two-factor/setup/", {"code": "000000"})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    with tenant_context(acme.tenant):
        assert not two_factor_enabled(agent)


def test_confirming_enables_it_and_shows_ten_recovery_codes_once(acme):
    agent = acme.user("agent")
    client, _ = _password_step(acme, agent.email)
    client.get("/accounts/two-factor/setup/")
    with tenant_context(acme.tenant):
        device = TOTPDevice.objects.get(user=agent, confirmed=False)
    code = _code(device, acme)

    response = client.post("/accounts/two-factor/setup/", {"code": code})

    html = response.content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", html)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    with tenant_context(acme.tenant):
        assert two_factor_enabled(agent)
        assert recovery_codes_left(agent) == 10
    assert not any(code in client.get("/accounts/two-factor/").content.decode() for code in codes)


# --- the login's code step ----------------------------------------------------------------------------


def test_an_enrolled_user_is_not_logged_in_by_the_password_alone(acme):
    agent = acme.user("agent")
    _enrol(acme, agent)

    client, response = _password_step(acme, agent.email)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/verify/"
    assert _me(client) == 401
    assert client.get("/").status_code == 302


def test_the_right_code_finishes_the_login(acme):
    agent = acme.user("agent")
    _enrol(acme, agent)
    client, _ = _password_step(acme, agent.email)

    response = client.post("/accounts/two-factor/verify/", {"code": _code(_device(acme, agent), acme)})

    assert response.status_code == 302
    assert _me(client) == 200


def test_a_wrong_code_keeps_the_user_out(acme):
    agent = acme.user("agent")
    _enrol(acme, agent)
    client, _ = _password_step(acme, agent.email)

    response = client.post("/accounts/two-factor/verify/", {"code": "123456"})

    assert response.status_code == 200
    assert _me(client) == 401


def test_the_code_step_without_the_password_step_goes_back_to_login(acme):
    response = acme.client().post("/accounts/two-factor/verify/", {"code": "123456"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_a_recovery_code_logs_in_once(acme):
    agent = acme.user("agent")
    codes = _enrol(acme, agent)
    client, _ = _password_step(acme, agent.email)

    assert client.post("/accounts/two-factor/verify/", {"code": codes[0].upper()}).status_code == 302
    assert _me(client) == 200
    with tenant_context(acme.tenant):
        assert recovery_codes_left(agent) == 9

    again, _ = _password_step(acme, agent.email)
    assert again.post("/accounts/two-factor/verify/", {"code": codes[0]}).status_code == 200
    assert _me(again) == 401


def test_a_totp_code_cannot_be_used_twice(acme):
    agent = acme.user("agent")
    _enrol(acme, agent)
    code = _code(_device(acme, agent), acme)
    first, _ = _password_step(acme, agent.email)
    assert first.post("/accounts/two-factor/verify/", {"code": code}).status_code == 302

    second, _ = _password_step(acme, agent.email)
    assert second.post("/accounts/two-factor/verify/", {"code": code}).status_code == 200
    assert _me(second) == 401


def test_devices_of_one_tenant_mean_nothing_on_another(acme, globex):
    email = "both@example.test"
    person_a = acme.user("agent", email=email)
    globex.user("agent", email=email)
    _enrol(acme, person_a)

    client, response = _password_step(globex, email)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _me(client) == 200
    with tenant_context(globex.tenant):
        assert not TOTPDevice.objects.exists()


# --- recovery codes, switching off ---------------------------------------------------------------------


def _logged_in_with_two_factor(world, user: User) -> Client:
    client, _ = _password_step(world, user.email)
    client.post("/accounts/two-factor/verify/", {"code": _code(_device(world, user), world)})
    assert _me(client) == 200
    return client


def test_new_recovery_codes_replace_the_old_ones(acme):
    agent = acme.user("agent")
    old = _enrol(acme, agent)
    client = _logged_in_with_two_factor(acme, agent)

    response = client.post("/accounts/two-factor/", {"action": "regenerate", "code": _code(_device(acme, agent), acme)})

    new = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert len(new) == 10
    with tenant_context(acme.tenant):
        assert not StaticToken.objects.filter(token__in=old).exists()
        assert StaticToken.objects.filter(device__user=agent).count() == 10


def test_regenerating_needs_a_valid_code(acme):
    agent = acme.user("agent")
    old = _enrol(acme, agent)
    client = _logged_in_with_two_factor(acme, agent)

    response = client.post("/accounts/two-factor/", {"action": "regenerate", "code": "000000"})

    assert response.status_code == 200
    with tenant_context(acme.tenant):
        assert StaticToken.objects.filter(token__in=old).count() == 10


def test_a_user_may_switch_it_off_when_not_required(acme):
    agent = acme.user("agent")
    _enrol(acme, agent)
    client = _logged_in_with_two_factor(acme, agent)

    client.post("/accounts/two-factor/", {"action": "disable", "code": _code(_device(acme, agent), acme)})

    with tenant_context(acme.tenant):
        assert not two_factor_enabled(agent)
        assert recovery_codes_left(agent) == 0
    _client, response = _password_step(acme, agent.email)
    assert response["Location"] == "/"


def test_an_administrator_cannot_switch_it_off_when_the_company_requires_it(acme):
    admin = acme.admin()
    _enrol(acme, admin)
    with tenant_context(acme.tenant):
        security_policy_update(actor=admin, require_admin_two_factor=True)
    client = _logged_in_with_two_factor(acme, admin)

    client.post("/accounts/two-factor/", {"action": "disable", "code": _code(_device(acme, admin), acme)})

    with tenant_context(acme.tenant):
        assert two_factor_enabled(admin)


# --- the company policy ------------------------------------------------------------------------------


def test_policy_on_sends_an_unenrolled_administrator_to_enrol_before_logging_in(acme):
    admin = acme.admin()
    with tenant_context(acme.tenant):
        security_policy_update(actor=admin, require_admin_two_factor=True)

    client, response = _password_step(acme, acme.admin_email)

    assert response["Location"] == "/accounts/two-factor/setup/"
    assert _me(client) == 401
    client.get("/accounts/two-factor/setup/")
    with tenant_context(acme.tenant):
        device = TOTPDevice.objects.get(user=admin, confirmed=False)
    page = client.post("/accounts/two-factor/setup/", {"code": _code(device, acme)})
    assert "Your recovery codes" in page.content.decode()
    assert _me(client) == 200


def test_policy_on_leaves_other_roles_alone(acme):
    with tenant_context(acme.tenant):
        security_policy_update(actor=acme.admin(), require_admin_two_factor=True)
    agent = acme.user("agent", "supervisor")

    client, response = _password_step(acme, agent.email)

    assert response["Location"] == "/"
    assert _me(client) == 200


def test_console_security_page_toggles_the_policy(acme):
    from tests.accounts.helpers import web_login

    client = web_login(acme, acme.admin_email)
    assert client.get("/console/security/").status_code == 200

    response = client.post("/console/security/", {"require_admin_two_factor": "on"})

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        from apps.accounts.two_factor import security_policy_get

        assert security_policy_get().require_admin_two_factor is True


def test_console_security_page_is_for_administrators_only(acme):
    from tests.accounts.helpers import web_login

    supervisor = acme.user("supervisor")
    client = web_login(acme, supervisor.email)

    assert client.get("/console/security/").status_code == 403
    assert client.post("/console/security/", {"require_admin_two_factor": "on"}).status_code == 403


def test_security_policy_api(acme):
    admin_api = acme.api(acme.admin())
    assert admin_api.get("/api/v1/auth/security-policy").json() == {"require_admin_two_factor": False}

    response = admin_api.patch("/api/v1/auth/security-policy", {"require_admin_two_factor": True}, format="json")

    assert response.status_code == 200
    assert response.json() == {"require_admin_two_factor": True}
    agent_api = acme.api(acme.user("agent"))
    assert (
        agent_api.patch("/api/v1/auth/security-policy", {"require_admin_two_factor": False}, format="json").status_code
        == 403
    )
    bad = admin_api.patch("/api/v1/auth/security-policy", {}, format="json")
    assert bad.status_code == 400
    assert "require_admin_two_factor" in bad.json()["fields"]


def test_two_factor_status_api(acme):
    agent = acme.user("agent")
    api = acme.api(agent)
    assert api.get("/api/v1/auth/two-factor").json() == {"enabled": False, "required": False, "recovery_codes_left": 0}

    _enrol(acme, agent)

    assert api.get("/api/v1/auth/two-factor").json() == {"enabled": True, "required": False, "recovery_codes_left": 10}


# --- platform staff ------------------------------------------------------------------------------------


def test_platform_staff_must_enrol_before_reaching_the_console(db):
    with schema_context("public"):
        User.objects.create_superuser("ops-2fa@platform.test", PASSWORD)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)

    response = client.post("/accounts/login/", {"username": "ops-2fa@platform.test", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/setup/"
    assert client.get("/platform/").status_code == 302
    page = client.get("/accounts/two-factor/setup/")
    assert page.status_code == 200
    assert "needs two-factor authentication" in page.content.decode()


# --- POST /api/v1/auth/token ---------------------------------------------------------------------------


def test_token_request_without_the_code_is_refused_for_an_enrolled_user(acme):
    agent = acme.user("agent")
    _enrol(acme, agent)

    response = api_token(acme, agent.email)

    assert response.status_code == 401
    assert response.json()["code"] == "otp_required"
    assert "otp" in response.json()["fields"]


def test_token_request_with_a_wrong_code_is_refused(acme):
    agent = acme.user("agent")
    _enrol(acme, agent)

    response = acme.api().post(
        "/api/v1/auth/token", {"email": agent.email, "password": PASSWORD, "otp": "000000"}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_otp"


def test_token_request_with_the_code_gets_a_token_that_is_not_asked_again(acme):
    agent = acme.user("agent")
    _enrol(acme, agent)

    response = acme.api().post(
        "/api/v1/auth/token",
        {"email": agent.email, "password": PASSWORD, "otp": _code(_device(acme, agent), acme)},
        format="json",
    )

    assert response.status_code == 200
    api = acme.api()
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/me").status_code == 200


def test_token_request_of_an_administrator_who_must_enrol_is_refused(acme):
    with tenant_context(acme.tenant):
        security_policy_update(actor=acme.admin(), require_admin_two_factor=True)

    response = api_token(acme, acme.admin_email)

    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_setup_required"


def test_existing_tokens_keep_working_when_two_factor_is_turned_on(acme):
    agent = acme.user("agent")
    api = acme.api(agent)

    _enrol(acme, agent)

    assert api.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(
    "path", ["/accounts/two-factor/", "/accounts/two-factor/verify/", "/accounts/two-factor/setup/"]
)
def test_two_factor_pages_render_in_chinese(acme, path):
    agent = acme.user("agent")
    client, _ = _password_step(acme, agent.email)
    if path == "/accounts/two-factor/":
        client.post("/accounts/login/", {"username": agent.email, "password": PASSWORD})
    elif path == "/accounts/two-factor/verify/":
        _enrol(acme, agent)
        client, _ = _password_step(acme, agent.email)

    page = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert page.status_code == 200


def test_the_authenticator_entry_names_the_company_and_the_person(acme):
    agent = acme.user("agent", email="named@acme.test")
    with tenant_context(acme.tenant):
        uri = two_factor_enrolment_start(user=agent).uri

    assert uri.startswith("otpauth://totp/")
    assert "named%40acme.test" in uri
    assert "acme.localhost" in uri
    assert "issuer=" in uri


def test_an_administrator_resets_another_users_two_factor(acme):
    from tests.accounts.helpers import web_login

    agent = acme.user("agent", email="lost-phone@acme.test")
    _enrol(acme, agent)
    client = web_login(acme, acme.admin_email)
    assert "Reset two-factor authentication" in client.get(f"/console/users/{agent.pk}/").content.decode()

    response = client.post(f"/console/users/{agent.pk}/", {"reset_two_factor": "1"})

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert not two_factor_enabled(agent)
        assert recovery_codes_left(agent) == 0


def test_a_non_administrator_cannot_reset_someone_elses_two_factor(acme):
    from apps.accounts.two_factor import two_factor_disable
    from apps.core.errors import ApplicationError

    agent = acme.user("agent", email="victim@acme.test")
    other = acme.user("supervisor", email="other@acme.test")
    _enrol(acme, agent)
    with tenant_context(acme.tenant), pytest.raises(ApplicationError) as error:
        two_factor_disable(user=agent, actor=other)
    assert error.value.code == "forbidden"
    with tenant_context(acme.tenant):
        assert two_factor_enabled(agent)


def test_the_reset_command_resets_platform_staff(db):
    from django.core.management import call_command

    with schema_context("public"):
        staff = User.objects.create_superuser("ops-reset@platform.test", PASSWORD)
        enrolment = two_factor_enrolment_start(user=staff)
        TOTPDevice.objects.filter(pk=enrolment.device.pk).update(last_t=-1)
        two_factor_enrolment_confirm(user=staff, code=_code(enrolment.device))
        assert two_factor_enabled(staff)

    call_command("two_factor_reset", "ops-reset@platform.test")

    with schema_context("public"):
        assert not two_factor_enabled(staff)


def test_platform_staff_get_no_token_by_password_alone(public_api):
    with schema_context("public"):
        staff = User.objects.create_superuser("ops-token@platform.test", PASSWORD)
    body = {"email": "ops-token@platform.test", "password": PASSWORD}

    assert public_api.post("/api/v1/auth/token", body, format="json").json()["code"] == "two_factor_setup_required"

    with schema_context("public"):
        enrolment = two_factor_enrolment_start(user=staff)
        TOTPDevice.objects.filter(pk=enrolment.device.pk).update(last_t=-1)
        two_factor_enrolment_confirm(user=staff, code=_code(enrolment.device))
        TOTPDevice.objects.filter(user=staff).update(last_t=-1)
        code = _code(TOTPDevice.objects.get(user=staff))
    assert public_api.post("/api/v1/auth/token", body, format="json").json()["code"] == "otp_required"
    response = public_api.post("/api/v1/auth/token", {**body, "otp": code}, format="json")
    assert response.status_code == 200


def test_the_password_alone_cannot_enrol_a_new_authenticator_over_an_existing_one(acme):
    agent = acme.user("agent", email="has-phone@acme.test")
    _enrol(acme, agent)
    client, _ = _password_step(acme, agent.email)

    page = client.get("/accounts/two-factor/setup/")
    attempt = client.post("/accounts/two-factor/setup/", {"code": "123456"})

    assert page.status_code == 302
    assert page["Location"] == "/accounts/two-factor/verify/"
    assert attempt["Location"] == "/accounts/two-factor/verify/"
    assert _me(client) == 401
    with tenant_context(acme.tenant):
        assert TOTPDevice.objects.filter(user=agent).count() == 1


# --- the audit log ---------------------------------------------------------------------------------


def _audit_actions(world) -> list[tuple[str, str, dict]]:
    from apps.audit.models import AuditEntry

    with tenant_context(world.tenant):
        return [(e.action, e.actor_email, e.extra) for e in AuditEntry.objects.order_by("pk")]


def test_two_factor_changes_are_in_the_audit_log(acme):
    agent = acme.user("agent", email="audited@acme.test")
    _enrol(acme, agent)
    client = _logged_in_with_two_factor(acme, agent)
    client.post("/accounts/two-factor/", {"action": "regenerate", "code": _code(_device(acme, agent), acme)})
    client.post("/accounts/two-factor/", {"action": "disable", "code": _code(_device(acme, agent), acme)})

    actions = [(action, email) for action, email, _extra in _audit_actions(acme) if action.startswith("user.")]

    assert ("user.two_factor_enabled", "audited@acme.test") in actions
    assert ("user.recovery_codes_renewed", "audited@acme.test") in actions
    assert ("user.two_factor_disabled", "audited@acme.test") in actions


def test_an_administrators_reset_and_the_policy_are_in_the_audit_log(acme):
    agent = acme.user("agent", email="reset-audit@acme.test")
    _enrol(acme, agent)
    admin = acme.admin()
    with tenant_context(acme.tenant):
        from apps.accounts.two_factor import two_factor_disable

        two_factor_disable(user=agent, actor=admin)
        security_policy_update(actor=admin, require_admin_two_factor=True)
        security_policy_update(actor=admin, require_admin_two_factor=True)  # no change: no row

    entries = _audit_actions(acme)
    assert ("user.two_factor_disabled", acme.admin_email, {"by": "administrator"}) in entries
    assert [e for e in entries if e[0] == "security.policy_changed"] == [
        ("security.policy_changed", acme.admin_email, {})
    ]
