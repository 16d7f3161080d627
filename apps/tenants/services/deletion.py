"""Deleting a tenant: scheduled by platform staff, carried out after a grace period.

A company that leaves (or is thrown out) gets ``TENANT_DELETION_GRACE_DAYS`` (30 by default)
during which its space is suspended but intact: a mistake, a late payment or a data export can
still be sorted out, and platform staff can cancel. After that the beat task removes:
- the tenant's PostgreSQL schema (every call, recording row, user, audit row …);
- its files in storage under ``tenants/<schema>/`` (recordings, prompts, imports, exports);
- its host names, SIP directory entries and carrier addresses; its service numbers go back
  to the pool as "available".
The ``Tenant`` row itself stays, marked ``deleted``, because usage events and seat-days are
billing history the platform must keep; its slug is therefore never sold again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record_platform
from apps.core.errors import ApplicationError
from apps.tenants.choices import PoolNumberStatus, TenantStatus, UsageKind
from apps.tenants.models import Domain, PoolNumber, SipDirectoryEntry, Tenant
from apps.tenants.services.usage import usage_record

logger = logging.getLogger(__name__)


def _locked(tenant: Tenant) -> Tenant:
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if locked.schema_name == "public":
        raise ApplicationError("invalid", _("The platform itself cannot be deleted."))
    return locked


@transaction.atomic
def tenant_deletion_schedule(*, tenant: Tenant, reason: str = "", now: datetime | None = None) -> Tenant:
    """Suspend ``tenant`` now and delete it after the grace period."""
    tenant = _locked(tenant)
    if tenant.status == TenantStatus.DELETED:
        raise ApplicationError("conflict", _("This tenant is already deleted."), status=409)
    if tenant.status == TenantStatus.DELETING:
        return tenant
    before = tenant.status
    tenant.status = TenantStatus.DELETING
    tenant.delete_after = (now or timezone.now()) + timedelta(days=settings.TENANT_DELETION_GRACE_DAYS)
    tenant.save(update_fields=["status", "delete_after"])
    usage_record(tenant=tenant, kind=UsageKind.TENANT_DELETION_SCHEDULED, detail={"reason": reason})
    audit_record_platform(
        tenant=tenant,
        action="platform.tenant_deletion_scheduled",
        before={"status": before},
        after={"status": tenant.status, "delete_after": tenant.delete_after.isoformat()},
        extra={"reason": reason},
    )
    return tenant


@transaction.atomic
def tenant_deletion_cancel(*, tenant: Tenant) -> Tenant:
    """Take a scheduled deletion back; the tenant stays suspended until staff resume it."""
    tenant = _locked(tenant)
    if tenant.status != TenantStatus.DELETING:
        raise ApplicationError("conflict", _("This tenant is not scheduled for deletion."), status=409)
    tenant.status = TenantStatus.SUSPENDED
    tenant.delete_after = None
    tenant.save(update_fields=["status", "delete_after"])
    audit_record_platform(
        tenant=tenant,
        action="platform.tenant_deletion_cancelled",
        before={"status": TenantStatus.DELETING},
        after={"status": tenant.status},
    )
    return tenant


def _delete_files(prefix: str) -> int:
    """Delete every file under ``prefix`` in storage; returns how many."""
    try:
        directories, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    count = 0
    for name in files:
        default_storage.delete(f"{prefix}/{name}")
        count += 1
    for directory in directories:
        count += _delete_files(f"{prefix}/{directory}")
    return count


def tenant_delete_now(*, tenant: Tenant) -> dict[str, int]:
    """Remove ``tenant``'s schema, files, hosts and directory entries (the grace period is over)."""
    with transaction.atomic():
        tenant = _locked(tenant)
        if tenant.status != TenantStatus.DELETING:
            raise ApplicationError("conflict", _("This tenant is not scheduled for deletion."), status=409)
        schema = tenant.schema_name
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(schema)} CASCADE")
        domains, _detail = Domain.objects.filter(tenant=tenant).delete()
        directory, _detail = SipDirectoryEntry.objects.filter(tenant=tenant).delete()
        tenant.trunk_addresses.all().delete()
        numbers = PoolNumber.objects.filter(tenant=tenant).update(
            tenant=None, status=PoolNumberStatus.AVAILABLE, assigned_at=None
        )
        tenant.status = TenantStatus.DELETED
        tenant.save(update_fields=["status"])
        usage_record(tenant=tenant, kind=UsageKind.TENANT_DELETED)
    # Files last: a failure above rolls the schema drop back and keeps the files with it.
    files = _delete_files(f"tenants/{schema}")
    report = {"domains": domains, "directory_entries": directory, "numbers_released": numbers, "files": files}
    logger.info("tenant %s deleted: %s", schema, report)
    return report


def tenants_delete_due(*, now: datetime | None = None) -> list[str]:
    """Delete every tenant whose grace period is over; returns their schema names."""
    now = now or timezone.now()
    done = []
    for tenant in Tenant.objects.filter(status=TenantStatus.DELETING, delete_after__lte=now).order_by("pk"):
        try:
            tenant_delete_now(tenant=tenant)
        except Exception:  # one tenant's failure must not keep the others; the next run retries it
            logger.exception("deleting tenant %s failed", tenant.schema_name)
            continue
        done.append(tenant.schema_name)
    return done
