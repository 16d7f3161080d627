"""Campaign calls inside the engine: dialling, AMD, live answers, abandons and previews.

The pacing (how many lines, when) is :mod:`apps.telephony.dialer`'s; this module is the part of
call control that places those lines and follows each to its outcome::

    dialled, nobody on our side ─► busy / failed / no answer (ring timeout) / blocked
        └► far end answers ─► AMD: machine → hung up (a person taken for one: abandoned)
                               └► live answer ─► queued first in the campaign's queue
                                   ├► an agent within the grace (2 s): connected at once ─► talk, wrap-up
                                   └► nobody: abandon message, hung up
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apps.telephony.acd import WaitingCall
from apps.telephony.engine.controller.common import (
    ABANDON_MESSAGE,
    AUTO_ANSWER_SECONDS,
    LIVE_ANSWER_PRIORITY,
    OUTCOME_ABANDONED,
    OUTCOME_ANSWERED,
    OUTCOME_BLOCKED,
    OUTCOME_BUSY,
    OUTCOME_FAILED,
    OUTCOME_MACHINE,
    OUTCOME_NO_ANSWER,
    cancel_timer,
)
from apps.telephony.engine.drivers.base import (
    AMD_HUMAN,
    FAILED_BLOCKED,
    FAILED_BUSY,
    FAILED_NO_ANSWER,
    PROMPT_ABANDON,
)
from apps.telephony.engine.state import (
    A_READY,
    A_RESERVED,
    DIALING,
    END_ABANDONED,
    END_BLOCKED,
    END_FAILED,
    END_NO_ANSWER,
    OFFERED,
    OUTBOUND,
    QUEUED,
    AgentRuntime,
    CallState,
)

if TYPE_CHECKING:
    from apps.telephony.dialer.campaign import CampaignRuntime
    from apps.telephony.dialer.contract import DialTarget
    from apps.telephony.engine.controller.core import CallController

logger = logging.getLogger(__name__)


class CampaignCalls:
    """Everything the engine does differently for a campaign's call, in one collaborator.

    The rest of the controller asks it (``owns``, ``records``, ``wrapup_seconds`` …) instead of
    testing ``call.campaign_id`` in every step, so the campaign rules (the 2-second grace, the
    abandon message, AMD, auto-answer, previews) are read in one place. It holds the running
    :class:`~apps.telephony.dialer.campaign.CampaignRuntime` s and the previews shown to agents.
    """

    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl
        self.runtimes: dict[int, CampaignRuntime] = {}
        self.previews: dict[int, tuple[int, DialTarget]] = {}

    # --- hooks the other parts call (no-ops for calls that are not a campaign's) -----------
    @staticmethod
    def owns(call: CallState) -> bool:
        """Whether the call was dialled for a campaign (its steps are decided here)."""
        return call.campaign_id is not None

    def records(self, call: CallState) -> bool:
        """False when the call's campaign is set not to record its calls."""
        runtime = self.runtime(call)
        return runtime is None or runtime.settings.record

    def wrapup_seconds(self, call: CallState) -> float | None:
        """The campaign's own wrap-up time (None: the queue's rule applies)."""
        runtime = self.runtime(call)
        if runtime is not None and runtime.settings.wrapup_seconds > 0:
            return runtime.settings.wrapup_seconds
        return None

    def talk_ended(self, call: CallState) -> None:
        """A campaign call's talk is over: the runtime's statistics and the attempt's outcome."""
        if not self.owns(call):
            return
        runtime = self.runtime(call)
        if runtime is not None:
            runtime.talk_ended(call)
        self.outcome(call, OUTCOME_ANSWERED)

    def wrapup_ended(self, call: CallState) -> None:
        runtime = self.runtime(call)
        if runtime is not None:
            runtime.wrapup_ended(call)

    def previewing(self, agent_id: int) -> bool:
        """The agent is looking at a preview (no other call or consultation meanwhile)."""
        return agent_id in self.previews

    def drop_preview(self, agent_id: int) -> None:
        """The agent left Ready while a preview was shown: the contact goes back to its campaign."""
        entry = self.previews.pop(agent_id, None)
        if entry is not None and entry[0] in self.runtimes:
            self.runtimes[entry[0]].release(entry[1])

    def preview_answered(self, call: CallState) -> None:
        """The contact of a preview dial answered; the agent was on the line already."""
        call.far_answered = call.far_answered or self.ctl.clock.now()
        self.live_noted(call)

    def machine_detected(self, call: CallState, result: str, actual: str | None) -> None:
        """The answering-machine detector decided (only campaign calls run it)."""
        if not self.owns(call) or call.status != DIALING:
            return
        call.amd_result = result
        call.amd_actual = actual
        if result == AMD_HUMAN:
            self.live(call)
            return
        # A machine (or a person the detector took for one): hang up. A false positive is an
        # abandoned live answer; only a simulated switch can tell (``actual``).
        runtime = self.runtime(call)
        if runtime is not None:
            runtime.line_resolved(call, live=False)
        agent = self.ctl.agent_of(call)
        self.ctl.wrapup.finish(call, END_ABANDONED if actual == AMD_HUMAN else END_FAILED)
        self.ctl.driver.hangup(call.uid)
        if agent is not None and agent.call is call:
            self.ctl.agent_states.notify(agent, {"type": "call.ended", "call_uid": call.uid, "by": "network"})
            self.ctl.callbacks.return_after_dial(agent, call)
        self.outcome(call, OUTCOME_ABANDONED if actual == AMD_HUMAN else OUTCOME_MACHINE)

    # --- dialling and the life of a campaign call ---------------------------------------

    def runtime(self, call: CallState) -> CampaignRuntime | None:
        """The runtime of the call's campaign (None: not a campaign call, or the campaign is gone)."""
        return self.runtimes.get(call.campaign_id) if call.campaign_id is not None else None

    def add(self, runtime: CampaignRuntime) -> None:
        """Run a campaign on this controller (its runtime paces and calls :meth:`dial`)."""
        self.runtimes[runtime.campaign_id] = runtime
        runtime.attach(self.ctl)

    def remove(self, campaign_id: int) -> None:
        """Forget a stopped campaign; its calls still in progress finish normally."""
        runtime = self.runtimes.pop(campaign_id, None)
        if runtime is not None:
            for agent_id in [agent_id for agent_id, (cid, _target) in self.previews.items() if cid == campaign_id]:
                self.preview_skip(agent_id, runtime=runtime)
            runtime.release_owned()

    def dial(self, runtime: CampaignRuntime, target: DialTarget, *, agent: AgentRuntime | None = None) -> CallState:
        """Dial one contact for a campaign: without ``agent`` the line rings with nobody on our side
        (progressive, power, predictive); with one, the agent hears it ring (preview)."""
        settings = runtime.settings
        now = self.ctl.clock.now()
        call = CallState(
            self.ctl.new_uid("cmp"),
            caller=settings.caller_id or self.ctl.default_caller_id,
            callee=target.number,
            arrived=now,
            direction=OUTBOUND,
            trunk_id=settings.trunk_id,
        )
        call.campaign_id = settings.campaign_id
        call.contact = target
        call.customer_name = target.name
        call.status = DIALING
        self.ctl.calls[call.uid] = call
        self.ctl.store.call_arrived(call)
        if agent is not None:
            call.agent_id = agent.agent_id
            call.queue_id = settings.queue_id if settings.queue_id in self.ctl.queues else None
            call.return_state = A_READY
            call.campaign_offer = runtime.offer_data(target)
            agent.call = call
            self.ctl.acd.agent_unavailable(agent.agent_id)
            self.ctl.agent_states.change(agent, A_RESERVED, call=call)
            self.ctl.store.call_offered(call, [agent], self.ctl.queue_of(call))
        runtime.line_dialed(call)
        self.ctl.driver.dial(
            call.uid,
            target.number,
            agent_id=agent.agent_id if agent is not None else None,
            caller_id=call.caller,
            trunk_id=settings.trunk_id,
            ring_timeout=settings.ring_timeout_seconds,
            amd=settings.amd_enabled,
        )
        return call

    def failed(self, call: CallState, reason: str) -> None:
        if call.status != DIALING:
            return
        outcome = {
            FAILED_BUSY: OUTCOME_BUSY,
            FAILED_NO_ANSWER: OUTCOME_NO_ANSWER,
            FAILED_BLOCKED: OUTCOME_BLOCKED,
        }.get(reason, OUTCOME_FAILED)
        runtime = self.runtime(call)
        if runtime is not None:
            runtime.line_resolved(call, live=False)
        if outcome == OUTCOME_BLOCKED:
            call.blocked = True
        agent = self.ctl.agent_of(call)
        end = {OUTCOME_NO_ANSWER: END_NO_ANSWER, OUTCOME_BLOCKED: END_BLOCKED}.get(outcome, END_FAILED)
        self.ctl.wrapup.finish(call, end)
        if agent is not None and agent.call is call:
            self.ctl.agent_states.notify(agent, {"type": "call.ended", "call_uid": call.uid, "by": "network"})
            self.ctl.callbacks.return_after_dial(agent, call)
        self.outcome(call, outcome)

    def far_answered(self, call: CallState) -> None:
        call.far_answered = self.ctl.clock.now()
        runtime = self.runtime(call)
        if runtime is not None:
            runtime.line_answered(call)
            if not runtime.settings.amd_enabled:
                self.live(call)

    def live_noted(self, call: CallState) -> None:
        call.live_at = self.ctl.clock.now()
        runtime = self.runtime(call)
        if runtime is not None:
            runtime.line_resolved(call, live=True)

    def live(self, call: CallState) -> None:
        """A live person answered: an agent of the campaign's queue takes them within the grace
        (``abandon_grace_seconds``, 2 s by law), or the abandon message plays."""
        self.live_noted(call)
        runtime = self.runtime(call)
        queue_id = runtime.settings.queue_id if runtime is not None else call.queue_id
        now = self.ctl.clock.now()
        if queue_id is None or queue_id not in self.ctl.queues:
            self.abandon(call)  # nobody can take it
            return
        call.queue_id = queue_id
        call.status = QUEUED
        call.ivr_exited = now
        call.queue_entered = call.queued = now
        self.ctl.store.call_queued(call)
        call.waiting = WaitingCall(call_id=call.uid, queue_id=queue_id, arrived=now, priority=LIVE_ANSWER_PRIORITY)
        grace = runtime.settings.abandon_grace_seconds if runtime is not None else 2.0
        call.grace_timer = self.ctl.clock.call_later(grace, self.grace_over, call)
        assignment = self.ctl.acd.enqueue(call.waiting, now)
        if assignment is not None:
            self.ctl.offers.assign(assignment)
        else:
            self.ctl.queueing.changed(queue_id)

    def assign(self, call: CallState, agents: list[AgentRuntime]) -> None:
        """Connect a live answer to its agent at once: outbound agents do not get a ringing phone
        (the contact is already talking), the desktop receives the offer and the answer together."""
        now = self.ctl.clock.now()
        agent, extra = agents[0], tuple(other.agent_id for other in agents[1:])
        cancel_timer(call, "grace_timer")
        call.status = OFFERED
        call.offer_count += 1
        call.offer_seq += 1
        if call.offered is None:
            call.offered = now
        call.ringing = (agent.agent_id,)
        agent.call = call
        runtime = self.runtime(call)
        if runtime is not None and not agent.is_virtual:
            call.campaign_offer = runtime.offer_data(call.contact)
        self.ctl.agent_states.change(agent, A_RESERVED, call=call)
        self.ctl.store.call_offered(call, [agent], self.ctl.queue_of(call))
        self.ctl.driver.bridge(call.uid, agent.agent_id)
        self.ctl.driver.answer(call.uid, agent.agent_id)
        call.ring_timer = self.ctl.clock.call_later(
            AUTO_ANSWER_SECONDS, self.ctl.offers.ring_timeout, call, call.offer_seq
        )
        self.ctl.queueing.changed(call.queue_id)
        if extra:
            for follow_up in self.ctl.acd.release_agents(extra, now):
                self.ctl.offers.assign(follow_up)

    def grace_over(self, call: CallState) -> None:
        call.grace_timer = None
        if call.status != QUEUED:
            return
        self.ctl.acd.remove_call(call.uid)
        self.ctl.queueing.changed(call.queue_id)
        self.abandon(call)

    def abandon(self, call: CallState) -> None:
        """No agent in time: the identification message plays, then the line is hung up."""
        cancel_timer(call, "grace_timer")
        self.ctl.store.call_event(call, "abandon_message")
        self.ctl.wrapup.finish(call, END_ABANDONED)
        call.pending_gather = ABANDON_MESSAGE
        self.ctl.calls[call.uid] = call  # until the message has played
        runtime = self.runtime(call)
        text = runtime.settings.abandon_message if runtime is not None else ""
        self.ctl.driver.play(call.uid, PROMPT_ABANDON, {"text": text} if text else None)
        self.outcome(call, OUTCOME_ABANDONED)

    def outcome(self, call: CallState, outcome: str) -> None:
        if call.campaign_id is None or call.campaign_outcome is not None:
            return
        call.campaign_outcome = outcome
        self.ctl.store.campaign_attempt(call, outcome)
        runtime = self.runtime(call)
        if runtime is not None:
            runtime.attempt_finished(call, outcome)

    # --- preview: the agent sees the contact first -----------------------------------------
    def preview(self, runtime: CampaignRuntime, agent: AgentRuntime, target: DialTarget) -> None:
        """Show a contact to a Ready agent, who dials or skips it (``campaign.preview_dial`` /
        ``campaign.preview_skip``). The agent takes no other call meanwhile."""
        self.ctl.acd.agent_unavailable(agent.agent_id)
        self.previews[agent.agent_id] = (runtime.campaign_id, target)
        message = {"type": "campaign.preview", **runtime.offer_data(target)}
        self.ctl.agent_states.notify(agent, message)
        if agent.is_virtual:
            self.ctl.clock.call_later(runtime.preview_seconds, self.preview_dial, agent.agent_id)

    def preview_dial(self, agent_id: int, contact_id: int | None = None) -> CallState | None:
        entry = self.previews.get(agent_id)
        agent = self.ctl.agents.get(agent_id)
        if entry is None or agent is None:
            return None
        campaign_id, target = entry
        if contact_id is not None and contact_id != target.contact_id:
            return None  # a stale click on a contact no longer shown
        del self.previews[agent_id]
        runtime = self.runtimes.get(campaign_id)
        if runtime is None or agent.state != A_READY or agent.call is not None:
            if runtime is not None:
                runtime.release(target)
            return None
        return self.dial(runtime, target, agent=agent)

    def preview_skip(
        self, agent_id: int, contact_id: int | None = None, *, runtime: CampaignRuntime | None = None
    ) -> bool:
        entry = self.previews.get(agent_id)
        if entry is None or (contact_id is not None and contact_id != entry[1].contact_id):
            return False
        del self.previews[agent_id]
        runtime = runtime or self.runtimes.get(entry[0])
        if runtime is not None:
            if contact_id is None:
                runtime.release(entry[1])  # "show it to me again" (a reloaded desk): back at once
            else:
                runtime.skip(entry[1])
        agent = self.ctl.agents.get(agent_id)
        if agent is not None and agent.state == A_READY and agent.call is None:
            self.ctl.agent_states.ready(agent, record=False)
        return True
