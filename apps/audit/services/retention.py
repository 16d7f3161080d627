"""How long audit rows are kept, and the purge that is the log's only deletion.

Each tenant may set its own retention in days (``AuditSettings``); empty means the platform
default ``AUDIT_RETENTION_DAYS`` (365). The bounds ``AUDIT_RETENTION_MIN_DAYS`` (default 90)
and ``AUDIT_RETENTION_MAX_DAYS`` (default 3650) keep a tenant from erasing its own trail by
setting one day. Changing it is itself audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.models import AuditEntry, AuditSettings
from apps.audit.services.entries import audit_record
from apps.audit.sql import PURGE_FLAG
from apps.core.errors import ApplicationError


def _default_days() -> int:
    return int(getattr(settings, "AUDIT_RETENTION_DAYS", 365))


def retention_bounds() -> tuple[int, int]:
    return int(getattr(settings, "AUDIT_RETENTION_MIN_DAYS", 90)), int(
        getattr(settings, "AUDIT_RETENTION_MAX_DAYS", 3650)
    )


def audit_retention_days() -> int:
    """The retention in force for the current tenant."""
    row = AuditSettings.objects.filter(pk=1).first()
    return row.retention_days if row and row.retention_days else _default_days()


@transaction.atomic
def audit_retention_set(*, days: int | None, actor) -> AuditSettings:
    """Set the tenant's retention (``None``: back to the platform default)."""
    low, high = retention_bounds()
    if days is not None and not (low <= days <= high):
        raise ApplicationError(
            "invalid",
            _("The request has invalid fields."),
            fields={"retention_days": [_("Between %(low)d and %(high)d days.") % {"low": low, "high": high}]},
        )
    row, _created = AuditSettings.objects.select_for_update().get_or_create(pk=1)
    before = row.retention_days
    if before != days:
        row.retention_days = days
        row.updated_at = timezone.now()
        row.save(update_fields=["retention_days", "updated_at"])
        audit_record(
            action=AuditAction.AUDIT_RETENTION_CHANGED,
            actor=actor,
            target=row,
            before={"retention_days": before, "effective_days": before or _default_days()},
            after={"retention_days": days, "effective_days": days or _default_days()},
        )
    return row


@transaction.atomic
def audit_purge_expired(*, now: datetime | None = None) -> int:
    """Delete the current tenant's rows older than its retention; returns how many went.

    The only deletion the database trigger lets through: the flag is local to this
    transaction, so nothing else running on the connection afterwards can delete."""
    cutoff = (now or timezone.now()) - timedelta(days=audit_retention_days())
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_FLAG])
        cursor.execute(f"DELETE FROM {table} WHERE created_at < %s", [cutoff])  # noqa: S608 (fixed table name)
        deleted = cursor.rowcount
        cursor.execute("SELECT set_config(%s, 'off', true)", [PURGE_FLAG])
    return deleted
