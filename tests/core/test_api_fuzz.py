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
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from apps.accounts.choices import Role

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))

schema = schemathesis.openapi.from_dict(
    SchemaGenerator(urlconf="config.urls_tenant").get_schema(request=None, public=True)
)
app = WSGIHandler()

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
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case, admin_headers):
    response = case.call(app=app, headers=admin_headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
