"""The customer's timeline: calls, tickets, survey answers, notes and campaign attempts, newest first.

Each source reads what the viewer may see through its own rule (calls: all of them to managers and
QA, the agent's own otherwise, as the calls list does; tickets: ``tickets_visible_to``; survey
answers: ``responses_visible_to``; campaign attempts: the telephony ``attempts_visible_to`` —
administrators and supervisors see all, an agent the attempts they took — matched by the
customer's numbers, since a campaign contact has no customer link), takes its newest ``limit`` rows, and the sources are merged by
time — so a page of the timeline costs one indexed query per source, whatever the history's size.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.crm.models import Customer, CustomerNote
from apps.crm.phones import phone_variants
from apps.crm.selectors.customers import customer_history
from apps.crm.selectors.surveys import responses_visible_to
from apps.crm.selectors.tickets import tickets_visible_to
from apps.telephony.selectors.calls import ALL_CALLS_ROLES
from apps.telephony.selectors.campaigns.attempts import attempts_to_numbers, sees_campaign_pages

TIMELINE_SIZE = 50


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # call | ticket | survey | note | attempt
    at: datetime.datetime
    title: str
    detail: str
    url: str | None
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at.isoformat(),
            "title": self.title,
            "detail": self.detail,
            "url": self.url,
            **self.data,
        }


def _calls(customer: Customer, user: Any, limit: int) -> list[TimelineItem]:
    calls = customer_history(customer=customer)
    if not user.has_role(*ALL_CALLS_ROLES):
        calls = calls.filter(agent__user=user)
    items = []
    for call in calls[:limit]:
        detail = " · ".join(
            part
            for part in (
                call.queue.name if call.queue else "",
                call.agent.user.get_full_name() if call.agent else "",
                call.disposition.name if call.disposition else "",
            )
            if part
        )
        items.append(
            TimelineItem(
                kind="call",
                at=call.arrived_at,
                title=_("Call %(direction)s %(number)s")
                % {"direction": call.get_direction_display(), "number": call.caller},
                detail=detail,
                url=reverse("calls:detail", args=[call.uid]),
                data={"call_uid": call.uid, "talk_seconds": call.talk_seconds},
            )
        )
    return items


def _tickets(customer: Customer, user: Any, limit: int) -> list[TimelineItem]:
    tickets = tickets_visible_to(user).filter(customer=customer).order_by("-received_at", "-id")[:limit]
    return [
        TimelineItem(
            kind="ticket",
            at=ticket.received_at,
            title=f"{ticket.number} {ticket.title}",
            detail=str(ticket.get_status_display()),
            url=reverse("tickets:detail", args=[ticket.pk]),
            data={"ticket_id": ticket.pk, "status": ticket.status},
        )
        for ticket in tickets
    ]


def _surveys(customer: Customer, user: Any, limit: int) -> list[TimelineItem]:
    numbers = sorted({v for phone in customer.phones for v in phone_variants(phone)})
    condition = Q(call__customer=customer)
    if numbers:
        condition |= Q(caller__in=numbers)
    responses = responses_visible_to(user).filter(condition).order_by("-answered_at", "-id")[:limit]
    return [
        TimelineItem(
            kind="survey",
            at=response.answered_at,
            title=_("Survey: %(score)d of 5") % {"score": response.score},
            detail=response.comment,
            url=None,
            data={"survey_id": response.pk, "score": response.score},
        )
        for response in responses
    ]


def _notes(customer: Customer, user: Any, limit: int) -> list[TimelineItem]:
    notes = CustomerNote.objects.filter(customer=customer).select_related("author").order_by("-created_at", "-id")
    return [
        TimelineItem(
            kind="note",
            at=note.created_at,
            title=_("Note by %(who)s") % {"who": note.author.get_full_name() if note.author else _("someone")},
            detail=note.body,
            url=None,
            data={"note_id": note.pk},
        )
        for note in notes[:limit]
    ]


def _attempts(customer: Customer, user: Any, limit: int) -> list[TimelineItem]:
    numbers = sorted({v for phone in customer.phones for v in phone_variants(phone)})
    linked = sees_campaign_pages(user)
    items = []
    for attempt in attempts_to_numbers(user, numbers, limit=limit):
        outcome = attempt.get_outcome_display() if attempt.outcome else _("dialling")
        detail = " · ".join(
            part
            for part in (
                str(outcome),
                attempt.disposition.name if attempt.disposition else "",
                attempt.agent.user.get_full_name() if attempt.agent else "",
            )
            if part
        )
        items.append(
            TimelineItem(
                kind="attempt",
                at=attempt.started_at,
                title=_("Campaign %(campaign)s: attempt %(number)d")
                % {"campaign": attempt.campaign.name, "number": attempt.attempt_no},
                detail=detail,
                url=reverse("campaigns:detail", args=[attempt.campaign_id]) if linked else None,
                data={
                    "attempt_id": attempt.pk,
                    "campaign_id": attempt.campaign_id,
                    "campaign": attempt.campaign.name,
                    "outcome": attempt.outcome,
                    "disposition": attempt.disposition.name if attempt.disposition else None,
                },
            )
        )
    return items


SOURCES = (_calls, _tickets, _surveys, _notes, _attempts)


def customer_timeline(*, customer: Customer, user: Any, limit: int = TIMELINE_SIZE) -> list[TimelineItem]:
    """The newest ``limit`` events of the customer that ``user`` may see, newest first."""
    items = [item for source in SOURCES for item in source(customer, user, limit)]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]
