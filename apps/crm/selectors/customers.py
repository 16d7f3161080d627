"""Reads about customers: lookup by caller number (ANI), screen pop, interaction history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import CharField, F, Func, Q, QuerySet, Value

from apps.crm.models import Customer
from apps.crm.phones import normalize_phone, phone_variants
from apps.telephony.models import Call

SCREEN_POP_LAST_CALLS = 5


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    """Customers whose name contains ``search`` or who have a phone number matching it."""
    qs = Customer.objects.all()
    search = (search or "").strip()
    if search:
        condition = Q(name__icontains=search)
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


def screen_pop(caller: str, *, exclude_uid: str | None = None) -> dict[str, Any] | None:
    """What the agent desktop shows when a call is offered (contract in the issue 3 plan).

    ``last_calls`` are the customer's finished calls, newest first, at most five; the call being
    offered (``exclude_uid``) is left out.
    """
    customer = customer_by_phone(normalize_phone(caller))
    if customer is None:
        return None
    calls = customer_history(customer=customer).filter(ended_at__isnull=False)
    if exclude_uid:
        calls = calls.exclude(uid=exclude_uid)
    return {
        "customer_id": customer.pk,
        "name": customer.name,
        "is_vip": customer.is_vip,
        "notes": customer.notes,
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
