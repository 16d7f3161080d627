"""API rate limits (apps/core/api/throttling.py): per user, per client address, and for
``POST /auth/token``; a refused call is 429 with ``Retry-After`` in the one error format.

The test settings switch every rate off so that no other test is throttled by accident;
these tests set small rates of their own.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.conftest import PASSWORD


@pytest.fixture
def rates(settings):
    settings.API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute", "login": "2/minute"}
    cache.clear()
    yield settings.API_THROTTLE_RATES
    cache.clear()


def _assert_throttled(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["code"] == "throttled"
    assert body["message"]
    assert body["fields"] == {}


def test_test_settings_throttle_nothing(acme, settings):
    assert set(settings.API_THROTTLE_RATES.values()) == {None}
    api = acme.api(acme.admin())
    assert all(api.get("/api/v1/me").status_code == 200 for _ in range(10))


def test_a_user_over_the_rate_gets_429_with_retry_after(acme, rates):
    api = acme.api(acme.user("agent", email="busy@acme.test"))
    assert [api.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]

    _assert_throttled(api.get("/api/v1/me"))


def test_one_users_budget_is_not_anothers(acme, rates):
    busy = acme.api(acme.user("agent", email="busy@acme.test"))
    for _ in range(4):
        busy.get("/api/v1/me")

    assert acme.api(acme.user("agent", email="calm@acme.test")).get("/api/v1/me").status_code == 200


def _signup(public_api, **extra):
    """An anonymous call (the sign-up API allows anyone); an empty body is a cheap 400."""
    return public_api.post("/api/v1/signup", {}, format="json", **extra)


def test_anonymous_calls_are_limited_per_address(public_api, rates):
    statuses = [_signup(public_api, REMOTE_ADDR="198.51.100.7").status_code for _ in range(2)]

    assert statuses == [400, 400]
    _assert_throttled(_signup(public_api, REMOTE_ADDR="198.51.100.7"))
    assert _signup(public_api, REMOTE_ADDR="198.51.100.8").status_code == 400


def test_anonymous_address_is_the_trusted_proxy_client_ip(public_api, rates, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for _ in range(2):
        _signup(public_api, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")

    _assert_throttled(_signup(public_api, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5"))
    # Another client behind the same balancer has its own budget.
    assert _signup(public_api, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 400


def test_token_requests_are_limited_per_address(acme, rates):
    api = acme.api()
    body = {"email": acme.admin_email, "password": PASSWORD}
    assert [api.post("/api/v1/auth/token", body, format="json").status_code for _ in range(2)] == [200, 200]

    _assert_throttled(api.post("/api/v1/auth/token", body, format="json"))


def test_rates_come_from_the_settings_at_request_time(acme, rates, settings):
    settings.API_THROTTLE_RATES = {**rates, "user": None}
    api = acme.api(acme.admin())

    assert all(api.get("/api/v1/me").status_code == 200 for _ in range(6))
