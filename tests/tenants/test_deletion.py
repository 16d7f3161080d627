"""Tenant deletion by the platform: suspended for a grace period, then schema and files removed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.core.errors import ApplicationError
from apps.tenants.choices import PoolNumberStatus, TenantStatus
from apps.tenants.models import Domain, PoolNumber, SipDirectoryEntry, Tenant
from apps.tenants.services.deletion import tenant_deletion_cancel, tenant_deletion_schedule, tenants_delete_due
from tests.tenants.conftest import schema_exists
from tests.tenants.test_platform import _console, _platform_api, _public_user
from tests.tenants.test_provisioning import provision

pytestmark = pytest.mark.django_db


def _fire_deferred_checks() -> None:
    """The tenant was provisioned in this test's transaction; PostgreSQL refuses to drop tables
    with deferred foreign-key checks still pending, which a real (committed) tenant never has."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_deletion_waits_for_the_grace_period_then_removes_everything(settings):
    settings.TENANT_DELETION_GRACE_DAYS = 30
    tenant = provision("doomed").tenant
    default_storage.save(f"tenants/{tenant.schema_name}/recordings/2026/01/01/a.wav", ContentFile(b"x"))
    default_storage.save(f"tenants/{tenant.schema_name}/prompts/b.wav", ContentFile(b"y"))
    default_storage.save(f"tenants/{tenant.schema_name}x/keep.wav", ContentFile(b"z"))
    numbers = set(PoolNumber.objects.filter(tenant=tenant).values_list("number", flat=True))
    now = timezone.now()

    tenant = tenant_deletion_schedule(tenant=tenant, reason="contract ended", now=now)
    assert tenant.status == TenantStatus.DELETING
    assert not tenant.is_active  # the web, sockets and the engine refuse it from now on
    assert tenants_delete_due(now=now + timedelta(days=29)) == []
    assert schema_exists(tenant.schema_name)

    _fire_deferred_checks()
    assert tenants_delete_due(now=now + timedelta(days=31)) == [tenant.schema_name]
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.DELETED
    assert not schema_exists(tenant.schema_name)
    assert not Domain.objects.filter(tenant=tenant).exists()
    assert not SipDirectoryEntry.objects.filter(tenant=tenant).exists()
    assert not default_storage.exists(f"tenants/{tenant.schema_name}/recordings/2026/01/01/a.wav")
    assert not default_storage.exists(f"tenants/{tenant.schema_name}/prompts/b.wav")
    assert default_storage.exists(f"tenants/{tenant.schema_name}x/keep.wav")
    for number in numbers:
        assert PoolNumber.objects.get(number=number).status == PoolNumberStatus.AVAILABLE
    assert tenant.usage_events.filter(kind="tenant_deleted").count() == 1  # billing history stays


def test_cancel_keeps_the_tenant_suspended_and_intact():
    tenant = provision("spared").tenant
    tenant_deletion_schedule(tenant=tenant)
    tenant = tenant_deletion_cancel(tenant=tenant)
    assert tenant.status == TenantStatus.SUSPENDED
    assert tenant.delete_after is None
    assert tenants_delete_due(now=timezone.now() + timedelta(days=365)) == []
    assert schema_exists(tenant.schema_name)
    with pytest.raises(ApplicationError):
        tenant_deletion_cancel(tenant=tenant)


def test_the_platform_schema_cannot_be_deleted():
    with schema_context("public"), pytest.raises(ApplicationError):
        tenant_deletion_schedule(tenant=Tenant.objects.get(schema_name="public"))


def test_platform_console_schedules_and_cancels_with_the_slug_typed():
    staff_client = _console(_public_user("ops-delete@platform.test", staff=True))
    tenant = provision("consoled").tenant
    response = staff_client.post(f"/platform/tenants/{tenant.slug}/status/", {"action": "delete", "confirm": "wrong"})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    staff_client.post(f"/platform/tenants/{tenant.slug}/status/", {"action": "delete", "confirm": tenant.slug})
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.DELETING
    assert "Cancel deletion" in staff_client.get("/platform/").content.decode()
    staff_client.post(f"/platform/tenants/{tenant.slug}/status/", {"action": "resume"})
    tenant.refresh_from_db()
    assert (tenant.status, tenant.delete_after) == (TenantStatus.ACTIVE, None)


def test_platform_api_schedules_only_with_the_slug_repeated_and_cancels():
    api = _platform_api(_public_user("ops-api-delete@platform.test", staff=True))
    tenant = provision("apidoomed").tenant
    refused = api.post(f"/api/v1/platform/tenants/{tenant.slug}/schedule-deletion", {"confirm": "x"}, format="json")
    assert refused.status_code == 400
    assert "confirm" in refused.json()["fields"]
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    scheduled = api.post(
        f"/api/v1/platform/tenants/{tenant.slug}/schedule-deletion", {"confirm": tenant.slug}, format="json"
    )
    assert scheduled.status_code == 200
    assert scheduled.json()["status"] == "deleting"
    assert scheduled.json()["delete_after"]
    cancelled = api.post(f"/api/v1/platform/tenants/{tenant.slug}/cancel-deletion")
    assert cancelled.json()["status"] == "suspended"
    assert api.post(f"/api/v1/platform/tenants/{tenant.slug}/cancel-deletion").status_code == 409
