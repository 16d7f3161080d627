"""What the platform operator does to tenants."""

from __future__ import annotations

from django.db import transaction

from apps.tenants.choices import TenantStatus, UsageKind
from apps.tenants.models import Tenant
from apps.tenants.services.usage import usage_record


@transaction.atomic
def tenant_suspend(*, tenant: Tenant, reason: str = "") -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.status != TenantStatus.SUSPENDED:
        tenant.status = TenantStatus.SUSPENDED
        tenant.save(update_fields=["status"])
        usage_record(tenant=tenant, kind=UsageKind.TENANT_SUSPENDED, detail={"reason": reason})
    return tenant


@transaction.atomic
def tenant_resume(*, tenant: Tenant) -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.status != TenantStatus.ACTIVE:
        tenant.status = TenantStatus.ACTIVE
        tenant.save(update_fields=["status"])
        usage_record(tenant=tenant, kind=UsageKind.TENANT_RESUMED)
    return tenant
