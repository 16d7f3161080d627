"""The switch-driver interface (ARCHITECTURE §5).

Call control (:class:`~apps.telephony.engine.controller.CallController`) is written once
against this interface and never knows which switch runs underneath: the simulated switch
(``sim``) today, the SIP plane (Kamailio + rtpengine) later.

The controller sends **commands** (methods of :class:`SwitchDriver`); the driver reports
**events** to a :class:`DriverListener`. A driver never calls the listener from inside a
command: it schedules the event (for the simulator, on the engine clock, possibly with zero
delay), so the controller's state is always consistent when an event arrives.

Calls are identified by the engine's call ID (``uid``, a string). ``agent_id`` is the
engine's agent ID (the ``Agent`` primary key, or a synthetic number in a simulation).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

# Prompts the controller asks the switch to play. A real switch maps them to audio files;
# the simulator only needs to know how long they last and that hold music means "waiting".
PROMPT_HOLD_MUSIC = "hold_music"
PROMPT_POSITION = "queue.position"
PROMPT_CALLBACK_OFFER = "queue.callback_offer"
PROMPT_VOICEMAIL = "voicemail.greeting"
PROMPT_SURVEY = "survey"
PROMPT_ABANDON = "campaign.abandon"  # the identification message of an abandoned outbound call (DOMAIN §6)
# A spoken value (an IVR say node): ``play(uid, PROMPT_SAY, {"words": [prompt names], "text": …})``
# plays the word prompts one after another (apps/telephony/speech/). The queue's position
# announcement (PROMPT_POSITION) carries the same "words" and "text" in its data.
PROMPT_SAY = "say"

MONITOR_MODES = ("listen", "whisper", "barge")

# Who hung up (hung_up event).
BY_CALLER = "caller"
BY_AGENT = "agent"
BY_SYSTEM = "system"

# failed event reasons
FAILED_BLOCKED = "blocked"  # every trunk channel busy: refused before the call existed
FAILED_NO_ANSWER = "no_answer"  # an originated call was not answered
FAILED_ERROR = "error"
FAILED_BUSY = "busy"  # an originated call found the line busy

# Answering-machine detection results (machine_detected event)
AMD_HUMAN = "human"
AMD_MACHINE = "machine"

# consult_failed event reasons (a switch may report its own code; the controller treats any
# reason the same way: the consultation did not happen, the caller stays held with the first agent)
CONSULT_UNREACHABLE = "unreachable"  # the target's seat is not registered / cannot ring
CONSULT_BUSY = "busy"  # the target's device is busy
CONSULT_DECLINED = "declined"  # declined on the phone
CONSULT_ERROR = "error"
CONSULT_NO_ANSWER = "no_answer"  # an outside number rang out (the controller's own timeout says the same)

# The "agent id" of an outside number in a consultation or conference (consult_number): the consult
# events and conference_drop name it instead of an agent. Database ids start at 1.
OUTSIDE_PARTY = 0


@dataclass(frozen=True)
class InboundCall:
    """What the switch knows about a call when it arrives."""

    uid: str
    caller: str
    callee: str
    number_id: int | None = None
    trunk_id: int | None = None
    extra: dict = field(default_factory=dict)


class DriverListener(ABC):
    """Events from the switch. Every method must return quickly and never raise on an unknown call."""

    @abstractmethod
    def on_arrived(self, call: InboundCall) -> None:
        """A new inbound call on one of our numbers (a trunk channel is now taken)."""

    @abstractmethod
    def on_failed(self, uid: str, reason: str, call: InboundCall | None = None) -> None:
        """The call could not be set up: ``blocked`` (no trunk channel; ``call`` describes the
        refused attempt), ``no_answer`` (an originated call), ``error``."""

    @abstractmethod
    def on_ringing(self, uid: str, agent_id: int) -> None:
        """The agent's device is ringing for this call."""

    @abstractmethod
    def on_answered(self, uid: str, agent_id: int | None) -> None:
        """The agent leg answered (an offer was taken), or for an originated call the far end
        answered and is bridged to ``agent_id``."""

    @abstractmethod
    def on_play_done(self, uid: str) -> None: ...

    @abstractmethod
    def on_digits(self, uid: str, digits: str) -> None:
        """The caller's answer to a ``gather`` (DTMF)."""

    @abstractmethod
    def on_no_input(self, uid: str) -> None:
        """A ``gather`` timed out without digits."""

    @abstractmethod
    def on_held(self, uid: str) -> None: ...

    @abstractmethod
    def on_resumed(self, uid: str) -> None: ...

    @abstractmethod
    def on_hung_up(self, uid: str, by: str) -> None:
        """``by="caller"`` or ``"system"``: the call is over and its trunk channel free.
        ``by="agent"``: the agent left; the caller is still there (see :meth:`SwitchDriver.hangup`)."""

    def on_bridge_failed(self, uid: str, agent_id: int, reason: str) -> None:  # noqa: B027 (optional)
        """The agent's device refused the offer at once (not registered, busy, declined on the
        phone: ``reason`` is the switch's code). Optional: a switch that never knows this leaves
        it to the ring timeout."""

    # --- attended (consultative) transfer: optional, see SwitchDriver.consult ------------------
    def on_consult_answered(self, uid: str, agent_id: int) -> None:  # noqa: B027 (optional)
        """The consulted agent ``agent_id`` picked up the consultation started by
        :meth:`SwitchDriver.consult`: the first agent and the consulted agent now talk; the caller
        is still on hold. Not an ``on_answered``: the call's agent is still the first agent."""

    def on_consult_failed(self, uid: str, agent_id: int, reason: str) -> None:  # noqa: B027 (optional)
        """The consultation could not ring or was refused before it was answered (``reason``:
        ``unreachable``, ``busy``, ``declined``, ``error`` or the switch's own code). The switch has
        already dropped the consult leg; the caller stays held with the first agent. Never sent for
        a ring timeout (the controller times the ringing and sends :meth:`SwitchDriver.consult_cancel`)."""

    def on_consult_ended(self, uid: str, agent_id: int, by: str) -> None:  # noqa: B027 (optional)
        """The consult leg ended before :meth:`SwitchDriver.consult_complete` without the controller
        asking: ``by="agent"`` the consulted agent hung up (answered or still ringing: declined on
        the phone is :meth:`on_consult_failed`), ``by="system"`` the switch lost the leg. The caller
        stays held with the first agent. Not sent after ``consult_cancel``, nor when the whole call
        ends (``on_hung_up`` with ``caller``/``system``: the consult leg ends with it)."""

    # --- three-way conference: optional, see SwitchDriver.conference ---------------------------
    def on_conference_left(self, uid: str, agent_id: int, by: str) -> None:  # noqa: B027 (optional)
        """The conference's added party ``agent_id`` (the consulted colleague) left without the
        controller asking: ``by="agent"`` hung up on the phone, ``by="system"`` the switch lost the
        leg. The switch has already put the call back to two parties (the caller and the call's
        agent, talking). Not sent after :meth:`SwitchDriver.conference_drop`; the call's own agent
        hanging up is ``on_hung_up(uid, "agent")`` as on any call."""

    @abstractmethod
    def on_machine_detected(self, uid: str, result: str, actual: str | None = None) -> None:
        """Answering-machine detection on an originated call (``human`` | ``machine``).

        ``actual`` is who really answered, which only a simulated switch knows; a real one
        leaves it ``None``. It serves to count AMD false positives as abandoned calls in the
        figures, never to pace."""


class SwitchDriver(ABC):
    """Commands the controller sends to the switch."""

    listener: DriverListener | None = None

    def set_listener(self, listener: DriverListener) -> None:
        self.listener = listener

    @abstractmethod
    def answer(self, uid: str, agent_id: int | None = None) -> None:
        """Without ``agent_id``: the switch answers the caller (before the IVR plays). With it:
        the agent takes the call offered to them (the web desktop's Answer button)."""

    @abstractmethod
    def play(self, uid: str, prompt: str, data: dict | None = None) -> None:
        """Play a prompt; ``on_play_done`` follows (not for hold music, which loops)."""

    @abstractmethod
    def gather(
        self, uid: str, prompt: str, *, max_digits: int, timeout: float, options: list[str], key: str = ""
    ) -> None:
        """Play ``prompt`` and collect digits; ``on_digits`` or ``on_no_input`` follows. ``key`` names
        the question (the IVR node id, ``survey``, ``callback_offer``); a real switch ignores it."""

    @abstractmethod
    def bridge(self, uid: str, agent_id: int) -> None:
        """Ring the agent's seat for this call (an offer). ``on_answered`` follows if they pick up."""

    @abstractmethod
    def cancel_bridge(self, uid: str, agent_id: int) -> None:
        """Stop ringing this agent (RONA, ring-all loser, offer withdrawn)."""

    @abstractmethod
    def detach(self, uid: str) -> None:
        """The agent leg leaves a call whose caller stays (blind transfer to a queue or an agent)."""

    @abstractmethod
    def originate(self, uid: str, number: str, agent_id: int, *, caller_id: str = "") -> None:
        """Dial ``number`` for an agent (callback, click-to-dial); ``on_answered`` or ``on_failed``."""

    def dial(
        self,
        uid: str,
        number: str,
        *,
        agent_id: int | None = None,
        caller_id: str = "",
        trunk_id: int | None = None,
        ring_timeout: float = 25.0,
        amd: bool = True,
    ) -> None:
        """A campaign dial. Without ``agent_id`` (progressive, power, predictive) nobody is on our
        side yet: ``on_answered(uid, None)`` when the far end picks up, then, with ``amd``,
        ``on_machine_detected``; the controller bridges a live answer to an agent itself. With
        ``agent_id`` (preview) a live answer is bridged to that agent (``on_answered(uid,
        agent_id)``). Failures: ``on_failed`` with ``busy``, ``no_answer`` (after
        ``ring_timeout``), ``blocked`` or ``error``."""
        raise NotImplementedError(f"{type(self).__name__} cannot place campaign calls")

    def channels_free(self, trunk_id: int | None) -> int | None:
        """Trunk channels free now (``None``: no cap known). The dialer never dials beyond it."""
        return None

    @abstractmethod
    def hold(self, uid: str) -> None: ...

    @abstractmethod
    def unhold(self, uid: str) -> None: ...

    @abstractmethod
    def transfer(self, uid: str, number: str) -> None:
        """Blind transfer to an outside number: the call leaves this switch (no hang-up event)."""

    @abstractmethod
    def monitor(self, uid: str, supervisor_id: int, mode: str) -> None:
        """A supervisor joins: ``listen`` (silent), ``whisper`` (agent hears), ``barge`` (both hear)."""

    @abstractmethod
    def start_recording(self, uid: str) -> None: ...

    @abstractmethod
    def stop_recording(self, uid: str) -> None: ...

    @abstractmethod
    def hangup(self, uid: str, by: str = BY_SYSTEM) -> None:
        """Hang up; ``on_hung_up(uid, by)`` follows. ``by="agent"`` hangs up the agent leg only (the
        desktop's Hang up button): the caller stays on the line until the controller hangs up
        the call or continues the IVR (a post-call survey)."""

    # --- attended (consultative) transfer: optional commands -----------------------------------
    # A switch without them keeps these defaults, which change nothing and return False: the
    # controller then tells the agent the consultation is not possible (nothing is left hanging).
    def consult(self, uid: str, agent_id: int) -> bool:
        """Start a consultation for the live call ``uid`` with agent ``agent_id``.

        Returns True when the switch took the command (events follow), False when it cannot
        consult at all (nothing changed, no event follows).

        1. The caller is put on hold (hold music) exactly as :meth:`hold` does, if not held
           already; the switch reports ``on_held(uid)`` as for ``hold`` (not when they were held).
        2. The first agent's leg (the call's agent) stays up but is no longer bridged to the
           caller; it waits for the consult leg (ringback or silence, the switch's choice).
        3. ``agent_id``'s seat rings with a new leg (the consult leg), presented with the caller's
           number as caller ID. A human agent may also take it from the web desktop: the controller
           sends ``answer(uid, agent_id)`` for a consultation as for an offer. Once answered, the
           consult leg is bridged to the first agent's leg (never to the caller's).
        4. Then exactly one of: ``on_consult_answered(uid, agent_id)`` (the first agent and the
           consulted agent are bridged; the caller still hears hold music),
           ``on_consult_failed(uid, agent_id, reason)`` (could not ring / refused), or, after an
           answer, ``on_consult_ended(uid, agent_id, by)`` if the consulted agent hangs up.

        The controller times the ringing itself (ring timeout → :meth:`consult_cancel`). At most one
        consultation per call. If the caller hangs up meanwhile the switch drops the consult leg
        too and reports only ``on_hung_up(uid, "caller")``; ``hangup(uid)`` (not ``by="agent"``) also
        ends the consult leg. ``hangup(uid, by="agent")`` during a consultation ends only the FIRST
        agent's leg (``on_hung_up(uid, "agent")`` follows; the consult leg stays up, the caller
        stays held): the controller then completes the transfer (:meth:`consult_complete`, when the
        consult leg had answered) or, while it still rings, sends :meth:`consult_cancel` followed by
        :meth:`bridge` of the call to the same agent (an ordinary offer: a blind transfer)."""
        return False

    def consult_number(self, uid: str, number: str) -> bool:
        """Start a consultation of the live call ``uid`` with an outside ``number`` (already checked
        against the dialling policy): as :meth:`consult`, but the consult leg is dialled out on the
        call's trunk (it counts against the trunk's channels) and the events name
        :data:`OUTSIDE_PARTY` as the agent: ``on_consult_answered(uid, 0)`` when the number answers,
        ``on_consult_failed(uid, 0, reason)`` (``busy``, ``no_answer``, ``unreachable``, ``error``,
        ``blocked``) if it does not, ``on_consult_ended(uid, 0, "caller")`` when it hangs up later.
        :meth:`consult_cancel` hangs the number up. :meth:`consult_complete` bridges the caller to
        the number and ends the agent's leg; the call then leaves this switch's bookkeeping as a
        blind :meth:`transfer` does (the switch carries the two on, no event follows). In a
        :meth:`conference` the number takes the colleague's place: ``conference_drop(uid, 0)``
        hangs it up, ``conference_drop(uid, <the agent>)`` leaves the caller with the number (a
        transfer), its own hang-up is ``on_conference_left(uid, 0, "caller")``."""
        return False

    def consult_complete(self, uid: str) -> bool:
        """Complete an answered consultation (the attended transfer): the caller leaves hold and is
        bridged to the consulted agent; the first agent's leg ends (if it has not already). The
        consulted agent is the call's agent from now on: their later hang-up is reported as
        ``on_hung_up(uid, "agent")``, the caller's as ``on_hung_up(uid, "caller")``, like any call.

        No event confirms it (no ``on_answered``, no ``on_resumed``, no ``on_hung_up`` for the first
        agent's leg): the controller does the bookkeeping when this returns True. False: the switch
        cannot complete (no answered consultation on this call); nothing changed."""
        return False

    def consult_cancel(self, uid: str) -> bool:
        """End the consultation (ringing or answered) without transferring: the consult leg is
        hung up (the consulted agent's seat stops ringing), the first agent is back with the
        caller, who STAYS ON HOLD until the controller sends :meth:`unhold`. No event follows
        (no ``on_consult_ended``). Returns False if there was no consultation on this call."""
        return False

    # --- three-way conference: optional commands ----------------------------------------------
    def conference(self, uid: str) -> bool:
        """Join an answered consultation (:meth:`consult`) and its held caller into one
        conversation: the caller leaves hold (hold music stops, no ``on_resumed``), and the caller,
        the call's agent and the consulted agent all hear one another. The call's recording goes
        on and holds all three voices. No event confirms it: the controller does the bookkeeping
        when this returns True. False: no answered consultation on this call (nothing changed).

        Afterwards the call's agent hanging up is ``on_hung_up(uid, "agent")`` as usual (the
        caller and the colleague stay connected until the controller decides, normally with
        :meth:`conference_drop` of that agent); the colleague hanging up is
        :meth:`DriverListener.on_conference_left`; the caller hanging up ends everything
        (``on_hung_up(uid, "caller")``, every leg with it)."""
        return False

    def conference_drop(self, uid: str, agent_id: int) -> bool:
        """One agent leaves the conference and the call is two parties again: the colleague
        (dropped, or leaving from the desk) is hung up and the caller talks with the call's agent;
        or the call's agent leaves (their leg is hung up if it is not already) and the colleague
        becomes the call's agent, talking with the caller — from then on their hang-up is
        ``on_hung_up(uid, "agent")``. No event follows. False: ``agent_id`` is not in a conference
        on this call."""
        return False
