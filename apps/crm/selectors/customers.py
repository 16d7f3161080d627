"""Reads about customers: lookup by caller number (ANI), search, screen pop, interaction history.

Custom values leave through :func:`custom_values_for` only, which applies the fields' role rules
(apps/crm/custom_fields.py): the list, the page, the API, the export and the screen pop show the
same masked ``1101**********1234`` to a role without permission."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import CharField, F, Func, Q, QuerySet, Value

from apps.accounts.models import User
from apps.crm.custom_fields import visible_values
from apps.crm.models import OPEN_STATUSES, Customer, CustomField
from apps.crm.phones import normalize_phone, phone_variants
from apps.crm.selectors.tickets import tickets_visible_to
from apps.telephony.models import Call

SCREEN_POP_LAST_CALLS = 5
SCREEN_POP_OPEN_TICKETS = 5


def custom_field_list() -> list[CustomField]:
    return list(CustomField.objects.order_by("position", "id"))


def custom_values_for(
    customer: Customer, roles: Sequence[str], fields: list[CustomField] | None = None
) -> list[dict[str, Any]]:
    """The customer's custom values as ``roles`` may see them (fields they may not see left out,
    sensitive values masked unless a role may see them whole)."""
    return visible_values(custom_field_list() if fields is None else fields, customer.custom, roles)


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    """Customers whose name contains ``search`` or who have a phone number matching it."""
    qs = Customer.objects.all()
    search = (search or "").strip()
    if search:
        condition = Q(name__icontains=search) | Q(tags__contains=[search])
        if "@" in search:
            condition |= Q(emails__contains=[search.lower()])
        digits = normalize_phone(search).lstrip("+")
        if digits.isdigit():  # part of a number: "8000" finds "+86 138 0013 8000"
            qs = qs.annotate(
                phones_text=Func(F("phones"), Value(" "), function="array_to_string", output_field=CharField())
            )
            condition |= Q(phones_text__contains=digits)
        qs = qs.filter(condition)
    return qs.order_by("name", "id")


def customer_by_phone(ani: str) -> Customer | None:
    """The customer one of whose numbers matches the caller number; VIPs win a (rare) tie."""
    variants = phone_variants(ani)
    if not variants:
        return None
    return Customer.objects.filter(phones__overlap=variants).order_by("-is_vip", "id").first()


def customers_by_phones(anis: Iterable[str]) -> dict[str, Customer]:
    """Bulk :func:`customer_by_phone` in one query: ``{ani: customer}`` for the ANIs that match."""
    wanted: dict[str, list[str]] = {ani: phone_variants(ani) for ani in set(anis)}
    every = sorted({v for variants in wanted.values() for v in variants})
    if not every:
        return {}
    owner: dict[str, Customer] = {}
    for customer in Customer.objects.filter(phones__overlap=every).order_by("-is_vip", "id"):
        for phone in customer.phones:
            owner.setdefault(phone, customer)
    found = {}
    for ani, variants in wanted.items():
        for variant in variants:
            if variant in owner:
                found[ani] = owner[variant]
                break
    return found


def customer_history(*, customer: Customer) -> QuerySet:
    """Every call of this customer, newest first: calls linked to it or from one of its numbers."""
    condition = Q(customer=customer)
    numbers = sorted({v for phone in customer.phones for v in phone_variants(phone)})
    if numbers:
        condition |= Q(caller__in=numbers)
    return (
        Call.objects.filter(condition)
        .select_related("queue", "agent__user", "disposition")
        .order_by("-arrived_at", "-id")
    )


def screen_pop(caller: str, *, exclude_uid: str | None = None, user: User | None = None) -> dict[str, Any] | None:
    """What the agent desktop shows when a call is offered (contract in the issue 3 plan).

    ``last_calls`` are the customer's finished calls, newest first, at most five; the call being
    offered (``exclude_uid``) is left out. ``custom_fields`` and ``open_tickets`` are what the
    viewer may see: ``user`` is the agent's user (their roles and tickets); without one, the pop is
    the least a role sees — fields shown to every role, sensitive values masked, no tickets.
    """
    customer = customer_by_phone(normalize_phone(caller))
    if customer is None:
        return None
    roles: list[str] = list(getattr(user, "roles", None) or [])
    tickets = tickets_visible_to(user).filter(customer=customer, status__in=OPEN_STATUSES) if user is not None else None
    calls = customer_history(customer=customer).filter(ended_at__isnull=False)
    if exclude_uid:
        calls = calls.exclude(uid=exclude_uid)
    return {
        "customer_id": customer.pk,
        "name": customer.name,
        "is_vip": customer.is_vip,
        "vip_level": customer.vip_level,
        "tags": list(customer.tags),
        "notes": customer.notes,
        "custom_fields": [
            {"key": item["key"], "label": item["label"], "value": item["display"], "masked": item["masked"]}
            for item in custom_values_for(customer, roles)
            if item["value"] is not None
        ],
        "open_tickets": [
            {
                "id": ticket.pk,
                "number": ticket.number,
                "title": ticket.title,
                "status": ticket.status,
                "status_label": str(ticket.get_status_display()),
                "resolution_due": ticket.resolution_due.isoformat(),
            }
            for ticket in (
                tickets.order_by("-received_at", "-id")[:SCREEN_POP_OPEN_TICKETS] if tickets is not None else []
            )
        ],
        "last_calls": [
            {
                "uid": call.uid,
                "arrived_at": call.arrived_at.isoformat(),
                "queue": call.queue.name if call.queue else None,
                "agent": call.agent.user.get_full_name() if call.agent else None,
                "disposition": call.disposition.name if call.disposition else None,
                "talk_seconds": call.talk_seconds,
            }
            for call in calls[:SCREEN_POP_LAST_CALLS]
        ],
    }


def screen_pop_for_agent(caller: str, *, agent_id: int, exclude_uid: str | None = None) -> dict[str, Any] | None:
    """:func:`screen_pop` as the agent ``agent_id``'s user may see it (the engine pushes one pop
    per agent offered the call)."""
    user = User.objects.filter(agent__pk=agent_id).first() if agent_id else None
    return screen_pop(caller, exclude_uid=exclude_uid, user=user)
