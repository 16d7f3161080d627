"""The one place tickets tell people something (due soon, missed, escalated, assigned to you).

Texts are translatable with ``%(name)s`` placeholders; ``number`` and ``title`` of the ticket are
always available, and datetimes in ``params`` are written in the ticket's hours' time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from apps.accounts.models import User
from apps.crm.models import Ticket
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


def _render(text: Text, values: Mapping[str, Any], language: str) -> str:
    with translation.override(language):
        return str(text) % {key: str(value) if isinstance(value, Promise) else value for key, value in values.items()}


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
    """Tell ``users`` about ``ticket``. Until apps.notifications is in place: an e-mail, after the
    commit, in each recipient's language."""
    values = _params(ticket, params)
    link = ticket_url(ticket)
    recipients = {user.pk: user for user in users if user is not None and user.is_active and user.email}
    if not email or not recipients:
        return
    messages = []
    for user in recipients.values():
        language = user.language or settings.LANGUAGE_CODE
        text = _render(body, values, language) if body else ""
        messages.append((_render(title, values, language), f"{text}\n\n{link}\n", user.email))

    def send() -> None:
        for subject, message, address in messages:
            send_mail(
                subject=subject, message=message, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[address]
            )

    transaction.on_commit(send, robust=True)
