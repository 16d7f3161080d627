"""Tenants whose data other processes must see: provisioned and committed, dropped afterwards.

Most tests run inside a transaction that is rolled back. A few cannot: the fault tests start
real ``run_engine`` processes, the browser tests a real server, and neither sees uncommitted
rows. Both used to carry their own copy of "drop what a killed run left, provision, drop
afterwards (and give the service number back to the pool)"; this is the one copy.
"""

from __future__ import annotations

from django_tenants.utils import schema_context

from apps.tenants.choices import PoolNumberStatus
from apps.tenants.models import PoolNumber, Tenant
from apps.tenants.services.provisioning import tenant_provision


def committed_tenant_provision(
    slug: str, *, company: str, password: str, seats: int = 3, plan: str = "standard", language: str = "en"
) -> Tenant:
    """Provision ``slug`` through the real sign-up service (``admin@<slug>.test`` / ``password``),
    first dropping a tenant of that slug left by a run that was killed before its teardown."""
    with schema_context("public"):
        stale = Tenant.objects.filter(slug=slug).first()
        if stale is not None:
            committed_tenant_drop(stale)
        return tenant_provision(
            company=company,
            slug=slug,
            admin_email=f"admin@{slug}.test",
            admin_password=password,
            seats=seats,
            plan=plan,
            language=language,
        ).tenant


def committed_tenant_drop(tenant: Tenant) -> None:
    """Drop the tenant's schema and rows, and give its service number back to the pool."""
    with schema_context("public"):
        PoolNumber.objects.filter(tenant=tenant).update(
            status=PoolNumberStatus.AVAILABLE, tenant=None, assigned_at=None
        )
        tenant.delete(force_drop=True)
