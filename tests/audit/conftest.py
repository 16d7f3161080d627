"""Helpers for the audit tests: read a tenant's log, and clients that come from a known address."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from tests.conftest import TenantWorld

IP = "203.0.113.9"
USER_AGENT = "audit-test/1.0 (pytest)"


def rows(world: TenantWorld, action: str | None = None) -> list[AuditEntry]:
    with tenant_context(world.tenant):
        entries = AuditEntry.objects.order_by("id")
        if action is not None:
            entries = entries.filter(action=action)
        return list(entries)


def only_row(world: TenantWorld, action: str, since_id: int = 0) -> AuditEntry:
    """The one row of ``action`` written after ``since_id``; fails on none or several."""
    found = [entry for entry in rows(world, action) if entry.pk > since_id]
    assert len(found) == 1, f"expected one {action} row, found {len(found)}: {[e.extra for e in found]}"
    return found[0]


def last_id(world: TenantWorld) -> int:
    with tenant_context(world.tenant):
        return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def from_known_address(client):
    """``client`` with a fixed client address and user agent on every request."""
    client.defaults.update(REMOTE_ADDR=IP, HTTP_USER_AGENT=USER_AGENT)
    return client


@pytest.fixture
def admin_api(acme):
    return from_known_address(acme.api(acme.admin()))
