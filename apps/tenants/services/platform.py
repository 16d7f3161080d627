"""What the platform operator does to tenants."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record_platform
from apps.core.errors import ApplicationError
from apps.telephony.services.plant import service_number_attach
from apps.tenants.choices import PoolNumberStatus, TenantStatus, UsageKind
from apps.tenants.models import PoolNumber, Tenant
from apps.tenants.services.usage import pool_number_take, usage_record


@transaction.atomic
def tenant_suspend(*, tenant: Tenant, reason: str = "") -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.status == TenantStatus.ACTIVE:
        before = tenant.status
        tenant.status = TenantStatus.SUSPENDED
        tenant.save(update_fields=["status"])
        usage_record(tenant=tenant, kind=UsageKind.TENANT_SUSPENDED, detail={"reason": reason})
        audit_record_platform(
            tenant=tenant,
            action=AuditAction.PLATFORM_TENANT_SUSPENDED,
            before={"status": before},
            after={"status": tenant.status},
            extra={"reason": reason},
        )
    return tenant


@transaction.atomic
def tenant_resume(*, tenant: Tenant) -> Tenant:
    """Back to active; a tenant scheduled for deletion is spared (its deletion is cancelled)."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.status == TenantStatus.DELETED:
        raise ApplicationError("conflict", _("This tenant is deleted: its data is gone."), status=409)
    if tenant.status != TenantStatus.ACTIVE:
        before = tenant.status
        tenant.status = TenantStatus.ACTIVE
        tenant.delete_after = None
        tenant.save(update_fields=["status", "delete_after"])
        usage_record(tenant=tenant, kind=UsageKind.TENANT_RESUMED)
        audit_record_platform(
            tenant=tenant,
            action=AuditAction.PLATFORM_TENANT_RESUMED,
            before={"status": before},
            after={"status": tenant.status},
        )
    return tenant


POOL_NUMBER_RE = re.compile(r"^\+?\d{5,20}$")
MAX_POOL_NUMBERS_AT_ONCE = 10_000


def pool_numbers_add(*, text: str, carrier: str = "sim") -> int:
    """Add service numbers the platform has bought to the pool; returns how many were new.

    ``text`` holds numbers separated by whitespace or commas, or ranges ``first-last`` of the
    same length (a block of DIDs from a carrier). Numbers already in the pool are left as they
    are, so pasting a carrier's whole list twice is harmless. Any bad token refuses the lot.
    """
    numbers: list[str] = []
    bad: list[str] = []
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        first, sep, last = token.partition("-")
        if sep:
            if not (first.isdigit() and last.isdigit() and len(first) == len(last) and int(first) <= int(last)):
                bad.append(token)
                continue
            if int(last) - int(first) >= MAX_POOL_NUMBERS_AT_ONCE:
                bad.append(token)
                continue
            numbers.extend(str(n).zfill(len(first)) for n in range(int(first), int(last) + 1))
        elif POOL_NUMBER_RE.match(token):
            numbers.append(token)
        else:
            bad.append(token)
    if bad:
        raise ApplicationError(
            "invalid",
            _("The request has invalid fields."),
            fields={"numbers": [_("Not a number or range: %(tokens)s") % {"tokens": ", ".join(bad[:10])}]},
        )
    if not numbers:
        raise ApplicationError(
            "invalid", _("The request has invalid fields."), fields={"numbers": [_("Enter numbers.")]}
        )
    if len(numbers) > MAX_POOL_NUMBERS_AT_ONCE:
        raise ApplicationError(
            "invalid",
            _("The request has invalid fields."),
            fields={"numbers": [_("At most %(n)d numbers at once.") % {"n": MAX_POOL_NUMBERS_AT_ONCE}]},
        )
    unique = list(dict.fromkeys(numbers))
    known = set(PoolNumber.objects.filter(number__in=unique).values_list("number", flat=True))
    # ignore_conflicts also covers a concurrent paste of the same block.
    PoolNumber.objects.bulk_create(
        [PoolNumber(number=n, carrier=carrier) for n in unique if n not in known], ignore_conflicts=True
    )
    return len(unique) - len(known)


@transaction.atomic
def tenant_number_assign(*, tenant: Tenant, number: str = "") -> PoolNumber:
    """Give a tenant a service number from the pool (the "number pending" case after sign-up,
    or an extra number): the pool row, the tenant's ``PhoneNumber`` on its default trunk and
    the usage event for billing commit together."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if number:
        pool = PoolNumber.objects.select_for_update().filter(number=number.strip()).first()
        if pool is None or pool.status != PoolNumberStatus.AVAILABLE:
            raise ApplicationError(
                "invalid",
                _("The request has invalid fields."),
                fields={"number": [_("This number is not available in the pool.")]},
            )
        pool.status = PoolNumberStatus.ASSIGNED
        pool.tenant = tenant
        pool.assigned_at = timezone.now()
        pool.save(update_fields=["status", "tenant", "assigned_at"])
    else:
        pool = pool_number_take(tenant=tenant)
        if pool is None:
            raise ApplicationError("pool_empty", _("The number pool is empty: add numbers first."), status=409)
    with tenant_context(tenant):
        service_number_attach(number=pool.number)
    if tenant.number_pending:
        tenant.number_pending = False
        tenant.save(update_fields=["number_pending"])
    usage_record(tenant=tenant, kind=UsageKind.NUMBER_ASSIGNED, detail={"number": pool.number})
    audit_record_platform(tenant=tenant, action=AuditAction.PLATFORM_NUMBER_ASSIGNED, after={"number": pool.number})
    return pool
