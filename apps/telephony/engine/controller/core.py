"""The controller itself: its tables, its configuration, and the switch's events.

:class:`CallController` is the one object the runner, the simulations and the tests hold. It
keeps the tenant's tables (queues, numbers, agents, live calls) and receives every driver
event; each event is handed to the part that owns that step of a call (see the package
docstring). The methods at the end are the public face the runner, the dialer's campaign
runtimes and the tests use; they delegate too, so that a part can change without its callers
noticing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apps.crm.phones import phone_variants
from apps.telephony.acd import Acd
from apps.telephony.dialer import dialling
from apps.telephony.engine.clock import Clock
from apps.telephony.engine.config import (
    VIP_PRIORITY,
    AgentSettings,
    CustomerInfo,
    NumberSettings,
    QueueSettings,
    TenantConfig,
)
from apps.telephony.engine.controller.agents import AgentStates
from apps.telephony.engine.controller.callbacks import Callbacks
from apps.telephony.engine.controller.campaigns import CampaignCalls
from apps.telephony.engine.controller.common import (
    ABANDON_MESSAGE,
    GATHER_CALLBACK,
    GATHER_IVR,
    LIVE,
    OUTCOME_ABANDONED,
    cancel_timer,
)
from apps.telephony.engine.controller.conferences import Conferences
from apps.telephony.engine.controller.consultations import Consult, Consultations
from apps.telephony.engine.controller.inbox import Inbox
from apps.telephony.engine.controller.ivr import IvrSteps
from apps.telephony.engine.controller.offers import Offers
from apps.telephony.engine.controller.queueing import Queueing
from apps.telephony.engine.controller.voicemail import VoicemailSteps
from apps.telephony.engine.controller.wrapup import Wrapup
from apps.telephony.engine.drivers.base import (
    BY_AGENT,
    BY_CALLER,
    FAILED_NO_ANSWER,
    DriverListener,
    InboundCall,
    SwitchDriver,
)
from apps.telephony.engine.state import (
    A_HOLD,
    A_NOT_READY,
    A_OFFLINE,
    A_READY,
    A_TALKING,
    DIALING,
    END_ABANDONED,
    END_FAILED,
    END_IVR_END,
    END_IVR_HANGUP,
    END_NO_ANSWER,
    END_VOICEMAIL,
    HOLD,
    IVR,
    OFFERED,
    QUEUED,
    TALKING,
    VOICEMAIL,
    AgentRuntime,
    CallState,
)
from apps.telephony.engine.store import Store
from apps.telephony.ivr import runner as ivr_runner

if TYPE_CHECKING:
    from apps.telephony.dialer.campaign import CampaignRuntime
    from apps.telephony.dialer.contract import DialTarget

logger = logging.getLogger(__name__)


class CallController(DriverListener):
    """One tenant's call control (see the package docstring for the life of a call)."""

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
        self.use_ivr = use_ivr
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
        self._seq = 0
        # The parts, one per step of a call; each holds this controller.
        self.queueing = Queueing(self)
        self.offers = Offers(self)
        self.ivr = IvrSteps(self)
        self.wrapup = Wrapup(self)
        self.callbacks = Callbacks(self)
        self.campaign_calls = CampaignCalls(self)
        self.consultations = Consultations(self)
        self.conferences = Conferences(self)
        self.agent_states = AgentStates(self)
        self.inbox = Inbox(self)
        self.voicemail = VoicemailSteps(self)
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
        self.queueing.schedule_tick(0)

    def set_queue(self, queue: QueueSettings) -> None:
        self.queues[queue.queue_id] = queue
        self.acd.set_queue(queue.acd_config())
        if queue.needs_tick:
            self.queueing.tick_queues.add(queue.queue_id)
        else:
            self.queueing.tick_queues.discard(queue.queue_id)
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
                self.agent_states.ready(agent, record=bool(ready), idle_seconds=settings.idle_seconds)
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

    def identify(self, call: CallState) -> None:
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
            self.wrapup.blocked(inbound)
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
        self.identify(call)
        self.calls[call.uid] = call
        number = self.numbers.get(inbound.number_id)
        ivr_number = number if number is not None and number.ivr_graph and self.use_ivr else None
        if ivr_number is not None:
            call.ivr_version_id = ivr_number.ivr_version_id
        self.store.call_arrived(call)
        if ivr_number is not None:
            self.driver.answer(call.uid)
            self.ivr.start(call, ivr_number)
        elif number is not None and number.queue_id in self.queues:
            self.queueing.enqueue(call, number.queue_id)
        else:
            logger.warning("call %s on %s: the number routes nowhere", call.uid, inbound.callee)
            self.wrapup.finish(call, END_FAILED)
            self.driver.hangup(call.uid)

    def on_failed(self, uid: str, reason: str, call: InboundCall | None = None) -> None:
        existing = self.calls.get(uid)
        if existing is None:
            if call is not None:
                self.wrapup.blocked(call)
            return
        if self.campaign_calls.owns(existing):
            self.campaign_calls.failed(existing, reason)
            return
        if existing.status == DIALING:
            self.callbacks.dial_failed(existing, END_NO_ANSWER if reason == FAILED_NO_ANSWER else END_FAILED)

    def on_ringing(self, uid: str, agent_id: int) -> None:
        return None

    def on_answered(self, uid: str, agent_id: int | None) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        if agent_id is None:
            if self.campaign_calls.owns(call) and call.status == DIALING and call.far_answered is None:
                self.campaign_calls.far_answered(call)
            return
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        if call.status == OFFERED:
            if agent_id not in call.ringing:
                return
            cancel_timer(call, "ring_timer")
            losers = tuple(other for other in call.ringing if other != agent_id)
            call.ringing = ()
            self.offers.connect(call, agent)
            if losers:
                self.offers.withdraw(call, losers)
        elif call.status == DIALING and call.agent_id == agent_id:
            if self.campaign_calls.owns(call):  # a preview dial: the contact answered, the agent is on
                self.campaign_calls.preview_answered(call)
            self.offers.connect(call, agent)
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
            self.voicemail.record(call)  # the message starts now
        elif call.ivr is not None and call.pending_gather == GATHER_IVR:
            call.pending_gather = None
            self.ivr.feed(call, ivr_runner.PlayDone())

    def on_digits(self, uid: str, digits: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        if call.status == VOICEMAIL and self.voicemail.digits(call, digits):
            return
        pending, call.pending_gather = call.pending_gather, None
        if pending == GATHER_IVR and call.ivr is not None:
            self.ivr.feed(call, ivr_runner.Digits(digits))
        elif pending == GATHER_CALLBACK and call.status == QUEUED:
            self.store.call_event(call, "callback_offer_answer", digits=digits)
            if digits == "1":
                self.callbacks.request(call, call.queue_id, original=call.waiting.arrived)

    def on_no_input(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        pending, call.pending_gather = call.pending_gather, None
        if pending == GATHER_IVR and call.ivr is not None:
            self.ivr.feed(call, ivr_runner.NoInput())

    def on_held(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None or call.status != TALKING:
            return
        call.status = HOLD
        call.hold_started = self.clock.now()
        self.store.call_held(call)
        agent = self.agent_of(call)
        if agent is not None:
            self.agent_states.change(agent, A_HOLD, call=call)
            self.agent_states.notify(agent, {"type": "call.held", "call_uid": uid})

    def on_resumed(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None or call.status != HOLD:
            return
        self.wrapup.close_hold(call)
        call.status = TALKING
        self.store.call_resumed(call)
        agent = self.agent_of(call)
        if agent is not None:
            self.agent_states.change(agent, A_TALKING, call=call)
            self.agent_states.notify(agent, {"type": "call.resumed", "call_uid": uid})

    def on_hung_up(self, uid: str, by: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        status = call.status
        if status in LIVE and by == BY_AGENT and self.conferences.host_hung_up(call):
            return  # the host left a conference: the colleague keeps the caller
        if status in LIVE and by == BY_AGENT and self.consultations.first_agent_hung_up(call):
            return  # the first agent hung up during a consultation: the transfer goes on
        if status in LIVE:
            self.wrapup.end_talk(call, by)
        elif status == QUEUED:
            self.acd.remove_call(uid)
            cancel_timer(call, "grace_timer")
            self.wrapup.finish(call, END_ABANDONED)
            self.queueing.changed(call.queue_id)
            self.campaign_calls.outcome(call, OUTCOME_ABANDONED)
        elif status == OFFERED:
            cancel_timer(call, "ring_timer")
            ringing, call.ringing = call.ringing, ()
            self.offers.withdraw(call, ringing)
            self.wrapup.finish(call, END_ABANDONED)
            self.campaign_calls.outcome(call, OUTCOME_ABANDONED)
        elif status == DIALING and self.campaign_calls.owns(call):
            # The contact hung up while the detector listened, or the switch dropped the line.
            self.campaign_calls.failed(call, FAILED_NO_ANSWER if call.far_answered is None else "hung_up")
        elif status == IVR:
            self.wrapup.finish(call, END_IVR_HANGUP if by == BY_CALLER else END_IVR_END)
        elif status == VOICEMAIL:
            started = call.queue_entered if call.queue_entered is not None else self.clock.now()
            self.store.voicemail_left(call, call.queue_id, max(0.0, self.clock.now() - started))
            self.wrapup.finish(call, END_VOICEMAIL)
        elif status == DIALING:
            self.callbacks.dial_failed(call, END_NO_ANSWER)
        else:
            # The caller left during a post-call survey (the CDR is already closed), or a stale leg.
            self.calls.pop(uid, None)

    def on_machine_detected(self, uid: str, result: str, actual: str | None = None) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        self.store.call_event(call, "machine_detected", result=result)
        self.campaign_calls.machine_detected(call, result, actual)

    def on_bridge_failed(self, uid: str, agent_id: int, reason: str) -> None:
        self.offers.bridge_failed(uid, agent_id, reason)

    def on_consult_answered(self, uid: str, agent_id: int) -> None:
        self.consultations.answered(uid, agent_id)

    def on_consult_failed(self, uid: str, agent_id: int, reason: str) -> None:
        self.consultations.failed(uid, agent_id, reason)

    def on_consult_ended(self, uid: str, agent_id: int, by: str) -> None:
        self.consultations.ended(uid, agent_id, by)

    def on_conference_left(self, uid: str, agent_id: int, by: str) -> None:
        self.conferences.left(uid, agent_id, by)

    # =============================================================================
    # the public face: the runner, the dialer's campaign runtimes, supervisors, tests
    # =============================================================================
    @property
    def campaigns(self) -> dict[int, CampaignRuntime]:
        """Campaign id -> its running :class:`~apps.telephony.dialer.campaign.CampaignRuntime`."""
        return self.campaign_calls.runtimes

    @property
    def previews(self) -> dict[int, tuple[int, DialTarget]]:
        """Agent id -> (campaign id, contact) shown to them for a preview dial."""
        return self.campaign_calls.previews

    @property
    def consults(self) -> dict[str, Consult]:
        """Call uid -> its attended transfer in progress."""
        return self.consultations.consults

    def handle_message(self, message: dict[str, Any]) -> bool:
        """Apply one engine inbox message (:mod:`.inbox`). False: it names an agent the engine
        does not know (the caller may reload the configuration and retry)."""
        return self.inbox.handle(message)

    def agent_state_changed(self, agent_id: int, state: str, reason: str | None = None) -> bool:
        return self.agent_states.changed_by_person(agent_id, state, reason)

    def reservation_lost(self, uid: str, agent_id: int) -> None:
        self.agent_states.reservation_lost(uid, agent_id)

    def agent_dial(self, agent_id: int, number: str, customer_id: int | None = None) -> CallState | None:
        return self.callbacks.agent_dial(agent_id, number, customer_id)

    def transfer(
        self,
        call: CallState,
        agent: AgentRuntime,
        *,
        queue_id: int | None = None,
        target_agent_id: int | None = None,
        number: str = "",
    ) -> bool:
        return self.inbox.transfer(call, agent, queue_id=queue_id, target_agent_id=target_agent_id, number=number)

    def force_release(self, call: CallState, supervisor_user_id: int = 0) -> None:
        self.inbox.force_release(call, supervisor_user_id)

    def consult(
        self,
        call: CallState,
        agent: AgentRuntime,
        *,
        queue_id: int | None = None,
        target_agent_id: int | None = None,
        number: str = "",
    ) -> bool:
        return self.consultations.start(call, agent, queue_id=queue_id, target_agent_id=target_agent_id, number=number)

    def consult_cancel(self, call: CallState, reason: str = "cancelled") -> bool:
        return self.consultations.cancel(call, reason)

    def consult_complete(self, call: CallState) -> bool:
        return self.consultations.complete(call)

    def conference(self, call: CallState, agent: AgentRuntime) -> bool:
        """Join the agent's answered consultation and the held caller (controller/conferences.py)."""
        return self.conferences.start(call, agent)

    def conference_leave(self, call: CallState, agent_id: int) -> bool:
        return self.conferences.leave(call, agent_id)

    def add_campaign(self, runtime: CampaignRuntime) -> None:
        self.campaign_calls.add(runtime)

    def remove_campaign(self, campaign_id: int) -> None:
        self.campaign_calls.remove(campaign_id)

    def campaign_dial(
        self, runtime: CampaignRuntime, target: DialTarget, *, agent: AgentRuntime | None = None
    ) -> CallState:
        return self.campaign_calls.dial(runtime, target, agent=agent)

    def campaign_preview(self, runtime: CampaignRuntime, agent: AgentRuntime, target: DialTarget) -> None:
        self.campaign_calls.preview(runtime, agent, target)

    def campaign_preview_dial(self, agent_id: int, contact_id: int | None = None) -> CallState | None:
        return self.campaign_calls.preview_dial(agent_id, contact_id)

    def campaign_preview_skip(self, agent_id: int, contact_id: int | None = None) -> bool:
        return self.campaign_calls.preview_skip(agent_id, contact_id)

    # =============================================================================
    # reading
    # =============================================================================
    def queue_of(self, call: CallState) -> QueueSettings | None:
        """The settings of the call's queue (None: not queued anywhere, or a queue since removed)."""
        return self.queues.get(call.queue_id) if call.queue_id is not None else None

    def queue_required(self, call: CallState) -> QueueSettings:
        """The call's queue, for steps that only happen in one (a KeyError otherwise: a bug)."""
        if call.queue_id is None:
            raise KeyError(None)
        return self.queues[call.queue_id]

    def agent_of(self, call: CallState) -> AgentRuntime | None:
        """The call's agent (None: nobody has it yet, or an agent since removed)."""
        return self.agents.get(call.agent_id) if call.agent_id is not None else None

    def waiting(self, queue_id: int) -> int:
        return self.acd.waiting_count(queue_id)

    def agent(self, agent_id: int) -> AgentRuntime:
        return self.agents[agent_id]
