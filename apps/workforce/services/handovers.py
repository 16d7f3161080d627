"""Handovers (交接班) for the pages: what a person has to sign, what they wrote, what waits for a
supervisor, and the one function clock-out asks.

The writes themselves — record the five items, the incoming agent signs, a supervisor overrides
(audited) — and the clock-out check are the clocking service's (``services/clocking.py``:
``handover_write``, ``handover_sign``, ``handover_override``; ``clock_record`` refuses a web
clock-out with ``workforce_handover_pending`` while ``handover_blocking`` names a shift), so
that clocking and its precondition stay one rule. They are re-exported here for the pages.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.workforce.models import Handover
from apps.workforce.selectors.people import may_see, scope_user_ids
from apps.workforce.services.clocking import (
    HANDOVER_ITEMS,
    current_shift,
    handover_blocking,
    handover_override,
    handover_sign,
    handover_write,
    incoming_shifts,
)

__all__ = [
    "HANDOVER_ITEMS",
    "clock_out_blocked_by",
    "handover_for",
    "handover_override",
    "handover_sign",
    "handover_write",
    "handovers_to_sign",
    "handovers_waiting",
    "handovers_written",
    "my_open_handover",
]

RECENT = dt.timedelta(days=2)


def clock_out_blocked_by(user: User, at: dt.datetime | None = None) -> Handover | None:
    """The handover that keeps ``user`` from clocking out now (None: free to go). A shift that
    needs one but has none written yet returns an unsaved handover for that shift."""
    at = at or timezone.now()
    shift = handover_blocking(user, at)
    if shift is None:
        return None
    return Handover.objects.filter(outgoing_shift=shift).order_by("-created_at").first() or Handover(
        outgoing_shift=shift, outgoing_user=user
    )


def _base() -> QuerySet[Handover]:
    return Handover.objects.select_related(
        "outgoing_user", "incoming_user", "outgoing_shift", "signed_by", "override_by"
    )


def my_open_handover(user: User) -> tuple[object | None, Handover | None, list[User]]:
    """The person's current shift, the handover of it (if written) and who could take over."""
    shift = current_shift(user, timezone.now())
    if shift is None:
        return None, None, []
    handover = _base().filter(outgoing_shift=shift).order_by("-created_at").first()
    successors = [s.user for s in sorted(incoming_shifts(shift), key=lambda s: s.start)]
    return shift, handover, successors


def handovers_to_sign(user: User) -> list[Handover]:
    """Unsigned handovers addressed to ``user``, or to nobody yet when ``user`` takes over the
    outgoing shift (their shift starts around its end)."""
    since = timezone.now() - RECENT
    rows = _base().filter(signed_at__isnull=True, override_at__isnull=True, created_at__gte=since)
    rows = rows.exclude(outgoing_user=user).filter(Q(incoming_user=user) | Q(incoming_user__isnull=True))
    found = []
    for handover in rows.order_by("created_at"):
        if (
            handover.incoming_user_id == user.pk
            or handover.outgoing_shift is not None
            and any(s.user_id == user.pk for s in incoming_shifts(handover.outgoing_shift))
        ):
            found.append(handover)
    return found


def handovers_written(user: User, *, limit: int = 10) -> list[Handover]:
    return list(_base().filter(outgoing_user=user).order_by("-created_at")[:limit])


def handovers_waiting(viewer: User) -> list[Handover]:
    """Unreleased handovers of the people in ``viewer``'s scope (a supervisor may override)."""
    rows = _base().filter(signed_at__isnull=True, override_at__isnull=True, created_at__gte=timezone.now() - RECENT)
    ids = scope_user_ids(viewer)
    if ids is not None:
        rows = rows.filter(outgoing_user_id__in=ids)
    return list(rows.exclude(outgoing_user=viewer).order_by("created_at"))


def handover_for(viewer: User, pk: int) -> Handover | None:
    """A handover ``viewer`` may open: theirs (either side) or one in their scope."""
    handover = _base().filter(pk=pk).first()
    if handover is None:
        return None
    if viewer.pk in (handover.outgoing_user_id, handover.incoming_user_id):
        return handover
    return handover if may_see(viewer, handover.outgoing_user_id) else None
