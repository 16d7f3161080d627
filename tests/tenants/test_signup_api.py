"""The public sign-up API: ``POST /api/v1/signup`` (its contract is used by acceptance tests)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings
from django_tenants.utils import schema_context

from apps.tenants.choices import Language, TenantStatus, UsageKind
from apps.tenants.models import Domain, PoolNumber, Tenant, UsageEvent
from tests.tenants.conftest import platform_state, schema_exists

URL = "/api/v1/signup"
GOOD_PASSWORD = "Sup3r-secret-pw"


def payload(**overrides) -> dict:
    body = {
        "company": "Northwind Trading",
        "slug": "northwind",
        "admin_email": "boss@northwind.cn",
        "admin_password": GOOD_PASSWORD,
        "seats": 3,
        "plan": "starter",
    }
    body.update(overrides)
    return body


def signup(client, body: dict, **extra):
    extra.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return client.post(URL, body, format="json", **extra)


def assert_refused(response, field: str, state_before) -> dict:
    """400 in the one error format, naming ``field``, and nothing created anywhere."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == "invalid"
    assert isinstance(body["message"], str)
    assert body["message"]
    assert field in body["fields"], body
    assert isinstance(body["fields"][field], list)
    assert body["fields"][field]
    assert all(isinstance(message, str) and message for message in body["fields"][field])
    assert platform_state() == state_before
    return body


# --- success ---------------------------------------------------------------------------


def test_signup_answers_201_with_the_contract(public_api):
    response = signup(public_api, payload())

    assert response.status_code == 201, response.content
    body = response.json()
    assert {"tenant", "domain", "seats", "admin_email", "provisioned_ms"} <= set(body)
    assert body["tenant"] == "northwind"
    assert body["domain"] == "northwind.localhost"
    assert body["seats"] == 3
    assert body["admin_email"] == "boss@northwind.cn"
    assert isinstance(body["provisioned_ms"], int)
    assert not isinstance(body["provisioned_ms"], bool)
    assert body["provisioned_ms"] >= 0


def test_signup_creates_tenant_domain_schema_and_usage(public_api, state_before):
    response = signup(public_api, payload())

    assert response.status_code == 201
    with schema_context("public"):
        tenant = Tenant.objects.get(slug="northwind")
        assert tenant.name == "Northwind Trading"
        assert tenant.plan.code == "starter"
        assert tenant.status == TenantStatus.ACTIVE
        assert tenant.schema_name == "t_northwind"
        assert tenant.seat_count == 3
        assert tenant.time_zone == "Asia/Shanghai"
        assert Domain.objects.get(domain="northwind.localhost").tenant_id == tenant.pk
        assert UsageEvent.objects.filter(tenant=tenant, kind=UsageKind.TENANT_PROVISIONED).count() == 1
        assert PoolNumber.objects.get(tenant=tenant).number == min(state_before.available_numbers)
    assert schema_exists("t_northwind")
    after = platform_state()
    assert after.tenants == state_before.tenants + 1
    assert after.domains == state_before.domains + 1
    assert after.sip_entries == state_before.sip_entries + 3
    assert after.schemas == state_before.schemas | {"t_northwind"}


def test_signup_returns_the_service_number(public_api, state_before):
    response = signup(public_api, payload())

    assert response.json()["number"] == min(state_before.available_numbers)


def test_signup_normalises_the_admin_email(public_api):
    response = signup(public_api, payload(admin_email="  Boss@Northwind.CN "))

    assert response.status_code == 201, response.content
    assert response.json()["admin_email"] == "boss@northwind.cn"


@pytest.mark.parametrize("language", [Language.EN, Language.ZH_HANS])
def test_signup_sets_the_default_language(public_api, language):
    response = signup(public_api, payload(language=language))

    assert response.status_code == 201
    with schema_context("public"):
        assert Tenant.objects.get(slug="northwind").default_language == language


def test_signup_default_language_is_chinese(public_api, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the platform language outside the (English) test settings
    signup(public_api, payload())

    with schema_context("public"):
        assert Tenant.objects.get(slug="northwind").default_language == Language.ZH_HANS


@pytest.mark.parametrize(
    ("plan", "seats"),
    [("starter", 1), ("starter", 20), ("standard", 200), ("enterprise", 201)],
)
def test_seats_within_the_plan_are_accepted(public_api, plan, seats):
    response = signup(public_api, payload(plan=plan, seats=seats))

    assert response.status_code == 201, response.content
    assert response.json()["seats"] == seats


@pytest.mark.parametrize("slug", ["abc", "a" * 32, "call-center-9", "x1y", "my-shop"])
def test_valid_slugs_are_accepted(public_api, slug):
    response = signup(public_api, payload(slug=slug))

    assert response.status_code == 201, response.content
    assert response.json()["tenant"] == slug
    assert response.json()["domain"] == f"{slug}.localhost"


def test_the_new_host_answers_after_signup(public_api):
    from rest_framework.test import APIClient

    signup(public_api, payload())
    client = APIClient(HTTP_HOST="northwind.localhost")

    response = client.post("/api/v1/auth/token", {"email": "boss@northwind.cn", "password": GOOD_PASSWORD})

    assert response.status_code == 200, response.content
    assert response.json()["token"]


# --- refusals: slugs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    [
        pytest.param("NorthWind", id="uppercase"),
        pytest.param("NORTHWIND", id="all-uppercase"),
        pytest.param("ab", id="too-short"),
        pytest.param("a", id="one-char"),
        pytest.param("a" * 33, id="too-long"),
        pytest.param("a" * 70, id="far-too-long"),
        pytest.param("1northwind", id="leading-digit"),
        pytest.param("-northwind", id="leading-hyphen"),
        pytest.param("northwind-", id="trailing-hyphen"),
        pytest.param("north_wind", id="underscore"),
        pytest.param("north wind", id="inner-space"),
        pytest.param("north.wind", id="dot"),
        pytest.param("north/wind", id="slash"),
        pytest.param("nörthwind", id="non-ascii-latin"),
        pytest.param("客服中心", id="non-ascii-cjk"),
        pytest.param("", id="empty"),
    ],
)
def test_invalid_slug_is_refused(public_api, state_before, slug):
    response = signup(public_api, payload(slug=slug))

    assert_refused(response, "slug", state_before)


@pytest.mark.parametrize("slug", ["www", "api", "admin", "public", "platform", "static", "sip", "localhost"])
def test_reserved_slug_is_refused(public_api, state_before, slug):
    response = signup(public_api, payload(slug=slug))

    body = assert_refused(response, "slug", state_before)
    assert body["fields"]["slug"] == ["This address is reserved."]


def test_double_hyphen_slug_is_refused(public_api, state_before):
    # "xn--…" style labels are punycode; no tenant may take one.
    response = signup(public_api, payload(slug="xn--abc"))

    assert_refused(response, "slug", state_before)


def test_slug_of_an_existing_tenant_is_refused(public_api, state_before, acme):
    response = signup(public_api, payload(slug="acme"))

    body = assert_refused(response, "slug", state_before)
    assert body["fields"]["slug"] == ["This address is already taken."]


def test_second_signup_with_the_same_slug_is_refused(public_api):
    first = signup(public_api, payload())
    assert first.status_code == 201
    state = platform_state()

    second = signup(public_api, payload(company="Other Co", admin_email="other@other.cn"))

    body = assert_refused(second, "slug", state)
    assert body["fields"]["slug"] == ["This address is already taken."]


def test_slug_refusal_says_what_a_slug_may_contain(public_api, state_before):
    response = signup(public_api, payload(slug="North_Wind"))

    body = assert_refused(response, "slug", state_before)
    assert "lowercase" in body["fields"]["slug"][0]


# --- refusals: passwords and email ---------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        pytest.param("Ab1!xyz", "too short", id="too-short"),
        pytest.param("password", "too common", id="common"),
        pytest.param("qwertyuiop", "too common", id="common-keyboard"),
        pytest.param("8301749265", "entirely numeric", id="numeric"),
        pytest.param("boss.northwind", "too similar", id="similar-to-email"),
    ],
)
def test_weak_password_is_refused(public_api, state_before, password, fragment):
    response = signup(public_api, payload(admin_email="boss.northwind@example.cn", admin_password=password))

    body = assert_refused(response, "admin_password", state_before)
    assert any(fragment in message for message in body["fields"]["admin_password"]), body


def test_empty_password_is_refused(public_api, state_before):
    response = signup(public_api, payload(admin_password=""))

    assert_refused(response, "admin_password", state_before)


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "boss@", "@northwind.cn", "boss@northwind", "boss northwind@x.cn", "boss@@northwind.cn", ""],
)
def test_bad_email_is_refused(public_api, state_before, email):
    response = signup(public_api, payload(admin_email=email))

    assert_refused(response, "admin_email", state_before)


# --- refusals: seats and plans ---------------------------------------------------------------


@pytest.mark.parametrize("seats", [0, -1, -50])
def test_fewer_than_one_seat_is_refused(public_api, state_before, seats):
    response = signup(public_api, payload(seats=seats))

    body = assert_refused(response, "seats", state_before)
    assert body["fields"]["seats"] == ["At least one seat."]


@pytest.mark.parametrize(
    ("plan", "seats", "maximum"),
    [
        ("starter", 21, 20),
        ("standard", 201, 200),
        ("enterprise", 5001, 5000),
        ("starter", 5000, 20),
    ],
)
def test_seats_above_the_plan_maximum_are_refused(public_api, state_before, plan, seats, maximum):
    response = signup(public_api, payload(plan=plan, seats=seats))

    body = assert_refused(response, "seats", state_before)
    assert str(maximum) in body["fields"]["seats"][0]


@pytest.mark.parametrize("plan", ["platinum", "", "STARTER", "start"])
def test_unknown_plan_is_refused(public_api, state_before, plan):
    response = signup(public_api, payload(plan=plan))

    assert_refused(response, "plan", state_before)


def test_plan_no_longer_on_sale_is_refused(public_api, state_before):
    from apps.tenants.models import Plan

    with schema_context("public"):
        Plan.objects.filter(code="starter").update(is_active=False)

    response = signup(public_api, payload(plan="starter"))

    assert_refused(response, "plan", state_before)


@pytest.mark.parametrize("seats", ["many", "", None, 2.5, "3 seats", [3], {"n": 3}, True])
def test_non_integer_seats_are_refused(public_api, state_before, seats):
    response = signup(public_api, payload(seats=seats))

    assert_refused(response, "seats", state_before)


# --- refusals: shape -------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["company", "slug", "admin_email", "admin_password", "seats", "plan"])
def test_missing_field_is_refused(public_api, state_before, field):
    body = payload()
    del body[field]

    response = signup(public_api, body)

    assert_refused(response, field, state_before)


def test_empty_body_names_every_required_field(public_api, state_before):
    response = signup(public_api, {})

    body = assert_refused(response, "slug", state_before)
    assert set(body["fields"]) == {"company", "slug", "admin_email", "admin_password", "seats", "plan"}


@pytest.mark.parametrize("company", ["", "   ", "x" * 201])
def test_bad_company_name_is_refused(public_api, state_before, company):
    response = signup(public_api, payload(company=company))

    assert_refused(response, "company", state_before)


def test_unknown_language_is_refused(public_api, state_before):
    response = signup(public_api, payload(language="fr"))

    assert_refused(response, "language", state_before)


def test_every_bad_field_is_named_at_once(public_api, state_before):
    response = signup(
        public_api, payload(slug="www", admin_email="nope", admin_password="password", seats=0, plan="starter")
    )

    body = assert_refused(response, "slug", state_before)
    assert set(body["fields"]) == {"slug", "admin_email", "admin_password", "seats"}


def test_signup_is_not_served_on_a_tenant_host(acme, state_before):
    response = signup(acme.api(), payload())

    assert response.status_code == 404
    assert platform_state() == state_before


def test_signup_refuses_get(public_api):
    response = public_api.get(URL)

    assert response.status_code == 405


# --- rate limit ------------------------------------------------------------------------------


@pytest.fixture
def rate_limit_cache():
    cache.clear()
    yield
    cache.clear()


@override_settings(SIGNUP_RATE_LIMIT="2/hour")
def test_third_signup_from_one_address_is_rate_limited(public_api, rate_limit_cache):
    address = {"REMOTE_ADDR": "203.0.113.7"}
    assert signup(public_api, payload(slug="first-co"), **address).status_code == 201
    assert signup(public_api, payload(slug="second-co"), **address).status_code == 201
    state = platform_state()

    response = signup(public_api, payload(slug="third-co"), **address)

    assert response.status_code == 429
    assert response.json() == {
        "code": "rate_limited",
        "message": "Too many sign-ups from this address; try again later.",
        "fields": {},
    }
    assert platform_state() == state


@override_settings(SIGNUP_RATE_LIMIT="2/hour")
def test_refused_signups_count_towards_the_rate_limit(public_api, rate_limit_cache, state_before):
    address = {"REMOTE_ADDR": "203.0.113.8"}
    assert signup(public_api, payload(slug="www"), **address).status_code == 400
    assert signup(public_api, payload(slug="www"), **address).status_code == 400

    response = signup(public_api, payload(), **address)

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert platform_state() == state_before


@override_settings(SIGNUP_RATE_LIMIT="2/hour")
def test_rate_limit_is_per_address(public_api, rate_limit_cache):
    for slug in ("first-co", "second-co", "third-co"):
        signup(public_api, payload(slug=slug), REMOTE_ADDR="203.0.113.9")

    response = signup(public_api, payload(slug="other-co"), REMOTE_ADDR="198.51.100.1")

    assert response.status_code == 201, response.content


def test_rate_limit_is_off_in_test_settings(public_api, rate_limit_cache):
    for slug in ("first-co", "second-co", "third-co"):
        response = signup(public_api, payload(slug=slug, admin_email=f"boss@{slug}.cn"), REMOTE_ADDR="203.0.113.10")
        assert response.status_code == 201, response.content
