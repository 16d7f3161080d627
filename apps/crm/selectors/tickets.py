"""Reads about tickets: who sees which, who may do what to one, the list, its badges, the page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.core.errors import NotFoundError
from apps.crm.models import OPEN_STATUSES, Department, SlaTarget, Ticket, TicketCategory, TicketEvent
from apps.crm.roles import TICKET_ALL_READ_ROLES, TICKET_MANAGER_ROLES
from apps.crm.ticket_states import TicketAction, allowed

WORKER_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR, Role.AGENT)


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def department_ids_of(user) -> list[int]:
    """The departments whose team ``user`` is a member of."""
    if not _authenticated(user):
        return []
    return list(Department.objects.filter(team__members=user).values_list("pk", flat=True))


def tickets_visible_to(user) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    if not _authenticated(user):
        return tickets.none()
    if user.has_role(*TICKET_ALL_READ_ROLES):
        return tickets
    if user.has_role(Role.AGENT):
        condition = Q(assignee=user) | Q(created_by=user)
        departments = department_ids_of(user)
        if departments:
            condition |= Q(department_id__in=departments)
        return tickets.filter(condition)
    return tickets.none()


def access_ticket(*, user, pk: int, for_update: bool = False) -> Ticket:
    """The ticket ``pk`` if ``user`` may see it; otherwise 404 (never reveal that it exists)."""
    tickets = tickets_visible_to(user)
    if for_update:
        tickets = tickets.select_for_update(of=("self",))
    ticket = tickets.filter(pk=pk).first()
    if ticket is None:
        raise NotFoundError("not_found", _("No such ticket."))
    return ticket


def is_manager(user) -> bool:
    return _authenticated(user) and user.has_role(*TICKET_MANAGER_ROLES)


def works_on(user, ticket: Ticket) -> bool:
    """An agent works a ticket they hold, one with their department, or one they took in that
    nobody holds yet (resolving it on the call)."""
    if not _authenticated(user) or not user.has_role(Role.AGENT):
        return False
    if ticket.assignee_id == user.pk:
        return True
    if ticket.department_id is not None and ticket.department_id in department_ids_of(user):
        return True
    return ticket.created_by_id == user.pk and ticket.assignee_id is None and ticket.department_id is None


def may(user, action: TicketAction | str, ticket: Ticket) -> bool:
    """Whether the role and the ticket allow ``user`` this action (the status is checked apart)."""
    action = TicketAction(action)
    if not _authenticated(user):
        return False
    if is_manager(user):
        return True
    if action in (TicketAction.FOLLOW_UP, TicketAction.RESOLVE):
        return works_on(user, ticket)
    if action in (TicketAction.NOTE, TicketAction.VISIT):
        return user.has_role(Role.AGENT) and tickets_visible_to(user).filter(pk=ticket.pk).exists()
    return False


def actions_for(user, ticket: Ticket) -> list[str]:
    """The actions ``user`` may take on ``ticket`` now (role, ticket and status): the page's buttons."""
    return [action.value for action in TicketAction if allowed(action, ticket.status) and may(user, action, ticket)]


# --- the list --------------------------------------------------------------------------------------


def ticket_list(*, user) -> QuerySet[Ticket]:
    """Visible tickets, newest first, with what a list row shows."""
    return (
        tickets_visible_to(user)
        .select_related("category", "assignee", "department", "customer")
        .order_by("-received_at", "-id")
    )


def overdue_condition(now: dt.datetime) -> Q:
    return Q(status__in=OPEN_STATUSES) & (
        Q(first_response_at__isnull=True, first_response_due__lte=now) | Q(resolution_due__lte=now)
    )


def due_soon_condition(now: dt.datetime) -> Q:
    """Past the warning point (80 % of a target) and not due yet."""
    return Q(status__in=OPEN_STATUSES) & (
        Q(first_response_at__isnull=True, first_response_warn_at__lte=now, first_response_due__gt=now)
        | Q(resolution_warn_at__lte=now, resolution_due__gt=now)
    )


@dataclass(frozen=True)
class DueBadge:
    """What a list row or the ticket page says about a ticket's next due time."""

    clock: str  # "first_response" | "resolution" | ""
    due: dt.datetime | None
    state: str  # "overdue" | "soon" | "ok" | "" (nothing running)


def due_badge(ticket: Ticket, now: dt.datetime | None = None) -> DueBadge:
    now = now or timezone.now()
    if ticket.status not in OPEN_STATUSES:
        return DueBadge("", None, "")
    if ticket.first_response_at is None and ticket.first_response_due <= ticket.resolution_due:
        clock, due, warn = "first_response", ticket.first_response_due, ticket.first_response_warn_at
    else:
        clock, due, warn = "resolution", ticket.resolution_due, ticket.resolution_warn_at
    if due <= now:
        return DueBadge(clock, due, "overdue")
    return DueBadge(clock, due, "soon" if warn <= now else "ok")


# --- one ticket ------------------------------------------------------------------------------------


def ticket_timeline(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor").order_by("at", "id")


def ticket_detail(*, user, pk: int) -> Ticket:
    ticket = access_ticket(user=user, pk=pk)
    return (
        Ticket.objects.select_related("category", "assignee", "department__team", "customer", "created_by")
        .prefetch_related("calls", "attachments", "visits__visited_by")
        .get(pk=ticket.pk)
    )


def assignable_users() -> QuerySet[User]:
    """The people a ticket may be handed to: active agents, supervisors and administrators."""
    return User.objects.filter(is_active=True, roles__overlap=list(WORKER_ROLES)).order_by("name", "email")


# --- configuration ---------------------------------------------------------------------------------


def category_list(*, active_only: bool = False) -> QuerySet[TicketCategory]:
    categories = TicketCategory.objects.prefetch_related(
        Prefetch("targets", queryset=SlaTarget.objects.order_by("id"))
    ).order_by("name", "id")
    return categories.filter(active=True) if active_only else categories


def department_list(*, active_only: bool = False) -> QuerySet[Department]:
    departments = Department.objects.select_related("team").order_by("name", "id")
    return departments.filter(active=True) if active_only else departments


# --- who hears of a ticket----------------------------------------------------------------------------


def _active(users) -> list[User]:
    return [user for user in users if user.is_active]


def workers_of(ticket: Ticket) -> list[User]:
    """Who works the ticket: its assignee, else its department's team, else the supervisors."""
    if ticket.assignee_id is not None and ticket.assignee is not None:
        return _active([ticket.assignee])
    team = ticket.department.team if ticket.department_id and ticket.department else None
    if team is not None:
        members = _active(team.members.all())
        if members:
            return members
    return supervisors_of(ticket)


def supervisors_of(ticket: Ticket) -> list[User]:
    """Escalation level 1: the department's team supervisors; without any, the company's
    supervisors; without any, its administrators."""
    team = ticket.department.team if ticket.department_id and ticket.department else None
    if team is not None:
        people = _active(team.supervisors.all())
        if people:
            return people
    people = list(User.objects.filter(is_active=True, roles__contains=[Role.SUPERVISOR]).order_by("pk"))
    return people or administrators()


def administrators() -> list[User]:
    return list(User.objects.filter(is_active=True, roles__contains=[Role.TENANT_ADMIN]).order_by("pk"))
