"""Seats, trunks and numbers. Seat changes are checked against the plan and metered."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, IntegerField, Max
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import AuditTarget, audit_record
from apps.core.errors import ApplicationError
from apps.core.events import publish_on_commit
from apps.telephony.choices import SeatRegistrationMode, TrunkKind
from apps.telephony.models import PhoneNumber, Seat, Trunk
from apps.telephony.services.dialling import caller_id_check
from apps.telephony.services.seat_credentials import unknown_ha1
from apps.tenants.choices import UsageKind
from apps.tenants.domains import tenant_domain
from apps.tenants.models import SipDirectoryEntry, Tenant
from apps.tenants.services.usage import seat_days_record, usage_record

FIRST_EXTENSION = 1001
CALLER_ID_RE = re.compile(r"^\+?[0-9]{3,20}$")


def sip_realm(tenant: Tenant) -> str:
    return tenant_domain(tenant.slug)


def sip_ha1(username: str, realm: str, secret: str) -> str:
    # SIP digest authentication (RFC 2617/3261) is defined on MD5; the registrar needs HA1.
    return hashlib.md5(f"{username}:{realm}:{secret}".encode()).hexdigest()  # noqa: S324


def _current_tenant_locked(tenant: Tenant) -> Tenant:
    """Lock the tenant row: seat changes of one tenant are serialised, others run freely."""
    return Tenant.objects.select_related("plan").select_for_update(of=("self",)).get(pk=tenant.pk)


def _seats_changed(tenant: Tenant, seat_count: int) -> None:
    seat_days_record(tenant_id=tenant.pk, seats=seat_count)
    publish_on_commit("wallboard", {"type": "seats.changed", "seats": seat_count})


@transaction.atomic
def seats_add(*, tenant: Tenant, count: int, record_usage: bool = True) -> list[Seat]:
    """Add ``count`` seats with the next free extensions (from 1001) and random SIP secrets."""
    if count < 1:
        raise ApplicationError("invalid", _("Add at least one seat."), fields={"count": [_("At least one seat.")]})
    locked = _current_tenant_locked(tenant)
    plan = locked.plan
    if plan is None:
        # Only the platform's own row (the public schema) has no plan, and it has no seats.
        raise ValueError(f"tenant {locked.schema_name} has no plan: no seats can be added")
    current = Seat.objects.count()
    if current + count > plan.max_seats:
        raise ApplicationError(
            "plan_limit",
            _("The %(plan)s plan allows at most %(max)d seats; you have %(current)d.")
            % {"plan": plan.display_name, "max": plan.max_seats, "current": current},
            fields={"count": [_("At most %(n)d more seats on this plan.") % {"n": plan.max_seats - current}]},
        )
    highest = Seat.objects.aggregate(n=Max(Cast("extension", IntegerField())))["n"]
    start = max(FIRST_EXTENSION, (highest or 0) + 1)
    realm = sip_realm(locked)
    now = timezone.now()
    seats = []
    directory = []
    for extension in range(start, start + count):
        username = f"{extension}@{locked.slug}"
        ha1 = sip_ha1(username, realm, secrets.token_urlsafe(18))
        seats.append(Seat(extension=str(extension), sip_username=username, sip_ha1=ha1, created_at=now))
        # A new seat is a browser seat: nobody can register it until an agent logs into it.
        directory.append(
            SipDirectoryEntry(username=username, tenant=locked, extension=str(extension), ha1=unknown_ha1())
        )
    Seat.objects.bulk_create(seats)
    SipDirectoryEntry.objects.bulk_create(directory)
    Tenant.objects.filter(pk=locked.pk).update(seat_count=F("seat_count") + count)
    new_total = current + count
    if record_usage:
        usage_record(tenant=locked, kind=UsageKind.SEATS_ADDED, quantity=count, detail={"total": new_total})
    audit_record(
        action=AuditAction.SEAT_ADDED,
        target=AuditTarget("telephony.seat", "", f"{seats[0].extension}–{seats[-1].extension}"),
        before={"seats": current},
        after={"seats": new_total, "extensions": [seat.extension for seat in seats]},
    )
    _seats_changed(locked, new_total)
    return seats


@transaction.atomic
def seat_delete(*, tenant: Tenant, seat: Seat) -> None:
    locked = _current_tenant_locked(tenant)
    current = Seat.objects.count()
    if current <= 1:
        raise ApplicationError("last_seat", _("A contact center needs at least one seat."))
    SipDirectoryEntry.objects.filter(username=seat.sip_username).delete()
    audit_record(
        action=AuditAction.SEAT_REMOVED,
        target=AuditTarget("telephony.seat", seat.pk, seat.extension),
        before={"seats": current, "extension": seat.extension, "sip_username": seat.sip_username},
        after={"seats": current - 1},
    )
    seat.delete()
    Tenant.objects.filter(pk=locked.pk).update(seat_count=F("seat_count") - 1)
    usage_record(
        tenant=locked,
        kind=UsageKind.SEATS_REMOVED,
        quantity=1,
        detail={"extension": seat.extension, "total": current - 1},
    )
    _seats_changed(locked, current - 1)


@dataclass(frozen=True)
class SeatSecret:
    seat: Seat
    secret: str


@transaction.atomic
def seat_reset_secret(*, tenant: Tenant, seat: Seat) -> SeatSecret:
    """A new SIP secret; only its digest is kept, so this is the one time it can be shown.

    The secret is what a desk phone registers with: the registrar's directory takes it at once
    for a desk phone seat. A browser seat keeps its per-login credential; its secret starts to
    count when the seat is switched to desk phone (apps.telephony.services.seat_credentials).
    """
    seat = Seat.objects.select_for_update().get(pk=seat.pk)
    secret = secrets.token_urlsafe(18)
    seat.sip_ha1 = sip_ha1(seat.sip_username, sip_realm(tenant), secret)
    seat.secret_reset_at = timezone.now()
    seat.save(update_fields=["sip_ha1", "secret_reset_at"])
    if seat.registration_mode == SeatRegistrationMode.DESK_PHONE:
        SipDirectoryEntry.objects.filter(username=seat.sip_username).update(ha1=seat.sip_ha1)
    audit_record(action=AuditAction.SEAT_SECRET_RESET, target=seat, extra={"extension": seat.extension})
    return SeatSecret(seat=seat, secret=secret)


def trunk_create_default(*, number: str | None) -> Trunk:
    """The simulated carrier every new tenant starts with: 30 channels, like one E1."""
    trunk = Trunk.objects.create(
        name=_("Default trunk"), kind=TrunkKind.SIM, carrier="sim", channels=30, caller_id=number or "", is_default=True
    )
    if number:
        PhoneNumber.objects.create(number=number, name=_("Service number"), trunk=trunk, caller_id=number)
    return trunk


def plant_seed(*, tenant: Tenant, seats: int, number: str | None) -> None:
    """A new tenant's plant, called by sign-up inside its transaction and tenant context: the
    default trunk (with the pool number, if one was free) and its first seats. Sign-up records the
    tenant's usage itself, so the seats added here are not metered a second time."""
    trunk_create_default(number=number)
    seats_add(tenant=tenant, count=seats, record_usage=False)


def service_number_attach(*, number: str) -> None:
    """A pool number given to a tenant after sign-up (the platform's number assignment): on the
    default trunk, which takes it as caller ID if it had none; a tenant without a trunk gets the
    default one."""
    trunk = Trunk.objects.filter(is_default=True).first() or Trunk.objects.order_by("pk").first()
    if trunk is None:
        trunk_create_default(number=number)
        return
    PhoneNumber.objects.create(number=number, name=_("Service number"), trunk=trunk, caller_id=number)
    if not trunk.caller_id:
        trunk.caller_id = number
        trunk.save(update_fields=["caller_id"])


def _validate_caller_id(value: str) -> None:
    if value and not CALLER_ID_RE.match(value):
        raise ApplicationError(
            "invalid",
            _("The request has invalid fields."),
            fields={"caller_id": [_("Digits only (3–20), optionally starting with +.")]},
        )


def _validate_name(value: str) -> None:
    if not value.strip() or len(value) > 100:
        raise ApplicationError(
            "invalid",
            _("The request has invalid fields."),
            fields={"name": [_("Enter a name of at most 100 characters.")]},
        )


@transaction.atomic
def trunk_update(*, trunk: Trunk, name: str | None = None, caller_id: str | None = None) -> Trunk:
    before = {"name": trunk.name, "caller_id": trunk.caller_id}
    fields = []
    if name is not None:
        _validate_name(name)
        trunk.name = name.strip()
        fields.append("name")
    if caller_id is not None:
        _validate_caller_id(caller_id)
        caller_id_check(value=caller_id)
        trunk.caller_id = caller_id
        fields.append("caller_id")
    if fields:
        trunk.save(update_fields=fields)
    _audit_change(trunk, before, AuditAction.TRUNK_CHANGED, AuditAction.TRUNK_CALLER_ID_CHANGED)
    return trunk


@transaction.atomic
def phone_number_update(*, number: PhoneNumber, name: str | None = None, caller_id: str | None = None) -> PhoneNumber:
    before = {"name": number.name, "caller_id": number.caller_id}
    fields = []
    if name is not None:
        _validate_name(name)
        number.name = name.strip()
        fields.append("name")
    if caller_id is not None:
        _validate_caller_id(caller_id)
        caller_id_check(value=caller_id)
        number.caller_id = caller_id
        fields.append("caller_id")
    if fields:
        number.save(update_fields=fields)
    _audit_change(number, before, AuditAction.NUMBER_CHANGED, AuditAction.NUMBER_CALLER_ID_CHANGED)
    return number


def _audit_change(obj: Trunk | PhoneNumber, before: dict[str, str], changed: str, caller_id_changed: str) -> None:
    """One row for an edit that changed something: the caller-ID action when the caller ID moved
    (what a toll-fraud or spoofing review looks for), the plain one otherwise."""
    after = {key: getattr(obj, key) for key in before}
    if after == before:
        return
    action = caller_id_changed if after["caller_id"] != before["caller_id"] else changed
    audit_record(action=action, target=obj, before=before, after=after)
