"""Writing tickets: receive (受理), assign (交办), supervise (督办), follow up (跟进), resolve (办结),
callback visit (回访) and close (结案), reopen; notes, files and changes.

Every function locks the ticket row, checks the actor's right (403 ``forbidden``) and then the
status (400 ``invalid_state``, from the one table in apps/crm/ticket_states.py), and writes a
TicketEvent and an audit entry with the change. ``actor=None`` is the system.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.audit.choices import AuditAction
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.crm.choices import NoteKind, TicketEventKind, TicketPriority, TicketStatus, VisitAttitude
from apps.crm.models import Customer, Department, Ticket, TicketAttachment, TicketCategory, TicketNote, TicketVisit
from apps.crm.roles import TICKET_CREATE_ROLES
from apps.crm.selectors.customers import customer_by_phone
from apps.crm.selectors.tickets import assignable_users, may
from apps.crm.services.ticket_history import record, snapshot, supervise_locked
from apps.crm.services.ticket_notices import ticket_notify
from apps.crm.services.ticket_sla import due_times, refresh_flags, sla_clock
from apps.crm.ticket_states import TicketAction, allowed, target
from apps.telephony.models import Call
from apps.telephony.selectors.calls import calls_visible_to

TITLE_MAX = 200
TEXT_MAX = 20_000
SUGGESTION_MAX = 2000
FUTURE_SLACK = dt.timedelta(minutes=5)  # clocks of other systems run a little ahead
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_TICKET = 20
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
}

STATE_MESSAGES = {
    TicketAction.ASSIGN: gettext_lazy("Only an open ticket can be assigned."),
    TicketAction.SUPERVISE: gettext_lazy("Only an open ticket can be supervised."),
    TicketAction.FOLLOW_UP: gettext_lazy("Only an open ticket can be followed up."),
    TicketAction.RESOLVE: gettext_lazy("Only an open ticket can be resolved."),
    TicketAction.VISIT: gettext_lazy("Only a resolved ticket can be visited."),
    TicketAction.CLOSE: gettext_lazy("Only a resolved or visited ticket can be closed."),
    TicketAction.REOPEN: gettext_lazy("Only a resolved, visited or closed ticket can be reopened."),
    TicketAction.CHANGE: gettext_lazy("Only an open ticket can be changed."),
    TicketAction.NOTE: gettext_lazy("This ticket takes no notes."),
}


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ApplicationError("invalid", first, fields=self.fields)


def _text(errors: _Errors, name: str, value: Any, *, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(name, _("Give text."))
        return ""
    value = value.strip()
    if required and not value:
        errors.add(name, _("This field is required."))
    elif len(value) > limit:
        errors.add(name, _("At most %(n)d characters.") % {"n": limit})
    return value


def _id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, bool):
        return -1
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _lock(ticket: Ticket) -> Ticket:
    """The ticket again, locked for this transaction (its status may have moved meanwhile)."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("category", "assignee", "department")
        .get(pk=ticket.pk)
    )


def _check(actor, action: TicketAction, ticket: Ticket) -> None:
    if actor is not None and not may(actor, action, ticket):
        raise PermissionDeniedError("forbidden", _("You may not do this to this ticket."))
    if not allowed(action, ticket.status):
        raise ApplicationError(
            "invalid_state",
            STATE_MESSAGES[action],
            fields={"status": [_("The ticket is %(status)s.") % {"status": ticket.get_status_display()}]},
        )


def _category(errors: _Errors, value: Any, *, current: TicketCategory | None = None) -> TicketCategory | None:
    pk = _id(value)
    if pk is None:
        errors.add("category", _("This field is required."))
        return None
    category = TicketCategory.objects.filter(pk=pk).first()
    if category is None or (not category.active and category != current):
        errors.add("category", _("No such active category."))
        return None
    return category


def _priority(errors: _Errors, value: Any) -> str:
    if value in (None, ""):
        return TicketPriority.NORMAL
    if value not in TicketPriority.values:
        errors.add("priority", _("Choose one of: %(choices)s.") % {"choices": ", ".join(TicketPriority.values)})
        return TicketPriority.NORMAL
    return str(value)


def _next_number(year: int) -> str:
    """T-<year>-<six digits>, counted per year in this tenant; one statement, safe under concurrency."""
    table = connection.ops.quote_name("crm_ticketcounter")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last) VALUES (%s, 1) "  # noqa: S608 -- a constant table name
            f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [year],
        )
        (last,) = cursor.fetchone()
    return f"T-{year}-{last:06d}"


# --- receive ----------------------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    actor,
    title: Any,
    category: Any,
    description: Any = "",
    priority: Any = TicketPriority.NORMAL,
    customer: Any = None,
    call: Any = None,
    received_at: dt.datetime | None = None,
) -> Ticket:
    """Receive a ticket (受理). ``call`` is a call ID (uid) the actor may see; without ``customer``
    the call's customer (or the one its caller number belongs to) is taken. ``received_at``
    (default now) is for tickets imported from another system: the due times count from it."""
    if actor is not None and not actor.has_role(*TICKET_CREATE_ROLES):
        raise PermissionDeniedError("forbidden", _("You may not create tickets."))
    now = timezone.now()
    errors = _Errors()
    title = _text(errors, "title", title, limit=TITLE_MAX, required=True)
    description = _text(errors, "description", description, limit=TEXT_MAX)
    category_row = _category(errors, category)
    priority = _priority(errors, priority)
    customer_row = None
    customer_id = _id(customer)
    if customer_id is not None:
        customer_row = Customer.objects.filter(pk=customer_id).first()
        if customer_row is None:
            errors.add("customer", _("No such customer."))
    call_row = None
    if call not in (None, ""):
        calls = calls_visible_to(actor) if actor is not None else Call.objects.all()
        call_row = calls.filter(uid=str(call)).first()
        if call_row is None:
            errors.add("call", _("No such call."))
    if received_at is None:
        received_at = now
    elif not isinstance(received_at, dt.datetime) or received_at.tzinfo is None:
        errors.add("received_at", _("Give a date and time with its time zone."))
    elif received_at > now + FUTURE_SLACK:
        errors.add("received_at", _("A ticket cannot be received in the future."))
    errors.raise_if_any()
    assert category_row is not None  # noqa: S101 -- raise_if_any refused a missing one
    if customer_row is None and call_row is not None:
        customer_row = call_row.customer or customer_by_phone(call_row.caller)
    clock = sla_clock(category_row)
    ticket = Ticket(
        number=_next_number(received_at.astimezone(clock.clock.zone).year),
        title=title,
        description=description,
        customer=customer_row,
        category=category_row,
        priority=priority,
        status=TicketStatus.RECEIVED,
        created_by=actor,
        received_at=received_at,
        created_at=now,
        updated_at=now,
    )
    due_times(received_at=received_at, category=category_row, priority=priority, clock=clock).apply(ticket)
    refresh_flags(ticket, now)  # an imported ticket already past its warning point is not warned again
    ticket.save()
    if call_row is not None:
        ticket.calls.add(call_row)
    record(
        ticket,
        kind=TicketEventKind.CREATED,
        actor=actor,
        now=now,
        audit=AuditAction.TICKET_CREATED,
        from_status="",
        call=call_row.uid if call_row else None,
    )
    return ticket


# --- assign, supervise ------------------------------------------------------------------------------


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor, assignee: Any = None, department: Any = None, note: Any = "") -> Ticket:
    """Hand the ticket to a department and/or a person (交办); again to hand it on."""
    ticket = _lock(ticket)
    _check(actor, TicketAction.ASSIGN, ticket)
    errors = _Errors()
    note = _text(errors, "note", note, limit=TEXT_MAX)
    user = department_row = None
    user_id, department_id = _id(assignee), _id(department)
    if user_id is None and department_id is None:
        errors.add("assignee", _("Choose a person or a department."))
    if user_id is not None:
        user = assignable_users().filter(pk=user_id).first()
        if user is None:
            errors.add("assignee", _("No such agent, supervisor or administrator."))
    if department_id is not None:
        department_row = Department.objects.filter(pk=department_id, active=True).first()
        if department_row is None:
            errors.add("department", _("No such active department."))
    errors.raise_if_any()
    now = timezone.now()
    before, previous = snapshot(ticket), ticket.status
    if department_row is not None:
        ticket.department = department_row
    ticket.assignee = user  # a department alone: its team picks it up
    ticket.status = target(TicketAction.ASSIGN, previous)
    ticket.updated_at = now
    ticket.save(update_fields=["assignee", "department", "status", "updated_at"])
    record(
        ticket,
        kind=TicketEventKind.ASSIGNED,
        actor=actor,
        now=now,
        audit=AuditAction.TICKET_ASSIGNED,
        before=before,
        from_status=previous,
        assignee=user.pk if user else None,
        assignee_name=user.get_full_name() if user else "",
        department=ticket.department_id,
        department_name=ticket.department.name if ticket.department else "",
        note=note,
    )
    if user is not None and user != actor:
        ticket_notify(
            users=[user],
            kind="ticket.assigned",
            ticket=ticket,
            title=gettext_lazy("Ticket %(number)s assigned to you"),
            body=gettext_lazy("%(title)s"),
            email=False,
        )
    return ticket


@transaction.atomic
def ticket_supervise(*, ticket: Ticket, actor, note: Any = "") -> Ticket:
    """Press a late or important ticket (督办) by hand; the SLA sweep does it on a breach."""
    ticket = _lock(ticket)
    _check(actor, TicketAction.SUPERVISE, ticket)
    errors = _Errors()
    note = _text(errors, "note", note, limit=TEXT_MAX)
    errors.raise_if_any()
    supervise_locked(ticket, actor=actor, now=timezone.now(), note=note, automatic=False)
    return ticket


# --- work ---------------------------------------------------------------------------------------------


def _first_response(ticket: Ticket, now: dt.datetime) -> list[str]:
    if ticket.first_response_at is not None:
        return []
    ticket.first_response_at = now
    if now > ticket.first_response_due:
        ticket.first_response_breached = ticket.breached = True
    return ["first_response_at", "first_response_breached", "breached"]


def _take(ticket: Ticket, actor) -> list[str]:
    """Whoever works a ticket nobody holds takes it."""
    if ticket.assignee_id is None and actor is not None:
        ticket.assignee = actor
        return ["assignee"]
    return []


@transaction.atomic
def ticket_follow_up(*, ticket: Ticket, actor, body: Any, public: bool = False) -> TicketNote:
    """Record work done (跟进): an internal note or, with ``public``, a reply the customer is told.
    The first follow-up is the first response; the ticket is in progress afterwards."""
    ticket = _lock(ticket)
    _check(actor, TicketAction.FOLLOW_UP, ticket)
    errors = _Errors()
    body = _text(errors, "body", body, limit=TEXT_MAX, required=True)
    if not isinstance(public, bool):
        errors.add("public", _("Give true or false."))
    errors.raise_if_any()
    now = timezone.now()
    before, previous = snapshot(ticket), ticket.status
    fields = ["status", "updated_at", *_first_response(ticket, now), *_take(ticket, actor)]
    ticket.status = target(TicketAction.FOLLOW_UP, previous)
    ticket.updated_at = now
    ticket.save(update_fields=fields)
    note = TicketNote.objects.create(
        ticket=ticket,
        kind=NoteKind.REPLY if public else NoteKind.NOTE,
        is_follow_up=True,
        body=body,
        author=actor,
        created_at=now,
    )
    record(
        ticket,
        kind=TicketEventKind.FOLLOW_UP,
        actor=actor,
        now=now,
        audit=AuditAction.TICKET_FOLLOWED_UP,
        before=before,
        from_status=previous,
        note=note.pk,
        public=public,
    )
    return note


@transaction.atomic
def ticket_note(*, ticket: Ticket, actor, body: Any) -> TicketNote:
    """An internal note: no transition, no response; allowed on closed tickets too."""
    ticket = _lock(ticket)
    _check(actor, TicketAction.NOTE, ticket)
    errors = _Errors()
    body = _text(errors, "body", body, limit=TEXT_MAX, required=True)
    errors.raise_if_any()
    now = timezone.now()
    note = TicketNote.objects.create(ticket=ticket, kind=NoteKind.NOTE, body=body, author=actor, created_at=now)
    record(ticket, kind=TicketEventKind.NOTE, actor=actor, now=now, audit=AuditAction.TICKET_NOTE_ADDED, note=note.pk)
    return note


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, actor, resolution: Any = "") -> Ticket:
    """The work is done (办结); resolving answers the customer too when nobody had yet."""
    ticket = _lock(ticket)
    _check(actor, TicketAction.RESOLVE, ticket)
    errors = _Errors()
    resolution = _text(errors, "resolution", resolution, limit=TEXT_MAX)
    errors.raise_if_any()
    now = timezone.now()
    before, previous = snapshot(ticket), ticket.status
    fields = ["status", "resolved_at", "resolution", "resolution_breached", "breached", "escalation_due", "updated_at"]
    fields += [*_first_response(ticket, now), *_take(ticket, actor)]
    ticket.status = target(TicketAction.RESOLVE, previous)
    ticket.resolved_at = now
    ticket.resolution = resolution
    if now > ticket.resolution_due:
        ticket.resolution_breached = ticket.breached = True
    ticket.escalation_due = None
    ticket.updated_at = now
    ticket.save(update_fields=list(dict.fromkeys(fields)))
    record(
        ticket,
        kind=TicketEventKind.RESOLVED,
        actor=actor,
        now=now,
        audit=AuditAction.TICKET_RESOLVED,
        before=before,
        from_status=previous,
        resolution=resolution,
        on_time=not ticket.resolution_breached,
    )
    return ticket


# --- visit, close, reopen ---------------------------------------------------------------------------


def _visit_answers(
    errors: _Errors, *, solved: Any, attitude: Any, charged: Any, score: Any, suggestion: Any
) -> dict[str, Any]:
    if not isinstance(solved, bool):
        errors.add("solved", _("Give true or false."))
    if not isinstance(charged, bool):
        errors.add("charged", _("Give true or false."))
    if attitude not in VisitAttitude.values:
        errors.add("attitude", _("Choose one of: %(choices)s.") % {"choices": ", ".join(VisitAttitude.values)})
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 10:
        errors.add("score", _("Give a whole number from 1 to 10."))
    suggestion = _text(errors, "suggestion", suggestion, limit=SUGGESTION_MAX)
    return {"solved": solved, "attitude": attitude, "charged": charged, "score": score, "suggestion": suggestion}


@transaction.atomic
def ticket_visit(
    *, ticket: Ticket, actor, solved: Any, attitude: Any, charged: Any, score: Any, suggestion: Any = ""
) -> TicketVisit:
    """The callback visit (回访): the customer's five answers; the ticket is closed with them."""
    ticket = _lock(ticket)
    _check(actor, TicketAction.VISIT, ticket)
    errors = _Errors()
    answers = _visit_answers(
        errors, solved=solved, attitude=attitude, charged=charged, score=score, suggestion=suggestion
    )
    errors.raise_if_any()
    now = timezone.now()
    before, previous = snapshot(ticket), ticket.status
    visit = TicketVisit.objects.create(ticket=ticket, visited_by=actor, visited_at=now, **answers)
    ticket.status = TicketStatus.VISITED
    record(
        ticket,
        kind=TicketEventKind.VISITED,
        actor=actor,
        now=now,
        audit=AuditAction.TICKET_VISITED,
        before=before,
        from_status=previous,
        visit=visit.pk,
        **answers,
    )
    ticket.status = target(TicketAction.VISIT, previous)
    ticket.closed_at = now
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    record(ticket, kind=TicketEventKind.CLOSED, actor=actor, now=now, audit=None, from_status=TicketStatus.VISITED)
    return visit


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor, reason: Any = "") -> Ticket:
    """Close a resolved ticket without a visit (the customer could not be reached, or asked none)."""
    ticket = _lock(ticket)
    _check(actor, TicketAction.CLOSE, ticket)
    errors = _Errors()
    reason = _text(errors, "reason", reason, limit=TEXT_MAX)
    errors.raise_if_any()
    now = timezone.now()
    before, previous = snapshot(ticket), ticket.status
    ticket.status = target(TicketAction.CLOSE, previous)
    ticket.closed_at = now
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    record(
        ticket,
        kind=TicketEventKind.CLOSED,
        actor=actor,
        now=now,
        audit=AuditAction.TICKET_CLOSED,
        before=before,
        from_status=previous,
        reason=reason,
    )
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor, reason: Any = "") -> Ticket:
    """Back to work: the due times stay those set at receipt (a reopened ticket was not done)."""
    ticket = _lock(ticket)
    _check(actor, TicketAction.REOPEN, ticket)
    errors = _Errors()
    reason = _text(errors, "reason", reason, limit=TEXT_MAX)
    errors.raise_if_any()
    now = timezone.now()
    before, previous = snapshot(ticket), ticket.status
    ticket.status = target(TicketAction.REOPEN, previous)
    ticket.resolved_at = None
    ticket.closed_at = None
    ticket.reopen_count += 1
    ticket.updated_at = now
    ticket.save(update_fields=["status", "resolved_at", "closed_at", "reopen_count", "updated_at"])
    record(
        ticket,
        kind=TicketEventKind.REOPENED,
        actor=actor,
        now=now,
        audit=AuditAction.TICKET_REOPENED,
        before=before,
        from_status=previous,
        reason=reason,
    )
    if ticket.assignee is not None and ticket.assignee != actor:
        ticket_notify(
            users=[ticket.assignee],
            kind="ticket.reopened",
            ticket=ticket,
            title=gettext_lazy("Ticket %(number)s was reopened"),
            body=gettext_lazy("%(title)s: %(reason)s"),
            params={"reason": reason or "—"},
            email=False,
        )
    return ticket


# --- change, files ----------------------------------------------------------------------------------


@transaction.atomic
def ticket_change(*, ticket: Ticket, actor, **fields: Any) -> Ticket:
    """Change title, description, priority or category. A new priority or category gives new due
    times, counted from receipt with the hours in force now (docs/tickets.md "Due times")."""
    unknown = set(fields) - {"title", "description", "priority", "category"}
    if unknown:
        raise ApplicationError("invalid", _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    ticket = _lock(ticket)
    _check(actor, TicketAction.CHANGE, ticket)
    errors = _Errors()
    changes: dict[str, Any] = {}
    if "title" in fields:
        changes["title"] = _text(errors, "title", fields["title"], limit=TITLE_MAX, required=True)
    if "description" in fields:
        changes["description"] = _text(errors, "description", fields["description"], limit=TEXT_MAX)
    if "priority" in fields:
        changes["priority"] = _priority(errors, fields["priority"] or "")
    if "category" in fields:
        changes["category"] = _category(errors, fields["category"], current=ticket.category)
    errors.raise_if_any()
    changes = {name: value for name, value in changes.items() if getattr(ticket, name) != value}
    if not changes:
        return ticket
    now = timezone.now()
    before = snapshot(ticket)
    for name, value in changes.items():
        setattr(ticket, name, value)
    if "priority" in changes or "category" in changes:
        due_times(received_at=ticket.received_at, category=ticket.category, priority=ticket.priority).apply(ticket)
        refresh_flags(ticket, now)
    ticket.updated_at = now
    ticket.save()
    record(
        ticket,
        kind=TicketEventKind.CHANGED,
        actor=actor,
        now=now,
        audit=AuditAction.TICKET_CHANGED,
        before=before,
        fields=sorted(changes),
        first_response_due=ticket.first_response_due.isoformat(),
        resolution_due=ticket.resolution_due.isoformat(),
    )
    return ticket


def _file_type(name: str) -> str | None:
    return ATTACHMENT_TYPES.get(os.path.splitext(name)[1].lower())


@transaction.atomic
def ticket_attach(*, ticket: Ticket, actor, file: UploadedFile) -> TicketAttachment:
    """Attach a file (at most 10 MB, of the listed types, 20 per ticket), stored under the tenant's
    prefix with a random name; its own name is kept for the download."""
    ticket = _lock(ticket)
    _check(actor, TicketAction.NOTE, ticket)
    name = os.path.basename(str(getattr(file, "name", "") or "")).strip()[:200]
    content_type = _file_type(name)
    if not name or content_type is None:
        allowed_types = ", ".join(sorted(ATTACHMENT_TYPES))
        raise ApplicationError(
            "invalid",
            _("This type of file is not accepted."),
            fields={"file": [_("Accepted: %(t)s") % {"t": allowed_types}]},
        )
    if file.size is None or file.size > ATTACHMENT_MAX_BYTES:
        message = _("A file may have at most %(mb)d MB.") % {"mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        raise ApplicationError("too_large", message, fields={"file": [message]})
    if ticket.attachments.count() >= ATTACHMENTS_PER_TICKET:
        message = _("A ticket holds at most %(n)d files.") % {"n": ATTACHMENTS_PER_TICKET}
        raise ApplicationError("invalid", message, fields={"file": [message]})
    now = timezone.now()
    attachment = TicketAttachment(
        ticket=ticket, name=name, size_bytes=file.size, content_type=content_type, uploaded_by=actor, created_at=now
    )
    attachment.file.save(f"{uuid.uuid4().hex}{os.path.splitext(name)[1].lower()}", file, save=False)
    attachment.save()
    record(
        ticket,
        kind=TicketEventKind.ATTACHMENT,
        actor=actor,
        now=now,
        audit=AuditAction.TICKET_ATTACHMENT_ADDED,
        attachment=attachment.pk,
        name=name,
        size=file.size,
    )
    return attachment
