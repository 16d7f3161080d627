"""The one place tickets tell people something (due soon, missed, escalated, supervised, assigned,
reopened), through apps.notifications: a row per person in their language, pushed to their open
pages, and e-mailed for what cannot wait (a missed target, an escalation).

Texts are translatable with ``%(name)s`` placeholders; ``number`` and ``title`` of the ticket are
always available, and datetimes in ``params`` are written in the ticket's hours' time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise

from apps.accounts.models import User
from apps.crm.models import Ticket
from apps.notifications.services import notify
from apps.telephony.selectors.business_hours import opening_hours

Text = str | Promise


def ticket_url(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def _params(ticket: Ticket, params: Mapping[str, Any] | None) -> dict[str, Any]:
    zone = None
    values: dict[str, Any] = {"number": ticket.number, "title": ticket.title}
    for key, value in (params or {}).items():
        if isinstance(value, dt.datetime):
            zone = zone or opening_hours(ticket.category.business_hours_id).zone
            value = value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        values[key] = value
    return values


def ticket_notify(
    *,
    users: Iterable[User],
    kind: str,
    ticket: Ticket,
    title: Text,
    body: Text = "",
    params: Mapping[str, Any] | None = None,
    email: bool = True,
) -> None:
    """Tell ``users`` about ``ticket`` (kind ``ticket.<what>``); inactive people are skipped."""
    notify(
        users=list(users),
        kind=kind,
        title=title,
        body=body,
        url=ticket_url(ticket),
        params=_params(ticket, params),
        email=email,
    )
