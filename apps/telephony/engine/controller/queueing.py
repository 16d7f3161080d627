"""Queues: a caller waiting for an agent, and what they hear and may do meanwhile.

Hold music, position and expected-wait announcements, the callback offer, overflow after the
queue's maximum wait (to another queue, a number, or hang-up), and the ACD's periodic re-match
for queues whose skills expand with the wait or hold a call for its sticky agent. Matching
itself is the ACD's (:mod:`apps.telephony.acd`); an assignment goes on to :mod:`.offers`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from apps.telephony.acd import WaitingCall
from apps.telephony.engine.clock import TimerHandle
from apps.telephony.engine.config import QueueSettings
from apps.telephony.engine.controller.common import (
    GATHER_CALLBACK,
    MAX_OVERFLOWS,
    TICK_SECONDS,
)
from apps.telephony.engine.drivers.base import (
    PROMPT_CALLBACK_OFFER,
    PROMPT_HOLD_MUSIC,
    PROMPT_POSITION,
)
from apps.telephony.engine.state import (
    END_OVERFLOW,
    QUEUED,
    CallState,
)
from apps.telephony.speech import words as speech

if TYPE_CHECKING:
    from apps.telephony.engine.controller.core import CallController

logger = logging.getLogger(__name__)


class Queueing:
    """A call's time in a queue (its timers live on the call, the tick here)."""

    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl
        self.tick_timer: TimerHandle | None = None
        self.tick_queues: set[int] = set()

    def enqueue(self, call: CallState, queue_id: int, *, arrived: float | None = None) -> None:
        queue = self.ctl.queues[queue_id]
        now = self.ctl.clock.now()
        if call.ivr_exited is None:
            call.ivr_exited = now
        call.queue_id = queue_id
        call.status = QUEUED
        call.queue_entered = now
        if call.queued is None:
            call.queued = now
        self.ctl.store.call_queued(call)
        self.ctl.driver.play(call.uid, PROMPT_HOLD_MUSIC)
        call.waiting = WaitingCall(
            call_id=call.uid,
            queue_id=queue_id,
            arrived=now if arrived is None else arrived,
            priority=call.priority,
            sticky_agent_id=self.sticky_agent(call, queue),
        )
        call.overflow_at = now + queue.max_wait_seconds if queue.max_wait_seconds > 0 else None
        assignment = self.ctl.acd.enqueue(call.waiting, now)
        if assignment is not None:
            self.ctl.offers.assign(assignment)
            return
        self.arm_timers(call, queue, first=True)
        self.changed(queue_id)
        if queue_id in self.tick_queues:
            self.schedule_tick(TICK_SECONDS)

    def sticky_agent(self, call: CallState, queue: QueueSettings) -> int | None:
        if queue.strategy != "sticky":
            return None
        last = self.ctl.last_agent.get(call.caller)
        if last is None or (self.ctl.clock.now() - last[1]) > queue.sticky_days * 86400:
            return None
        return last[0]

    def arm_timers(self, call: CallState, queue: QueueSettings, *, first: bool = False) -> None:
        clock = self.ctl.clock
        if call.overflow_at is not None and call.overflow_timer is None:
            call.overflow_timer = clock.call_at(call.overflow_at, self.overflow_due, call)
        if queue.announces and call.announce_timer is None:
            delay = 0.0 if first else queue.announce_interval_seconds
            call.announce_timer = clock.call_later(delay, self.announce, call)
        if queue.callback_offer and call.callback_timer is None and not call.is_callback:
            when = (call.queue_entered or clock.now()) + queue.callback_offer_after_seconds
            call.callback_timer = clock.call_at(when, self.offer_callback, call)

    def cancel_timers(self, call: CallState) -> None:
        for name in ("overflow_timer", "announce_timer", "callback_timer"):
            timer = getattr(call, name)
            if timer is not None:
                timer.cancel()
                setattr(call, name, None)

    def changed(self, queue_id: int | None) -> None:
        if queue_id is None or not self.ctl.store.wants_queue_updates:
            return
        self.ctl.store.queue_changed(
            queue_id, self.ctl.acd.waiting_count(queue_id), self.ctl.acd.longest_wait(queue_id, self.ctl.clock.now())
        )

    def announce(self, call: CallState) -> None:
        call.announce_timer = None
        if call.status != QUEUED:
            return
        queue = self.ctl.queue_required(call)
        position = self.ctl.acd.position(call.uid)
        data: dict[str, Any] = {}
        if queue.announce_position:
            data["position"] = position
        if queue.announce_expected_wait:
            gap = self.ctl.answer_gap.get(queue.queue_id)
            data["expected_wait_seconds"] = round(gap * (position or 1)) if gap is not None else None
        # Spoken from word prompts over SIP ("You are number 3 in the queue…", in the tenant's
        # language); the event keeps the estimate, checked against the realised wait by the
        # announced-wait report (apps/telephony/reports/announced_wait.py).
        words = speech.position_announcement(
            data.get("position"), data.get("expected_wait_seconds"), self.ctl.ivr.language
        )
        self.ctl.driver.play(call.uid, PROMPT_POSITION, {**data, "words": words, "text": speech.text(words)})
        self.ctl.store.call_event(call, "announcement", **data)
        call.announce_timer = self.ctl.clock.call_later(queue.announce_interval_seconds, self.announce, call)

    def offer_callback(self, call: CallState) -> None:
        call.callback_timer = None
        if call.status != QUEUED or call.pending_gather is not None:
            return
        call.pending_gather = GATHER_CALLBACK
        self.ctl.store.call_event(call, "callback_offered")
        self.ctl.driver.gather(
            call.uid, PROMPT_CALLBACK_OFFER, max_digits=1, timeout=5, options=["1", "2"], key=GATHER_CALLBACK
        )

    def overflow_due(self, call: CallState) -> None:
        call.overflow_timer = None
        if call.status != QUEUED:
            return  # ringing an agent: decided when the offer fails
        self.ctl.acd.remove_call(call.uid)
        self.overflow(call)

    def overflow(self, call: CallState) -> None:
        """The call waited ``max_wait_seconds`` in its queue and is out of the ACD."""
        self.cancel_timers(call)
        queue = self.ctl.queue_required(call)
        call.overflows += 1
        self.changed(queue.queue_id)
        target = queue.overflow_queue_id
        if (
            target is not None
            and target in self.ctl.queues
            and target != queue.queue_id
            and call.overflows <= MAX_OVERFLOWS
        ):
            self.ctl.store.call_event(call, "overflow", from_queue_id=queue.queue_id, to_queue_id=target)
            self.enqueue(call, target, arrived=call.waiting.arrived)
        elif queue.overflow_number:
            self.ctl.store.call_event(call, "overflow", from_queue_id=queue.queue_id, number=queue.overflow_number)
            self.ctl.driver.transfer(call.uid, queue.overflow_number)
            self.ctl.wrapup.finish(call, END_OVERFLOW)
        else:
            self.ctl.store.call_event(call, "overflow", from_queue_id=queue.queue_id)
            self.ctl.wrapup.finish(call, END_OVERFLOW)
            self.ctl.driver.hangup(call.uid)

    def schedule_tick(self, delay: float) -> None:
        if self.tick_timer is None:
            self.tick_timer = self.ctl.clock.call_later(delay, self.tick)

    def tick(self) -> None:
        self.tick_timer = None
        for assignment in self.ctl.acd.tick(self.ctl.clock.now()):
            self.ctl.offers.assign(assignment)
        if any(self.ctl.acd.waiting_count(queue_id) for queue_id in self.tick_queues):
            self.schedule_tick(TICK_SECONDS)
