"""Helpers shared by the account, telephony and isolation tests."""

from __future__ import annotations

from django.test import Client

from tests.conftest import PASSWORD, TenantWorld


def web_login(world: TenantWorld, email: str, password: str = PASSWORD, client: Client | None = None) -> Client:
    """A browser-like client logged in through the real login page of ``world``'s host.

    ``Client.login`` cannot be used: django-axes needs the request it does not pass. A
    given ``client`` is reused (building a new one's middleware stack is not free).
    """
    client = client or world.client()
    response = client.post("/accounts/login/", {"username": email, "password": password}, HTTP_HOST=world.host)
    assert response.status_code == 302, response.content[:500]
    return client


def api_token(world: TenantWorld, email: str, password: str = PASSWORD):
    """POST /api/v1/auth/token on ``world``'s host; returns the response."""
    return world.api().post("/api/v1/auth/token", {"email": email, "password": password}, format="json")
