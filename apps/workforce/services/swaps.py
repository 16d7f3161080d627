"""Shift swaps: nobody swaps on their own (DOMAIN.md §4).

The requester offers their published, future shift to a colleague — in exchange for one of the
colleague's shifts, or as a give-away when the colleague is free that day. The colleague accepts
(or declines); then a supervisor approves (or rejects). The roster changes only on approval, and
the swap is checked again then (the shifts may have changed meanwhile).

Lock order: the swap, then its shifts by primary key.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.notifications.services import notify
from apps.workforce.choices import ShiftStatus, SwapStatus
from apps.workforce.models import Shift, SwapRequest
from apps.workforce.selectors.people import may_decide, supervisors_of

KIND_SWAP = "workforce.swap"


def _check(requester_shift: Shift, counterpart_shift: Shift | None, requester_id: int, counterpart_id: int) -> None:
    now = timezone.now()
    if requester_shift.user_id != requester_id:
        raise ApplicationError(
            "invalid", _("Offer one of your own shifts."), fields={"requester_shift": [_("Not yours.")]}
        )
    if requester_id == counterpart_id:
        raise ApplicationError("invalid", _("Swap with a colleague."), fields={"counterpart": [_("Not yourself.")]})
    for shift, field in ((requester_shift, "requester_shift"), (counterpart_shift, "counterpart_shift")):
        if shift is None:
            continue
        if shift.status != ShiftStatus.PUBLISHED or shift.start <= now:
            raise ApplicationError(
                "invalid",
                _("Only published shifts that have not started can be swapped."),
                fields={field: [_("Not swappable.")]},
            )
    if counterpart_shift is not None and counterpart_shift.user_id != counterpart_id:
        raise ApplicationError(
            "invalid", _("That shift is not the colleague's."), fields={"counterpart_shift": [_("Not theirs.")]}
        )
    # Nobody may end up with two shifts on one day.
    swapped = {requester_shift.pk} | ({counterpart_shift.pk} if counterpart_shift else set())
    if Shift.objects.filter(user_id=counterpart_id, date=requester_shift.date).exclude(pk__in=swapped).exists():
        raise ApplicationError(
            "workforce_swap_conflict",
            _("The colleague already works that day."),
            fields={"counterpart": [_("Busy that day.")]},
        )
    if (
        counterpart_shift is not None
        and Shift.objects.filter(user_id=requester_id, date=counterpart_shift.date).exclude(pk__in=swapped).exists()
    ):
        raise ApplicationError(
            "workforce_swap_conflict",
            _("You already work on the colleague's day."),
            fields={"counterpart_shift": [_("Busy that day.")]},
        )


@transaction.atomic
def swap_request_create(
    *,
    requester: User,
    counterpart: User,
    requester_shift: Shift,
    counterpart_shift: Shift | None = None,
    note: str = "",
) -> SwapRequest:
    _check(requester_shift, counterpart_shift, requester.pk, counterpart.pk)
    if SwapRequest.objects.filter(
        requester_shift=requester_shift, status__in=(SwapStatus.PENDING_COUNTERPART, SwapStatus.PENDING_APPROVAL)
    ).exists():
        raise ApplicationError("workforce_swap_pending", _("This shift is already offered in another swap."))
    swap = SwapRequest.objects.create(
        requester=requester,
        counterpart=counterpart,
        requester_shift=requester_shift,
        counterpart_shift=counterpart_shift,
        note=(note or "").strip(),
    )
    notify(
        users=[counterpart],
        kind=KIND_SWAP,
        title=_("%(name)s asks to swap shifts with you (%(date)s)"),
        params={"name": requester.get_full_name(), "date": requester_shift.date.isoformat()},
        url="/workforce/requests/",
    )
    return swap


def _locked(swap: SwapRequest, expected: str) -> SwapRequest:
    locked = SwapRequest.objects.select_for_update().select_related("requester", "counterpart").get(pk=swap.pk)
    if locked.status != expected:
        raise ApplicationError("workforce_not_pending", _("This swap is not waiting for this step."))
    return locked


@transaction.atomic
def swap_answer(*, swap: SwapRequest, user: User, accept: bool) -> SwapRequest:
    """The colleague accepts (the swap goes to a supervisor) or declines."""
    locked = _locked(swap, SwapStatus.PENDING_COUNTERPART)
    if locked.counterpart_id != user.pk:
        raise PermissionDeniedError("forbidden", _("Only the colleague asked answers this swap."))
    locked.status = SwapStatus.PENDING_APPROVAL if accept else SwapStatus.DECLINED
    locked.answered_at = timezone.now()
    locked.save(update_fields=["status", "answered_at"])
    if accept:
        notify(
            users=[
                p for p in supervisors_of(locked.requester) if p.pk not in (locked.requester_id, locked.counterpart_id)
            ],
            kind=KIND_SWAP,
            title=_("Shift swap to approve: %(a)s and %(b)s"),
            params={"a": locked.requester.get_full_name(), "b": locked.counterpart.get_full_name()},
            url="/workforce/requests/",
        )
    else:
        notify(
            users=[locked.requester],
            kind=KIND_SWAP,
            title=_("%(name)s declined your shift swap"),
            params={"name": locked.counterpart.get_full_name()},
            url="/workforce/requests/",
        )
    return locked


@transaction.atomic
def swap_decide(*, swap: SwapRequest, actor: User, approve: bool, note: str = "") -> SwapRequest:
    """A supervisor approves (the roster changes now) or rejects. Refusals: ``forbidden`` (403),
    ``workforce_not_pending``, ``workforce_swap_conflict`` (the roster changed meanwhile)."""
    locked = _locked(swap, SwapStatus.PENDING_APPROVAL)
    if actor.pk in (locked.requester_id, locked.counterpart_id) or not (
        may_decide(actor, locked.requester_id) and may_decide(actor, locked.counterpart_id)
    ):
        raise PermissionDeniedError("forbidden", _("You may not decide this swap."))
    ids = sorted(pk for pk in (locked.requester_shift_id, locked.counterpart_shift_id) if pk)
    shifts = {s.pk: s for s in Shift.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    mine = shifts[locked.requester_shift_id]
    theirs = shifts.get(locked.counterpart_shift_id) if locked.counterpart_shift_id else None
    if approve:
        _check(mine, theirs, locked.requester_id, locked.counterpart_id)
        _apply(mine, theirs, locked.requester_id, locked.counterpart_id)
    locked.status = SwapStatus.APPROVED if approve else SwapStatus.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note or ""
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        action="workforce.swap_decided",
        actor=actor,
        target=locked,
        before={"status": SwapStatus.PENDING_APPROVAL},
        after={
            "status": locked.status,
            "requester": locked.requester.email,
            "counterpart": locked.counterpart.email,
            "requester_shift": mine.date.isoformat(),
            "counterpart_shift": theirs.date.isoformat() if theirs else None,
        },
    )
    notify(
        users=[locked.requester, locked.counterpart],
        kind=KIND_SWAP,
        title=_("Shift swap approved") if approve else _("Shift swap not approved"),
        body=_("Note: %(note)s") if locked.decision_note else "",
        params={"note": locked.decision_note},
        url="/workforce/schedule/",
    )
    return locked


def _apply(mine: Shift, theirs: Shift | None, requester_id: int, counterpart_id: int) -> None:
    """Move the shifts between the two people. On the same day the two rows exchange their
    shift types and times instead (one row per person and day)."""
    if theirs is not None and theirs.date == mine.date:
        fields = ("shift_type_id", "start", "end", "break_minutes")
        values = [getattr(mine, name) for name in fields]
        for name in fields:
            setattr(mine, name, getattr(theirs, name))
        for name, value in zip(fields, values, strict=True):
            setattr(theirs, name, value)
        mine.save(update_fields=["shift_type", "start", "end", "break_minutes", "updated_at"])
        theirs.save(update_fields=["shift_type", "start", "end", "break_minutes", "updated_at"])
        return
    mine.user_id = counterpart_id
    mine.save(update_fields=["user", "updated_at"])
    if theirs is not None:
        theirs.user_id = requester_id
        theirs.save(update_fields=["user", "updated_at"])


@transaction.atomic
def swap_cancel(*, swap: SwapRequest, user: User) -> SwapRequest:
    locked = SwapRequest.objects.select_for_update().get(pk=swap.pk)
    if locked.requester_id != user.pk:
        raise PermissionDeniedError("forbidden", _("Only the requester cancels this swap."))
    if locked.status not in (SwapStatus.PENDING_COUNTERPART, SwapStatus.PENDING_APPROVAL):
        raise ApplicationError("workforce_not_pending", _("This swap is already decided."))
    locked.status = SwapStatus.CANCELLED
    locked.save(update_fields=["status"])
    return locked
