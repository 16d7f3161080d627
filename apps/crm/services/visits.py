"""Callback visits (回访) as outbound campaign tasks.

From a resolved ticket (its 回访 step) or from a survey response, a manager — or an agent who may
visit the ticket — hands the visit to a callback-visit or survey campaign: the customer's number
becomes a contact of that campaign through telephony's own service (do-not-call, E.164 and the
one-contact-per-number rule are the campaign's), so the dialer calls the customer back. The
:class:`VisitTask` keeps the contact; :func:`visit_tasks_sync` (every minute, with the survey sync)
reads the dialer's outcome back through a telephony selector and writes it on the ticket's history,
telling whoever works the ticket, who then records the five answers (apps/crm/services/tickets.py
``ticket_visit``) — the outcome of a call is the agent's disposition, not the customer's answers.

Errors: 400 ``invalid`` (fields), ``invalid_state`` (the ticket is not waiting for its visit),
``visit_pending`` (one is already waiting for the dialer), ``no_phone``, ``do_not_call``,
``campaign_finished``; 403 ``forbidden``.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.crm.choices import TicketEventKind, TicketStatus
from apps.crm.models import SurveyResponse, Ticket, VisitTask
from apps.crm.selectors.surveys import may_manage_surveys
from apps.crm.selectors.tickets import may, workers_of
from apps.crm.services.ticket_history import record
from apps.crm.services.ticket_notices import ticket_notify
from apps.crm.surveys.choices import VisitTaskStatus
from apps.crm.ticket_states import TicketAction
from apps.telephony.choices import CallDirection
from apps.telephony.models import Campaign, Disposition
from apps.telephony.selectors.campaigns.outcomes import contact_outcomes, visit_campaigns
from apps.telephony.services.campaigns.contacts import campaign_contact_add

SYNC_BATCH = 1000


def _campaign(value: Any) -> Campaign:
    try:
        campaign_id = int(value)
    except (TypeError, ValueError):
        campaign_id = 0
    campaign = next((c for c in visit_campaigns() if c.pk == campaign_id), None)
    if campaign is None:
        message = _("Choose a callback-visit or survey campaign that has not finished.")
        raise ApplicationError("invalid", message, fields={"campaign": [message]})
    return campaign


def ticket_phone(ticket: Ticket) -> str:
    """The number to call back: the customer's number on the ticket's latest call, else the
    customer's first number ("" when there is none)."""
    for call in ticket.calls.order_by("-arrived_at").only("direction", "caller", "callee"):
        number = call.callee if call.direction == CallDirection.OUTBOUND else call.caller
        if number:
            return number
    phones = getattr(ticket.customer, "phones", None) if ticket.customer_id else None
    return str(phones[0]) if phones else ""


def _create(*, actor, campaign: Campaign, phone: str, name: str, external_id: str, data: dict, **subject) -> VisitTask:
    if not phone:
        raise ApplicationError("no_phone", _("There is no number to call back."))
    contact = campaign_contact_add(campaign=campaign, phone=phone, name=name, external_id=external_id, data=data)
    try:
        with transaction.atomic():
            task = VisitTask.objects.create(
                campaign=campaign, contact=contact, phone=contact.phone, created_by=actor, **subject
            )
    except IntegrityError as error:
        raise ApplicationError("visit_pending", _("A callback visit is already waiting for the dialer.")) from error
    audit_record(
        action=AuditAction.VISIT_TASK_CREATED,
        actor=actor,
        target=task,
        after={"campaign": campaign.pk, "contact": contact.pk, "phone": contact.phone, **external_ids(subject)},
    )
    return task


def external_ids(subject: dict) -> dict[str, int]:
    return {key: value.pk for key, value in subject.items() if value is not None}


@transaction.atomic
def visit_task_for_ticket(*, ticket: Ticket, actor, campaign: Any) -> VisitTask:
    """Send the resolved ticket's callback visit to ``campaign``."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not may(actor, TicketAction.VISIT, ticket):
        raise PermissionDeniedError("forbidden", _("You may not visit this ticket."))
    chosen = _campaign(campaign)
    if ticket.status != TicketStatus.RESOLVED:
        raise ApplicationError("invalid_state", _("Only a resolved ticket waits for its callback visit."))
    if VisitTask.objects.filter(ticket=ticket, status=VisitTaskStatus.OPEN).exists():
        raise ApplicationError("visit_pending", _("A callback visit is already waiting for the dialer."))
    name = ticket.customer.name if ticket.customer_id and ticket.customer else ""
    task = _create(
        actor=actor,
        campaign=chosen,
        phone=ticket_phone(ticket),
        name=name,
        external_id=ticket.number,
        data={"ticket": ticket.number, "title": ticket.title},
        ticket=ticket,
    )
    record(
        ticket,
        kind=TicketEventKind.NOTE,
        actor=actor,
        now=task.created_at,
        audit=None,
        visit_task=task.pk,
        visit_campaign=chosen.name,
        phone=task.phone,
    )
    return task


@transaction.atomic
def visit_task_for_response(*, response: SurveyResponse, actor, campaign: Any) -> VisitTask:
    """Call back the customer who gave ``response`` (a manager)."""
    if not may_manage_surveys(actor):
        raise PermissionDeniedError("forbidden", _("Only supervisors and administrators send callback visits."))
    response = SurveyResponse.objects.select_for_update().get(pk=response.pk)
    chosen = _campaign(campaign)
    if VisitTask.objects.filter(survey_response=response, status=VisitTaskStatus.OPEN).exists():
        raise ApplicationError("visit_pending", _("A callback visit is already waiting for the dialer."))
    return _create(
        actor=actor,
        campaign=chosen,
        phone=response.caller,
        name="",
        external_id=f"survey-{response.pk}",
        data={"survey_score": str(response.score)},
        survey_response=response,
        ticket=response.ticket,
    )


def visit_tasks_sync() -> int:
    """Read the dialer's outcome of the waiting visit tasks; finish those the dialer is done with
    and tell the ticket's workers. Returns the number finished."""
    finished = 0
    with transaction.atomic():
        tasks = list(
            VisitTask.objects.select_for_update(skip_locked=True)
            .filter(status=VisitTaskStatus.OPEN)
            .order_by("id")[:SYNC_BATCH]
        )
        outcomes = contact_outcomes([task.contact_id for task in tasks if task.contact_id])
        now = timezone.now()
        for task in tasks:
            outcome = outcomes.get(task.contact_id) if task.contact_id else None
            changed = []
            if outcome is not None:
                for field, value in (
                    ("attempts", outcome.attempts),
                    ("last_outcome", outcome.last_outcome),
                    ("disposition_id", outcome.disposition_id),
                    ("call_id", outcome.call_id),
                ):
                    if getattr(task, field) != value:
                        setattr(task, field, value)
                        changed.append(field)
            if outcome is None or outcome.finished:
                reached = outcome is not None and (outcome.call_id is not None or outcome.disposition_id is not None)
                task.status = VisitTaskStatus.DONE if reached else VisitTaskStatus.FAILED
                task.finished_at = now
                changed += ["status", "finished_at"]
                finished += 1
                _tell_ticket(task)
            if changed:
                task.save(update_fields=sorted({name.removesuffix("_id") for name in changed}))
    return finished


def _tell_ticket(task: VisitTask) -> None:
    """The outcome on the ticket's history, and a word to whoever works it."""
    if task.ticket_id is None:
        return
    ticket = Ticket.objects.select_related("assignee", "department__team", "category").get(pk=task.ticket_id)
    disposition = (
        Disposition.objects.filter(pk=task.disposition_id).values_list("name", flat=True).first()
        if task.disposition_id
        else None
    )
    reached = task.status == VisitTaskStatus.DONE
    record(
        ticket,
        kind=TicketEventKind.NOTE,
        actor=None,
        now=timezone.now(),
        audit=None,
        visit_task=task.pk,
        visit_reached=reached,
        disposition=disposition or "",
        outcome=task.last_outcome,
    )
    ticket_notify(
        users=workers_of(ticket) or ([ticket.created_by] if ticket.created_by else []),
        kind="ticket.visit_called",
        ticket=ticket,
        title=gettext_lazy("Callback visit of %(number)s: %(result)s"),
        params={"result": disposition or task.last_outcome or (_("reached") if reached else _("not reached"))},
        email=False,
    )
