"""Schemathesis over the tenant API's own OpenAPI schema: whatever a client sends, no 5xx.

Every operation of ``/api/schema/`` (drf-spectacular, the tenant URLconf) gets generated
requests — valid ones and ones that break the schema's rules — sent in-process to the WSGI app
as acme's administrator. A server error (or an unhandled exception) fails the test and names
the request. Examples per operation are few and derandomized, so the run is quick and a
failure repeats; ``API_FUZZ_EXAMPLES`` raises the count for a deeper local run.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.conf import settings as settings_module
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.services import token_create

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))

schema = schemathesis.openapi.from_dict(
    SchemaGenerator(urlconf="config.urls_tenant").get_schema(request=None, public=True)
)
platform_schema = schemathesis.openapi.from_dict(
    SchemaGenerator(urlconf="config.urls_public").get_schema(request=None, public=True)
)
app = WSGIHandler()

FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def keep_test_connection():
    """A WSGI request closes "old" database connections when it ends, which would close this
    test's transaction; Django's own test client switches that off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(acme, keep_test_connection):
    user = acme.user(Role.TENANT_ADMIN, Role.SUPERVISOR, email="fuzz-admin@acme.test")
    return {"Host": acme.host, "Authorization": f"Token {acme.token(user)}"}


@schema.parametrize()
@FUZZ
def test_no_server_errors(case, admin_headers):
    response = case.call(app=app, headers=admin_headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )


@pytest.fixture
def staff_headers(db, keep_test_connection):
    with schema_context("public"):
        staff = User.objects.create_superuser("fuzz-staff@platform.test", "Fuzz-Staff-Password-1")
        token = token_create(user=staff).raw
    return {"Host": settings_module.PLATFORM_DOMAIN, "Authorization": f"Token {token}"}


@platform_schema.parametrize()
@FUZZ
def test_platform_api_has_no_server_errors(case, staff_headers):
    response = case.call(app=app, headers=staff_headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
