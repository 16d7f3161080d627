"""The company's integration secret (it signs the IVR http node's requests): made and shown once
on /webhooks/, afterwards only its last characters; other roles refused; one per company."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.webhooks.models import IntegrationSecret
from apps.webhooks.services.integration import integration_secret, integration_secret_rotate
from tests.accounts.helpers import web_login


def test_the_secret_is_made_once_and_kept_encrypted(acme, globex):
    with tenant_context(acme.tenant):
        first = integration_secret()
        assert integration_secret() == first and first.startswith("whsec_")
        row = IntegrationSecret.objects.get()
        assert first not in row.secret_encrypted and row.secret_hint == first[-4:]
        rotated = integration_secret_rotate()
        assert rotated != first and integration_secret() == rotated
    with tenant_context(globex.tenant):
        assert integration_secret() not in (first, rotated)  # each company its own


def test_an_administrator_makes_a_new_secret_on_the_webhooks_page(acme):
    browser = web_login(acme, acme.admin_email)
    page = browser.get("/webhooks/").content.decode()
    assert 'id="integration-secret"' in page and "No secret yet" in page
    response = browser.post("/webhooks/integration-secret/")
    assert response.status_code == 302
    shown = browser.get("/webhooks/").content.decode()
    with tenant_context(acme.tenant):
        secret = integration_secret()
    assert secret in shown  # once, right after it was made
    again = browser.get("/webhooks/").content.decode()
    assert secret not in again and f"…{secret[-4:]}" in again


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_other_roles_cannot_rotate(acme, role):
    user = acme.user(role)
    browser = web_login(acme, user.email)
    assert browser.post("/webhooks/integration-secret/").status_code == 403
    with tenant_context(acme.tenant):
        assert not IntegrationSecret.objects.exists()
