"""Call control, written once against the switch-driver interface.

One :class:`CallController` runs one tenant's contact center: it listens to a
:class:`~apps.telephony.engine.drivers.base.SwitchDriver`, walks callers through the IVR
(:mod:`apps.telephony.ivr.runner`), queues them in the ACD (:class:`apps.telephony.acd.Acd`),
offers them to agents, and follows each call to the end of its wrap-up. Everything it learns
goes to a :class:`~apps.telephony.engine.store.Store`. It is synchronous and single-threaded:
driver events, clock timers and desktop commands (:meth:`CallController.handle_message`) all
run on one loop (virtual or asyncio), so no locks are needed here.

The life of an inbound call::

    arrived ─► IVR (play / gather / survey …) ─► queued ─► offered (ringing) ─► talking ⇄ hold
                      │                          │  ▲            │ ring timeout: RONA, back to
                      │                          │  └────────────┘ the queue, first agent NotReady("missed")
                      ▼                          ▼
             voicemail, callback,         abandoned, overflow (to a queue, a number, or hang-up),
             transfer, hang-up            callback request (keeps the caller's place)

    talking ─► ended (caller or agent hung up) ─► agent wrap-up (queue.wrapup_seconds, or
               call.wrapup from the desktop) ─► agent Ready ─► the ACD may match them at once.

The life of an outbound campaign call (the pacing is :mod:`apps.telephony.dialer`'s)::

    dialled, nobody on our side ─► busy / failed / no answer (ring timeout) / blocked
        └► far end answers ─► AMD: machine → hung up (a person taken for one: abandoned)
                               └► live answer ─► queued first in the campaign's queue
                                   ├► an agent within the grace (2 s): connected at once ─► talk, wrap-up
                                   └► nobody: abandon message, hung up

Desktop commands arrive as the engine inbox messages of the issue 3 contract (``call.answer``,
``call.hangup``, ``call.transfer``, ``call.wrapup``, ``agent.state`` …, docs/realtime.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apps.crm.phones import phone_variants
from apps.telephony import dialling
from apps.telephony.acd import Acd, Assignment, WaitingCall
from apps.telephony.engine.clock import Clock, TimerHandle
from apps.telephony.engine.config import (
    VIP_PRIORITY,
    AgentSettings,
    CustomerInfo,
    NumberSettings,
    QueueSettings,
    TenantConfig,
)
from apps.telephony.engine.drivers.base import (
    AMD_HUMAN,
    BY_AGENT,
    BY_CALLER,
    BY_SYSTEM,
    CONSULT_DECLINED,
    FAILED_BLOCKED,
    FAILED_BUSY,
    FAILED_NO_ANSWER,
    PROMPT_ABANDON,
    PROMPT_CALLBACK_OFFER,
    PROMPT_HOLD_MUSIC,
    PROMPT_POSITION,
    PROMPT_VOICEMAIL,
    DriverListener,
    InboundCall,
    SwitchDriver,
)
from apps.telephony.engine.state import (
    A_HOLD,
    A_NOT_READY,
    A_OFFLINE,
    A_READY,
    A_RESERVED,
    A_TALKING,
    A_WRAP_UP,
    CALLBACK_WAITING,
    DIALING,
    END_ABANDONED,
    END_BLOCKED,
    END_CALLBACK,
    END_COMPLETED,
    END_FAILED,
    END_FORCE_RELEASED,
    END_IVR_END,
    END_IVR_HANGUP,
    END_NO_ANSWER,
    END_OVERFLOW,
    END_TRANSFERRED,
    END_VOICEMAIL,
    ENDED,
    HOLD,
    IVR,
    OFFERED,
    OUTBOUND,
    QUEUED,
    REASON_MISSED,
    TALKING,
    VOICEMAIL,
    WRAP_UP,
    AgentRuntime,
    CallState,
)
from apps.telephony.engine.store import Store

try:  # the IVR runner is plain Python; without it numbers route straight to their queue
    from apps.telephony.ivr import runner as ivr_runner
except ImportError:  # pragma: no cover - only while the IVR package is missing
    ivr_runner = None

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0  # ACD re-match for expanding skills and sticky holds
OUTBOUND_WRAPUP_SECONDS = 30  # wrap-up after a click-to-dial or callback call without a queue setting
CALLBACK_ATTEMPTS = 3
CALLBACK_RETRY_SECONDS = 300
MAX_OVERFLOWS = 3  # a call overflowing between queues in a circle is hung up after this many hops
ANSWER_GAP_SMOOTHING = 0.2  # EWMA weight of the newest gap between answers (expected-wait announcements)
GATHER_IVR = "ivr"
GATHER_CALLBACK = "callback_offer"
LIVE = (TALKING, HOLD)
# Campaigns (apps.telephony.dialer). A live outbound answer outranks every call waiting in its
# queue (VIP callers get +10): it has 2 seconds to reach an agent, a waiting caller has minutes.
LIVE_ANSWER_PRIORITY = 1000
AUTO_ANSWER_SECONDS = 5.0  # an outbound live answer is connected at once; past this it is abandoned
ABANDON_MESSAGE = "abandon_message"  # marks a call whose abandon message is playing
# Dial outcomes (apps.telephony.dialer.contract); repeated here so the engine needs no dialer import.
OUTCOME_ANSWERED = "answered"
OUTCOME_ABANDONED = "abandoned"
OUTCOME_BUSY = "busy"
OUTCOME_NO_ANSWER = "no_answer"
OUTCOME_MACHINE = "machine"
OUTCOME_FAILED = "failed"
OUTCOME_BLOCKED = "blocked"
CONSULT_RING_SECONDS = 20  # a consultation rings this long when the call has no queue setting
CONSULT_PROBE = "/consult"  # suffix of the ACD entry that picks a queue's agent for a consultation


@dataclass
class Consult:
    """An attended transfer in progress: ``from_agent_id`` (the call's agent) consults ``agent_id``
    while the caller is held. Engine-clock times."""

    call_uid: str
    from_agent_id: int
    agent_id: int
    queue_id: int | None
    started: float
    answered: float | None = None
    ring_timer: TimerHandle | None = None


class CallController(DriverListener):
    def __init__(
        self,
        *,
        clock: Clock,
        driver: SwitchDriver,
        acd: Acd,
        store: Store,
        config: TenantConfig | None = None,
        uid_prefix: str = "eng-",
        use_ivr: bool = True,
    ) -> None:
        self.clock = clock
        self.driver = driver
        self.acd = acd
        self.store = store
        self.uid_prefix = uid_prefix
        self.use_ivr = use_ivr and ivr_runner is not None
        self.queues: dict[int, QueueSettings] = {}
        self.numbers: dict[int | None, NumberSettings] = {}
        self.agents: dict[int, AgentRuntime] = {}
        self.calls: dict[str, CallState] = {}
        self.customers: dict[str, CustomerInfo] = {}
        self.hours: dict = {}
        self.time_zone = ZoneInfo("Asia/Shanghai")
        self.default_caller_id = ""
        self.dialling_rules = dialling.Rules()
        self.last_agent: dict[str, tuple[int, float]] = {}  # caller -> (agent id, engine time last served)
        self.answer_gap: dict[int, float] = {}
        self._last_answer: dict[int, float] = {}
        self._tick_timer: TimerHandle | None = None
        self._tick_queues: set[int] = set()
        self._seq = 0
        self.campaigns: dict[int, Any] = {}  # campaign id -> apps.telephony.dialer.campaign.CampaignRuntime
        self.previews: dict[int, tuple[int, Any]] = {}  # agent id -> (campaign id, DialTarget) shown to them
        self.consults: dict[str, Consult] = {}  # call uid -> its attended transfer in progress
        driver.set_listener(self)
        if config is not None:
            self.apply_config(config)

    # =============================================================================
    # configuration
    # =============================================================================
    def apply_config(self, config: TenantConfig) -> None:
        """Take a (re)loaded configuration. Waiting calls and live calls are not disturbed;
        new agents join in the state the database has for them."""
        self.time_zone = ZoneInfo(config.time_zone or "Asia/Shanghai")
        self.dialling_rules = config.dialling_rules
        for queue in config.queues.values():
            self.set_queue(queue)
        self.numbers = dict(config.numbers)
        self.hours = dict(config.hours)
        self.customers = dict(config.customers)
        now = self.clock.now()
        for caller, (agent_id, age_days) in config.last_agent.items():
            self.last_agent.setdefault(caller, (agent_id, now - age_days * 86400))
        for number in config.numbers.values():
            if number.caller_id and not self.default_caller_id:
                self.default_caller_id = number.caller_id
        for agent_settings in config.agents.values():
            self.set_agent(agent_settings)
        self._schedule_tick(0)

    def set_queue(self, queue: QueueSettings) -> None:
        self.queues[queue.queue_id] = queue
        self.acd.set_queue(queue.acd_config())
        if queue.needs_tick:
            self._tick_queues.add(queue.queue_id)
        else:
            self._tick_queues.discard(queue.queue_id)
        set_thresholds = getattr(self.store, "set_queue_thresholds", None)
        if set_thresholds is not None:
            set_thresholds(queue.queue_id, queue.sl_threshold_seconds, queue.short_abandon_seconds)

    def set_agent(self, settings: AgentSettings, *, ready: bool | None = None) -> AgentRuntime:
        """Add or update an agent. A new agent takes ``settings.state`` (or Ready when ``ready``);
        a Ready one is offered calls at once."""
        self.acd.set_agent(settings.profile())
        agent = self.agents.get(settings.agent_id)
        if agent is None:
            agent = AgentRuntime(settings.agent_id, is_virtual=settings.is_virtual, name=settings.name)
            agent.settings = settings
            self.agents[settings.agent_id] = agent
            state = A_READY if ready else settings.state
            agent.reason = settings.reason if state == A_NOT_READY else None
            if state == A_READY:
                agent.state = A_OFFLINE
                self._agent_ready(agent, record=bool(ready), idle_seconds=settings.idle_seconds)
            else:
                # Call states cannot survive an engine restart; the runner resets them first.
                agent.state = state if state in (A_OFFLINE, A_NOT_READY) else A_NOT_READY
        else:
            agent.settings = settings
            agent.is_virtual = settings.is_virtual
            agent.name = settings.name
        return agent

    def remove_agent(self, agent_id: int) -> None:
        agent = self.agents.get(agent_id)
        if agent is None or agent.call is not None:
            return
        self.acd.remove_agent(agent_id)
        del self.agents[agent_id]

    def _identify(self, call: CallState) -> None:
        """Customer and VIP priority from the caller number."""
        info = self.customers.get(call.caller)
        if info is None and self.customers:
            for variant in phone_variants(call.caller):
                info = self.customers.get(variant)
                if info is not None:
                    break
        if info is not None:
            call.customer_id = info.customer_id
            call.customer_name = info.name
            call.is_vip = info.is_vip
            if info.is_vip:
                call.priority = max(call.priority, VIP_PRIORITY)

    def new_uid(self, kind: str) -> str:
        self._seq += 1
        return f"{self.uid_prefix}{kind}{self._seq:06d}"

    # =============================================================================
    # driver events
    # =============================================================================
    def on_arrived(self, inbound: InboundCall) -> None:
        if not self.store.accepting_calls:
            # The store cannot write (its database is away): the caller gets the busy treatment of
            # a full trunk, with a CDR that the store writes once the database is back.
            self._blocked(inbound)
            self.driver.hangup(inbound.uid)
            return
        now = self.clock.now()
        call = CallState(
            inbound.uid,
            caller=inbound.caller,
            callee=inbound.callee,
            arrived=now,
            number_id=inbound.number_id,
            trunk_id=inbound.trunk_id,
        )
        self._identify(call)
        self.calls[call.uid] = call
        number = self.numbers.get(inbound.number_id)
        use_ivr = number is not None and bool(number.ivr_graph) and self.use_ivr
        if use_ivr:
            call.ivr_version_id = number.ivr_version_id
        self.store.call_arrived(call)
        if use_ivr:
            self.driver.answer(call.uid)
            self._ivr_start(call, number)
        elif number is not None and number.queue_id in self.queues:
            self._enqueue(call, number.queue_id)
        else:
            logger.warning("call %s on %s: the number routes nowhere", call.uid, inbound.callee)
            self._finish(call, END_FAILED)
            self.driver.hangup(call.uid)

    def on_failed(self, uid: str, reason: str, call: InboundCall | None = None) -> None:
        existing = self.calls.get(uid)
        if existing is None:
            if call is not None:
                self._blocked(call)
            return
        if existing.campaign_id is not None:
            self._campaign_failed(existing, reason)
            return
        if existing.status == DIALING:
            self._dial_failed(existing, END_NO_ANSWER if reason == FAILED_NO_ANSWER else END_FAILED)

    def on_ringing(self, uid: str, agent_id: int) -> None:
        return None

    def on_answered(self, uid: str, agent_id: int | None) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        if agent_id is None:
            if call.campaign_id is not None and call.status == DIALING and call.far_answered is None:
                self._campaign_far_answered(call)
            return
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        if call.status == OFFERED:
            if agent_id not in call.ringing:
                return
            self._cancel(call, "ring_timer")
            losers = tuple(other for other in call.ringing if other != agent_id)
            call.ringing = ()
            self._connect(call, agent)
            if losers:
                self._withdraw(call, losers)
        elif call.status == DIALING and call.agent_id == agent_id:
            if call.campaign_id is not None:  # a preview dial: the contact answered, the agent is on
                call.far_answered = call.far_answered or self.clock.now()
                self._campaign_live_noted(call)
            self._connect(call, agent)
            if call.is_callback:
                self.store.callback_finished(call.callback_for or "", call, "done")

    def on_play_done(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        if call.pending_gather == ABANDON_MESSAGE:
            self.calls.pop(uid, None)
            self.driver.hangup(uid)
        elif call.status == VOICEMAIL:
            call.queue_entered = self.clock.now()  # the message starts now
            self.driver.start_recording(uid)
        elif call.ivr is not None and call.pending_gather == GATHER_IVR:
            call.pending_gather = None
            self._ivr_feed(call, ivr_runner.PlayDone())

    def on_digits(self, uid: str, digits: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        pending, call.pending_gather = call.pending_gather, None
        if pending == GATHER_IVR and call.ivr is not None:
            self._ivr_feed(call, ivr_runner.Digits(digits))
        elif pending == GATHER_CALLBACK and call.status == QUEUED:
            self.store.call_event(call, "callback_offer_answer", digits=digits)
            if digits == "1":
                self._callback_request(call, call.queue_id, original=call.waiting.arrived)

    def on_no_input(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        pending, call.pending_gather = call.pending_gather, None
        if pending == GATHER_IVR and call.ivr is not None:
            self._ivr_feed(call, ivr_runner.NoInput())

    def on_held(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None or call.status != TALKING:
            return
        call.status = HOLD
        call.hold_started = self.clock.now()
        self.store.call_held(call)
        agent = self.agents.get(call.agent_id)
        if agent is not None:
            self._set_agent(agent, A_HOLD, call=call)
            self._notify(agent, {"type": "call.held", "call_uid": uid})

    def on_resumed(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None or call.status != HOLD:
            return
        self._close_hold(call)
        call.status = TALKING
        self.store.call_resumed(call)
        agent = self.agents.get(call.agent_id)
        if agent is not None:
            self._set_agent(agent, A_TALKING, call=call)
            self._notify(agent, {"type": "call.resumed", "call_uid": uid})

    def on_hung_up(self, uid: str, by: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        status = call.status
        consult = self.consults.get(uid)
        if consult is not None and status in LIVE and by == BY_AGENT and self._consult_first_left(call, consult):
            return  # the first agent hung up during a consultation: the transfer goes on
        if status in LIVE:
            self._end_talk(call, by)
        elif status == QUEUED:
            self.acd.remove_call(uid)
            self._cancel(call, "grace_timer")
            self._finish(call, END_ABANDONED)
            self._queue_changed(call.queue_id)
            self._campaign_outcome(call, OUTCOME_ABANDONED)
        elif status == OFFERED:
            self._cancel(call, "ring_timer")
            ringing, call.ringing = call.ringing, ()
            self._withdraw(call, ringing)
            self._finish(call, END_ABANDONED)
            self._campaign_outcome(call, OUTCOME_ABANDONED)
        elif status == DIALING and call.campaign_id is not None:
            # The contact hung up while the detector listened, or the switch dropped the line.
            self._campaign_failed(call, FAILED_NO_ANSWER if call.far_answered is None else "hung_up")
        elif status == IVR:
            self._finish(call, END_IVR_HANGUP if by == BY_CALLER else END_IVR_END)
        elif status == VOICEMAIL:
            started = call.queue_entered if call.queue_entered is not None else self.clock.now()
            self.store.voicemail_left(call, call.queue_id, max(0.0, self.clock.now() - started))
            self._finish(call, END_VOICEMAIL)
        elif status == DIALING:
            self._dial_failed(call, END_NO_ANSWER)
        else:
            # The caller left during a post-call survey (the CDR is already closed), or a stale leg.
            self.calls.pop(uid, None)

    def on_machine_detected(self, uid: str, result: str, actual: str | None = None) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        self.store.call_event(call, "machine_detected", result=result)
        if call.campaign_id is None or call.status != DIALING:
            return
        call.amd_result = result
        call.amd_actual = actual
        if result == AMD_HUMAN:
            self._campaign_live(call)
            return
        # A machine (or a person the detector took for one): hang up. A false positive is an
        # abandoned live answer; only a simulated switch can tell (``actual``).
        runtime = self._runtime(call)
        if runtime is not None:
            runtime.line_resolved(call, live=False)
        agent = self.agents.get(call.agent_id) if call.agent_id is not None else None
        self._finish(call, END_ABANDONED if actual == AMD_HUMAN else END_FAILED)
        self.driver.hangup(uid)
        if agent is not None and agent.call is call:
            self._notify(agent, {"type": "call.ended", "call_uid": call.uid, "by": "network"})
            self._return_after_dial(agent, call)
        self._campaign_outcome(call, OUTCOME_ABANDONED if actual == AMD_HUMAN else OUTCOME_MACHINE)

    # =============================================================================
    # IVR
    # =============================================================================
    def _local_now(self) -> datetime:
        return self.clock.wall().astimezone(self.time_zone)

    def _ivr_start(self, call: CallState, number: NumberSettings) -> None:
        call.ivr = ivr_runner.IvrSession(
            number.ivr_graph,
            now_local=self._local_now(),
            hours_lookup=self.hours.get,
            queue_lookup=self.queues.__contains__,
        )
        self._ivr_do(call, call.ivr.start())

    def _ivr_feed(self, call: CallState, received: Any) -> None:
        session = call.ivr
        session.now_local = self._local_now()
        try:
            action = session.feed(received)
        except ivr_runner.IvrSessionError:
            logger.warning("call %s: IVR input %r while nothing waited for it", call.uid, received)
            return
        if session.survey_score is not None and call.survey_score is None:
            call.survey_score = session.survey_score
            self.store.survey_scored(call, session.survey_score)
        self._ivr_do(call, action)

    def _ivr_do(self, call: CallState, action: Any) -> None:
        kind = action.kind
        uid = call.uid
        if kind == "play":
            call.pending_gather = GATHER_IVR
            self.driver.play(uid, action.audio or action.prompt)
        elif kind == "gather":
            call.pending_gather = GATHER_IVR
            self.driver.gather(
                uid,
                action.audio or action.prompt,
                max_digits=action.max_digits,
                timeout=action.timeout,
                options=list(action.options),
                key=action.node,
            )
        elif kind == "survey":
            call.pending_gather = GATHER_IVR
            self.driver.gather(
                uid,
                action.audio or action.prompt,
                max_digits=1,
                timeout=action.timeout,
                options=list("12345"),
                key="survey",
            )
        elif kind == "queue":
            self._leave_ivr(call)
            call.after_call = bool(action.after_call_node)
            self._enqueue(call, action.queue_id)
        elif kind == "voicemail":
            self._leave_ivr(call)
            call.status = VOICEMAIL
            call.queue_id = action.queue_id
            self.store.call_event(call, "voicemail", queue_id=action.queue_id)
            self.driver.play(
                uid, action.audio or PROMPT_VOICEMAIL, {"prompt": action.prompt} if action.prompt else None
            )
        elif kind == "callback":
            self._leave_ivr(call)
            self._callback_request(call, action.queue_id, original=self.clock.now())
        elif kind == "transfer":
            self._leave_ivr(call)
            if action.queue_id is not None and action.queue_id in self.queues:
                self._enqueue(call, action.queue_id)
            elif action.number:
                self.store.call_event(call, "transferred", number=action.number)
                self.driver.transfer(uid, action.number)
                self._finish(call, END_TRANSFERRED)
            else:
                self._finish(call, END_IVR_END)
                self.driver.hangup(uid)
        else:  # hangup
            if call.ended is None:
                self._leave_ivr(call)
                self._finish(call, END_IVR_END)
            else:
                self.calls.pop(uid, None)  # the end of a post-call survey
            self.driver.hangup(uid)

    def _leave_ivr(self, call: CallState) -> None:
        if call.ivr_exited is None:
            call.ivr_exited = self.clock.now()
            self.store.call_ivr_exited(call)

    # =============================================================================
    # queueing
    # =============================================================================
    def _enqueue(self, call: CallState, queue_id: int, *, arrived: float | None = None) -> None:
        queue = self.queues[queue_id]
        now = self.clock.now()
        if call.ivr_exited is None:
            call.ivr_exited = now
        call.queue_id = queue_id
        call.status = QUEUED
        call.queue_entered = now
        if call.queued is None:
            call.queued = now
        self.store.call_queued(call)
        self.driver.play(call.uid, PROMPT_HOLD_MUSIC)
        call.waiting = WaitingCall(
            call_id=call.uid,
            queue_id=queue_id,
            arrived=now if arrived is None else arrived,
            priority=call.priority,
            sticky_agent_id=self._sticky_agent(call, queue),
        )
        call.overflow_at = now + queue.max_wait_seconds if queue.max_wait_seconds > 0 else None
        assignment = self.acd.enqueue(call.waiting, now)
        if assignment is not None:
            self._assign(assignment)
            return
        self._arm_queue_timers(call, queue, first=True)
        self._queue_changed(queue_id)
        if queue_id in self._tick_queues:
            self._schedule_tick(TICK_SECONDS)

    def _sticky_agent(self, call: CallState, queue: QueueSettings) -> int | None:
        if queue.strategy != "sticky":
            return None
        last = self.last_agent.get(call.caller)
        if last is None or (self.clock.now() - last[1]) > queue.sticky_days * 86400:
            return None
        return last[0]

    def _arm_queue_timers(self, call: CallState, queue: QueueSettings, *, first: bool = False) -> None:
        clock = self.clock
        if call.overflow_at is not None and call.overflow_timer is None:
            call.overflow_timer = clock.call_at(call.overflow_at, self._overflow_due, call)
        if queue.announces and call.announce_timer is None:
            delay = 0.0 if first else queue.announce_interval_seconds
            call.announce_timer = clock.call_later(delay, self._announce, call)
        if queue.callback_offer and call.callback_timer is None and not call.is_callback:
            when = (call.queue_entered or clock.now()) + queue.callback_offer_after_seconds
            call.callback_timer = clock.call_at(when, self._offer_callback, call)

    @staticmethod
    def _cancel(call: CallState, name: str) -> None:
        timer = getattr(call, name)
        if timer is not None:
            timer.cancel()
            setattr(call, name, None)

    def _cancel_queue_timers(self, call: CallState) -> None:
        for name in ("overflow_timer", "announce_timer", "callback_timer"):
            timer = getattr(call, name)
            if timer is not None:
                timer.cancel()
                setattr(call, name, None)

    def _queue_changed(self, queue_id: int | None) -> None:
        if queue_id is None or not self.store.wants_queue_updates:
            return
        self.store.queue_changed(
            queue_id, self.acd.waiting_count(queue_id), self.acd.longest_wait(queue_id, self.clock.now())
        )

    def _announce(self, call: CallState) -> None:
        call.announce_timer = None
        if call.status != QUEUED:
            return
        queue = self.queues[call.queue_id]
        position = self.acd.position(call.uid)
        data: dict[str, Any] = {}
        if queue.announce_position:
            data["position"] = position
        if queue.announce_expected_wait:
            gap = self.answer_gap.get(queue.queue_id)
            data["expected_wait_seconds"] = round(gap * (position or 1)) if gap is not None else None
        self.driver.play(call.uid, PROMPT_POSITION, data)
        self.store.call_event(call, "announcement", **data)
        call.announce_timer = self.clock.call_later(queue.announce_interval_seconds, self._announce, call)

    def _offer_callback(self, call: CallState) -> None:
        call.callback_timer = None
        if call.status != QUEUED or call.pending_gather is not None:
            return
        call.pending_gather = GATHER_CALLBACK
        self.store.call_event(call, "callback_offered")
        self.driver.gather(
            call.uid, PROMPT_CALLBACK_OFFER, max_digits=1, timeout=5, options=["1", "2"], key=GATHER_CALLBACK
        )

    def _overflow_due(self, call: CallState) -> None:
        call.overflow_timer = None
        if call.status != QUEUED:
            return  # ringing an agent: decided when the offer fails
        self.acd.remove_call(call.uid)
        self._overflow(call)

    def _overflow(self, call: CallState) -> None:
        """The call waited ``max_wait_seconds`` in its queue and is out of the ACD."""
        self._cancel_queue_timers(call)
        queue = self.queues[call.queue_id]
        call.overflows += 1
        self._queue_changed(queue.queue_id)
        target = queue.overflow_queue_id
        if (
            target is not None
            and target in self.queues
            and target != queue.queue_id
            and call.overflows <= MAX_OVERFLOWS
        ):
            self.store.call_event(call, "overflow", from_queue_id=queue.queue_id, to_queue_id=target)
            self._enqueue(call, target, arrived=call.waiting.arrived)
        elif queue.overflow_number:
            self.store.call_event(call, "overflow", from_queue_id=queue.queue_id, number=queue.overflow_number)
            self.driver.transfer(call.uid, queue.overflow_number)
            self._finish(call, END_OVERFLOW)
        else:
            self.store.call_event(call, "overflow", from_queue_id=queue.queue_id)
            self._finish(call, END_OVERFLOW)
            self.driver.hangup(call.uid)

    # --- the ACD's periodic re-match ---------------------------------------------------
    def _schedule_tick(self, delay: float) -> None:
        if self._tick_timer is None:
            self._tick_timer = self.clock.call_later(delay, self._tick)

    def _tick(self) -> None:
        self._tick_timer = None
        for assignment in self.acd.tick(self.clock.now()):
            self._assign(assignment)
        if any(self.acd.waiting_count(queue_id) for queue_id in self._tick_queues):
            self._schedule_tick(TICK_SECONDS)

    # =============================================================================
    # offers
    # =============================================================================
    def _assign(self, assignment: Assignment) -> None:
        call = self.calls.get(assignment.call_id)
        now = self.clock.now()
        if call is None or call.status not in (QUEUED, CALLBACK_WAITING):
            # The ACD matched a call we no longer hold: hand the agents back.
            for follow_up in self.acd.release_agents(assignment.agent_ids, now):
                self._assign(follow_up)
            return
        self._cancel_queue_timers(call)
        if call.pending_gather == GATHER_CALLBACK:
            call.pending_gather = None
        agents = [self.agents[agent_id] for agent_id in assignment.agent_ids]
        if call.status == CALLBACK_WAITING:
            self._dial_callback(call, agents[0], assignment)
            return
        if call.campaign_id is not None:
            self._campaign_assign(call, agents)
            return
        call.status = OFFERED
        call.offer_count += 1
        call.offer_seq += 1
        if call.offered is None:
            call.offered = now
        call.ringing = assignment.agent_ids
        for agent in agents:
            agent.call = call
            self._set_agent(agent, A_RESERVED, call=call)
        self.store.call_offered(call, agents, self.queues.get(call.queue_id))
        for agent_id in assignment.agent_ids:
            self.driver.bridge(call.uid, agent_id)
        queue = self.queues.get(call.queue_id)
        timeout = queue.ring_timeout_seconds if queue is not None else 15
        call.ring_timer = self.clock.call_later(timeout, self._ring_timeout, call, call.offer_seq)
        self._queue_changed(call.queue_id)

    def _ring_timeout(self, call: CallState, offer_seq: int) -> None:
        if call.status != OFFERED or call.offer_seq != offer_seq:
            return
        call.ring_timer = None
        missed, call.ringing = call.ringing, ()
        for agent_id in missed:
            self.driver.cancel_bridge(call.uid, agent_id)
            self.store.call_offer_ended(call, agent_id, "rona")
            agent = self.agents.get(agent_id)
            if agent is not None:
                agent.call = None
                self.acd.agent_unavailable(agent_id)
                self._set_agent(agent, A_NOT_READY, reason=REASON_MISSED, call=call)
                self._notify(agent, {"type": "call.offer_withdrawn", "call_uid": call.uid, "reason": "rona"})
        self._back_to_queue(call, exclude=missed)

    def on_bridge_failed(self, uid: str, agent_id: int, reason: str) -> None:
        """A seat that cannot ring (unregistered, busy, declined on the phone) is a missed offer
        now, not after the ring timeout: otherwise the ACD would keep offering the next caller to
        the same unreachable agent."""
        call = self.calls.get(uid)
        if call is None or call.status != OFFERED or agent_id not in call.ringing:
            return
        if call.ringing == (agent_id,):
            self._cancel(call, "ring_timer")
            self._ring_timeout(call, call.offer_seq)
            return
        # Ring-all: only this agent drops out; the others keep ringing.
        call.ringing = tuple(other for other in call.ringing if other != agent_id)
        self.store.call_offer_ended(call, agent_id, "rona")
        agent = self.agents.get(agent_id)
        if agent is not None:
            agent.call = None
            self.acd.agent_unavailable(agent_id)
            self._set_agent(agent, A_NOT_READY, reason=REASON_MISSED, call=call)
            self._notify(agent, {"type": "call.offer_withdrawn", "call_uid": call.uid, "reason": "rona"})

    def _back_to_queue(self, call: CallState, *, exclude: tuple[int, ...] = ()) -> None:
        """A failed offer: the call goes back to its place in its queue (or overflows if it is due)."""
        now = self.clock.now()
        if call.campaign_id is not None:
            self._campaign_abandon(call)  # a live outbound answer cannot wait for a second agent
            return
        call.status = QUEUED
        if call.waiting is None or call.queue_id not in self.queues:
            # Never queued (a direct transfer of an outbound call): nowhere to go back to.
            self._finish(call, END_NO_ANSWER)
            self.driver.hangup(call.uid)
            return
        if call.overflow_at is not None and now >= call.overflow_at:
            self._overflow(call)
            return
        self.store.call_requeued(call)
        assignment = self.acd.requeue(call.waiting, now, exclude_agent_ids=exclude)
        if assignment is not None:
            self._assign(assignment)
            return
        queue = self.queues[call.queue_id]
        self._arm_queue_timers(call, queue)
        self._queue_changed(call.queue_id)
        if call.queue_id in self._tick_queues:
            self._schedule_tick(TICK_SECONDS)

    def _withdraw(self, call: CallState, agent_ids: tuple[int, ...], reason: str = "withdrawn") -> None:
        """Stop ringing these agents (the caller left, or another agent answered) and give them back."""
        if not agent_ids:
            return
        for agent_id in agent_ids:
            self.driver.cancel_bridge(call.uid, agent_id)
            self.store.call_offer_ended(call, agent_id, reason)
            agent = self.agents.get(agent_id)
            if agent is not None and agent.state == A_RESERVED:
                agent.call = None
                self._set_agent(agent, A_READY, call=call)
                self._notify(agent, {"type": "call.offer_withdrawn", "call_uid": call.uid, "reason": reason})
        for assignment in self.acd.release_agents(agent_ids, self.clock.now()):
            self._assign(assignment)

    def _connect(self, call: CallState, agent: AgentRuntime) -> None:
        now = self.clock.now()
        first_answer = call.answered is None
        call.status = TALKING
        if first_answer:
            call.answered = now
        call.agent_id = agent.agent_id
        call.agents_served.append(agent.agent_id)
        agent.call = call
        self._set_agent(agent, A_TALKING, call=call)
        self.store.call_answered(call)
        self._notify(agent, {"type": "call.answered", "call_uid": call.uid})
        runtime = self._runtime(call)
        if runtime is not None and not runtime.settings.record:
            call.record = False  # the campaign is set not to record its calls
        if call.record:
            self.driver.start_recording(call.uid)
        if call.caller and not call.is_callback:
            self.last_agent[call.caller] = (agent.agent_id, now)
        queue_id = call.queue_id
        if queue_id is not None and first_answer:
            last = self._last_answer.get(queue_id)
            if last is not None:
                gap = now - last
                previous = self.answer_gap.get(queue_id)
                self.answer_gap[queue_id] = (
                    gap if previous is None else previous + ANSWER_GAP_SMOOTHING * (gap - previous)
                )
            self._last_answer[queue_id] = now

    # =============================================================================
    # the end of a call, wrap-up
    # =============================================================================
    def _close_hold(self, call: CallState) -> None:
        if call.hold_started is not None:
            call.hold_seconds += self.clock.now() - call.hold_started
            call.hold_started = None

    def _end_talk(self, call: CallState, by: str, reason: str = END_COMPLETED) -> None:
        now = self.clock.now()
        consult = self.consults.get(call.uid)
        if consult is not None:  # the caller left (or was released) during a consultation
            self._consult_release(call, consult, "consult_ended", by if by != BY_AGENT else "first_agent_left")
        self._close_hold(call)
        call.ended = now
        call.ended_by = by
        call.end_reason = reason
        self.driver.stop_recording(call.uid)
        agent = self.agents.get(call.agent_id)
        wrapup = self._wrapup_seconds(call)
        if agent is not None and wrapup > 0:
            call.status = WRAP_UP
        else:
            call.status = ENDED
            call.wrapup_ended = now
        self.store.call_ended(call, self.queues.get(call.queue_id))
        if call.campaign_id is not None:
            runtime = self._runtime(call)
            if runtime is not None:
                runtime.talk_ended(call)
            self._campaign_outcome(call, OUTCOME_ANSWERED)
        if agent is not None:
            self._notify(agent, {"type": "call.ended", "call_uid": call.uid, "by": by})
            if wrapup > 0:
                self._set_agent(agent, A_WRAP_UP, call=call)
                self._notify(agent, {"type": "call.wrapup", "call_uid": call.uid, "wrapup_seconds": wrapup})
                call.wrapup_timer = self.clock.call_later(wrapup, self._wrapup_timeout, agent, call)
            else:
                self._after_call(agent, call)
        # The caller is still on the line when the agent hung up: a post-call survey, or hang up.
        if by == BY_AGENT and call.after_call and call.ivr is not None and reason == END_COMPLETED:
            self._ivr_do(call, call.ivr.after_call())
            return
        self.calls.pop(call.uid, None)
        if by == BY_AGENT:
            self.driver.hangup(call.uid)

    def _wrapup_seconds(self, call: CallState) -> float:
        if call.campaign_id is not None:
            runtime = self._runtime(call)
            if runtime is not None and runtime.settings.wrapup_seconds > 0:
                return runtime.settings.wrapup_seconds
        queue = self.queues.get(call.queue_id)
        if queue is not None:
            return queue.wrapup_seconds
        return OUTBOUND_WRAPUP_SECONDS if call.direction == OUTBOUND else 0

    def _wrapup_timeout(self, agent: AgentRuntime, call: CallState) -> None:
        call.wrapup_timer = None
        if agent.call is call and agent.state == A_WRAP_UP:
            self._end_wrapup(agent, call)

    def _end_wrapup(
        self,
        agent: AgentRuntime,
        call: CallState,
        *,
        disposition: str | None = None,
        notes: str = "",
        next_state: str | None = None,
        record: bool = True,
    ) -> None:
        if call.agent_id == agent.agent_id:  # a transferring agent's wrap-up leaves the call's timer alone
            self._cancel(call, "wrapup_timer")
        if call.status == WRAP_UP and call.agent_id == agent.agent_id:
            call.status = ENDED
            call.wrapup_ended = self.clock.now()
            if disposition:
                call.disposition = disposition
            if notes:
                call.notes = notes
            self.store.call_wrapup_ended(call)
            if call.campaign_id is not None and call.campaign_id in self.campaigns:
                self.campaigns[call.campaign_id].wrapup_ended(call)
        if next_state is None:
            self._after_call(agent, call)
        else:
            agent.call = None
            self._set_agent(agent, next_state, reason=agent.reason, record=record)
            self.acd.agent_unavailable(agent.agent_id)

    def _after_call(self, agent: AgentRuntime, call: CallState) -> None:
        """The agent is free again: Ready (and maybe a new offer at once)."""
        agent.call = None
        self._agent_ready(agent)

    def _agent_ready(self, agent: AgentRuntime, *, record: bool = True, idle_seconds: float = 0.0) -> None:
        now = self.clock.now()
        agent.idle_since = now - idle_seconds
        self._set_agent(agent, A_READY, record=record)
        assignment = self.acd.agent_available(agent.agent_id, agent.idle_since, now)
        if assignment is not None:
            self._assign(assignment)

    def _finish(self, call: CallState, reason: str) -> None:
        """A call that ends without (more) talk: abandoned, IVR end, voicemail, overflow, callback…"""
        now = self.clock.now()
        self._cancel_queue_timers(call)
        self._cancel(call, "ring_timer")
        call.pending_gather = None
        if call.ended is None:
            call.ended = now
        call.end_reason = reason
        call.status = ENDED
        call.wrapup_ended = call.ended
        self.store.call_ended(call, self.queues.get(call.queue_id))
        self.calls.pop(call.uid, None)

    def _blocked(self, inbound: InboundCall) -> None:
        now = self.clock.now()
        call = CallState(
            inbound.uid,
            caller=inbound.caller,
            callee=inbound.callee,
            arrived=now,
            number_id=inbound.number_id,
            trunk_id=inbound.trunk_id,
        )
        self._identify(call)
        call.blocked = True
        call.status = ENDED
        call.ended = call.wrapup_ended = now
        call.end_reason = END_BLOCKED
        self.store.call_blocked(call)

    # =============================================================================
    # callbacks and outbound calls
    # =============================================================================
    def _callback_request(self, call: CallState, queue_id: int | None, *, original: float) -> None:
        """The caller asked to be called back: they hang up, and a callback keeps their place."""
        if not dialling.check_number(call.caller, self.dialling_rules).allowed:
            # Toll fraud: a caller presenting a premium or far-away number asks to be called back
            # and the company pays. The dialling policy refuses it; a queued caller keeps waiting,
            # one in the IVR is queued instead.
            self.store.call_event(call, "callback_refused", number=call.caller)
            if call.status != QUEUED:
                if queue_id is not None and queue_id in self.queues:
                    self._enqueue(call, queue_id)
                else:
                    self._finish(call, END_IVR_END)
                    self.driver.hangup(call.uid)
            return
        if call.status == QUEUED:
            self.acd.remove_call(call.uid)
            self._queue_changed(call.queue_id)
        if queue_id is None or queue_id not in self.queues:
            self._finish(call, END_IVR_END)
            self.driver.hangup(call.uid)
            return
        if call.queue_id is None:
            call.queue_id = queue_id
        self.store.callback_requested(call, queue_id, original)
        self._finish(call, END_CALLBACK)
        self.driver.hangup(call.uid)
        self._callback_enqueue(call.uid, call, queue_id, original, attempts=0)

    def _callback_enqueue(
        self, request_uid: str, origin: CallState, queue_id: int, original: float, *, attempts: int
    ) -> None:
        number = self.numbers.get(origin.number_id)
        callback = CallState(
            f"{request_uid}-cb{attempts + 1}",
            caller=(number.caller_id or number.number) if number else self.default_caller_id,
            callee=origin.caller,
            arrived=self.clock.now(),
            direction=OUTBOUND,
            number_id=origin.number_id,
            trunk_id=origin.trunk_id,
        )
        callback.is_callback = True
        callback.callback_for = request_uid
        callback.callback_attempts = attempts
        callback.customer_id = origin.customer_id
        callback.customer_name = origin.customer_name
        callback.is_vip = origin.is_vip
        callback.priority = origin.priority
        callback.queue_id = queue_id
        callback.status = CALLBACK_WAITING
        callback.waiting = WaitingCall(
            call_id=callback.uid, queue_id=queue_id, arrived=original, priority=origin.priority
        )
        self.calls[callback.uid] = callback
        assignment = self.acd.enqueue(callback.waiting, self.clock.now())
        if assignment is not None:
            self._assign(assignment)
        else:
            self._queue_changed(queue_id)

    def _dial_callback(self, call: CallState, agent: AgentRuntime, assignment: Assignment) -> None:
        extra = assignment.agent_ids[1:]  # ring-all: one agent makes the callback
        call.status = DIALING
        call.arrived = self.clock.now()
        call.callback_attempts += 1
        call.agent_id = agent.agent_id
        agent.call = call
        self.store.call_arrived(call)
        self._set_agent(agent, A_RESERVED, call=call)
        self.store.call_offered(call, [agent], self.queues.get(call.queue_id))
        self.driver.originate(call.uid, call.callee, agent.agent_id, caller_id=call.caller)
        self._queue_changed(call.queue_id)
        if extra:
            for follow_up in self.acd.release_agents(extra, self.clock.now()):
                self._assign(follow_up)

    def _dial_failed(self, call: CallState, reason: str) -> None:
        agent = self.agents.get(call.agent_id)
        self._finish(call, reason)
        if agent is not None and agent.call is call:
            self._notify(agent, {"type": "call.ended", "call_uid": call.uid, "by": "network"})
            self._return_after_dial(agent, call)
        if call.is_callback:
            if call.callback_attempts < CALLBACK_ATTEMPTS and call.queue_id in self.queues:
                self.clock.call_later(
                    CALLBACK_RETRY_SECONDS,
                    self._callback_enqueue,
                    call.callback_for,
                    call,
                    call.queue_id,
                    call.waiting.arrived,
                    attempts=call.callback_attempts,
                )
            else:
                self.store.callback_finished(call.callback_for or "", call, "failed")

    def _return_after_dial(self, agent: AgentRuntime, call: CallState) -> None:
        agent.call = None
        if call.return_state == A_NOT_READY:
            self._set_agent(agent, A_NOT_READY, reason=agent.reason)
            self.acd.agent_unavailable(agent.agent_id)
        else:
            self._agent_ready(agent)

    def agent_dial(self, agent_id: int, number: str, customer_id: int | None = None) -> CallState | None:
        """Click-to-dial: the agent (Ready or NotReady, not in a call) calls ``number``."""
        agent = self.agents.get(agent_id)
        if agent is None or agent.call is not None or agent.state not in (A_READY, A_NOT_READY):
            return None
        self.acd.agent_unavailable(agent_id)
        call = CallState(
            self.new_uid("out"),
            caller=self.default_caller_id,
            callee=number,
            arrived=self.clock.now(),
            direction=OUTBOUND,
        )
        call.customer_id = customer_id
        call.status = DIALING
        call.agent_id = agent_id
        call.return_state = agent.state  # restored if nobody answers
        agent.call = call
        self.calls[call.uid] = call
        self.store.call_arrived(call)
        self._set_agent(agent, A_RESERVED, call=call)
        self.store.call_offered(call, [agent], None)
        self.driver.originate(call.uid, number, agent_id, caller_id=self.default_caller_id)
        return call

    # =============================================================================
    # campaigns (outbound dialing; the pacing lives in apps.telephony.dialer)
    # =============================================================================
    def _runtime(self, call: CallState) -> Any:
        """The runtime of the call's campaign (None: not a campaign call, or the campaign is gone)."""
        return self.campaigns.get(call.campaign_id) if call.campaign_id is not None else None

    def add_campaign(self, runtime: Any) -> None:
        """Run a campaign on this controller (its runtime paces and calls :meth:`campaign_dial`)."""
        self.campaigns[runtime.campaign_id] = runtime
        runtime.attach(self)

    def remove_campaign(self, campaign_id: int) -> None:
        """Forget a stopped campaign; its calls still in progress finish normally."""
        runtime = self.campaigns.pop(campaign_id, None)
        if runtime is not None:
            for agent_id in [agent_id for agent_id, (cid, _target) in self.previews.items() if cid == campaign_id]:
                self.campaign_preview_skip(agent_id, runtime=runtime)
            runtime.release_owned()

    def campaign_dial(self, runtime: Any, target: Any, *, agent: AgentRuntime | None = None) -> CallState:
        """Dial one contact for a campaign: without ``agent`` the line rings with nobody on our side
        (progressive, power, predictive); with one, the agent hears it ring (preview)."""
        settings = runtime.settings
        now = self.clock.now()
        call = CallState(
            self.new_uid("cmp"),
            caller=settings.caller_id or self.default_caller_id,
            callee=target.number,
            arrived=now,
            direction=OUTBOUND,
            trunk_id=settings.trunk_id,
        )
        call.campaign_id = settings.campaign_id
        call.contact = target
        call.customer_name = target.name
        call.status = DIALING
        self.calls[call.uid] = call
        self.store.call_arrived(call)
        if agent is not None:
            call.agent_id = agent.agent_id
            call.queue_id = settings.queue_id if settings.queue_id in self.queues else None
            call.return_state = A_READY
            call.campaign_offer = runtime.offer_data(target)
            agent.call = call
            self.acd.agent_unavailable(agent.agent_id)
            self._set_agent(agent, A_RESERVED, call=call)
            self.store.call_offered(call, [agent], self.queues.get(call.queue_id))
        runtime.line_dialed(call)
        self.driver.dial(
            call.uid,
            target.number,
            agent_id=agent.agent_id if agent is not None else None,
            caller_id=call.caller,
            trunk_id=settings.trunk_id,
            ring_timeout=settings.ring_timeout_seconds,
            amd=settings.amd_enabled,
        )
        return call

    def _campaign_failed(self, call: CallState, reason: str) -> None:
        if call.status != DIALING:
            return
        outcome = {
            FAILED_BUSY: OUTCOME_BUSY,
            FAILED_NO_ANSWER: OUTCOME_NO_ANSWER,
            FAILED_BLOCKED: OUTCOME_BLOCKED,
        }.get(reason, OUTCOME_FAILED)
        runtime = self._runtime(call)
        if runtime is not None:
            runtime.line_resolved(call, live=False)
        if outcome == OUTCOME_BLOCKED:
            call.blocked = True
        agent = self.agents.get(call.agent_id) if call.agent_id is not None else None
        end = {OUTCOME_NO_ANSWER: END_NO_ANSWER, OUTCOME_BLOCKED: END_BLOCKED}.get(outcome, END_FAILED)
        self._finish(call, end)
        if agent is not None and agent.call is call:
            self._notify(agent, {"type": "call.ended", "call_uid": call.uid, "by": "network"})
            self._return_after_dial(agent, call)
        self._campaign_outcome(call, outcome)

    def _campaign_far_answered(self, call: CallState) -> None:
        call.far_answered = self.clock.now()
        runtime = self._runtime(call)
        if runtime is not None:
            runtime.line_answered(call)
            if not runtime.settings.amd_enabled:
                self._campaign_live(call)

    def _campaign_live_noted(self, call: CallState) -> None:
        call.live_at = self.clock.now()
        runtime = self._runtime(call)
        if runtime is not None:
            runtime.line_resolved(call, live=True)

    def _campaign_live(self, call: CallState) -> None:
        """A live person answered: an agent of the campaign's queue takes them within the grace
        (``abandon_grace_seconds``, 2 s by law), or the abandon message plays."""
        self._campaign_live_noted(call)
        runtime = self._runtime(call)
        queue_id = runtime.settings.queue_id if runtime is not None else call.queue_id
        now = self.clock.now()
        if queue_id is None or queue_id not in self.queues:
            self._campaign_abandon(call)  # nobody can take it
            return
        call.queue_id = queue_id
        call.status = QUEUED
        call.ivr_exited = now
        call.queue_entered = call.queued = now
        self.store.call_queued(call)
        call.waiting = WaitingCall(call_id=call.uid, queue_id=queue_id, arrived=now, priority=LIVE_ANSWER_PRIORITY)
        grace = runtime.settings.abandon_grace_seconds if runtime is not None else 2.0
        call.grace_timer = self.clock.call_later(grace, self._campaign_grace_over, call)
        assignment = self.acd.enqueue(call.waiting, now)
        if assignment is not None:
            self._assign(assignment)
        else:
            self._queue_changed(queue_id)

    def _campaign_assign(self, call: CallState, agents: list[AgentRuntime]) -> None:
        """Connect a live answer to its agent at once: outbound agents do not get a ringing phone
        (the contact is already talking), the desktop receives the offer and the answer together."""
        now = self.clock.now()
        agent, extra = agents[0], tuple(other.agent_id for other in agents[1:])
        self._cancel(call, "grace_timer")
        call.status = OFFERED
        call.offer_count += 1
        call.offer_seq += 1
        if call.offered is None:
            call.offered = now
        call.ringing = (agent.agent_id,)
        agent.call = call
        runtime = self._runtime(call)
        if runtime is not None and not agent.is_virtual:
            call.campaign_offer = runtime.offer_data(call.contact)
        self._set_agent(agent, A_RESERVED, call=call)
        self.store.call_offered(call, [agent], self.queues.get(call.queue_id))
        self.driver.bridge(call.uid, agent.agent_id)
        self.driver.answer(call.uid, agent.agent_id)
        call.ring_timer = self.clock.call_later(AUTO_ANSWER_SECONDS, self._ring_timeout, call, call.offer_seq)
        self._queue_changed(call.queue_id)
        if extra:
            for follow_up in self.acd.release_agents(extra, now):
                self._assign(follow_up)

    def _campaign_grace_over(self, call: CallState) -> None:
        call.grace_timer = None
        if call.status != QUEUED:
            return
        self.acd.remove_call(call.uid)
        self._queue_changed(call.queue_id)
        self._campaign_abandon(call)

    def _campaign_abandon(self, call: CallState) -> None:
        """No agent in time: the identification message plays, then the line is hung up."""
        self._cancel(call, "grace_timer")
        self.store.call_event(call, "abandon_message")
        self._finish(call, END_ABANDONED)
        call.pending_gather = ABANDON_MESSAGE
        self.calls[call.uid] = call  # until the message has played
        runtime = self._runtime(call)
        text = runtime.settings.abandon_message if runtime is not None else ""
        self.driver.play(call.uid, PROMPT_ABANDON, {"text": text} if text else None)
        self._campaign_outcome(call, OUTCOME_ABANDONED)

    def _campaign_outcome(self, call: CallState, outcome: str) -> None:
        if call.campaign_id is None or call.campaign_outcome is not None:
            return
        call.campaign_outcome = outcome
        self.store.campaign_attempt(call, outcome)
        runtime = self._runtime(call)
        if runtime is not None:
            runtime.attempt_finished(call, outcome)

    # --- preview: the agent sees the contact first -----------------------------------------
    def campaign_preview(self, runtime: Any, agent: AgentRuntime, target: Any) -> None:
        """Show a contact to a Ready agent, who dials or skips it (``campaign.preview_dial`` /
        ``campaign.preview_skip``). The agent takes no other call meanwhile."""
        self.acd.agent_unavailable(agent.agent_id)
        self.previews[agent.agent_id] = (runtime.campaign_id, target)
        message = {"type": "campaign.preview", **runtime.offer_data(target)}
        self._notify(agent, message)
        if agent.is_virtual:
            self.clock.call_later(runtime.preview_seconds, self.campaign_preview_dial, agent.agent_id)

    def campaign_preview_dial(self, agent_id: int, contact_id: int | None = None) -> CallState | None:
        entry = self.previews.get(agent_id)
        agent = self.agents.get(agent_id)
        if entry is None or agent is None:
            return None
        campaign_id, target = entry
        if contact_id is not None and contact_id != target.contact_id:
            return None  # a stale click on a contact no longer shown
        del self.previews[agent_id]
        runtime = self.campaigns.get(campaign_id)
        if runtime is None or agent.state != A_READY or agent.call is not None:
            if runtime is not None:
                runtime.release(target)
            return None
        return self.campaign_dial(runtime, target, agent=agent)

    def campaign_preview_skip(self, agent_id: int, contact_id: int | None = None, *, runtime: Any = None) -> bool:
        entry = self.previews.get(agent_id)
        if entry is None or (contact_id is not None and contact_id != entry[1].contact_id):
            return False
        del self.previews[agent_id]
        runtime = runtime or self.campaigns.get(entry[0])
        if runtime is not None:
            if contact_id is None:
                runtime.release(entry[1])  # "show it to me again" (a reloaded desk): back at once
            else:
                runtime.skip(entry[1])
        agent = self.agents.get(agent_id)
        if agent is not None and agent.state == A_READY and agent.call is None:
            self._agent_ready(agent, record=False)
        return True

    def _msg_preview_dial(self, message: dict) -> None:
        contact_id = message.get("contact_id")
        self.campaign_preview_dial(int(message["agent_id"]), int(contact_id) if contact_id is not None else None)

    def _msg_preview_skip(self, message: dict) -> None:
        contact_id = message.get("contact_id")
        self.campaign_preview_skip(int(message["agent_id"]), int(contact_id) if contact_id is not None else None)

    # =============================================================================
    # agents
    # =============================================================================
    def _notify(self, agent: AgentRuntime, message: dict) -> None:
        """A message for a human agent's desktop (virtual agents have none)."""
        if not agent.is_virtual:
            self.store.notify_agent(agent.agent_id, message)

    def _set_agent(  # ``call``: the call the change is about (for the store), even when leaving it
        self,
        agent: AgentRuntime,
        state: str,
        *,
        reason: str | None = None,
        call: CallState | None = None,
        record: bool = True,
    ) -> None:
        previous = agent.state
        agent.state = state
        agent.reason = reason if state == A_NOT_READY else None
        if record:
            self.store.agent_state(agent, previous, call)

    def reservation_lost(self, uid: str, agent_id: int) -> None:
        """The database refused an offer's reservation (another engine process took the agent):
        the call goes on without this agent, who stays out of routing until their next state change."""
        agent = self.agents.get(agent_id)
        call = self.calls.get(uid)
        if agent is None or call is None or agent.call is not call or agent.state != A_RESERVED:
            return
        consult = self.consults.get(uid)
        if consult is not None and consult.agent_id == agent_id:
            self.driver.consult_cancel(uid)
            self._consult_release(call, consult, "consult_failed", "lost", target_state=A_NOT_READY, record=False)
            self.acd.agent_unavailable(agent_id)
            return
        agent.call = None
        self._set_agent(agent, A_NOT_READY, record=False)
        self.acd.agent_unavailable(agent_id)
        self._offer_declined(call, agent_id, "lost", release=False)

    def agent_state_changed(self, agent_id: int, state: str, reason: str | None = None) -> bool:
        """A person (the agent or a supervisor) changed the agent's state in the database.

        Returns False for an agent the engine does not know yet (the runner reloads the
        configuration and calls again)."""
        agent = self.agents.get(agent_id)
        if agent is None:
            return False
        if state != A_READY and agent_id in self.previews:
            campaign_id, target = self.previews.pop(agent_id)
            if campaign_id in self.campaigns:
                self.campaigns[campaign_id].release(target)
        current = agent.state
        if state == A_READY:
            if current in (A_READY, A_RESERVED, A_TALKING, A_HOLD):
                return True  # already routable or busy: a stale message
            if current == A_WRAP_UP and agent.call is not None:
                self._end_wrapup(agent, agent.call, next_state=A_READY, record=False)
            agent.call = None
            self._agent_ready(agent, record=False)
            return True
        if state in (A_NOT_READY, A_OFFLINE):
            if current in (A_TALKING, A_HOLD):
                return True  # nobody leaves a live call this way
            consult = self.consults.get(agent.call.uid) if agent.call is not None else None
            if current == A_RESERVED and consult is not None and consult.agent_id == agent_id:
                # The consulted agent logged out or paused while their seat rang.
                self.driver.consult_cancel(consult.call_uid)
                self._consult_release(
                    agent.call,
                    consult,
                    "consult_failed",
                    "withdrawn",
                    target_state=state,
                    reason_code=reason,
                    record=False,
                )
                return True
            if current == A_RESERVED and agent.call is not None:
                call = agent.call
                agent.call = None
                self._set_agent(agent, state, reason=reason, record=False)
                self.acd.agent_unavailable(agent_id)
                self._offer_declined(call, agent_id, "withdrawn", release=False)
                return True
            if current == A_WRAP_UP and agent.call is not None:
                agent.reason = reason
                self._end_wrapup(agent, agent.call, next_state=state, record=False)
                agent.reason = reason if state == A_NOT_READY else None
                return True
            self._set_agent(agent, state, reason=reason, record=False)
            self.acd.agent_unavailable(agent_id)
        return True

    def _offer_declined(self, call: CallState, agent_id: int, reason: str, *, release: bool) -> None:
        """One ringing agent drops out of an offer (reject, logout while ringing)."""
        if call.status == DIALING:
            self.driver.hangup(call.uid)
            self._dial_failed(call, END_FAILED)
            return
        if call.status != OFFERED or agent_id not in call.ringing:
            return
        self.driver.cancel_bridge(call.uid, agent_id)
        self.store.call_offer_ended(call, agent_id, reason)
        call.ringing = tuple(other for other in call.ringing if other != agent_id)
        if not call.ringing:
            self._cancel(call, "ring_timer")
            self._back_to_queue(call, exclude=(agent_id,))
        if release:
            agent = self.agents.get(agent_id)
            if agent is not None:
                agent.call = None
                self._set_agent(agent, A_READY, call=call)
            for assignment in self.acd.release_agents((agent_id,), self.clock.now()):
                self._assign(assignment)

    # =============================================================================
    # desktop and supervisor commands (the engine inbox)
    # =============================================================================
    def handle_message(self, message: dict) -> bool:
        """Apply one engine inbox message. Returns False when it names an agent the engine does
        not know (the caller may reload the configuration and retry)."""
        kind = message.get("type")
        handler = self._handlers.get(kind)
        if handler is None:
            return True
        try:
            return handler(self, message) is not False
        except (KeyError, TypeError, ValueError):
            logger.warning("engine: malformed %s message %r", kind, message, exc_info=True)
            return True

    def _agent_call(self, message: dict, *statuses: str) -> tuple[AgentRuntime, CallState] | None:
        agent = self.agents.get(int(message["agent_id"]))
        call = self.calls.get(message["call_uid"])
        if agent is None or call is None:
            if agent is not None and agent.call is not None and agent.call.uid == message["call_uid"]:
                call = agent.call  # a call in wrap-up has left the live table
            else:
                return None
        if statuses and call.status not in statuses:
            return None
        return agent, call

    def _msg_agent_state(self, message: dict) -> bool:
        if message.get("source") == "engine":
            return True  # our own change coming back
        return self.agent_state_changed(int(message["agent_id"]), message["state"], message.get("reason"))

    def _msg_answer(self, message: dict) -> None:
        consult = self._consult_of(message, target=True)
        if consult is not None:
            if consult.answered is None:
                self.driver.answer(consult.call_uid, consult.agent_id)
            return
        found = self._agent_call(message, OFFERED)
        if found and found[0].agent_id in found[1].ringing:
            self.driver.answer(found[1].uid, found[0].agent_id)

    def _msg_reject(self, message: dict) -> None:
        consult = self._consult_of(message, target=True)
        if consult is not None:
            if consult.answered is None:
                self.consult_cancel(self.calls[consult.call_uid], "rejected")
            return
        found = self._agent_call(message, OFFERED, DIALING)
        if found:
            self._offer_declined(found[1], found[0].agent_id, "rejected", release=True)

    def _msg_hangup(self, message: dict) -> None:
        consult = self._consult_of(message, target=True)
        if consult is not None:  # the consulted agent leaves the consultation
            self.consult_cancel(self.calls[consult.call_uid], "target_hung_up")
            return
        found = self._agent_call(message, TALKING, HOLD, DIALING)
        if not found:
            return
        agent, call = found
        if call.status == DIALING:
            self.driver.hangup(call.uid)
            self._dial_failed(call, END_NO_ANSWER)
        elif call.agent_id == agent.agent_id:
            self.driver.hangup(call.uid, BY_AGENT)

    def _msg_hold(self, message: dict) -> None:
        found = self._agent_call(message, TALKING)
        if found and found[1].agent_id == found[0].agent_id:
            self.driver.hold(found[1].uid)

    def _msg_resume(self, message: dict) -> None:
        found = self._agent_call(message, HOLD)
        if found and found[1].uid in self.consults:
            return  # the caller stays held while the consultation lasts: cancel or complete it first
        if found and found[1].agent_id == found[0].agent_id:
            self.driver.unhold(found[1].uid)

    def _msg_wrapup(self, message: dict) -> None:
        agent = self.agents.get(int(message["agent_id"]))
        if agent is None or agent.state != A_WRAP_UP or agent.call is None:
            return
        if agent.call.uid != message.get("call_uid"):
            return
        self._end_wrapup(agent, agent.call, disposition=message.get("disposition"), notes=message.get("notes") or "")

    def _msg_transfer(self, message: dict) -> None:
        found = self._agent_call(message, TALKING, HOLD)
        if not found or found[1].agent_id != found[0].agent_id:
            return
        agent, call = found
        if call.uid in self.consults:
            self._notify(agent, {"type": "call.transfer_failed", "call_uid": call.uid, "reason": "consulting"})
            return
        queue_id = message.get("queue_id")
        target_id = message.get("target_agent_id")
        number = str(message.get("number") or "")
        self.transfer(call, agent, queue_id=queue_id, target_agent_id=target_id, number=number)

    def transfer(
        self,
        call: CallState,
        agent: AgentRuntime,
        *,
        queue_id: int | None = None,
        target_agent_id: int | None = None,
        number: str = "",
    ) -> bool:
        """Blind transfer of a live call to a queue, a Ready agent or an outside number (checked
        against the dialling policy by the service that sent it). The first agent goes to wrap-up."""
        target = self.agents.get(int(target_agent_id)) if target_agent_id is not None else None
        if number:
            queue_id = None
        elif queue_id is not None:
            queue_id = int(queue_id)
            if queue_id not in self.queues:
                return False
        elif target is None or target.state != A_READY or target is agent:
            self._notify(agent, {"type": "call.transfer_failed", "call_uid": call.uid, "reason": "agent_unavailable"})
            return False
        self._close_hold(call)
        self.driver.detach(call.uid)
        self.driver.stop_recording(call.uid)
        if number:
            self.store.call_transferred(call, agent.agent_id, number=number)
        else:
            self.store.call_transferred(call, agent.agent_id, queue_id=queue_id, target_agent_id=target_agent_id)
        # The first agent's part is over.
        wrapup = self._wrapup_seconds(call)
        call.agent_id = None
        if wrapup > 0:
            self._set_agent(agent, A_WRAP_UP, call=call)
            call.wrapup_timer = self.clock.call_later(wrapup, self._wrapup_timeout, agent, call)
        else:
            self._after_call(agent, call)
        self._notify(agent, {"type": "call.ended", "call_uid": call.uid, "by": "transfer"})
        if number:
            # Like an IVR transfer node: the switch carries the caller to the number, the call ends here.
            self.driver.transfer(call.uid, number)
            self._finish(call, END_TRANSFERRED)
            return True
        if queue_id is not None:
            self._enqueue(call, queue_id)
            return True
        self.acd.agent_unavailable(target.agent_id)
        queue = self.queues.get(call.queue_id)
        if queue is not None and queue.max_wait_seconds > 0:
            call.overflow_at = self.clock.now() + queue.max_wait_seconds
        call.status = QUEUED  # so that _assign accepts it
        self._assign(Assignment(call_id=call.uid, queue_id=call.queue_id, agent_ids=(target.agent_id,), waited=0.0))
        return True

    # --- attended (consultative) transfer ---------------------------------------------------
    # The first agent (A, the call's agent) consults a colleague (B) while the caller is held:
    #   consult ─► B Reserved (their seat rings) ─► answered: B Talking with A, the caller still held
    #     ├► complete: the caller is bridged to B, B becomes the call's agent, A goes to wrap-up
    #     ├► cancel (A), B hangs up or rejects: B is free again, A is back with the held caller
    #     └► ring timeout (B NotReady "missed", like RONA), B unreachable or gone: A is told it failed
    # The caller hanging up ends everything (B free, A wrap-up as usual). A hanging up during an
    # answered consultation completes the transfer (what most PBXs do); during the ringing it
    # turns into a blind transfer to B (the ringing seat is offered the call).
    def _consult_of(self, message: dict, *, target: bool) -> Consult | None:
        consult = self.consults.get(message.get("call_uid"))
        if consult is None:
            return None
        agent_id = int(message["agent_id"])
        return consult if agent_id == (consult.agent_id if target else consult.from_agent_id) else None

    def _msg_consult(self, message: dict) -> None:
        found = self._agent_call(message, TALKING, HOLD)
        if not found or found[1].agent_id != found[0].agent_id:
            return
        queue_id = message.get("queue_id")
        target_id = message.get("target_agent_id")
        self.consult(
            found[1],
            found[0],
            queue_id=int(queue_id) if queue_id is not None else None,
            target_agent_id=int(target_id) if target_id is not None else None,
        )

    def _msg_consult_complete(self, message: dict) -> None:
        consult = self._consult_of(message, target=False)
        if consult is not None:
            self.consult_complete(self.calls[consult.call_uid])

    def _msg_consult_cancel(self, message: dict) -> None:
        consult = self._consult_of(message, target=False)
        if consult is not None:
            self.consult_cancel(self.calls[consult.call_uid], "cancelled")

    def consult(
        self, call: CallState, agent: AgentRuntime, *, queue_id: int | None = None, target_agent_id: int | None = None
    ) -> bool:
        """Start an attended transfer of ``agent``'s live call: consult a Ready agent, or the agent
        a queue would pick now (its strategy; nobody Ready: it fails at once, it never waits).
        On failure the first agent gets ``call.consult_failed`` and nothing else changes."""

        def refuse(reason: str) -> bool:
            self._notify(agent, {"type": "call.consult_failed", "call_uid": call.uid, "reason": reason})
            return False

        if call.status not in LIVE or call.agent_id != agent.agent_id:
            return refuse("invalid_state")
        if call.uid in self.consults:
            return refuse("already_consulting")
        now = self.clock.now()
        if target_agent_id is not None:
            target = self.agents.get(target_agent_id)
            if (
                target is None
                or target is agent
                or target.state != A_READY
                or target.call is not None
                or target.agent_id in self.previews
            ):
                return refuse("agent_unavailable")
            self.acd.agent_unavailable(target.agent_id)
        elif queue_id is not None:
            if queue_id not in self.queues:
                return refuse("unknown_queue")
            target = self._consult_pick(call, queue_id, now)
            if target is None:
                return refuse("no_agent_available")
        else:
            return refuse("invalid")
        if not self.driver.consult(call.uid, target.agent_id):
            for assignment in self.acd.release_agents((target.agent_id,), now):
                self._assign(assignment)
            return refuse("not_supported")
        consult = self.consults[call.uid] = Consult(
            call_uid=call.uid, from_agent_id=agent.agent_id, agent_id=target.agent_id, queue_id=queue_id, started=now
        )
        target.call = call
        self._set_agent(target, A_RESERVED, call=call)
        queue = self.queues.get(queue_id if queue_id is not None else call.queue_id)
        timeout = queue.ring_timeout_seconds if queue is not None else CONSULT_RING_SECONDS
        self.store.consult_started(call, agent, target, queue_id=queue_id, ring_timeout_seconds=timeout)
        consult.ring_timer = self.clock.call_later(timeout, self._consult_ring_timeout, call.uid, target.agent_id)
        self._notify(
            agent,
            {
                "type": "call.consult_started",
                "call_uid": call.uid,
                "agent_id": target.agent_id,
                "agent_name": target.name,
                "queue_id": queue_id,
            },
        )
        return True

    def _consult_pick(self, call: CallState, queue_id: int, now: float) -> AgentRuntime | None:
        """The agent ``queue_id`` would give a call now (the ACD's strategy and skills), reserved."""
        probe = WaitingCall(
            call_id=call.uid + CONSULT_PROBE, queue_id=queue_id, arrived=now, priority=LIVE_ANSWER_PRIORITY
        )
        assignment = self.acd.enqueue(probe, now)
        if assignment is None:
            self.acd.remove_call(probe.call_id)
            return None
        chosen, extra = assignment.agent_ids[0], assignment.agent_ids[1:]
        if extra:  # ring-all: one agent is consulted
            for follow_up in self.acd.release_agents(extra, now):
                self._assign(follow_up)
        return self.agents.get(chosen)

    def on_consult_answered(self, uid: str, agent_id: int) -> None:
        consult = self.consults.get(uid)
        call = self.calls.get(uid)
        target = self.agents.get(agent_id)
        if consult is None or call is None or target is None or consult.agent_id != agent_id:
            return
        if consult.answered is not None:
            return
        self._cancel_consult_timer(consult)
        consult.answered = self.clock.now()
        self._set_agent(target, A_TALKING, call=call)
        self.store.consult_answered(call, consult.from_agent_id, agent_id)
        first = self.agents.get(consult.from_agent_id)
        if first is not None:
            self._notify(
                first,
                {"type": "call.consult_answered", "call_uid": uid, "agent_id": agent_id, "agent_name": target.name},
            )
        self._notify(
            target,
            {
                "type": "call.consult_answered",
                "call_uid": uid,
                "from_agent_id": consult.from_agent_id,
                "from_agent_name": first.name if first is not None else "",
            },
        )

    def on_consult_failed(self, uid: str, agent_id: int, reason: str) -> None:
        consult = self.consults.get(uid)
        call = self.calls.get(uid)
        if consult is None or call is None or consult.agent_id != agent_id or consult.answered is not None:
            return
        # An unreachable or busy seat is a missed offer now (as on_bridge_failed): the ACD must not
        # offer the next caller to it in vain. Declined on the phone: the agent is there, Ready.
        missed = reason != CONSULT_DECLINED
        self._consult_release(
            call, consult, "consult_failed", reason or "error", target_state=A_NOT_READY if missed else A_READY
        )

    def on_consult_ended(self, uid: str, agent_id: int, by: str) -> None:
        consult = self.consults.get(uid)
        call = self.calls.get(uid)
        if consult is None or call is None or consult.agent_id != agent_id:
            return
        if consult.answered is None:
            self._consult_release(call, consult, "consult_failed", "declined")
        else:
            self._consult_release(call, consult, "consult_ended", "target_hung_up" if by == BY_AGENT else by)

    def _consult_ring_timeout(self, uid: str, agent_id: int) -> None:
        consult = self.consults.get(uid)
        call = self.calls.get(uid)
        if consult is None or call is None or consult.agent_id != agent_id or consult.answered is not None:
            return
        consult.ring_timer = None
        self.driver.consult_cancel(uid)
        self._consult_release(call, consult, "consult_failed", "rona", target_state=A_NOT_READY)

    def consult_cancel(self, call: CallState, reason: str = "cancelled") -> bool:
        """End the consultation without transferring (the first agent cancelled, the consulted
        agent rejected or hung up): the caller stays held with the first agent."""
        consult = self.consults.get(call.uid)
        if consult is None:
            return False
        self.driver.consult_cancel(call.uid)
        kind = "consult_failed" if reason == "rejected" else "consult_cancelled"
        self._consult_release(call, consult, kind, reason)
        return True

    def consult_complete(self, call: CallState) -> bool:
        """The first agent completes the attended transfer: the consulted agent takes the caller."""
        consult = self.consults.get(call.uid)
        first = self.agents.get(consult.from_agent_id) if consult is not None else None
        if consult is None or first is None:
            return False
        if consult.answered is None or not self.driver.consult_complete(call.uid):
            self._notify(first, {"type": "call.consult_failed", "call_uid": call.uid, "reason": "not_answered"})
            return False
        self._consult_completed(call, consult, first, how="complete")
        return True

    def _consult_first_left(self, call: CallState, consult: Consult) -> bool:
        """The first agent hung up during a consultation. True: the call goes on (completed, or
        offered to the consulted agent); False: it ends as any call whose agent hung up."""
        first = self.agents.get(consult.from_agent_id)
        target = self.agents.get(consult.agent_id)
        if first is None or target is None:
            return False
        if consult.answered is not None:
            if self.driver.consult_complete(call.uid):
                self._consult_completed(call, consult, first, how="first_agent_hung_up")
                return True
            self._consult_release(call, consult, "consult_ended", "first_agent_left")
            return False
        # Still ringing: a blind transfer to the ringing agent, who keeps their reservation.
        self.driver.consult_cancel(call.uid)
        self._cancel_consult_timer(consult)
        del self.consults[call.uid]
        self.store.consult_ended(call, consult.from_agent_id, consult.agent_id, "consult_cancelled", "first_agent_left")
        self._close_hold(call)
        self.driver.stop_recording(call.uid)
        self.store.call_transferred(
            call, first.agent_id, target_agent_id=target.agent_id, type="blind", reason="first_agent_left"
        )
        call.agent_id = None
        self._first_agent_done(call, first)
        queue = self.queues.get(call.queue_id)
        if queue is not None and queue.max_wait_seconds > 0:
            call.overflow_at = self.clock.now() + queue.max_wait_seconds
        target.call = None
        call.status = QUEUED  # so that _assign accepts it
        self._assign(Assignment(call_id=call.uid, queue_id=call.queue_id, agent_ids=(target.agent_id,), waited=0.0))
        return True

    def _consult_completed(self, call: CallState, consult: Consult, first: AgentRuntime, *, how: str) -> None:
        """Bookkeeping of a completed attended transfer (the switch has bridged the caller to B)."""
        now = self.clock.now()
        self._cancel_consult_timer(consult)
        self.consults.pop(call.uid, None)
        target = self.agents[consult.agent_id]
        self._close_hold(call)
        call.status = TALKING
        call.agent_id = target.agent_id
        call.agents_served.append(target.agent_id)
        target.call = call
        if target.state != A_TALKING:
            self._set_agent(target, A_TALKING, call=call)
        self.store.consult_completed(
            call,
            first.agent_id,
            target.agent_id,
            type="attended",
            how=how,
            queue_id=consult.queue_id,
            consult_seconds=round(now - (consult.answered or now), 3),
        )
        if call.caller and not call.is_callback:
            self.last_agent[call.caller] = (target.agent_id, now)
        self._notify(
            target,
            {"type": "call.consult_completed", "call_uid": call.uid, "role": "target", "from_agent_id": first.agent_id},
        )
        self._notify(
            first,
            {"type": "call.consult_completed", "call_uid": call.uid, "role": "first", "agent_id": target.agent_id},
        )
        if first.call is call:
            self._first_agent_done(call, first)

    def _first_agent_done(self, call: CallState, first: AgentRuntime) -> None:
        """The transferring agent's part is over: wrap-up (its own timer: the call's is the new agent's)."""
        self._notify(first, {"type": "call.ended", "call_uid": call.uid, "by": "transfer"})
        wrapup = self._wrapup_seconds(call)
        if wrapup > 0:
            self._set_agent(first, A_WRAP_UP, call=call)
            self._notify(first, {"type": "call.wrapup", "call_uid": call.uid, "wrapup_seconds": wrapup})
            self.clock.call_later(wrapup, self._wrapup_timeout, first, call)
        else:
            self._after_call(first, call)

    def _consult_release(
        self,
        call: CallState,
        consult: Consult,
        kind: str,
        reason: str,
        *,
        target_state: str = A_READY,
        reason_code: str | None = None,
        record: bool = True,
    ) -> None:
        """A consultation ends without a transfer (``kind``: ``consult_cancelled``, ``consult_failed``,
        ``consult_ended``): both desks are told, the consulted agent is free again (``target_state``;
        NotReady takes ``reason_code``, "missed" by default)."""
        self._cancel_consult_timer(consult)
        self.consults.pop(consult.call_uid, None)
        self.store.consult_ended(call, consult.from_agent_id, consult.agent_id, kind, reason)
        answered = consult.answered is not None
        first = self.agents.get(consult.from_agent_id)
        if first is not None:
            failed = not answered and reason != "cancelled"
            self._notify(
                first,
                {
                    "type": "call.consult_failed" if failed else "call.consult_ended",
                    "call_uid": call.uid,
                    "agent_id": consult.agent_id,
                    "reason": reason,
                },
            )
        target = self.agents.get(consult.agent_id)
        if target is None or target.call is not call:
            return
        self._notify(target, {"type": "call.consult_ended", "call_uid": call.uid, "reason": reason})
        target.call = None
        if target_state == A_READY:
            if record:
                self._agent_ready(target)
            else:
                self._set_agent(target, A_READY, record=False)
            return
        code = reason_code or REASON_MISSED if target_state == A_NOT_READY else None
        self._set_agent(target, target_state, reason=code, call=call, record=record)
        self.acd.agent_unavailable(target.agent_id)

    @staticmethod
    def _cancel_consult_timer(consult: Consult) -> None:
        if consult.ring_timer is not None:
            consult.ring_timer.cancel()
            consult.ring_timer = None

    def _msg_dial(self, message: dict) -> None:
        customer_id = message.get("customer_id")
        self.agent_dial(
            int(message["agent_id"]), str(message["number"]), int(customer_id) if customer_id is not None else None
        )

    def _msg_monitor(self, message: dict) -> None:
        call = self.calls.get(message["call_uid"])
        mode = message.get("mode")
        if call is None or call.status not in LIVE or mode not in ("listen", "whisper", "barge"):
            return
        supervisor = int(message["supervisor_user_id"])
        self.driver.monitor(call.uid, supervisor, mode)
        self.store.monitor(call, supervisor, mode)

    def _msg_release(self, message: dict) -> None:
        call = self.calls.get(message["call_uid"])
        if call is None:
            return
        self.force_release(call, int(message.get("supervisor_user_id") or 0))

    def force_release(self, call: CallState, supervisor_user_id: int = 0) -> None:
        """A supervisor ends the call wherever it is."""
        self.store.call_event(call, "force_release", supervisor_user_id=supervisor_user_id)
        status = call.status
        if status in LIVE:
            self._end_talk(call, BY_SYSTEM, END_FORCE_RELEASED)
        elif status == QUEUED:
            self.acd.remove_call(call.uid)
            self._finish(call, END_FORCE_RELEASED)
            self._queue_changed(call.queue_id)
        elif status == OFFERED:
            self._cancel(call, "ring_timer")
            ringing, call.ringing = call.ringing, ()
            self._withdraw(call, ringing)
            self._finish(call, END_FORCE_RELEASED)
        elif status == DIALING:
            self._dial_failed(call, END_FORCE_RELEASED)
        else:
            self._finish(call, END_FORCE_RELEASED)
        self.driver.hangup(call.uid)

    _handlers: dict[str, Callable[[CallController, dict], Any]] = {
        "agent.state": _msg_agent_state,
        "call.answer": _msg_answer,
        "call.reject": _msg_reject,
        "call.hangup": _msg_hangup,
        "call.hold": _msg_hold,
        "call.resume": _msg_resume,
        "call.wrapup": _msg_wrapup,
        "call.transfer": _msg_transfer,
        "call.consult": _msg_consult,
        "call.consult_complete": _msg_consult_complete,
        "call.consult_cancel": _msg_consult_cancel,
        "call.dial": _msg_dial,
        "call.monitor": _msg_monitor,
        "call.release": _msg_release,
        "campaign.preview_dial": _msg_preview_dial,
        "campaign.preview_skip": _msg_preview_skip,
    }

    # =============================================================================
    # reading
    # =============================================================================
    def waiting(self, queue_id: int) -> int:
        return self.acd.waiting_count(queue_id)

    def agent(self, agent_id: int) -> AgentRuntime:
        return self.agents[agent_id]


__all__ = ["CallController"]
