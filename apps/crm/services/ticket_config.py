"""Ticket categories with their SLA targets, and departments: what administrators set up."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.accounts.choices import Role
from apps.accounts.models import Team
from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.crm.choices import TicketPriority
from apps.crm.models import Department, SlaTarget, TicketCategory
from apps.crm.services.ticket_sla import DEFAULT_TARGETS
from apps.telephony.selectors.business_hours import business_hours_choices

NAME_MAX = 100
MAX_MINUTES = 60 * 24 * 365  # a year of business minutes is more than any target


def _check_admin(actor) -> None:
    if actor is not None and not actor.has_role(Role.TENANT_ADMIN):
        raise PermissionDeniedError("forbidden", _("Only an administrator may change ticket settings."))


def _name(fields: dict[str, list[str]], value: Any, *, model, exclude: int | None) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        fields.setdefault("name", []).append(_("This field is required."))
    elif len(name) > NAME_MAX:
        fields.setdefault("name", []).append(_("At most %(n)d characters.") % {"n": NAME_MAX})
    elif model.objects.filter(name__iexact=name).exclude(pk=exclude or 0).exists():
        fields.setdefault("name", []).append(_("This name is taken."))
    return name


def _minutes(fields: dict[str, list[str]], key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MINUTES:
        fields.setdefault(key, []).append(_("Give a whole number of minutes from 1 to %(n)d.") % {"n": MAX_MINUTES})
        return 0
    return value


def _targets(fields: dict[str, list[str]], targets: Any) -> dict[str, tuple[int, int]]:
    """``[{"priority", "first_response_minutes", "resolution_minutes"}, …]`` → by priority."""
    if not isinstance(targets, list):
        fields.setdefault("targets", []).append(_("Give a list of targets."))
        return {}
    found: dict[str, tuple[int, int]] = {}
    for index, row in enumerate(targets):
        prefix = f"targets.{index}"
        if not isinstance(row, dict):
            fields.setdefault(prefix, []).append(_("Give priority, first_response_minutes and resolution_minutes."))
            continue
        priority = row.get("priority")
        if not isinstance(priority, str) or priority not in TicketPriority.values:
            fields.setdefault(f"{prefix}.priority", []).append(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(TicketPriority.values)}
            )
            continue
        if priority in found:
            fields.setdefault(f"{prefix}.priority", []).append(_("Each priority once."))
            continue
        first = _minutes(fields, f"{prefix}.first_response_minutes", row.get("first_response_minutes"))
        resolution = _minutes(fields, f"{prefix}.resolution_minutes", row.get("resolution_minutes"))
        if first and resolution and resolution < first:
            fields.setdefault(f"{prefix}.resolution_minutes", []).append(
                _("The resolution target cannot be shorter than the first response target.")
            )
        found[priority] = (first, resolution)
    return found


def _hours(fields: dict[str, list[str]], value: Any) -> int | None:
    if value in (None, ""):
        return None
    known = {pk for pk, _name in business_hours_choices()}
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = None
    if pk not in known:
        fields.setdefault("business_hours", []).append(_("No such business hours."))
        return None
    return pk


def _category_state(category: TicketCategory) -> dict[str, Any]:
    return {
        "name": category.name,
        "active": category.active,
        "business_hours": category.business_hours_id,
        "targets": {
            row.priority: [row.first_response_minutes, row.resolution_minutes]
            for row in category.targets.order_by("priority")
        },
    }


def _write_targets(category: TicketCategory, targets: dict[str, tuple[int, int]]) -> None:
    for priority, (first, resolution) in targets.items():
        SlaTarget.objects.update_or_create(
            category=category,
            priority=priority,
            defaults={"first_response_minutes": first, "resolution_minutes": resolution},
        )


@transaction.atomic
def ticket_category_create(
    *, actor, name: Any = None, active: bool = True, business_hours: Any = None, targets: Any = None
) -> TicketCategory:
    """A category; priorities without a target given get the defaults, so every ticket has one."""
    _check_admin(actor)
    fields: dict[str, list[str]] = {}
    name = _name(fields, name, model=TicketCategory, exclude=None)
    hours_id = _hours(fields, business_hours)
    given = _targets(fields, targets if targets is not None else [])
    if fields:
        raise ApplicationError("invalid", next(iter(fields.values()))[0], fields=fields)
    category = TicketCategory.objects.create(name=name, active=bool(active), business_hours_id=hours_id)
    _write_targets(category, {**DEFAULT_TARGETS, **given})
    audit_record(
        action=AuditAction.TICKET_CATEGORY_CREATED, actor=actor, target=category, after=_category_state(category)
    )
    return category


@transaction.atomic
def ticket_category_update(*, category: TicketCategory, actor, **changes: Any) -> TicketCategory:
    """Change name, active, business_hours or targets (those given). Running tickets keep the due
    times they were given; new tickets get the new targets."""
    _check_admin(actor)
    unknown = set(changes) - {"name", "active", "business_hours", "targets"}
    if unknown:
        raise ApplicationError("invalid", _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    category = TicketCategory.objects.select_for_update().get(pk=category.pk)
    before = _category_state(category)
    fields: dict[str, list[str]] = {}
    if "name" in changes:
        category.name = _name(fields, changes["name"], model=TicketCategory, exclude=category.pk)
    if "business_hours" in changes:
        category.business_hours_id = _hours(fields, changes["business_hours"])
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            fields.setdefault("active", []).append(_("Give true or false."))
        else:
            category.active = changes["active"]
    targets = _targets(fields, changes["targets"]) if "targets" in changes else {}
    if fields:
        raise ApplicationError("invalid", next(iter(fields.values()))[0], fields=fields)
    category.save()
    _write_targets(category, targets)
    after = _category_state(category)
    if after != before:
        audit_record(
            action=AuditAction.TICKET_CATEGORY_CHANGED, actor=actor, target=category, before=before, after=after
        )
    return category


def _team(fields: dict[str, list[str]], value: Any) -> Team | None:
    if value in (None, ""):
        return None
    try:
        team = Team.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        team = None
    if team is None:
        fields.setdefault("team", []).append(_("No such team."))
    return team


@transaction.atomic
def department_create(*, actor, name: Any = None, team: Any = None, active: bool = True) -> Department:
    """A department whose people are ``team``'s (members work its tickets, supervisors hear first)."""
    _check_admin(actor)
    fields: dict[str, list[str]] = {}
    name = _name(fields, name, model=Department, exclude=None)
    team_row = _team(fields, team)
    if fields:
        raise ApplicationError("invalid", next(iter(fields.values()))[0], fields=fields)
    department = Department.objects.create(name=name, team=team_row, active=bool(active))
    audit_record(
        action=AuditAction.TICKET_DEPARTMENT_CREATED,
        actor=actor,
        target=department,
        after={"name": name, "team": department.team_id, "active": department.active},
    )
    return department


@transaction.atomic
def department_update(*, department: Department, actor, **changes: Any) -> Department:
    _check_admin(actor)
    unknown = set(changes) - {"name", "team", "active"}
    if unknown:
        raise ApplicationError("invalid", _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    department = Department.objects.select_for_update().get(pk=department.pk)
    before = {"name": department.name, "team": department.team_id, "active": department.active}
    fields: dict[str, list[str]] = {}
    if "name" in changes:
        department.name = _name(fields, changes["name"], model=Department, exclude=department.pk)
    if "team" in changes:
        department.team = _team(fields, changes["team"])
    if "active" in changes:
        department.active = bool(changes["active"])
    if fields:
        raise ApplicationError("invalid", next(iter(fields.values()))[0], fields=fields)
    department.save()
    after = {"name": department.name, "team": department.team_id, "active": department.active}
    if after != before:
        audit_record(
            action=AuditAction.TICKET_DEPARTMENT_CHANGED, actor=actor, target=department, before=before, after=after
        )
    return department


DEFAULT_CATEGORIES = (
    gettext_noop("Enquiry"),
    gettext_noop("Complaint"),
    gettext_noop("Repair"),
    gettext_noop("Suggestion"),
)


def seed_ticket_defaults(tenant) -> None:
    """A new company's ticket categories (咨询, 投诉, 报修, 建议) with the default targets, named in
    its language (settings.TENANT_SEEDERS; also safe to run again on an existing company: it adds
    only what is missing, and nothing once any category exists)."""
    if TicketCategory.objects.exists():
        return
    with translation.override(getattr(tenant, "default_language", "") or "zh-hans"):
        for name in DEFAULT_CATEGORIES:
            category = TicketCategory.objects.create(name=_(name))
            _write_targets(category, dict(DEFAULT_TARGETS))
