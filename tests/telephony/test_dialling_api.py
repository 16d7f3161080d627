"""Toll fraud (issue 10 item 12): the dialling policy API, each click-to-dial refusal, the rate
limit, transfer numbers and caller-ID ownership, and outsiders refused."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.telephony.models import Campaign, DiallingPolicy, DoNotCall, PhoneNumber, Queue, Trunk
from apps.telephony.services import dialling as dialling_service
from apps.tenants.models import Tenant
from tests.accounts.helpers import web_login
from tests.telephony.agent_helpers import Published, make_agent

POLICY = "/api/v1/dialling-policy"
DIAL = "/api/v1/agents/me/dial"


@pytest.fixture
def published(monkeypatch) -> Published:
    record = Published()
    monkeypatch.setattr(
        "apps.core.events.publish", lambda schema, topic, message: record.messages.append((topic, message))
    )
    return record


@pytest.fixture
def admin_api(acme):
    return acme.api(acme.admin())


def _clear_rate(world, agent_id: int) -> None:
    """Redis is not rolled back, and a re-created test database hands out the same agent ids
    again: counters of an earlier run must not count against this one."""
    client = dialling_service._redis()
    keys = client.keys(f"dialling:rate:{world.tenant.schema_name}:{agent_id}:*")
    if keys:
        client.delete(*keys)


@pytest.fixture
def dialler(acme):
    """A Ready agent with fresh rate-limit counters."""
    subject = make_agent(acme, state="ready")
    _clear_rate(acme, subject.agent.pk)
    yield subject
    _clear_rate(acme, subject.agent.pk)


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:400]
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    return body


def _policy(world) -> DiallingPolicy | None:
    with tenant_context(world.tenant):
        return DiallingPolicy.objects.filter(pk=1).first()


def _set_policy(world, **values) -> None:
    with tenant_context(world.tenant):
        dialling_service.dialling_policy_update(**values)


# --- the policy API --------------------------------------------------------------------------------------


def test_policy_is_created_with_the_defaults_on_first_read(acme, admin_api):
    assert _policy(acme) is None
    response = admin_api.get(POLICY)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["allow_international"] is False
    assert body["allowed_prefixes"] == ["+86"]
    assert body["blocked_prefixes"] == ["95", "96"]
    assert (body["rate_per_minute"], body["rate_per_hour"]) == (6, 60)
    assert {"prefix": "+1900", "label": "USA/Canada: 900 premium rate"} in body["platform_blocked_prefixes"]
    assert body["caller_id_unrestricted"] is False
    assert _policy(acme) is not None


def test_admin_changes_the_policy(acme, admin_api):
    response = admin_api.put(
        POLICY,
        {
            "allow_international": True,
            "allowed_prefixes": ["+86", "+852 ", "00853"],
            "blocked_prefixes": ["95", "+8610"],
            "rate_per_minute": 3,
            "rate_per_hour": 30,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    stored = _policy(acme)
    assert stored.allow_international is True
    assert stored.allowed_prefixes == ["+86", "+852", "+853"]
    assert stored.blocked_prefixes == ["95", "+8610"]
    assert (stored.rate_per_minute, stored.rate_per_hour) == (3, 30)
    assert response.json()["updated_by"] == acme.admin_email
    with tenant_context(acme.tenant):
        (entry,) = AuditEntry.objects.filter(action="dialling_policy.changed")
    assert entry.before["rate_per_minute"] == 6
    assert entry.after["allowed_prefixes"] == ["+86", "+852", "+853"]
    assert entry.actor_email == acme.admin_email


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"allowed_prefixes": ["+852"]}, "allowed_prefixes"),  # international is off
        ({"allowed_prefixes": []}, "allowed_prefixes"),
        ({"allowed_prefixes": ["86"]}, "allowed_prefixes"),
        ({"allowed_prefixes": ["+86x"]}, "allowed_prefixes"),
        ({"blocked_prefixes": ["not a prefix"]}, "blocked_prefixes"),
        ({"blocked_prefixes": "+1900"}, "blocked_prefixes"),
        ({"rate_per_minute": 0}, "rate_per_minute"),
        ({"rate_per_minute": 61}, "rate_per_minute"),
        ({"rate_per_hour": 5000}, "rate_per_hour"),
        ({"rate_per_minute": 10, "rate_per_hour": 5}, "rate_per_hour"),
        ({"allow_international": "perhaps"}, "allow_international"),
    ],
)
def test_bad_policy_input_is_400_and_changes_nothing(acme, admin_api, payload, field):
    before = admin_api.get(POLICY).json()
    body = _error(
        admin_api.put(POLICY, {**payload, "rate_per_minute": payload.get("rate_per_minute", 2)}, format="json"),
        400,
        "invalid",
    )
    assert field in body["fields"]
    after = admin_api.get(POLICY).json()
    assert after == before


def test_supervisor_reads_but_cannot_change_the_policy(acme):
    api = acme.api(acme.user(Role.SUPERVISOR))
    assert api.get(POLICY).status_code == 200
    assert api.put(POLICY, {"rate_per_minute": 60}, format="json").status_code == 403
    assert _policy(acme).rate_per_minute == 6


def test_agents_cannot_read_the_policy(acme):
    assert acme.api(acme.user(Role.AGENT)).get(POLICY).status_code == 403


def test_another_tenants_admin_cannot_read_or_change_it(acme, globex):
    token = globex.token(globex.admin())
    outsider = acme.api()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert outsider.get(POLICY).status_code in (401, 403)
    assert outsider.put(POLICY, {"rate_per_minute": 60}, format="json").status_code in (401, 403)
    assert _policy(acme) is None or _policy(acme).rate_per_minute == 6


def test_each_tenant_has_its_own_policy(acme, globex, admin_api):
    globex.api(globex.admin()).put(POLICY, {"rate_per_minute": 1}, format="json")
    assert admin_api.get(POLICY).json()["rate_per_minute"] == 6
    assert _policy(globex).rate_per_minute == 1


# --- click-to-dial refusals ----------------------------------------------------------------------------------


def test_click_to_dial_of_an_allowed_number_is_sent(acme, dialler, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(dialler.user).post(DIAL, {"number": "010 6552 9988"}, format="json")
    assert response.status_code == 202, response.content
    (command,) = published.on("engine")
    assert command["number"] == "01065529988"


@pytest.mark.parametrize("number", ["16812345", "125901234", "+19005551234", "95588"])
def test_premium_numbers_are_refused(acme, dialler, published, django_capture_on_commit_callbacks, number):
    with django_capture_on_commit_callbacks(execute=True):
        body = _error(acme.api(dialler.user).post(DIAL, {"number": number}, format="json"), 400, "dial_premium")
    assert number in body["message"]
    assert "number" in body["fields"]
    assert published.on("engine") == []


def test_international_numbers_are_refused_while_international_is_off(acme, dialler, published):
    body = _error(
        acme.api(dialler.user).post(DIAL, {"number": "+85221234567"}, format="json"), 400, "dial_blocked_prefix"
    )
    assert "international" in body["message"]
    assert published.on("engine") == []


def test_an_allowed_international_prefix_can_be_dialled(acme, dialler):
    _set_policy(acme, allow_international=True, allowed_prefixes=["+86", "+852"])
    assert acme.api(dialler.user).post(DIAL, {"number": "+85221234567"}, format="json").status_code == 202
    _error(acme.api(dialler.user).post(DIAL, {"number": "+442079460018"}, format="json"), 400, "dial_blocked_prefix")


def test_a_number_outside_the_allowed_prefixes_is_refused(acme, dialler):
    _set_policy(acme, allowed_prefixes=["+861"])
    _error(acme.api(dialler.user).post(DIAL, {"number": "021 5555 1234"}, format="json"), 400, "dial_blocked_prefix")
    assert acme.api(dialler.user).post(DIAL, {"number": "13800138000"}, format="json").status_code == 202


def test_numbers_on_the_do_not_call_list_are_refused(acme, dialler, published):
    with tenant_context(acme.tenant):
        DoNotCall.objects.create(number="+8613900001111")
    body = _error(acme.api(dialler.user).post(DIAL, {"number": "139-0000-1111"}, format="json"), 400, "dial_dnc")
    assert "139-0000-1111" in body["message"] or "13900001111" in body["message"]
    assert published.on("engine") == []


def test_a_campaigns_own_do_not_call_entry_does_not_block_click_to_dial(acme, dialler):
    from tests.telephony.campaign_factories import make_campaign

    with tenant_context(acme.tenant):
        campaign = make_campaign()
        DoNotCall.objects.create(number="+8613900002222", campaign=campaign)
    assert acme.api(dialler.user).post(DIAL, {"number": "13900002222"}, format="json").status_code == 202


def test_the_rate_limit_refuses_with_429_and_counts_only_dials_that_leave(acme, dialler, published):
    _set_policy(acme, rate_per_minute=2, rate_per_hour=10)
    api = acme.api(dialler.user)
    _error(api.post(DIAL, {"number": "16812345"}, format="json"), 400, "dial_premium")  # not counted
    assert api.post(DIAL, {"number": "13800138000"}, format="json").status_code == 202
    assert api.post(DIAL, {"number": "13800138001"}, format="json").status_code == 202
    refused = api.post(DIAL, {"number": "13800138002"}, format="json")
    body = _error(refused, 429, "dial_rate_limited")
    retry = int(refused["Retry-After"])
    assert 0 < retry <= 60
    assert f"{retry} s" in body["message"]
    assert body["fields"] == {}
    other = make_agent(acme, state="ready")
    _clear_rate(acme, other.agent.pk)
    try:
        assert acme.api(other.user).post(DIAL, {"number": "13800138002"}, format="json").status_code == 202
    finally:
        _clear_rate(acme, other.agent.pk)


def test_the_hourly_limit_applies_too(acme, dialler):
    _set_policy(acme, rate_per_minute=5, rate_per_hour=5)
    api = acme.api(dialler.user)
    for n in range(5):
        assert api.post(DIAL, {"number": f"1380013800{n}"}, format="json").status_code == 202
    body = _error(api.post(DIAL, {"number": "13800138009"}, format="json"), 429, "dial_rate_limited")
    assert "hour" in body["message"]


# --- transfer numbers ---------------------------------------------------------------------------------------------


def test_a_premium_overflow_number_is_refused_and_not_stored(acme, admin_api):
    with tenant_context(acme.tenant):
        queue = Queue.objects.get(code="general")
    _error(
        admin_api.patch(f"/api/v1/queues/{queue.pk}", {"overflow_number": "+449012345678"}, format="json"),
        400,
        "dial_premium",
    )
    _error(
        admin_api.post(
            "/api/v1/queues", {"code": "q-int", "name": "Int", "overflow_number": "+85221234567"}, format="json"
        ),
        400,
        "dial_blocked_prefix",
    )
    with tenant_context(acme.tenant):
        assert Queue.objects.get(pk=queue.pk).overflow_number == ""
        assert not Queue.objects.filter(code="q-int").exists()
    assert (
        admin_api.patch(f"/api/v1/queues/{queue.pk}", {"overflow_number": "01065529988"}, format="json").status_code
        == 200
    )


def test_an_ivr_transfer_to_a_premium_number_cannot_be_published(acme, admin_api):
    graph = {"start": "out", "nodes": {"out": {"type": "transfer", "number": "16812345"}}}
    flow = admin_api.post("/api/v1/ivr-flows", {"name": "Premium", "graph": graph}, format="json").json()
    body = _error(admin_api.post(f"/api/v1/ivr-flows/{flow['id']}/publish"), 400, "dial_premium")
    assert "nodes.out.number" in body["fields"]
    graph["nodes"]["out"]["number"] = "4008001000"
    admin_api.put(f"/api/v1/ivr-flows/{flow['id']}/draft", {"graph": graph}, format="json")
    assert admin_api.post(f"/api/v1/ivr-flows/{flow['id']}/publish").status_code == 200


# --- caller ID ownership ------------------------------------------------------------------------------------------


def _own_number(world) -> PhoneNumber:
    with tenant_context(world.tenant):
        return PhoneNumber.objects.order_by("id").first()


def test_trunk_and_number_caller_ids_must_be_the_tenants_numbers(acme, admin_api, globex):
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.get(is_default=True)
    number = _own_number(acme)
    foreign = _own_number(globex).number
    for path in (f"/api/v1/trunks/{trunk.pk}", f"/api/v1/numbers/{number.pk}"):
        body = _error(admin_api.patch(path, {"caller_id": foreign}, format="json"), 400, "caller_id_not_owned")
        assert "caller_id" in body["fields"]
        _error(admin_api.patch(path, {"caller_id": "13800138000"}, format="json"), 400, "caller_id_not_owned")
    with tenant_context(acme.tenant):
        assert Trunk.objects.get(pk=trunk.pk).caller_id == trunk.caller_id
        assert PhoneNumber.objects.get(pk=number.pk).caller_id == number.caller_id
    assert admin_api.patch(f"/api/v1/trunks/{trunk.pk}", {"caller_id": number.number}, format="json").status_code == 200
    assert admin_api.patch(f"/api/v1/trunks/{trunk.pk}", {"caller_id": ""}, format="json").status_code == 200


def test_campaign_caller_id_must_be_the_tenants_number(acme, admin_api):
    from tests.telephony.test_campaign_api import create_payload

    _error(
        admin_api.post("/api/v1/campaigns", create_payload(acme, caller_id="13800138000"), format="json"),
        400,
        "caller_id_not_owned",
    )
    with tenant_context(acme.tenant):
        assert not Campaign.objects.filter(name="Spring renewals").exists()
    own = _own_number(acme).number
    response = admin_api.post("/api/v1/campaigns", create_payload(acme, caller_id=own), format="json")
    assert response.status_code == 201, response.content
    campaign_id = response.json()["id"]
    _error(
        admin_api.patch(f"/api/v1/campaigns/{campaign_id}", {"caller_id": "13800138000"}, format="json"),
        400,
        "caller_id_not_owned",
    )
    with tenant_context(acme.tenant):
        assert Campaign.objects.get(pk=campaign_id).caller_id == own


def test_the_platform_flag_allows_any_caller_id(acme, admin_api):
    Tenant.objects.filter(pk=acme.tenant.pk).update(caller_id_unrestricted=True)
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.get(is_default=True)
    response = admin_api.patch(f"/api/v1/trunks/{trunk.pk}", {"caller_id": "13800138000"}, format="json")
    assert response.status_code == 200, response.content
    assert admin_api.get(POLICY).json()["caller_id_unrestricted"] is True


# --- pages ----------------------------------------------------------------------------------------------------------


def _page_client(world, user):
    return web_login(world, user.email)


def test_console_page_shows_and_saves_the_policy(acme):
    client = _page_client(acme, acme.admin())
    page = client.get("/console/dialling/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b"+1900" in page.content and b"Dialling policy" in page.content
    response = client.post(
        "/console/dialling/",
        {"allowed_prefixes": "+86\n", "blocked_prefixes": "95\n96\n+8610", "rate_per_minute": 4, "rate_per_hour": 40},
    )
    assert response.status_code == 302
    stored = _policy(acme)
    assert (stored.blocked_prefixes, stored.rate_per_minute, stored.allow_international) == (
        ["95", "96", "+8610"],
        4,
        False,
    )


def test_console_page_shows_errors_and_changes_nothing(acme):
    client = _page_client(acme, acme.admin())
    response = client.post(
        "/console/dialling/",
        {"allowed_prefixes": "+852", "blocked_prefixes": "", "rate_per_minute": 4, "rate_per_hour": 40},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert b"switch international dialling on" in response.content
    assert _policy(acme).allowed_prefixes == ["+86"]


def test_console_page_is_chinese_for_chinese_users(acme):
    admin = acme.user(Role.TENANT_ADMIN, email="zh-admin@acme.test")
    with tenant_context(acme.tenant):
        type(admin).objects.filter(pk=admin.pk).update(language="zh-hans")
    page = _page_client(acme, admin).get("/console/dialling/")
    assert page.status_code == 200
    # The page's own strings are translated in locale/pending/tollfraud.po (merged by the lead);
    # the shared ones already are.
    assert "保存" in page.content.decode()


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_console_page_is_for_administrators_only(acme, role):
    assert _page_client(acme, acme.user(role)).get("/console/dialling/").status_code in (302, 403)


def test_platform_staff_set_the_caller_id_flag(acme):
    from django.conf import settings
    from django.test import Client
    from django_tenants.utils import schema_context

    from apps.accounts.models import User

    with schema_context("public"):
        staff = User.objects.create_superuser("ops-callerid@platform.test", "Corr3ct-Horse-Battery")
        outsider = User.objects.create_user("nobody-callerid@platform.test", "Corr3ct-Horse-Battery")
    path = f"/platform/tenants/{acme.tenant.slug}/caller-id/"
    refused = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    with schema_context("public"):
        refused.force_login(outsider)
    assert refused.post(path, {"unrestricted": "on"}).status_code == 302  # to the login page
    assert Tenant.objects.get(pk=acme.tenant.pk).caller_id_unrestricted is False
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    with schema_context("public"):
        client.force_login(staff)
    assert client.post(path, {"unrestricted": "on"}).status_code == 302
    assert Tenant.objects.get(pk=acme.tenant.pk).caller_id_unrestricted is True
    assert client.post(path, {}).status_code == 302
    assert Tenant.objects.get(pk=acme.tenant.pk).caller_id_unrestricted is False
    assert b"any caller ID allowed" in client.get("/platform/", HTTP_ACCEPT_LANGUAGE="en").content
