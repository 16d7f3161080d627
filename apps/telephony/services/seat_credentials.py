"""Seat credentials: what the registrar's directory row of a seat holds, and when it changes.

Kamailio authenticates a seat against exactly one row of the public SIP directory
(``SipDirectoryEntry``, read through the view ``kamailio.subscriber``): whoever knows that row's
HA1 can register as the seat and call from it. A seat's registration mode decides what the row
holds:

- **desk phone**: the HA1 of the seat's own long-lived secret (``Seat.sip_ha1``). Only
  administrators see the secret, once per reset, to type it into the phone; agents never get it.
- **browser**: a per-login HA1 — 128 random bits, no password behind it (the softphone
  authenticates with the HA1 itself, SIP.js ``authorizationHa1``). It is issued when an agent logs
  into the seat or moves to it, and replaced by another random value that nobody is given as soon
  as the agent leaves: log-out by anyone, a forced Offline, the user deactivated, their agent role
  removed or the user deleted. So a credential read from ``GET /agents/me/sip`` is good only while
  its agent holds the seat, and holding a seat needs an administrator's permission
  (``Agent.allowed_seats``) when the tenant restricts it.

Registrations of a seat are limited to one contact by the registrar (``save("location", "0x04")``
in deploy/sip/kamailio.cfg.tmpl): a new registration replaces the previous device. A contact
registered before the credential changed stays in Kamailio's location table until it expires or
is replaced, but every later request from it (re-REGISTER, INVITE) is refused, and the engine
offers calls only to agents who hold a seat.

Lock order: the seat row, then the agent row (as ``agent_login``); the directory row is written
last. Functions here that take a ``seat`` expect the caller to hold it locked, or to hold the
agent that holds it.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.telephony import agent_states
from apps.telephony.choices import SeatRegistrationMode
from apps.telephony.models import Agent, Seat
from apps.tenants.models import SipDirectoryEntry


def unknown_ha1() -> str:
    """An HA1 nobody is told: a browser seat's directory row while no agent holds the seat."""
    return secrets.token_hex(16)


def _directory_set(seat: Seat, ha1: str) -> None:
    SipDirectoryEntry.objects.filter(username=seat.sip_username).update(ha1=ha1, updated_at=timezone.now())


def seat_credential_issue(*, seat: Seat) -> None:
    """A fresh per-login credential for the agent now logging into the browser seat ``seat``."""
    if seat.registration_mode == SeatRegistrationMode.BROWSER:
        _directory_set(seat, secrets.token_hex(16))


def seat_credential_revoke(*, seat: Seat) -> None:
    """The browser seat ``seat`` was left: the credential its agent had stops working."""
    if seat.registration_mode == SeatRegistrationMode.BROWSER:
        _directory_set(seat, unknown_ha1())


@transaction.atomic
def seat_set_registration_mode(*, seat: Seat, mode: str) -> Seat:
    """Switch a seat between desk phone and browser; the directory row follows at once.

    To desk phone: the row gets the seat secret's HA1 (reset the secret to configure a phone: it
    was never shown if the seat was a browser seat). To browser: the agent logged into the seat
    now, if any, gets a fresh per-login credential (their softphone fetches it when they log in
    again); otherwise nobody can register the seat until someone logs into it.
    """
    if mode not in SeatRegistrationMode.values:
        raise ApplicationError(
            "invalid",
            _("The request has invalid fields."),
            fields={"registration_mode": [_("Choose browser or desk phone.")]},
        )
    locked = Seat.objects.select_for_update().get(pk=seat.pk)
    if locked.registration_mode != mode:
        audit_record(
            action=AuditAction.SEAT_CHANGED,
            target=locked,
            before={"registration_mode": locked.registration_mode},
            after={"registration_mode": mode},
        )
        locked.registration_mode = mode
        locked.save(update_fields=["registration_mode"])
        if mode == SeatRegistrationMode.DESK_PHONE:
            _directory_set(locked, locked.sip_ha1)
        elif Agent.objects.filter(seat=locked).exclude(state=agent_states.OFFLINE).exists():
            seat_credential_issue(seat=locked)
        else:
            seat_credential_revoke(seat=locked)
    seat.registration_mode = locked.registration_mode
    return locked


@transaction.atomic
def agent_allowed_seats_set(*, agent: Agent, extensions: list[str]) -> list[Seat]:
    """Replace the seats ``agent`` may log into (an empty list: any seat).

    The agent's current seat is not taken away: the list applies from their next login.
    """
    wanted = sorted({(extension or "").strip() for extension in extensions})
    seats = list(Seat.objects.filter(extension__in=wanted).order_by("extension"))
    unknown = sorted(set(wanted) - {seat.extension for seat in seats})
    if unknown:
        raise ApplicationError(
            "unknown_seat",
            _("There is no such seat."),
            fields={"seats": [_("Unknown extension: %(extension)s") % {"extension": ext} for ext in unknown]},
        )
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    before = sorted(locked.allowed_seats.values_list("extension", flat=True))
    locked.allowed_seats.set(seats)
    if before != wanted:
        audit_record(
            action=AuditAction.AGENT_SEATS_CHANGED,
            target=locked,
            before={"allowed_seats": before},
            after={"allowed_seats": wanted},
        )
    return seats


def agent_may_use_seat(agent: Agent, seat: Seat) -> bool:
    """An agent without allowed seats may use any; otherwise only the listed ones."""
    allowed = agent.allowed_seats.all()
    return not allowed.exists() or allowed.filter(pk=seat.pk).exists()
