"""What every ticket change writes besides the row: its TicketEvent and the audit entry, and the
supervision step (督办) shared by people (services/tickets.py) and the SLA sweep (ticket_sla.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.domain_events import domain_event
from apps.crm.choices import TicketEventKind
from apps.crm.models import Ticket, TicketEvent
from apps.crm.selectors.tickets import workers_of
from apps.crm.services.ticket_notices import ticket_notify
from apps.crm.ticket_states import TicketAction, target


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """The fields a manager asks "who changed that" about, for the audit log's before/after."""
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category_id,
        "assignee": ticket.assignee_id,
        "department": ticket.department_id,
        "title": ticket.title,
    }


def record(
    ticket: Ticket,
    *,
    kind: str,
    actor,
    now: dt.datetime,
    audit: str | None,
    before: dict[str, Any] | None = None,
    from_status: str | None = None,
    **data: Any,
) -> TicketEvent:
    """The history line (always) and the audit entry (when ``audit`` names an action). A
    transition gives ``from_status`` ("" for the first one); the ticket's status is where it went."""
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        at=now,
        actor=actor,
        from_status=from_status or "",
        to_status=ticket.status if from_status is not None else "",
        data=data,
    )
    if audit:
        audit_record(action=audit, actor=actor, target=ticket, before=before, after=snapshot(ticket), extra=data)
    domain_event("ticket.changed", ticket, change=kind)
    return event


def supervise_locked(ticket: Ticket, *, actor, now: dt.datetime, note: str, automatic: bool) -> None:
    """Supervise (督办) a locked, open ticket: it shows as supervised until the next follow-up,
    its count goes up, and whoever works it is told."""
    before = snapshot(ticket)
    previous = ticket.status
    ticket.status = target(TicketAction.SUPERVISE, previous)
    ticket.supervision_count += 1
    ticket.supervised_at = now
    ticket.updated_at = now
    ticket.save(update_fields=["status", "supervision_count", "supervised_at", "updated_at"])
    record(
        ticket,
        kind=TicketEventKind.SUPERVISED,
        actor=actor,
        now=now,
        audit=AuditAction.TICKET_SUPERVISED,
        before=before,
        from_status=previous,
        automatic=automatic,
        note=note,
        count=ticket.supervision_count,
    )
    ticket_notify(
        users=workers_of(ticket),
        kind="ticket.supervised",
        ticket=ticket,
        title=_("Ticket %(number)s is being supervised"),
        body=_("%(title)s: please act on it now.") if not note else _("%(title)s: %(note)s"),
        params={"note": note},
    )
