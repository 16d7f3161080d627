"""The attendance policy: the default version every tenant starts with, and new versions.

A version is never edited once a day it judges has passed; HR adds a new version from a date
instead (``policy_create``), so attendance already exported is never re-judged.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from django.db import transaction

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.workforce.models import WorkforcePolicy
from apps.workforce.selectors.policy import policy_on


def seed_workforce_defaults(tenant) -> None:
    """settings.TENANT_SEEDERS: the handbook's default policy (DOMAIN.md §4). Safe to run again."""
    if not WorkforcePolicy.objects.exists():
        WorkforcePolicy.objects.create(effective_from=WorkforcePolicy.DEFAULT_EFFECTIVE_FROM)


def parse_allowlist(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The allow-list's networks, one per line ('#' starts a comment); raises ValueError."""
    networks = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            networks.append(ipaddress.ip_network(line, strict=False))
    return networks


POLICY_FIELDS = (
    "early_clock_in_minutes",
    "late_grace_minutes",
    "sick_bands",
    "bereavement_days",
    "annual_leave_bands",
    "overtime_rate_workday",
    "overtime_rate_rest_day",
    "overtime_rate_holiday",
    "monthly_legal_hours",
    "warning_threshold",
    "warning_window_months",
    "absence_consecutive_days",
    "absence_days_per_year",
    "leave_hr_approval_over_days",
    "handover_required",
    "ip_allowlist",
    "auto_clock_from_desk",
    "note",
)


@transaction.atomic
def policy_create(*, effective_from: dt.date, actor, values: dict[str, Any]) -> WorkforcePolicy:
    """A new version from ``effective_from`` (replacing a version of that same date). Fields not
    given are copied from the version in effect that day."""

    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ApplicationError(
            "workforce_policy_invalid", "Unknown policy fields.", fields={k: ["Unknown field."] for k in unknown}
        )
    if "ip_allowlist" in values:
        try:
            parse_allowlist(values["ip_allowlist"] or "")
        except ValueError as error:
            raise ApplicationError(
                "workforce_policy_invalid", "The allow-list is not valid.", fields={"ip_allowlist": [str(error)]}
            ) from error
    base = policy_on(effective_from)
    before = {name: _jsonable(getattr(base, name)) for name in POLICY_FIELDS}
    existing = WorkforcePolicy.objects.select_for_update().filter(effective_from=effective_from).first()
    policy = existing or WorkforcePolicy(effective_from=effective_from)
    for name in POLICY_FIELDS:
        setattr(policy, name, values.get(name, getattr(base, name)))
    policy.created_by = actor
    policy.full_clean(exclude=["created_by", "effective_from"] if existing else ["created_by"])
    policy.save()
    audit_record(
        action="workforce.policy_saved",
        actor=actor,
        target=policy,
        before=before,
        after={name: _jsonable(getattr(policy, name)) for name in POLICY_FIELDS},
    )
    return policy


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return str(value)
