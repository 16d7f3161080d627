"""Database side of the ``simulate`` command: the scratch queue and optional sample CDRs."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.telephony.models import Queue
from apps.telephony.services.cdr import (
    call_answered,
    call_close,
    call_open,
    call_queued,
    call_wrapup_end,
)
from apps.telephony.services.recordings import recording_create

SCRATCH_QUEUE_CODE = "simulation-scratch"


def scratch_queue() -> Queue:
    """The tenant's scratch queue for simulations, created on first use. Wallboards, reports and
    the engine's live routing leave scratch queues out."""
    queue, _created = Queue.objects.get_or_create(
        code=SCRATCH_QUEUE_CODE,
        defaults={
            "name": _("Simulation (scratch)"),
            "is_scratch": True,
            "announce_position": False,
            "announce_expected_wait": False,
            "callback_offer": False,
        },
    )
    return queue


@transaction.atomic
def simulation_samples_write(*, queue: Queue, calls, clock, direction: str = "inbound") -> int:
    """Write finished simulated calls (engine ``CallState`` objects) as CDRs in ``queue``, each
    with a recording of its talk time. Virtual times are placed so the run ends now.
    ``direction``: ``outbound`` for ``simulate_campaign``'s calls."""
    shift = timezone.now() - clock.wall(clock.now())

    def at(t: float):
        return clock.wall(t) + shift

    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    written = 0
    for call in calls:
        if call.answered is None or call.ended is None:
            continue
        row = call_open(
            uid=f"simulate-{stamp}-{call.uid}",
            direction=direction,
            caller=call.caller,
            callee=call.callee,
            at=at(call.arrived),
            is_simulated=True,
        )
        call_queued(row, queue=queue, at=at(call.queued if call.queued is not None else call.arrived))
        call_answered(row, agent=None, at=at(call.answered))
        call_close(row, at=at(call.ended), end_reason="completed", wrapup=call.wrapup_ended is not None)
        if call.wrapup_ended is not None and call.wrapup_ended > call.ended:
            call_wrapup_end(row, at=at(call.wrapup_ended))
        if call.talk_seconds > 0:
            recording_create(call=row, duration_seconds=call.talk_seconds, seed=written)
        written += 1
    return written
