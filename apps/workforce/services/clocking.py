"""Clocking in and out, corrections, handovers (交接班), and the desk's automatic clocking.

- On the web an agent clocks in and out from an address the policy allows (``ip_allowlist``).
- Clock-out waits for the handover: when ``handover_required`` and a colleague's shift starts
  within :data:`HANDOVER_WINDOW` of the end of the agent's current shift, the agent's handover
  for that shift must be signed by the incoming agent, or overridden by a supervisor (audited).
- HR and supervisors correct records: they add one (source ``correction``) or void one, always
  with a reason, both written to the audit log. Nothing is ever deleted.
- With ``auto_clock_from_desk``, logging in to the agent desktop clocks in and logging out
  clocks out (``apps/workforce/signals.py`` listens to the agent-state events; no engine import).
  The desk's clock-out skips an unsigned handover instead of refusing a log-out.

Lock order: the user's row (serialises one person's clocking), then shifts/handovers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.notifications.services import notify
from apps.workforce.choices import ClockKind, ClockSource, ShiftStatus
from apps.workforce.models import ClockEvent, Handover, Shift
from apps.workforce.selectors.policy import policy_on
from apps.workforce.services.policy import parse_allowlist

HANDOVER_WINDOW = dt.timedelta(hours=1)
# A shift is "current" for clocking from this long before its start to this long after its end.
CURRENT_BEFORE = dt.timedelta(hours=6)
CURRENT_AFTER = dt.timedelta(hours=8)
KIND_HANDOVER_TO_SIGN = "workforce.handover_to_sign"


def ip_allowed(ip: str | None, allowlist: str) -> bool:
    """Whether ``ip`` may clock under ``allowlist`` (empty: anywhere; an unparsable address: no)."""
    networks = parse_allowlist(allowlist or "")
    if not networks:
        return True
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in networks)


def last_clock(user: User) -> ClockEvent | None:
    return ClockEvent.objects.filter(user=user, voided_at__isnull=True).order_by("-at", "-pk").first()


def current_shift(user: User, at: dt.datetime) -> Shift | None:
    """The published shift ``at`` belongs to: the one whose clocking window holds it, nearest start."""
    candidates = Shift.objects.filter(
        user=user,
        status=ShiftStatus.PUBLISHED,
        start__lte=at + CURRENT_BEFORE,
        end__gte=at - CURRENT_AFTER,
    ).order_by("start")
    best = None
    for shift in candidates:
        if best is None or abs((shift.start - at).total_seconds()) < abs((best.start - at).total_seconds()):
            best = shift
    return best


def incoming_shifts(shift: Shift) -> list[Shift]:
    """Colleagues' published shifts starting around this one's end: who takes over."""
    return list(
        Shift.objects.filter(
            status=ShiftStatus.PUBLISHED,
            start__gte=shift.end - HANDOVER_WINDOW,
            start__lte=shift.end + HANDOVER_WINDOW,
        )
        .exclude(user_id=shift.user_id)
        .select_related("user")
    )


def handover_blocking(user: User, at: dt.datetime) -> Shift | None:
    """The shift whose handover must be released before ``user`` clocks out at ``at``, if any."""
    if not policy_on(timezone.localdate(at)).handover_required:
        return None
    shift = current_shift(user, at)
    if shift is None or not incoming_shifts(shift):
        return None
    released = (
        Handover.objects.filter(outgoing_shift=shift)
        .filter(Q(signed_at__isnull=False) | Q(override_at__isnull=False))
        .exists()
    )
    return None if released else shift


def _lock_user(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).first()


@transaction.atomic
def clock_record(
    *,
    user: User,
    kind: str,
    ip: str | None = None,
    source: str = ClockSource.WEB,
    at: dt.datetime | None = None,
) -> ClockEvent:
    """The agent clocks in or out now. Refusals (400 unless said): ``workforce_ip_not_allowed``
    (403), ``workforce_already_clocked_in``, ``workforce_not_clocked_in``,
    ``workforce_handover_pending`` (409)."""
    if kind not in ClockKind.values:
        raise ApplicationError("invalid", _("Clock in or out."), fields={"kind": [_("in or out.")]})
    at = at or timezone.now()
    _lock_user(user)
    policy = policy_on(timezone.localdate(at))
    if source in (ClockSource.WEB, ClockSource.API) and not ip_allowed(ip, policy.ip_allowlist):
        raise PermissionDeniedError(
            "workforce_ip_not_allowed",
            _("Clocking is not allowed from this address (%(ip)s).") % {"ip": ip or "?"},
        )
    last = last_clock(user)
    clocked_in = last is not None and last.kind == ClockKind.IN
    if kind == ClockKind.IN and clocked_in:
        raise ApplicationError("workforce_already_clocked_in", _("You are already clocked in."))
    if kind == ClockKind.OUT:
        if not clocked_in:
            raise ApplicationError("workforce_not_clocked_in", _("You are not clocked in."))
        blocking = handover_blocking(user, at)
        if blocking is not None:
            raise ApplicationError(
                "workforce_handover_pending",
                _("Hand over first: the incoming colleague must sign your handover before you clock out."),
                status=409,
            )
    return ClockEvent.objects.create(
        user=user, kind=kind, at=at, source=source, ip=ip or None, shift=current_shift(user, at), created_by=user
    )


@transaction.atomic
def clock_correct(*, user: User, kind: str, at: dt.datetime, reason: str, actor: User) -> ClockEvent:
    """HR or a supervisor adds a record (a forgotten clock-in, say) with a reason; audited."""
    if kind not in ClockKind.values:
        raise ApplicationError("invalid", _("Clock in or out."), fields={"kind": [_("in or out.")]})
    if not (reason or "").strip():
        raise ApplicationError("invalid", _("Give a reason."), fields={"reason": [_("Required.")]})
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise ApplicationError("invalid", _("A correction cannot be in the future."), fields={"at": [_("Future.")]})
    _lock_user(user)
    event = ClockEvent.objects.create(
        user=user,
        kind=kind,
        at=at,
        source=ClockSource.CORRECTION,
        shift=current_shift(user, at),
        reason=reason.strip(),
        created_by=actor,
    )
    audit_record(
        action="workforce.clock_corrected",
        actor=actor,
        target=event,
        after={"user": user.email, "kind": kind, "at": at.isoformat(), "reason": event.reason},
    )
    return event


@transaction.atomic
def clock_void(*, event: ClockEvent, reason: str, actor: User) -> ClockEvent:
    """Void a wrong record (kept, marked, audited)."""
    if not (reason or "").strip():
        raise ApplicationError("invalid", _("Give a reason."), fields={"reason": [_("Required.")]})
    locked = ClockEvent.objects.select_for_update().get(pk=event.pk)
    if locked.voided_at is not None:
        raise ApplicationError("workforce_already_voided", _("This record is already voided."))
    locked.voided_at = timezone.now()
    locked.voided_by = actor
    locked.void_reason = reason.strip()
    locked.save(update_fields=["voided_at", "voided_by", "void_reason"])
    audit_record(
        action="workforce.clock_voided",
        actor=actor,
        target=locked,
        before={"user": locked.user.email, "kind": locked.kind, "at": locked.at.isoformat()},
        after={"voided": True, "reason": locked.void_reason},
    )
    return locked


def clock_from_desk(*, user: User, kind: str, at: dt.datetime) -> ClockEvent | None:
    """The desk's login (in) or logout (out) when the policy clocks from the desk; never raises
    for the expected cases (already in, not in, handover pending): it then records nothing."""
    if not policy_on(timezone.localdate(at)).auto_clock_from_desk:
        return None
    try:
        with transaction.atomic():
            return clock_record(user=user, kind=kind, source=ClockSource.DESK, at=at)
    except ApplicationError:
        return None


# --- handovers ------------------------------------------------------------------------------------

HANDOVER_ITEMS = ("situation", "equipment", "tools", "quality", "open_records")


@transaction.atomic
def handover_write(*, user: User, items: dict[str, str], incoming: User | None = None) -> Handover:
    """The outgoing agent writes (or rewrites, until signed) the handover of their current shift.
    ``incoming``: who signs; by default the colleague whose shift starts first around the end."""
    now = timezone.now()
    shift = current_shift(user, now)
    if shift is None:
        raise ApplicationError("workforce_no_shift", _("You have no shift now to hand over."))
    if not any((items.get(name) or "").strip() for name in HANDOVER_ITEMS):
        raise ApplicationError(
            "invalid", _("Write at least one of the five items."), fields={"situation": [_("Required.")]}
        )
    if incoming is None:
        following = sorted(incoming_shifts(shift), key=lambda s: s.start)
        incoming = following[0].user if following else None
    if incoming is not None and incoming.pk == user.pk:
        raise ApplicationError("invalid", _("Hand over to a colleague."), fields={"incoming": [_("Not yourself.")]})
    handover = Handover.objects.select_for_update().filter(outgoing_shift=shift, signed_at__isnull=True).first()
    if handover is None:
        handover = Handover(outgoing_shift=shift, outgoing_user=user)
    for name in HANDOVER_ITEMS:
        setattr(handover, name, (items.get(name) or "").strip())
    handover.incoming_user = incoming
    handover.save()
    if incoming is not None:
        notify(
            users=[incoming],
            kind=KIND_HANDOVER_TO_SIGN,
            title=_("%(name)s handed over to you: please sign"),
            params={"name": user.get_full_name()},
            url="/workforce/handover/",
        )
    return handover


@transaction.atomic
def handover_sign(*, handover: Handover, user: User) -> Handover:
    """The incoming agent signs; the outgoing agent may then clock out."""
    locked = Handover.objects.select_for_update().get(pk=handover.pk)
    if locked.incoming_user_id not in (None, user.pk) or locked.outgoing_user_id == user.pk:
        raise PermissionDeniedError("forbidden", _("Only the incoming colleague signs this handover."))
    if locked.signed_at is not None:
        raise ApplicationError("workforce_already_signed", _("This handover is already signed."))
    locked.signed_at = timezone.now()
    locked.signed_by = user
    locked.incoming_user = user
    locked.save(update_fields=["signed_at", "signed_by", "incoming_user"])
    return locked


@transaction.atomic
def handover_override(*, handover: Handover, actor: User, reason: str) -> Handover:
    """A supervisor lets the outgoing agent leave without the signature (audited)."""
    if not (reason or "").strip():
        raise ApplicationError("invalid", _("Give a reason."), fields={"reason": [_("Required.")]})
    locked = Handover.objects.select_for_update().get(pk=handover.pk)
    if locked.is_released:
        raise ApplicationError("workforce_already_signed", _("This handover is already signed."))
    locked.override_at = timezone.now()
    locked.override_by = actor
    locked.override_reason = reason.strip()
    locked.save(update_fields=["override_at", "override_by", "override_reason"])
    audit_record(
        action="workforce.handover_overridden",
        actor=actor,
        target=locked,
        after={"outgoing": locked.outgoing_user.email, "reason": locked.override_reason},
    )
    return locked
