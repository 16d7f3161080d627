"""Building and finishing CDRs (``Call``) and their ``CallEvent`` timelines.

The engine's store calls these as a call moves along; every computed field is set in one place,
:func:`call_close_compute`, so live calls, virtual-time runs (:func:`calls_bulk_create`) and tests
agree on what "abandoned" or "answered within SL" means. Definitions (docs/calls-and-recordings.md);
the SL and short-abandon comparisons are apps/telephony/kpis.py's, the one KPI module:

- ``wait_seconds``: queued → answered, or queued → end when never answered; ``None`` if never queued.
- ``talk_seconds``: answered → end, minus the time on hold (so talk + hold + wrap-up never counts
  a second twice).
- ``ivr_seconds``: arrived → left the IVR (or queued / answered / ended, the first that happened).
- ``abandoned``: queued, never answered, and the caller left (not voicemail, callback, overflow,
  transfer, force release, failure or block).
- ``short_abandon``: abandoned with ``wait_seconds <= queue.short_abandon_seconds`` (inclusive:
  exactly 5.0 s with the default 5 is short); a threshold of 0 turns the exclusion off.
- ``answered_within_sl``: answered with ``wait_seconds <= queue.sl_threshold_seconds`` (inclusive);
  ``False`` for a queued call that was not answered; ``None`` for a call that never queued.

Transition helpers (:func:`call_queued`, :func:`call_offered`, :func:`call_answered`,
:func:`call_hold_start`, :func:`call_hold_stop`, :func:`call_close`, :func:`call_wrapup_end`) each
write their own timeline event; use :func:`call_event` only for other steps (IVR nodes, RONA,
transfers, monitoring).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.domain_events import domain_event
from apps.core.errors import ApplicationError
from apps.crm.models import Customer
from apps.crm.selectors import customer_by_phone
from apps.telephony import kpis
from apps.telephony.choices import CallDirection, CallEndReason, CallStatus
from apps.telephony.models import Call, CallEvent, Disposition, Queue

VIP_PRIORITY = 10  # a VIP caller waits ahead of every normal caller of the same queue

# Ends that take an unanswered queued call out of the queue without the caller giving up.
NOT_ABANDONED = frozenset(
    {
        CallEndReason.VOICEMAIL,
        CallEndReason.CALLBACK,
        CallEndReason.OVERFLOW,
        CallEndReason.TRANSFERRED,
        CallEndReason.FORCE_RELEASED,
        CallEndReason.FAILED,
        CallEndReason.BLOCKED,
    }
)

_FOREIGN_KEYS = {
    field.name: field.attname for field in Call._meta.concrete_fields if isinstance(field, models.ForeignKey)
}
_CONCRETE = {field.name for field in Call._meta.concrete_fields} | set(_FOREIGN_KEYS.values())


def _aware(at: datetime) -> datetime:
    if timezone.is_naive(at):
        raise ValueError("CDR timestamps must be timezone-aware")
    return at


def _seconds(start: datetime | None, end: datetime | None) -> float:
    if start is None or end is None:
        return 0.0
    return max(0.0, (end - start).total_seconds())


def _set(obj: models.Model, name: str, value: Any) -> str:
    """Assign a foreign key given as an instance or as a primary key; return the field name to save."""
    if name in _FOREIGN_KEYS and (value is None or isinstance(value, int)):
        setattr(obj, _FOREIGN_KEYS[name], value)
        return _FOREIGN_KEYS[name]
    setattr(obj, name, value)
    return name


def _customer_for(number: str, customer: Any) -> Any:
    if isinstance(customer, int):
        return Customer.objects.filter(pk=customer).first()
    if customer is None and number:
        return customer_by_phone(number)
    return customer


# --- opening --------------------------------------------------------------------------------


def call_build(
    *,
    uid: str,
    direction: str,
    caller: str,
    callee: str,
    trunk: Any = None,
    number: Any = None,
    at: datetime,
    customer: Any = None,
    priority: int = 0,
    is_simulated: bool = False,
    lookup_customer: bool = True,
) -> Call:
    """An unsaved ``Call`` (for :func:`calls_bulk_create`); :func:`call_open` saves one at once.

    The customer is found by the caller number (the callee's for outbound calls) unless given (or
    ``lookup_customer`` is false); a VIP customer lifts ``priority`` to at least :data:`VIP_PRIORITY`.
    """
    if direction not in CallDirection.values:
        raise ApplicationError("invalid", _("Unknown call direction %(d)s.") % {"d": direction})
    call = Call(
        uid=uid,
        direction=direction,
        caller=caller or "",
        callee=callee or "",
        arrived_at=_aware(at),
        status=CallStatus.DIALING if direction == CallDirection.OUTBOUND else CallStatus.IVR,
        priority=priority,
        is_simulated=is_simulated,
    )
    _set(call, "trunk", trunk)
    _set(call, "number", number)
    remote = callee if direction == CallDirection.OUTBOUND else caller  # the customer's end of the line
    found = _customer_for(remote, customer) if (customer is not None or lookup_customer) else None
    _set(call, "customer", found)
    if found is not None and found.is_vip:
        call.priority = max(call.priority, VIP_PRIORITY)
    return call


@transaction.atomic
def call_open(
    *,
    uid: str,
    direction: str,
    caller: str,
    callee: str,
    trunk: Any = None,
    number: Any = None,
    at: datetime,
    customer: Any = None,
    priority: int = 0,
    is_simulated: bool = False,
) -> Call:
    """Create the CDR when a call arrives (or is dialled) and write its ``arrived`` event."""
    call = call_build(
        uid=uid,
        direction=direction,
        caller=caller,
        callee=callee,
        trunk=trunk,
        number=number,
        at=at,
        customer=customer,
        priority=priority,
        is_simulated=is_simulated,
    )
    call.save(force_insert=True)
    call_event(call, "arrived", at=at, caller=call.caller, callee=call.callee, customer_id=call.customer_id)
    domain_event("call.started", call)
    return call


# --- events and updates ---------------------------------------------------------------------


def call_event_build(call: Call, kind: str, *, at: datetime, agent: Any = None, **data: Any) -> CallEvent:
    event = CallEvent(call=call, kind=kind, at=_aware(at), data=data)
    if agent is None or isinstance(agent, int):
        event.agent_id = agent
    else:
        event.agent = agent
    return event


def call_event(call: Call, kind: str, *, at: datetime, agent: Any = None, **data: Any) -> CallEvent:
    """Append one step to the call's timeline; ``data`` must be JSON-serialisable."""
    event = call_event_build(call, kind, at=at, agent=agent, **data)
    event.save(force_insert=True)
    return event


def call_update(call: Call, **fields: Any) -> Call:
    """Set fields (foreign keys as instances or ids) and save only those."""
    unknown = set(fields) - _CONCRETE
    if unknown:
        raise ValueError(f"Call has no field(s) {', '.join(sorted(unknown))}")
    names = [_set(call, name, value) for name, value in fields.items()]
    if names:
        call.save(update_fields=names)
    return call


def _transition(call: Call, kind: str, *, at: datetime, fields: dict[str, Any], **data: Any) -> Call:
    """Save ``fields`` and write the ``kind`` event (by the call's agent) in one transaction."""
    with transaction.atomic():
        call_update(call, **fields)
        call_event(call, kind, at=at, agent=call.agent_id, **data)
    return call


def _require(call: Call, *statuses: str) -> None:
    if call.status not in statuses:
        raise ApplicationError(
            "invalid_call_state",
            _("The call is %(status)s.") % {"status": call.get_status_display()},
            status=409,
        )


def call_queued(call: Call, *, queue: Any, at: datetime, priority: int | None = None) -> Call:
    """The call enters ``queue`` (again on overflow to another queue: ``queued_at`` keeps the first)."""
    fields: dict[str, Any] = {"queue": queue, "status": CallStatus.QUEUED}
    if call.queued_at is None:
        fields["queued_at"] = _aware(at)
    # An outbound call (a campaign's live answer queued for an agent) never was in an IVR: marking
    # it as having left one would give it an "IVR time" equal to its ringing time.
    if call.ivr_exited_at is None and call.direction != CallDirection.OUTBOUND:
        fields["ivr_exited_at"] = at
    if priority is not None:
        fields["priority"] = priority
    queue_id = queue if isinstance(queue, int) else queue.pk
    return _transition(call, "queued", at=at, fields=fields, queue_id=queue_id)


def call_offered(call: Call, *, agent: Any, at: datetime, ring: int | None = None) -> Call:
    """Offered to ``agent`` (ringing): ``offered_at`` keeps the first offer, ``offer_count`` counts all.

    The call's ``agent`` stays empty until it is answered; the event names the agent offered (and,
    in a bullseye queue, the ``ring`` the call had reached: 1 is the innermost)."""
    fields: dict[str, Any] = {"status": CallStatus.OFFERED, "offer_count": call.offer_count + 1}
    if call.offered_at is None:
        fields["offered_at"] = _aware(at)
    with transaction.atomic():
        call_update(call, **fields)
        call_event(call, "offered", at=at, agent=agent, **({"ring": ring} if ring is not None else {}))
    return call


def call_answered(call: Call, *, agent: Any, at: datetime) -> Call:
    if call.answered_at is not None or call.ended_at is not None:
        raise ApplicationError("invalid_call_state", _("The call was already answered or has ended."), status=409)
    fields = {"agent": agent, "status": CallStatus.TALKING, "answered_at": _aware(at)}
    call = _transition(call, "answered", at=at, fields=fields)
    domain_event("call.answered", call)
    return call


# --- hold -----------------------------------------------------------------------------------


def _hold_started_at(call: Call) -> datetime | None:
    cached = getattr(call, "_hold_started_at", None)
    if cached is not None:
        return cached
    event = call.events.filter(kind="held").order_by("-at", "-id").first() if call.pk else None
    return event.at if event else None


def call_hold_start(call: Call, *, at: datetime) -> Call:
    _require(call, CallStatus.TALKING)
    _transition(call, "held", at=at, fields={"status": CallStatus.HOLD})
    call._hold_started_at = _aware(at)  # type: ignore[attr-defined]
    return call


def _close_hold_segment(call: Call, at: datetime) -> float:
    started = _hold_started_at(call)
    held = _seconds(started, at)
    call.hold_seconds = (call.hold_seconds or 0) + held
    call._hold_started_at = None  # type: ignore[attr-defined]
    return held


def call_hold_stop(call: Call, *, at: datetime) -> Call:
    """Resume: the segment since the matching ``held`` event is added to ``hold_seconds``."""
    _require(call, CallStatus.HOLD)
    held = _close_hold_segment(call, _aware(at))
    fields = {"status": CallStatus.TALKING, "hold_seconds": call.hold_seconds}
    return _transition(call, "resumed", at=at, fields=fields, held_seconds=round(held, 3))


# --- closing --------------------------------------------------------------------------------


def call_close_compute(
    call: Call,
    *,
    at: datetime,
    end_reason: str,
    blocked: bool = False,
    wrapup: bool | None = None,
    queue: Queue | None = None,
) -> list[str]:
    """Set the end of ``call`` and every computed field in memory; return the names to save.

    ``wrapup``: whether the agent now goes into wrap-up (the call stays ``wrap_up`` until
    :func:`call_wrapup_end`); by default, when the call was answered in a queue with wrap-up time.
    ``queue``: the call's queue when the caller already holds it (saves a query per call in bulk runs).
    """
    if call.ended_at is not None:
        raise ApplicationError("invalid_call_state", _("The call has already ended."), status=409)
    if end_reason not in CallEndReason.values:
        raise ApplicationError("invalid", _("Unknown end reason %(r)s.") % {"r": end_reason})
    at = _aware(at)
    if queue is None and call.queue_id is not None:
        queue = call.queue
    if call.status == CallStatus.HOLD:
        _close_hold_segment(call, at)
    answered = call.answered_at is not None

    call.ended_at = at
    call.end_reason = end_reason
    call.blocked = bool(blocked) or end_reason == CallEndReason.BLOCKED
    if call.direction == CallDirection.INBOUND or call.ivr_exited_at is not None:
        left_ivr = call.ivr_exited_at or call.queued_at or call.answered_at or at
        call.ivr_seconds = _seconds(call.arrived_at, left_ivr)
    call.wait_seconds = _seconds(call.queued_at, call.answered_at or at) if call.queued_at else None
    call.talk_seconds = max(0.0, _seconds(call.answered_at, at) - (call.hold_seconds or 0)) if answered else 0.0

    call.abandoned = bool(call.queued_at and not answered and end_reason not in NOT_ABANDONED)
    short_limit = queue.short_abandon_seconds if queue is not None else 0
    call.short_abandon = bool(call.abandoned and kpis.is_short_abandon(call.wait_seconds or 0.0, short_limit))
    if call.queued_at is not None and queue is not None:
        call.sl_threshold_seconds = queue.sl_threshold_seconds
        call.answered_within_sl = bool(
            answered and kpis.answered_within_sl(call.wait_seconds or 0.0, queue.sl_threshold_seconds)
        )
    else:
        call.sl_threshold_seconds = None
        call.answered_within_sl = None

    if wrapup is None:
        wrapup = answered and queue is not None and queue.wrapup_seconds > 0
    if answered and wrapup:
        call.status = CallStatus.WRAP_UP
    else:
        call.status = CallStatus.ENDED
        call.wrapup_ended_at = at
        call.wrapup_seconds = 0.0
    return [
        "ended_at",
        "end_reason",
        "blocked",
        "ivr_seconds",
        "wait_seconds",
        "talk_seconds",
        "hold_seconds",
        "abandoned",
        "short_abandon",
        "sl_threshold_seconds",
        "answered_within_sl",
        "status",
        "wrapup_ended_at",
        "wrapup_seconds",
    ]


def call_close(
    call: Call,
    *,
    at: datetime,
    end_reason: str,
    blocked: bool = False,
    wrapup: bool | None = None,
) -> Call:
    """The call is over (hung up, abandoned, blocked, sent to voicemail…): compute and save the CDR."""
    fields = call_close_compute(call, at=at, end_reason=end_reason, blocked=blocked, wrapup=wrapup)
    data: dict[str, Any] = {"end_reason": end_reason}
    if call.blocked:
        data["blocked"] = True
    if call.abandoned:
        data["abandoned"] = True
        data["short_abandon"] = call.short_abandon
    with transaction.atomic():
        call.save(update_fields=fields)
        call_event(call, "ended", at=at, agent=call.agent_id, **data)
        domain_event("call.ended", call)
    return call


def _disposition(value: Any) -> Disposition | None:
    if value is None or value == "" or isinstance(value, Disposition):
        return value or None
    lookup = {"pk": value} if isinstance(value, int) else {"code": value}
    disposition = Disposition.objects.filter(**lookup).first()
    if disposition is None:
        raise ApplicationError(
            "unknown_disposition",
            _("Unknown disposition %(d)s.") % {"d": value},
            fields={"disposition": [_("Unknown disposition.")]},
        )
    return disposition


def call_wrapup_end_compute(call: Call, *, at: datetime, disposition: Any = None, notes: str = "") -> list[str]:
    """In memory: end wrap-up at ``at`` (``wrapup_seconds`` = end of call → ``at``); return fields."""
    if call.ended_at is None:
        raise ApplicationError("invalid_call_state", _("The call has not ended yet."), status=409)
    chosen = _disposition(disposition)  # may refuse: before anything changes
    fields = []
    if call.status == CallStatus.WRAP_UP:
        call.wrapup_ended_at = _aware(at)
        call.wrapup_seconds = _seconds(call.ended_at, at)
        call.status = CallStatus.ENDED
        fields += ["wrapup_ended_at", "wrapup_seconds", "status"]
    # A call closed without wrap-up may still get its disposition and notes afterwards.
    if chosen is not None:
        call.disposition = chosen
        fields.append("disposition")
    if notes:
        call.notes = notes
        fields.append("notes")
    return fields


def call_wrapup_end(call: Call, *, at: datetime, disposition: Any = None, notes: str = "") -> Call:
    """The agent finished after-call work (or the queue's wrap-up timer ran out).

    ``disposition`` is a ``Disposition``, its id or its code."""
    was_in_wrapup = call.status == CallStatus.WRAP_UP
    fields = call_wrapup_end_compute(call, at=at, disposition=disposition, notes=notes)
    with transaction.atomic():
        if fields:
            call.save(update_fields=fields)
        if was_in_wrapup or fields:
            data = {"disposition": call.disposition.code if call.disposition is not None else None}
            call_event(call, "wrapup_ended", at=at, agent=call.agent_id, **data)
    return call


# --- bulk (virtual-time runs) ---------------------------------------------------------------


def calls_bulk_create(calls: Sequence[Call], events: Iterable[CallEvent] = (), *, batch_size: int = 1000) -> list[Call]:
    """Insert many finished or unfinished calls and their events in two statements per batch.

    Build calls with :func:`call_build`, move them with plain attribute assignments, finish them
    with :func:`call_close_compute` / :func:`call_wrapup_end_compute`, and build events with
    :func:`call_event_build` (events may reference the unsaved calls).
    """
    with transaction.atomic():
        created = Call.objects.bulk_create(calls, batch_size=batch_size)
        pending = list(events)
        for event in pending:
            event.call_id = event.call.pk  # the call got its primary key just now
        CallEvent.objects.bulk_create(pending, batch_size=batch_size)
    return created
