"""Shared fixtures.

Two tenants, ``acme`` and ``globex``, are provisioned once per test session (per xdist
worker) through the real sign-up service and committed; each test then runs inside a
transaction that is rolled back, so tests may add users, seats or tokens freely.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context, tenant_context
from rest_framework.test import APIClient

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.services import token_create
from apps.tenants.models import Tenant

PASSWORD = "Corr3ct-Horse-Battery"


@dataclass
class TenantWorld:
    tenant: Tenant
    admin_email: str

    @property
    def host(self) -> str:
        return f"{self.tenant.slug}.{settings.PLATFORM_DOMAIN}"

    def client(self) -> Client:
        return Client(HTTP_HOST=self.host)

    def api(self, user: User | None = None) -> APIClient:
        client = APIClient(HTTP_HOST=self.host)
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.token(user)}")
        return client

    def token(self, user: User) -> str:
        with tenant_context(self.tenant):
            return token_create(user=user).raw

    def admin(self) -> User:
        with tenant_context(self.tenant):
            return User.objects.get(email=self.admin_email)

    def user(self, *roles: str, email: str | None = None, password: str = PASSWORD) -> User:
        email = email or f"{'-'.join(roles) or 'norole'}-{User.objects.count()}@{self.tenant.slug}.test"
        with tenant_context(self.tenant):
            return User.objects.create_user(email, password, name=email.split("@")[0], roles=list(roles))


def _provision(slug: str) -> None:
    from apps.tenants.services.provisioning import tenant_provision

    with schema_context("public"):
        if not Tenant.objects.filter(slug=slug).exists():
            tenant_provision(
                company=f"{slug.title()} Ltd",
                slug=slug,
                admin_email=f"admin@{slug}.test",
                admin_password=PASSWORD,
                seats=5,
                plan="standard",
            )


# Folders whose tests need more than PostgreSQL and Redis: marked by where they live, so that
# `pytest -m "not browser and not sip"` is the fast suite.
FOLDER_MARKERS = {"browser": "browser", "sip": "sip"}


# Tests that drive real processes on the real clock (Kamailio, rtpengine, sipp, Chromium, the
# engine) get one more try when they fail: on a loaded two-core CI machine a process can miss a
# beat that no code path controls. Two failures in a row still fail the run, and every retry is
# printed in the summary ("R"), so a test that starts needing it is seen (decision 0037).
RETRIED_MARKERS = {"sip", "browser"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = item.nodeid.split("::", 1)[0].split("/")
        if len(parts) > 2 and parts[0] == "tests" and parts[1] in FOLDER_MARKERS:
            marker = FOLDER_MARKERS[parts[1]]
            item.add_marker(getattr(pytest.mark, marker))
            if marker in RETRIED_MARKERS and item.get_closest_marker("flaky") is None:
                item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # pytest-django creates the test database only when a collected test is marked for it; a
    # session of tests that reach the database otherwise (tests/browser: a live server) would
    # run against the development database, and the tenants below would be provisioned there.
    from django.test.utils import setup_databases, teardown_databases

    created = None
    with django_db_blocker.unblock():
        if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        _provision("acme")
        _provision("globex")
    yield
    if created is not None:
        with django_db_blocker.unblock():
            try:
                teardown_databases(created, verbosity=0)
            except Exception as error:  # as pytest-django does: a warning, not a failed session
                warnings.warn(f"Could not drop the test database: {error!r}", stacklevel=1)


@pytest.fixture(autouse=True)
def _english():
    """Requests activate the tenant's language and leave it active for the rest of the test."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _public_schema_after_test():
    """Requests through the test client leave the connection on the last tenant's schema."""
    yield
    connection.set_schema_to_public()


@pytest.fixture
def acme(db) -> TenantWorld:
    return TenantWorld(Tenant.objects.get(slug="acme"), "admin@acme.test")


@pytest.fixture
def globex(db) -> TenantWorld:
    return TenantWorld(Tenant.objects.get(slug="globex"), "admin@globex.test")


@pytest.fixture
def public_api(db) -> APIClient:
    return APIClient(HTTP_HOST=settings.PLATFORM_DOMAIN)


@pytest.fixture
def roles():
    return Role
