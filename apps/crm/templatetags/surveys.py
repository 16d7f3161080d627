"""The ticket page's "call back through a campaign" panel (回访 as an outbound campaign task): an
inclusion tag, so that the ticket page needs one line and its view nothing more."""

from __future__ import annotations

from typing import Any

from django import template

from apps.crm.choices import TicketStatus
from apps.crm.forms.surveys import VisitCampaignForm
from apps.crm.selectors.surveys import visit_tasks_of
from apps.crm.selectors.tickets import may
from apps.crm.surveys.choices import VisitTaskStatus
from apps.crm.ticket_states import TicketAction

register = template.Library()


@register.inclusion_tag("crm/surveys/_ticket_visit.html", takes_context=True)
def ticket_visit_panel(context: template.Context, ticket) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    tasks = list(visit_tasks_of(ticket))
    waiting = any(task.status == VisitTaskStatus.OPEN for task in tasks)
    can_send = (
        user is not None
        and ticket.status == TicketStatus.RESOLVED
        and not waiting
        and may(user, TicketAction.VISIT, ticket)
    )
    form = VisitCampaignForm(prefix="visit") if can_send else None
    return {
        "ticket": ticket,
        "tasks": tasks,
        "form": form if form is not None and form.has_campaigns else None,
        "no_campaign": form is not None and not form.has_campaigns,
        "csrf_token": context.get("csrf_token"),
    }
