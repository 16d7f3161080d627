"""Three-way conferences: the Conferences collaborator.

A conference grows out of an answered consultation (:mod:`.consultations`): the call's agent (the
*host*) has the caller on hold and talks with a colleague; "Conference" joins the three::

    consultation answered ─► conference (caller, host, colleague all hear one another)
      ├► the colleague leaves (their desk, their phone) or the host drops them: a two-party call
      │  again, the host with the caller; the colleague is free (Ready)
      ├► the host leaves (their desk's Leave or Hang up, their phone): the colleague keeps the
      │  caller and becomes the call's agent (as an attended transfer); the host goes to wrap-up
      ├► the host ends the conference: everybody is hung up (the colleague Ready, the host wrap-up)
      └► the caller hangs up: everything ends (the colleague Ready, the host wrap-up)

This is what the common ACDs do (Cisco Finesse, Genesys, Five9: the initiator may *leave*, which
keeps the others connected, or *end* for everyone; the initiator may *drop* a participant). The
colleague goes straight back to Ready when they leave: the call stays the host's, with its one
CDR and the host's wrap-up (as a consultation that ends without a transfer).

An outside number consulted (``Consult.number``) joins the same way and takes the colleague's place
(``member_id`` is :data:`OUTSIDE_PARTY`): the host may drop it (the number is hung up), it may hang
up itself (two parties again); the host *leaving* hands the caller to the number as a blind transfer
to a number does (the call ends here, ``transferred`` with ``type: conference``); *End for everyone*
hangs up all three. The events name the number (``number``) where they would name the colleague.

The timeline (CallEvent) gets ``consult_ended`` (reason ``conference``), ``conference_started``
(host, colleague), ``conference_party_joined``
(the colleague), ``conference_party_left`` (who, why) and ``conference_ended`` (why); a host who
leaves also leaves a ``transferred`` event (``type: conference``) as the CDR's agent changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apps.telephony.engine.drivers.base import BY_AGENT, OUTSIDE_PARTY
from apps.telephony.engine.state import A_TALKING, TALKING, AgentRuntime, CallState

if TYPE_CHECKING:
    from apps.telephony.engine.controller.consultations import Consult
    from apps.telephony.engine.controller.core import CallController

logger = logging.getLogger(__name__)

# Why a party left (``conference_party_left``) or the conference ended (``conference_ended``).
LEFT = "left"  # left from the desk
HUNG_UP = "hung_up"  # hung up on the phone
DROPPED = "dropped"  # the host dropped the colleague
ENDED = "ended"  # the host ended the conference for everyone
CALLER_LEFT = "caller_hung_up"


@dataclass
class Conference:
    """A three-way conference on ``call_uid``: ``host_id`` is the call's agent, ``member_id`` the
    colleague who was consulted. Engine-clock time."""

    call_uid: str
    host_id: int
    member_id: int
    started: float
    number: str = ""  # an outside number in the colleague's place (member_id is OUTSIDE_PARTY)


class Conferences:
    """Conferences in progress, one per call."""

    def __init__(self, ctl: CallController) -> None:
        self.ctl = ctl
        self.conferences: dict[str, Conference] = {}

    def of(self, call: CallState) -> Conference | None:
        return self.conferences.get(call.uid)

    def parties(self, conference: Conference) -> list[dict]:
        """The agents in the conference, as the desks show them."""
        parties: list[dict] = []
        if conference.number:
            host = self.ctl.agents.get(conference.host_id)
            return [
                {"agent_id": conference.host_id, "name": host.name if host is not None else "", "role": "host"},
                {"agent_id": None, "name": conference.number, "role": "member", "number": conference.number},
            ]
        for agent_id, role in ((conference.host_id, "host"), (conference.member_id, "member")):
            agent = self.ctl.agents.get(agent_id)
            parties.append({"agent_id": agent_id, "name": agent.name if agent is not None else "", "role": role})
        return parties

    # --- starting ------------------------------------------------------------------------------
    def start(self, call: CallState, agent: AgentRuntime) -> bool:
        """The host joins their answered consultation and the held caller into a conference. On
        refusal the agent's desk gets ``call.conference_failed`` with a reason and nothing changes:
        ``no_consultation`` (no colleague on the line: consult one first), ``not_answered`` (the
        colleague's phone still rings), ``already_in_conference``, ``not_supported`` (the switch)."""

        def refuse(reason: str) -> bool:
            self.ctl.agent_states.notify(
                agent, {"type": "call.conference_failed", "call_uid": call.uid, "reason": reason}
            )
            return False

        if call.uid in self.conferences:
            return refuse("already_in_conference")
        consult = self.ctl.consultations.consults.get(call.uid)
        if consult is None or consult.from_agent_id != agent.agent_id or call.agent_id != agent.agent_id:
            return refuse("no_consultation")
        if consult.answered is None:
            return refuse("not_answered")
        if consult.number:
            return self.start_number(call, agent, consult)
        member = self.ctl.agents.get(consult.agent_id)
        if member is None or member.call is not call:
            return refuse("no_consultation")
        if not self.ctl.driver.conference(call.uid):
            return refuse("not_supported")
        now = self.ctl.clock.now()
        self.ctl.consultations.cancel_timer(consult)
        del self.ctl.consultations.consults[call.uid]
        # The consultation is over (the wallboard's consult phase ends): it became the conference.
        self.ctl.store.consult_ended(call, agent.agent_id, member.agent_id, "consult_ended", "conference")
        conference = self.conferences[call.uid] = Conference(
            call_uid=call.uid, host_id=agent.agent_id, member_id=member.agent_id, started=now
        )
        # The caller leaves hold: the hold time closes, the host talks again.
        if call.hold_started is not None:
            self.ctl.wrapup.close_hold(call)
            self.ctl.store.call_resumed(call)
        call.status = TALKING
        if agent.state != A_TALKING:
            self.ctl.agent_states.change(agent, A_TALKING, call=call)
        if member.state != A_TALKING:
            self.ctl.agent_states.change(member, A_TALKING, call=call)
        self.ctl.store.call_event(
            call,
            "conference_started",
            agent.agent_id,
            target_agent_id=member.agent_id,
            consult_seconds=round(now - (consult.answered or now), 3),
        )
        self.ctl.store.call_event(call, "conference_party_joined", member.agent_id, from_agent_id=agent.agent_id)
        parties = self.parties(conference)
        for party, role in ((agent, "host"), (member, "member")):
            self.ctl.agent_states.notify(
                party, {"type": "call.conference_started", "call_uid": call.uid, "role": role, "parties": parties}
            )
        return True

    def start_number(self, call: CallState, agent: AgentRuntime, consult: Consult) -> bool:
        """The host joins the held caller and the outside number they consulted."""
        if not self.ctl.driver.conference(call.uid):
            self.ctl.agent_states.notify(
                agent, {"type": "call.conference_failed", "call_uid": call.uid, "reason": "not_supported"}
            )
            return False
        now = self.ctl.clock.now()
        self.ctl.consultations.cancel_timer(consult)
        del self.ctl.consultations.consults[call.uid]
        number = consult.number
        self.ctl.store.call_event(call, "consult_ended", agent.agent_id, number=number, reason="conference")
        conference = self.conferences[call.uid] = Conference(
            call_uid=call.uid, host_id=agent.agent_id, member_id=OUTSIDE_PARTY, started=now, number=number
        )
        if call.hold_started is not None:
            self.ctl.wrapup.close_hold(call)
            self.ctl.store.call_resumed(call)
        call.status = TALKING
        if agent.state != A_TALKING:
            self.ctl.agent_states.change(agent, A_TALKING, call=call)
        self.ctl.store.call_event(
            call,
            "conference_started",
            agent.agent_id,
            number=number,
            consult_seconds=round(now - (consult.answered or now), 3),
        )
        self.ctl.store.call_event(call, "conference_party_joined", None, number=number, from_agent_id=agent.agent_id)
        self.ctl.agent_states.notify(
            agent,
            {
                "type": "call.conference_started",
                "call_uid": call.uid,
                "role": "host",
                "parties": self.parties(conference),
            },
        )
        return True

    # --- leaving -------------------------------------------------------------------------------
    def leave(self, call: CallState, agent_id: int, reason: str = LEFT, *, switch: bool = True) -> bool:
        """``agent_id`` leaves the conference (``switch``: tell the switch; False when the switch
        reported it). The host leaving hands the caller to the colleague."""
        conference = self.conferences.get(call.uid)
        if conference is None or agent_id not in (conference.host_id, conference.member_id):
            return False
        if switch and not self.ctl.driver.conference_drop(call.uid, agent_id):
            logger.warning("engine %s: the switch refused to drop agent %s from the conference", call.uid, agent_id)
        if agent_id == conference.member_id:
            self.member_gone(call, conference, reason)
        else:
            self.host_gone(call, conference, reason)
        return True

    def drop(self, call: CallState, host: AgentRuntime) -> bool:
        """The host drops the colleague: the call is theirs and the caller's again."""
        conference = self.conferences.get(call.uid)
        if conference is None or conference.host_id != host.agent_id:
            self.ctl.agent_states.notify(
                host, {"type": "call.conference_failed", "call_uid": call.uid, "reason": "not_in_conference"}
            )
            return False
        return self.leave(call, conference.member_id, DROPPED)

    def end(self, call: CallState, host: AgentRuntime) -> bool:
        """The host ends the conference for everyone: the colleague is dropped, then the host hangs
        up as on any call (the caller's leg ends, or a post-call survey takes over)."""
        conference = self.conferences.get(call.uid)
        if conference is None or conference.host_id != host.agent_id:
            self.ctl.agent_states.notify(
                host, {"type": "call.conference_failed", "call_uid": call.uid, "reason": "not_in_conference"}
            )
            return False
        self.leave(call, conference.member_id, ENDED)
        self.ctl.driver.hangup(call.uid, BY_AGENT)
        return True

    # --- hooks the other parts call ------------------------------------------------------------
    def host_hung_up(self, call: CallState) -> bool:
        """The call's agent hung up (phone or desk). True: a conference carries the call on."""
        conference = self.conferences.get(call.uid)
        if conference is None or conference.host_id != call.agent_id:
            return False
        return self.leave(call, conference.host_id, HUNG_UP)

    def left(self, uid: str, agent_id: int, by: str) -> None:
        """The switch reports the colleague gone (``on_conference_left``)."""
        call = self.ctl.calls.get(uid)
        if call is not None:
            self.leave(call, agent_id, HUNG_UP if by == BY_AGENT or agent_id == OUTSIDE_PARTY else by, switch=False)

    def call_ending(self, call: CallState, by: str) -> None:
        """The caller left (or the call was released): the conference ends with the call."""
        conference = self.conferences.get(call.uid)
        if conference is not None:
            self.member_gone(call, conference, CALLER_LEFT if by != BY_AGENT else HUNG_UP)

    # --- bookkeeping ---------------------------------------------------------------------------
    def member_gone(self, call: CallState, conference: Conference, reason: str) -> None:
        """The colleague is out: two parties again (or none), the colleague is Ready."""
        self.conferences.pop(call.uid, None)
        if conference.number:
            self.ctl.store.call_event(call, "conference_party_left", None, number=conference.number, reason=reason)
        else:
            self.ctl.store.call_event(call, "conference_party_left", conference.member_id, reason=reason)
        self.ctl.store.call_event(call, "conference_ended", conference.host_id, reason=reason)
        host = self.ctl.agents.get(conference.host_id)
        if host is not None:
            self.ctl.agent_states.notify(
                host,
                {"type": "call.conference_ended", "call_uid": call.uid, "reason": reason, "role": "host"},
            )
        member = self.ctl.agents.get(conference.member_id)
        if member is None or member.call is not call:
            return
        self.ctl.agent_states.notify(
            member, {"type": "call.conference_ended", "call_uid": call.uid, "reason": reason, "role": "member"}
        )
        self.ctl.agent_states.notify(member, {"type": "call.ended", "call_uid": call.uid, "by": "agent"})
        member.call = None
        self.ctl.agent_states.ready(member)

    def host_gone(self, call: CallState, conference: Conference, reason: str) -> None:
        """The host is out: the colleague keeps the caller and is the call's agent from now on."""
        now = self.ctl.clock.now()
        self.conferences.pop(call.uid, None)
        host = self.ctl.agents.get(conference.host_id)
        if conference.number:
            # The caller and the number talk on without us: a transfer to the number.
            self.ctl.store.call_event(call, "conference_party_left", conference.host_id, reason=reason)
            self.ctl.store.call_event(call, "conference_ended", None, number=conference.number, reason="host_left")
            if host is not None:
                self.ctl.agent_states.notify(
                    host, {"type": "call.conference_ended", "call_uid": call.uid, "reason": reason, "role": "left"}
                )
                self.ctl.consultations.number_handover(
                    call,
                    host,
                    conference.number,
                    type="conference",
                    how=reason,
                    conference_seconds=round(now - conference.started, 3),
                )
            return
        member = self.ctl.agents.get(conference.member_id)
        self.ctl.store.call_event(call, "conference_party_left", conference.host_id, reason=reason)
        self.ctl.store.call_event(call, "conference_ended", conference.member_id, reason="host_left")
        if member is None:
            return
        call.status = TALKING
        call.agent_id = member.agent_id
        call.agents_served.append(member.agent_id)
        member.call = call
        self.ctl.store.consult_completed(
            call,
            conference.host_id,
            member.agent_id,
            type="conference",
            how=reason,
            conference_seconds=round(now - conference.started, 3),
        )
        if call.caller and not call.is_callback:
            self.ctl.last_agent[call.caller] = (member.agent_id, now)
        self.ctl.agent_states.notify(
            member,
            {"type": "call.conference_ended", "call_uid": call.uid, "reason": "host_left", "role": "agent"},
        )
        if host is not None:
            self.ctl.agent_states.notify(
                host, {"type": "call.conference_ended", "call_uid": call.uid, "reason": reason, "role": "left"}
            )
            if host.call is call:
                self.ctl.consultations.first_agent_done(call, host)
