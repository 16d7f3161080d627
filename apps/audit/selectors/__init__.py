"""Reads of the audit log shared by the page, the API and the exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.models import AuditEntry, AuditSettings

EXPORT_COLUMNS = (
    "id",
    "time",
    "action",
    "action_label",
    "actor_kind",
    "actor_id",
    "actor_email",
    "actor_name",
    "object_type",
    "object_id",
    "object",
    "ip_address",
    "user_agent",
    "before",
    "after",
    "details",
)
EXPORT_MAX_ROWS = 100_000


def audit_entries() -> QuerySet[AuditEntry]:
    """Every row of the current tenant's log, newest first."""
    return AuditEntry.objects.order_by("-created_at", "-id")


def audit_retention_configured() -> int | None:
    """The tenant's own retention setting in days (None: the platform default applies)."""
    return AuditSettings.objects.filter(pk=1).values_list("retention_days", flat=True).first()


def audit_export_rows(queryset: QuerySet[AuditEntry]) -> Iterator[list[Any]]:
    """The header, then one row per entry, read in chunks (never the whole log at once)."""

    yield list(EXPORT_COLUMNS)
    for entry in queryset.iterator(chunk_size=2000):
        yield [
            entry.pk,
            timezone.localtime(entry.created_at).isoformat(),
            entry.action,
            entry.action_label,
            entry.actor_kind,
            "" if entry.actor_id is None else entry.actor_id,
            entry.actor_email,
            entry.actor_name,
            entry.target_type,
            entry.target_id,
            entry.target_repr,
            entry.ip_address or "",
            entry.user_agent,
            "" if entry.before is None else json.dumps(entry.before, ensure_ascii=False, sort_keys=True),
            "" if entry.after is None else json.dumps(entry.after, ensure_ascii=False, sort_keys=True),
            json.dumps(entry.extra or {}, ensure_ascii=False, sort_keys=True),
        ]
