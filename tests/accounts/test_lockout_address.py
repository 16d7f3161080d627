"""Lockout by address across accounts (django-axes with apps/accounts/lockout.py's handler).

One address guessing passwords of many accounts is locked once it reaches
``AXES_ADDRESS_FAILURE_LIMIT`` failures, although no single account reached
``AXES_FAILURE_LIMIT``; other addresses (and, behind our proxies, other clients) are not.
"""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

ATTACKER = "198.51.100.66"


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    return settings


def _token(world, email: str, password: str, address: str, **extra):
    return world.api().post(
        "/api/v1/auth/token", {"email": email, "password": password}, format="json", REMOTE_ADDR=address, **extra
    )


def _spray(world, emails: list[str], address: str, **extra) -> list[int]:
    return [_token(world, email, f"Guess-{n}", address, **extra).status_code for n, email in enumerate(emails)]


def test_failures_across_accounts_lock_the_address(acme, limits):
    victims = [acme.user("agent", email=f"v{n}@acme.test").email for n in range(4)]
    # Two wrong passwords on each of four accounts: no account reaches 5, the address reaches 8.
    statuses = _spray(acme, victims * 2, ATTACKER)

    assert statuses[:7] == [401] * 7
    response = _token(acme, acme.admin_email, PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_an_address_below_its_limit_is_not_locked(acme, limits):
    victims = [acme.user("agent", email=f"v{n}@acme.test").email for n in range(3)]
    _spray(acme, victims * 2, ATTACKER)  # 6 < 8

    assert _token(acme, acme.admin_email, PASSWORD, ATTACKER).status_code == 200


def test_other_addresses_are_not_locked(acme, limits):
    victims = [acme.user("agent", email=f"v{n}@acme.test").email for n in range(4)]
    _spray(acme, victims * 2, ATTACKER)

    assert _token(acme, acme.admin_email, PASSWORD, "198.51.100.67").status_code == 200


def test_a_success_does_not_clear_the_address_count(acme, limits):
    victims = [acme.user("agent", email=f"v{n}@acme.test").email for n in range(4)]
    _spray(acme, victims, ATTACKER)
    assert _token(acme, acme.admin_email, PASSWORD, ATTACKER).status_code == 200
    _spray(acme, victims, ATTACKER)

    assert _token(acme, acme.admin_email, PASSWORD, ATTACKER).status_code == 429


def test_the_web_login_is_locked_by_address_too(acme, limits):
    victims = [acme.user("agent", email=f"v{n}@acme.test").email for n in range(4)]
    _spray(acme, victims * 2, ATTACKER)

    response = acme.client().post(
        "/accounts/login/", {"username": acme.admin_email, "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )

    assert response.status_code == 429


def test_the_address_is_the_client_behind_our_proxies(acme, limits):
    limits.TRUSTED_PROXIES = ["10.0.0.0/8"]
    victims = [acme.user("agent", email=f"v{n}@acme.test").email for n in range(4)]
    _spray(acme, victims * 2, "10.1.1.1", HTTP_X_FORWARDED_FOR=ATTACKER)

    # The same client through another balancer node: locked. Another client through the same node: not.
    assert _token(acme, acme.admin_email, PASSWORD, "10.1.1.2", HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    assert _token(acme, acme.admin_email, PASSWORD, "10.1.1.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 200


def test_without_trusted_proxies_a_forged_header_changes_nothing(acme, limits):
    victims = [acme.user("agent", email=f"v{n}@acme.test").email for n in range(4)]
    forged = [
        _token(acme, email, "Guess", ATTACKER, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n, email in enumerate(victims * 2)
    ]

    # Counted on the one real address: the eighth failure is the one that locks it.
    assert forged == [401] * 7 + [429]
    assert _token(acme, acme.admin_email, PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="203.0.113.50").status_code == 429
