"""Ticket SLA clocks: due times at receipt, and the sweep that warns, marks breaches, supervises
(督办) and escalates.

Due times are fixed when a ticket is received, from the category × priority target and the hours
in force then, and stored (with the targets used). They are computed again only when the ticket's
priority or category changes — never because the hours were edited later: what the customer was
promised at receipt stands, as in professional helpdesks (docs/tickets.md "Due times").

The sweep (apps/crm/tasks.py, every minute per tenant) looks only at open tickets through partial
indexes, and handles each ticket in its own short transaction under a row lock, re-checking the
condition, so running it twice (or two beats at once) warns and escalates once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.crm.choices import SlaClock, TicketEventKind, TicketPriority
from apps.crm.models import OPEN_STATUSES, SlaTarget, Ticket, TicketCategory, TicketEvent
from apps.crm.selectors.tickets import administrators, supervisors_of, workers_of
from apps.crm.services.ticket_history import supervise_locked
from apps.crm.services.ticket_notices import ticket_notify
from apps.crm.sla import BusinessClock, NoBusinessTime, parse_intervals
from apps.telephony.selectors.business_hours import opening_hours

logger = logging.getLogger(__name__)

WARN_FRACTION = 0.8  # warn when 80 % of a target's business minutes have passed
MAX_ESCALATION_LEVEL = 2  # 1: the department's supervisors, 2: the company's administrators
SWEEP_BATCH = 500  # tickets per condition per run; the next minute takes the rest

# Used for a priority a category has no target for (every category gets all four when created).
DEFAULT_TARGETS: dict[str, tuple[int, int]] = {
    TicketPriority.URGENT: (30, 240),
    TicketPriority.HIGH: (60, 540),
    TicketPriority.NORMAL: (240, 1620),
    TicketPriority.LOW: (480, 2700),
}


class SafeClock:
    """A business clock that counts calendar time when the hours are never open, rather than
    leaving a ticket without a due time."""

    def __init__(self, clock: BusinessClock) -> None:
        self.clock = clock
        self.fallback = BusinessClock.always_open(clock.zone)

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        try:
            return self.clock.add(start, minutes)
        except NoBusinessTime:
            logger.warning("ticket SLA: the hours are never open; counting calendar time")
            return self.fallback.add(start, minutes)

    def minutes_between(self, start: dt.datetime, end: dt.datetime) -> float:
        return self.clock.minutes_between(start, end)


def sla_clock(category: TicketCategory | None = None, *, hours_id: int | None = None) -> SafeClock:
    """The clock of a category: its own hours, else the company's first hours."""
    if category is not None:
        hours_id = category.business_hours_id
    hours = opening_hours(hours_id)
    return SafeClock(BusinessClock(hours.zone, lambda day: parse_intervals(hours.intervals(day))))


def sla_targets(category: TicketCategory, priority: str) -> tuple[int, int]:
    """(first response, resolution) business minutes of ``category`` × ``priority``."""
    row = (
        SlaTarget.objects.filter(category=category, priority=priority)
        .values_list("first_response_minutes", "resolution_minutes")
        .first()
    )
    return row or DEFAULT_TARGETS[priority]


@dataclass(frozen=True)
class DueTimes:
    first_response_minutes: int
    resolution_minutes: int
    first_response_due: dt.datetime
    first_response_warn_at: dt.datetime
    resolution_due: dt.datetime
    resolution_warn_at: dt.datetime

    def apply(self, ticket: Ticket) -> None:
        for name, value in self.__dict__.items():
            setattr(ticket, name, value)


def due_times(
    *, received_at: dt.datetime, category: TicketCategory, priority: str, clock: SafeClock | None = None
) -> DueTimes:
    clock = clock or sla_clock(category)
    first, resolution = sla_targets(category, priority)
    return DueTimes(
        first_response_minutes=first,
        resolution_minutes=resolution,
        first_response_due=clock.add(received_at, first),
        first_response_warn_at=clock.add(received_at, first * WARN_FRACTION),
        resolution_due=clock.add(received_at, resolution),
        resolution_warn_at=clock.add(received_at, resolution * WARN_FRACTION),
    )


def refresh_flags(ticket: Ticket, now: dt.datetime) -> None:
    """After new due times: a clock that stopped is judged on its stop time; a running one is
    warned already if its warning point has passed (no stale warning is sent), and missed only
    when the sweep finds it past due."""
    if ticket.first_response_at is not None:
        ticket.first_response_breached = ticket.first_response_at > ticket.first_response_due
    else:
        ticket.first_response_breached = False
        ticket.first_response_warned = ticket.first_response_warn_at <= now
    if ticket.resolved_at is not None:
        ticket.resolution_breached = ticket.resolved_at > ticket.resolution_due
    else:
        ticket.resolution_breached = False
        ticket.resolution_warned = ticket.resolution_warn_at <= now
    ticket.breached = ticket.first_response_breached or ticket.resolution_breached


# --- the sweep --------------------------------------------------------------------------------------

CLOCK_LABELS = {SlaClock.FIRST_RESPONSE: _("first response"), SlaClock.RESOLUTION: _("resolution")}


def _event(ticket: Ticket, kind: str, now: dt.datetime, **data) -> None:
    TicketEvent.objects.create(ticket=ticket, kind=kind, at=now, actor=None, data=data)


def _locked(pk: int, condition: Q) -> Ticket | None:
    return (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("assignee", "department__team", "category")
        .filter(condition, pk=pk)
        .first()
    )


def _warn_condition(clock: str, now: dt.datetime) -> Q:
    if clock == SlaClock.FIRST_RESPONSE:
        return Q(
            status__in=OPEN_STATUSES,
            first_response_at__isnull=True,
            first_response_breached=False,
            first_response_warned=False,
            first_response_warn_at__lte=now,
            first_response_due__gt=now,
        )
    return Q(
        status__in=OPEN_STATUSES,
        resolution_breached=False,
        resolution_warned=False,
        resolution_warn_at__lte=now,
        resolution_due__gt=now,
    )


def _breach_condition(clock: str, now: dt.datetime) -> Q:
    if clock == SlaClock.FIRST_RESPONSE:
        return Q(
            status__in=OPEN_STATUSES,
            first_response_at__isnull=True,
            first_response_breached=False,
            first_response_due__lte=now,
        )
    return Q(status__in=OPEN_STATUSES, resolution_breached=False, resolution_due__lte=now)


def _escalation_condition(now: dt.datetime) -> Q:
    return Q(status__in=OPEN_STATUSES, escalation_due__lte=now, escalation_level__lt=MAX_ESCALATION_LEVEL)


def _warn(ticket: Ticket, clock: str, now: dt.datetime) -> None:
    due = ticket.first_response_due if clock == SlaClock.FIRST_RESPONSE else ticket.resolution_due
    if clock == SlaClock.FIRST_RESPONSE:
        ticket.first_response_warned = True
    else:
        ticket.resolution_warned = True
    ticket.save(update_fields=["first_response_warned", "resolution_warned"])
    _event(ticket, TicketEventKind.WARNED, now, clock=clock, due=due.isoformat())
    ticket_notify(
        users=workers_of(ticket),
        kind="ticket.due_soon",
        ticket=ticket,
        title=_("Ticket %(number)s: %(clock)s due soon"),
        body=_("%(title)s is due at %(due)s."),
        params={"clock": CLOCK_LABELS[SlaClock(clock)], "due": due},
    )


def escalate(ticket: Ticket, now: dt.datetime, *, reason: str) -> None:
    """One level up (the row is locked by the caller): the department's supervisors, then the
    administrators; the next level is due one first-response target later if still open."""
    if ticket.escalation_level >= MAX_ESCALATION_LEVEL:
        return
    ticket.escalation_level += 1
    ticket.escalated_at = now
    recipients = supervisors_of(ticket) if ticket.escalation_level == 1 else administrators()
    ticket.escalation_due = (
        sla_clock(ticket.category).add(now, ticket.first_response_minutes)
        if ticket.escalation_level < MAX_ESCALATION_LEVEL
        else None
    )
    ticket.save(update_fields=["escalation_level", "escalated_at", "escalation_due"])
    _event(
        ticket,
        TicketEventKind.ESCALATED,
        now,
        level=ticket.escalation_level,
        reason=reason,
        to=[user.pk for user in recipients],
        names=[user.get_full_name() for user in recipients],
    )
    audit_record(
        action=AuditAction.TICKET_ESCALATED,
        actor=None,
        target=ticket,
        after={"escalation_level": ticket.escalation_level, "to": [user.email for user in recipients]},
        extra={"reason": reason},
    )
    ticket_notify(
        users=recipients,
        kind="ticket.escalated",
        ticket=ticket,
        title=_("Ticket %(number)s escalated to you"),
        body=_("%(title)s has missed its target and needs your attention (escalation level %(level)s)."),
        params={"level": ticket.escalation_level},
    )


def _breach(ticket: Ticket, clock: str, now: dt.datetime) -> None:
    due = ticket.first_response_due if clock == SlaClock.FIRST_RESPONSE else ticket.resolution_due
    if clock == SlaClock.FIRST_RESPONSE:
        ticket.first_response_breached = True
    else:
        ticket.resolution_breached = True
    ticket.breached = True
    ticket.save(update_fields=["first_response_breached", "resolution_breached", "breached"])
    _event(ticket, TicketEventKind.BREACHED, now, clock=clock, due=due.isoformat())
    audit_record(action=AuditAction.TICKET_BREACHED, actor=None, target=ticket, extra={"clock": clock})
    ticket_notify(
        users=workers_of(ticket),
        kind="ticket.breached",
        ticket=ticket,
        title=_("Ticket %(number)s missed its %(clock)s target"),
        body=_("%(title)s was due at %(due)s."),
        params={"clock": CLOCK_LABELS[SlaClock(clock)], "due": due},
    )
    supervise_locked(ticket, actor=None, now=now, note="", automatic=True)
    escalate(ticket, now, reason=clock)


def tickets_sla_sweep(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Warn, breach and escalate what is due in this tenant. Returns counts per step."""
    now = now or timezone.now()
    done = {"warned": 0, "breached": 0, "escalated": 0}
    steps = [
        ("warned", _warn_condition(SlaClock.FIRST_RESPONSE, now), lambda t: _warn(t, SlaClock.FIRST_RESPONSE, now)),
        ("warned", _warn_condition(SlaClock.RESOLUTION, now), lambda t: _warn(t, SlaClock.RESOLUTION, now)),
        (
            "breached",
            _breach_condition(SlaClock.FIRST_RESPONSE, now),
            lambda t: _breach(t, SlaClock.FIRST_RESPONSE, now),
        ),
        ("breached", _breach_condition(SlaClock.RESOLUTION, now), lambda t: _breach(t, SlaClock.RESOLUTION, now)),
        ("escalated", _escalation_condition(now), lambda t: escalate(t, now, reason="unresolved")),
    ]
    for name, condition, handle in steps:
        ids = list(Ticket.objects.filter(condition).order_by("pk").values_list("pk", flat=True)[:batch])
        for pk in ids:
            with transaction.atomic():
                ticket = _locked(pk, condition)
                if ticket is None:  # changed meanwhile, or another sweep holds it
                    continue
                handle(ticket)
                done[name] += 1
    return done
