"""The simulated switch: callers, trunks and virtual agents on the engine clock.

* **Callers** arrive on each number by a Poisson process (``arrivals_per_hour``). In the IVR
  they press keys (uniformly among a gather's options unless a script gives fixed digits or
  weights); waiting for an agent they lose patience after an exponential time with the
  configured mean (or never); talking to a human agent they hang up after a sampled talk time.
* **Trunks** carry at most ``channels`` concurrent calls; one attempt more is refused
  (``on_failed(uid, "blocked", call)``) and counted.
* **Virtual agents** answer an offer after a sampled delay, talk for a sampled time (exp,
  lognormal or fixed around the AHT), optionally hold once, then hang up. **Human agents**
  are not simulated: the driver waits for the controller's ``answer``/``hangup`` commands,
  which come from the web desktop.
* **Attended transfer** (``consult``): the caller is held, the consulted agent's seat rings; a
  virtual agent picks up after their sampled answer delay (or never, with their
  ``miss_probability``), a human one through the desktop's Answer; seats listed in
  ``unreachable_seats`` fail at once. After ``consult_complete`` the consulted agent talks with
  the caller like any agent who answered.
* **Conference** (``conference``): an answered consultation and its held caller become one
  conversation; ``conference_drop`` takes an agent out again (the call's agent leaving hands the
  caller to the colleague, who then talks like any agent who answered); ``hang_up_conference`` is
  the colleague hanging up on their phone (a world event for tests and the demo).
* **Consulting an outside number** (``consult_number``): the number's leg takes a channel of the
  call's trunk (none free: ``blocked`` at once) and answers after ``consult_number_ring`` seconds,
  unless ``consult_number_outcomes`` says ``busy``/``unreachable`` (fails after that ring) or
  ``no_answer`` (rings until the controller's timeout). Deterministic, for tests and the demo.
  Completing it (or its conference's agent leaving) hands the caller to the number: the call
  leaves the switch as a blind ``transfer`` does.
* **Campaign dials** (``dial``): each number dialled is answered by a person, by an answering
  machine, is busy, fails, or rings out, with the rates of :class:`OutboundBehaviour`; the
  answering-machine detector takes a moment and calls a configurable share of live people
  "machine" (false positives).

Everything random comes from one ``random.Random(seed)``, so a run is reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apps.telephony.engine.clock import Clock, TimerHandle
from apps.telephony.engine.drivers.base import (
    AMD_HUMAN,
    AMD_MACHINE,
    BY_AGENT,
    BY_CALLER,
    BY_SYSTEM,
    CONSULT_BUSY,
    CONSULT_UNREACHABLE,
    FAILED_BLOCKED,
    FAILED_BUSY,
    FAILED_ERROR,
    FAILED_NO_ANSWER,
    OUTSIDE_PARTY,
    PROMPT_HOLD_MUSIC,
    InboundCall,
    SwitchDriver,
)

TALK_DISTRIBUTIONS = ("exp", "lognormal", "fixed")


@dataclass(frozen=True)
class Duration:
    """A random duration in seconds: exponential, lognormal (shape ``sigma``) or fixed, with mean ``mean``."""

    mean: float
    dist: str = "exp"
    sigma: float = 0.6

    def __post_init__(self) -> None:
        if self.dist not in TALK_DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {self.dist!r}")
        if self.mean < 0:
            raise ValueError("mean must be >= 0")

    def sample(self, rng: random.Random) -> float:
        if self.mean == 0 or self.dist == "fixed":
            return self.mean
        if self.dist == "exp":
            return rng.expovariate(1.0 / self.mean)
        # A lognormal whose mean is ``mean``: mu = ln(mean) − sigma²/2.
        return rng.lognormvariate(math.log(self.mean) - self.sigma**2 / 2, self.sigma)


@dataclass
class CallerBehaviour:
    patience: float | None = None  # mean seconds before hanging up while waiting; None: never
    # Per gather key (IVR node id, "survey", "callback_offer"): fixed digits, or {digits: weight}.
    choices: dict[str, str | dict[str, float]] = field(default_factory=dict)
    think: tuple[float, float] = (1.0, 3.0)  # seconds to press a key, uniform
    no_input_probability: float = 0.0
    prompt_seconds: float = 3.0
    talk_with_human: Duration = field(default_factory=lambda: Duration(120, "lognormal"))
    voicemail: tuple[float, float] = (5.0, 30.0)
    originate_ring: tuple[float, float] = (3.0, 8.0)
    originate_answer_probability: float = 0.85
    known_callers: list[str] = field(default_factory=list)  # customers' numbers, for screen pop
    known_caller_share: float = 0.0


@dataclass
class OutboundBehaviour:
    """What happens to a campaign dial. Rates are shares of all dials; what is left rings out."""

    answer_rate: float = 0.25  # a live person answers
    machine_rate: float = 0.15  # an answering machine answers
    busy_rate: float = 0.10
    failed_rate: float = 0.0  # number or network error
    amd_false_positive: float = 0.0  # share of live people the detector calls "machine"
    ring: tuple[float, float] = (3.0, 15.0)  # seconds of ringing before someone/something answers
    busy_after: tuple[float, float] = (1.0, 4.0)
    failed_after: tuple[float, float] = (0.5, 3.0)
    amd_human_seconds: tuple[float, float] = (1.0, 2.5)  # detection time after the answer
    amd_machine_seconds: tuple[float, float] = (2.0, 4.0)
    machine_talk_seconds: float = 5.0  # an agent bridged to a machine (no AMD) hangs up after this

    def __post_init__(self) -> None:
        rates = (self.answer_rate, self.machine_rate, self.busy_rate, self.failed_rate, self.amd_false_positive)
        if any(rate < 0 or rate > 1 for rate in rates):
            raise ValueError("rates must be between 0 and 1")
        if self.answer_rate + self.machine_rate + self.busy_rate + self.failed_rate > 1 + 1e-9:
            raise ValueError("answer, machine, busy and failed rates add up to more than 1")


@dataclass
class VirtualAgentBehaviour:
    talk: Duration
    answer_delay: Duration = field(default_factory=lambda: Duration(0, "fixed"))
    hold_probability: float = 0.0
    hold: Duration = field(default_factory=lambda: Duration(20, "exp"))
    miss_probability: float = 0.0  # lets an offer ring out (RONA)


@dataclass
class SimTrunk:
    trunk_id: int | None
    channels: int | None  # None: unlimited
    busy: int = 0
    attempts: int = 0
    blocked: int = 0


@dataclass
class SimNumber:
    number_id: int | None
    number: str
    trunk_id: int | None
    arrivals_per_hour: float = 0.0


@dataclass
class _SimCall:
    uid: str
    trunk_id: int | None
    timers: list[TimerHandle] = field(default_factory=list)
    patience: TimerHandle | None = None
    ringing: dict[int, TimerHandle | None] = field(default_factory=dict)
    agent_id: int | None = None
    talked: bool = False
    outbound: bool = False
    machine: bool = False  # a campaign dial answered by an answering machine
    held: bool = False  # the caller hears hold music (on_held reported, on_resumed not yet)


@dataclass
class _SimConsult:
    """A consultation: the consulted agent's leg, ringing or answered."""

    agent_id: int
    answered: bool = False
    timers: list[TimerHandle] = field(default_factory=list)
    number: str = ""  # an outside number (agent_id is OUTSIDE_PARTY): its leg holds a trunk channel
    trunk_id: int | None = None


class SimDriver(SwitchDriver):
    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 0,
        caller: CallerBehaviour | None = None,
        uid_prefix: str = "sim-",
        arrivals_until: float | None = None,
        default_trunk_id: int | None = None,
        emit_ringing: bool = True,
    ) -> None:
        self.clock = clock
        self.rng = random.Random(seed)  # noqa: S311 - simulation, not security
        self.caller = caller or CallerBehaviour()
        self.outbound = OutboundBehaviour()
        self.amd_false_positives = 0  # live people hung up on by the detector (the world's truth)
        self.uid_prefix = uid_prefix
        self.arrivals_until = arrivals_until
        self.default_trunk_id = default_trunk_id
        self.emit_ringing = emit_ringing  # simulations skip the event nobody listens to
        self.trunks: dict[int | None, SimTrunk] = {}
        self.numbers: dict[int | None, SimNumber] = {}
        self.virtual_agents: dict[int, VirtualAgentBehaviour] = {}
        self.calls: dict[str, _SimCall] = {}
        self.transcript: list[tuple[str, str, str]] = []  # (uid, prompt, text) of spoken values
        self.recording: set[str] = set()
        self.monitors: list[tuple[str, int, str]] = []
        self.consults: dict[str, _SimConsult] = {}  # call uid -> its consultation
        self.conferences: dict[str, int] = {}  # call uid -> the colleague in its conference
        self.unreachable_seats: set[int] = set()  # agents whose phone is not registered: a consult fails at once
        self.consult_number_ring = 2.0  # an outside number consulted answers after this long
        self.consult_number_outcomes: dict[str, str] = {}  # number -> "busy" | "unreachable" | "no_answer"
        self.consulted_numbers: list[tuple[str, str]] = []  # (uid, number) dialled for a consultation
        self.number_legs: dict[str, int | None] = {}  # call uid -> the trunk of its outside party's leg
        self._arrival_timers: dict[int | None, TimerHandle] = {}
        self._seq = 0
        self._running = False
        # The switch's own call log: every event it reports, as (event, arguments), for
        # ``run_engine --sim-log`` and the fault tests that count CDRs against it.
        self.log: Callable[[str, tuple], None] | None = None

    # --- configuration -------------------------------------------------------------
    def set_trunk(self, trunk_id: int | None, channels: int | None) -> SimTrunk:
        trunk = self.trunks.get(trunk_id)
        if trunk is None:
            trunk = self.trunks[trunk_id] = SimTrunk(trunk_id, channels)
        else:
            trunk.channels = channels
        return trunk

    def set_number(self, number: SimNumber) -> None:
        """Add or update a number; a changed arrival rate takes effect from the next arrival."""
        if number.trunk_id not in self.trunks:
            self.set_trunk(number.trunk_id, None)
        previous = self.numbers.get(number.number_id)
        self.numbers[number.number_id] = number
        if self._running and (previous is None or previous.arrivals_per_hour != number.arrivals_per_hour):
            self._schedule_arrival(number.number_id)

    def remove_number(self, number_id: int | None) -> None:
        self.numbers.pop(number_id, None)
        timer = self._arrival_timers.pop(number_id, None)
        if timer:
            timer.cancel()

    def set_virtual_agent(self, agent_id: int, behaviour: VirtualAgentBehaviour) -> None:
        self.virtual_agents[agent_id] = behaviour

    def remove_virtual_agent(self, agent_id: int) -> None:
        self.virtual_agents.pop(agent_id, None)

    def start(self) -> None:
        """Start the arrival processes."""
        self._running = True
        for number_id in list(self.numbers):
            self._schedule_arrival(number_id)

    def stop(self) -> None:
        self._running = False
        for timer in self._arrival_timers.values():
            timer.cancel()
        self._arrival_timers.clear()

    @property
    def blocked(self) -> int:
        return sum(trunk.blocked for trunk in self.trunks.values())

    # --- arrivals ------------------------------------------------------------------
    def _schedule_arrival(self, number_id: int | None) -> None:
        previous = self._arrival_timers.pop(number_id, None)
        if previous:
            previous.cancel()
        number = self.numbers.get(number_id)
        if number is None or number.arrivals_per_hour <= 0:
            return
        when = self.clock.now() + self.rng.expovariate(number.arrivals_per_hour / 3600.0)
        if self.arrivals_until is not None and when > self.arrivals_until:
            return
        self._arrival_timers[number_id] = self.clock.call_at(when, self._arrive, number_id)

    def _arrive(self, number_id: int | None) -> None:
        self._arrival_timers.pop(number_id, None)
        number = self.numbers.get(number_id)
        if number is None or not self._running:
            return
        self._schedule_arrival(number_id)
        self.inject(number, caller=self._caller_number())

    def _caller_number(self) -> str:
        behaviour = self.caller
        if behaviour.known_callers and self.rng.random() < behaviour.known_caller_share:
            return self.rng.choice(behaviour.known_callers)
        return f"13{self.rng.randrange(10**9):09d}"

    def next_uid(self) -> str:
        self._seq += 1
        return f"{self.uid_prefix}{self._seq:07d}"

    def inject(self, number: SimNumber, *, caller: str, uid: str | None = None) -> str:
        """One caller dials ``number`` now (arrivals use this; tests may call it directly)."""
        uid = uid or self.next_uid()
        inbound = InboundCall(
            uid=uid, caller=caller, callee=number.number, number_id=number.number_id, trunk_id=number.trunk_id
        )
        trunk = self.trunks.get(number.trunk_id) or self.set_trunk(number.trunk_id, None)
        trunk.attempts += 1
        if trunk.channels is not None and trunk.busy >= trunk.channels:
            trunk.blocked += 1
            self._deliver("on_failed", (uid, FAILED_BLOCKED, inbound))
            return uid
        trunk.busy += 1
        self.calls[uid] = _SimCall(uid=uid, trunk_id=number.trunk_id)
        self._deliver("on_arrived", (inbound,))
        return uid

    # --- plumbing ------------------------------------------------------------------
    # Events caused by a command are scheduled (``_emit``: the controller is still inside the
    # command); events of the simulated world (timers: arrivals, pickups, hang-ups) are
    # delivered at once (``_deliver``), which saves a timer per event.
    def _emit(self, delay: float, event: str, *args: Any) -> TimerHandle:
        return self.clock.call_later(delay, self._deliver, event, args)

    def _deliver(self, event: str, args: tuple) -> None:
        if self.log is not None:
            self.log(event, args)
        if event in ("on_held", "on_resumed"):
            call = self.calls.get(args[0])
            if call is not None:
                call.held = event == "on_held"
        if self.listener is not None:
            getattr(self.listener, event)(*args)

    def _call_timer(self, call: _SimCall, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        timer = self.clock.call_later(delay, callback, *args)
        call.timers.append(timer)
        return timer

    def _call_emit(self, call: _SimCall, delay: float, event: str, *args: Any) -> TimerHandle:
        return self._call_timer(call, delay, self._deliver, event, args)

    def _release(self, call: _SimCall) -> None:
        """The call is over on the switch: timers stop and its trunk channel frees."""
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()
        if call.patience:
            call.patience.cancel()
            call.patience = None
        for ring in call.ringing.values():
            if ring:
                ring.cancel()
        call.ringing.clear()
        self.recording.discard(call.uid)
        self.calls.pop(call.uid, None)
        self._drop_consult(call.uid)  # the consult leg ends with the call, silently
        self.conferences.pop(call.uid, None)  # and so does a conference's colleague
        self._free_number_leg(call.uid)
        trunk = self.trunks.get(call.trunk_id)
        if trunk and trunk.busy:
            trunk.busy -= 1

    def _agent_left(self, uid: str, deferred: bool = False) -> None:
        """The agent hung up; the caller's leg stays until the controller hangs it up."""
        call = self.calls.get(uid)
        if call is None or call.agent_id is None:
            return
        self._detach(call)
        self._signal(deferred, "on_hung_up", uid, BY_AGENT)

    def _signal(self, deferred: bool, event: str, *args: Any) -> None:
        if deferred:
            self._emit(0, event, *args)
        else:
            self._deliver(event, args)

    def _detach(self, call: _SimCall) -> None:
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()
        call.agent_id = None
        self.recording.discard(call.uid)

    def _end(self, uid: str, by: str, deferred: bool = False) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        self._release(call)
        self._signal(deferred, "on_hung_up", uid, by)

    # --- commands ------------------------------------------------------------------
    def answer(self, uid: str, agent_id: int | None = None) -> None:
        consult = self.consults.get(uid)
        if consult is not None and agent_id == consult.agent_id and not consult.answered:
            self._consult_cancel_timers(consult)
            consult.answered = True
            consult.timers.append(self._emit(0, "on_consult_answered", uid, agent_id))
            return
        call = self.calls.get(uid)
        if call is None or agent_id is None or agent_id not in call.ringing:
            return
        timer = call.ringing.pop(agent_id)
        if timer:
            timer.cancel()
        self._connected(call, agent_id, deferred=True)

    def _connected(self, call: _SimCall, agent_id: int, deferred: bool = False) -> None:
        """The agent picked up: the caller stops waiting, talk runs its course."""
        if call.patience:
            call.patience.cancel()
            call.patience = None
        call.agent_id = agent_id
        call.talked = True
        call.held = False
        if deferred:
            self._call_emit(call, 0, "on_answered", call.uid, agent_id)
        else:
            self._deliver("on_answered", (call.uid, agent_id))
        if call.uid not in self.calls:
            return  # the controller hung up at once
        self._talk(call, agent_id)

    def _talk(self, call: _SimCall, agent_id: int) -> None:
        """The conversation with ``agent_id`` runs its course: who hangs up, and when."""
        behaviour = self.virtual_agents.get(agent_id)
        if call.machine:
            # Bridged to an answering machine (no AMD): whoever listens hangs up soon.
            self._call_timer(call, self.outbound.machine_talk_seconds, self._agent_left, call.uid)
            return
        if behaviour is None:
            # A human agent: the caller hangs up after their own talk time, unless the agent does first.
            self._call_timer(call, self.caller.talk_with_human.sample(self.rng), self._end, call.uid, BY_CALLER)
            return
        talk = behaviour.talk.sample(self.rng)
        held = 0.0
        if behaviour.hold_probability and self.rng.random() < behaviour.hold_probability:
            held = behaviour.hold.sample(self.rng)
            start = talk * 0.4
            self._call_emit(call, start, "on_held", call.uid)
            self._call_emit(call, start + held, "on_resumed", call.uid)
        self._call_timer(call, talk + held, self._agent_left, call.uid)

    def play(self, uid: str, prompt: str, data: dict | None = None) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        if prompt == PROMPT_HOLD_MUSIC:
            if call.patience is None and not call.talked and self.caller.patience is not None:
                wait = self.rng.expovariate(1.0 / self.caller.patience) if self.caller.patience > 0 else 0.0
                call.patience = self.clock.call_later(wait, self._end, uid, BY_CALLER)
            return
        seconds = (data or {}).get("seconds", self.caller.prompt_seconds)
        if (data or {}).get("text"):  # a spoken value: the simulated switch logs what it says
            self.transcript.append((uid, prompt, str((data or {})["text"])))
            del self.transcript[:-200]  # the last 200: a long-running simulated engine keeps no more
        self._call_emit(call, seconds, "on_play_done", uid)

    def gather(
        self, uid: str, prompt: str, *, max_digits: int, timeout: float, options: list[str], key: str = ""
    ) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        behaviour = self.caller
        if behaviour.no_input_probability and self.rng.random() < behaviour.no_input_probability:
            self._call_emit(call, self.caller.prompt_seconds + timeout, "on_no_input", uid)
            return
        scripted = behaviour.choices.get(key) if key else None
        if isinstance(scripted, str):
            digits = scripted
        elif isinstance(scripted, dict) and scripted:
            keys = list(scripted)
            digits = self.rng.choices(keys, weights=[scripted[k] for k in keys])[0]
        elif options:
            digits = self.rng.choice(options)
        else:
            digits = "".join(str(self.rng.randrange(10)) for _ in range(max(1, max_digits)))
        delay = self.caller.prompt_seconds + self.rng.uniform(*behaviour.think)
        self._call_emit(call, delay, "on_digits", uid, digits)

    def bridge(self, uid: str, agent_id: int) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        if self.emit_ringing:
            self._emit(0, "on_ringing", uid, agent_id)
        behaviour = self.virtual_agents.get(agent_id)
        timer = None
        if behaviour is not None and not (
            behaviour.miss_probability and self.rng.random() < behaviour.miss_probability
        ):
            timer = self.clock.call_later(behaviour.answer_delay.sample(self.rng), self._virtual_pickup, uid, agent_id)
        call.ringing[agent_id] = timer

    def _virtual_pickup(self, uid: str, agent_id: int) -> None:
        call = self.calls.get(uid)
        if call is None or agent_id not in call.ringing or call.agent_id is not None:
            return
        call.ringing.pop(agent_id, None)
        self._connected(call, agent_id)

    def cancel_bridge(self, uid: str, agent_id: int) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        timer = call.ringing.pop(agent_id, None)
        if timer:
            timer.cancel()

    def originate(self, uid: str, number: str, agent_id: int, *, caller_id: str = "") -> None:
        trunk = self.trunks.get(self.default_trunk_id) or self.set_trunk(self.default_trunk_id, None)
        trunk.attempts += 1
        if trunk.channels is not None and trunk.busy >= trunk.channels:
            trunk.blocked += 1
            self._emit(0, "on_failed", uid, FAILED_BLOCKED, None)
            return
        trunk.busy += 1
        call = self.calls[uid] = _SimCall(uid=uid, trunk_id=self.default_trunk_id, outbound=True)
        ring = self.rng.uniform(*self.caller.originate_ring)
        if self.rng.random() < self.caller.originate_answer_probability:
            self._call_timer(call, ring, self._connected, call, agent_id)
        else:
            self._call_timer(call, ring, self._no_answer, uid)

    def channels_free(self, trunk_id: int | None) -> int | None:
        trunk = self.trunks.get(trunk_id if trunk_id is not None else self.default_trunk_id)
        if trunk is None or trunk.channels is None:
            return None
        return max(0, trunk.channels - trunk.busy)

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
        trunk_id = trunk_id if trunk_id is not None else self.default_trunk_id
        trunk = self.trunks.get(trunk_id) or self.set_trunk(trunk_id, None)
        trunk.attempts += 1
        if trunk.channels is not None and trunk.busy >= trunk.channels:
            trunk.blocked += 1
            self._emit(0, "on_failed", uid, FAILED_BLOCKED, None)
            return
        trunk.busy += 1
        call = self.calls[uid] = _SimCall(uid=uid, trunk_id=trunk_id, outbound=True)
        behaviour = self.outbound
        rng = self.rng
        draw = rng.random()
        live_until = behaviour.answer_rate
        machine_until = live_until + behaviour.machine_rate
        busy_until = machine_until + behaviour.busy_rate
        failed_until = busy_until + behaviour.failed_rate
        if draw < machine_until:
            call.machine = draw >= live_until
            ring = rng.uniform(*behaviour.ring)
            if ring < ring_timeout:
                self._call_timer(call, ring, self._far_answer, uid, agent_id, amd)
                return
        elif draw < busy_until:
            self._call_timer(call, rng.uniform(*behaviour.busy_after), self._dial_failed, uid, FAILED_BUSY)
            return
        elif draw < failed_until:
            self._call_timer(call, rng.uniform(*behaviour.failed_after), self._dial_failed, uid, FAILED_ERROR)
            return
        self._call_timer(call, ring_timeout, self._dial_failed, uid, FAILED_NO_ANSWER)

    def _far_answer(self, uid: str, agent_id: int | None, amd: bool) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        behaviour = self.outbound
        if not amd:
            if agent_id is not None:
                call.ringing[agent_id] = None
                self._connected_after_dial(call, agent_id)
            else:
                self._deliver("on_answered", (uid, None))
            return
        if agent_id is None:
            self._deliver("on_answered", (uid, None))
        if call.machine:
            result = actual = AMD_MACHINE
            delay = self.rng.uniform(*behaviour.amd_machine_seconds)
        else:
            actual = AMD_HUMAN
            delay = self.rng.uniform(*behaviour.amd_human_seconds)
            false_positive = behaviour.amd_false_positive and self.rng.random() < behaviour.amd_false_positive
            result = AMD_MACHINE if false_positive else AMD_HUMAN
            if false_positive:
                self.amd_false_positives += 1
        self._call_timer(call, delay, self._amd_done, uid, agent_id, result, actual)

    def _amd_done(self, uid: str, agent_id: int | None, result: str, actual: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        if agent_id is not None and result == AMD_HUMAN:
            self._connected_after_dial(call, agent_id)
            return
        self._deliver("on_machine_detected", (uid, result, actual))

    def _connected_after_dial(self, call: _SimCall, agent_id: int) -> None:
        call.ringing.pop(agent_id, None)
        self._connected(call, agent_id)

    def _dial_failed(self, uid: str, reason: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        self._release(call)
        self._deliver("on_failed", (uid, reason, None))

    def _no_answer(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        self._release(call)
        self._deliver("on_failed", (uid, FAILED_NO_ANSWER, None))

    def hold(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is not None:
            self._call_emit(call, 0, "on_held", uid)

    def unhold(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is not None:
            self._call_emit(call, 0, "on_resumed", uid)

    def transfer(self, uid: str, number: str) -> None:
        call = self.calls.get(uid)
        if call is not None:
            self._release(call)

    def monitor(self, uid: str, supervisor_id: int, mode: str) -> None:
        if uid in self.calls:
            self.monitors.append((uid, supervisor_id, mode))

    def start_recording(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is None:
            return
        self.recording.add(uid)
        if call.agent_id is None and not call.outbound:
            # Recording with nobody bridged is a voicemail: the caller speaks, then hangs up.
            self._call_timer(call, self.rng.uniform(*self.caller.voicemail), self._end, uid, BY_CALLER)

    def stop_recording(self, uid: str) -> None:
        self.recording.discard(uid)

    def detach(self, uid: str) -> None:
        call = self.calls.get(uid)
        if call is not None:
            self._detach(call)

    def hangup(self, uid: str, by: str = BY_SYSTEM) -> None:
        if by == BY_AGENT:
            self._agent_left(uid, deferred=True)
        else:
            self._end(uid, by, deferred=True)

    # --- attended transfer -------------------------------------------------------------
    def consult(self, uid: str, agent_id: int) -> bool:
        call = self.calls.get(uid)
        if call is None or call.agent_id is None or uid in self.consults:
            return False
        consult = self.consults[uid] = _SimConsult(agent_id=agent_id)
        if not call.held:
            call.held = True  # hold music from now on; the event follows on the clock
            self._call_emit(call, 0, "on_held", uid)
        if agent_id in self.unreachable_seats:
            consult.timers.append(self.clock.call_later(0, self._consult_failed, uid, agent_id, CONSULT_UNREACHABLE))
            return True
        behaviour = self.virtual_agents.get(agent_id)
        if behaviour is not None and not (
            behaviour.miss_probability and self.rng.random() < behaviour.miss_probability
        ):
            delay = behaviour.answer_delay.sample(self.rng)
            consult.timers.append(self.clock.call_later(delay, self._consult_pickup, uid, agent_id))
        return True  # a human agent answers from the desktop (answer), or the controller's timeout ends it

    def consult_number(self, uid: str, number: str) -> bool:
        call = self.calls.get(uid)
        if call is None or call.agent_id is None or uid in self.consults:
            return False
        consult = self.consults[uid] = _SimConsult(agent_id=OUTSIDE_PARTY, number=number, trunk_id=call.trunk_id)
        self.consulted_numbers.append((uid, number))
        if not call.held:
            call.held = True
            self._call_emit(call, 0, "on_held", uid)
        trunk = self.trunks.get(call.trunk_id) or self.set_trunk(call.trunk_id, None)
        trunk.attempts += 1
        if trunk.channels is not None and trunk.busy >= trunk.channels:
            trunk.blocked += 1
            consult.timers.append(self.clock.call_later(0, self._consult_failed, uid, OUTSIDE_PARTY, FAILED_BLOCKED))
            return True
        trunk.busy += 1
        self.number_legs[uid] = call.trunk_id
        outcome = self.consult_number_outcomes.get(number, "")
        if outcome in (CONSULT_BUSY, CONSULT_UNREACHABLE):
            when = self.consult_number_ring
            consult.timers.append(self.clock.call_later(when, self._consult_failed, uid, OUTSIDE_PARTY, outcome))
        elif outcome != FAILED_NO_ANSWER:
            when = self.consult_number_ring
            consult.timers.append(self.clock.call_later(when, self._consult_pickup, uid, OUTSIDE_PARTY))
        return True

    def _free_number_leg(self, uid: str) -> None:
        if uid not in self.number_legs:
            return
        trunk = self.trunks.get(self.number_legs.pop(uid))
        if trunk and trunk.busy:
            trunk.busy -= 1

    def consult_complete(self, uid: str) -> bool:
        call = self.calls.get(uid)
        consult = self.consults.get(uid)
        if call is None or consult is None or not consult.answered:
            return False
        if consult.number:  # the caller goes on with the number, away from this switch
            self._drop_consult(uid)
            self._release(call)
            return True
        self._drop_consult(uid)
        # The first agent's conversation is over (its timers: the caller's or a virtual agent's
        # hang-up); the caller leaves hold and talks with the consulted agent.
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()
        call.held = False
        call.agent_id = consult.agent_id
        self._talk(call, consult.agent_id)
        return True

    def consult_cancel(self, uid: str) -> bool:
        return self._drop_consult(uid)

    def hang_up_consult(self, uid: str) -> None:
        """The consulted agent hangs up on their phone (a world event, for tests and the demo)."""
        consult = self.consults.get(uid)
        if consult is not None:
            self._drop_consult(uid)
            self._deliver("on_consult_ended", (uid, consult.agent_id, BY_CALLER if consult.number else BY_AGENT))

    def _consult_pickup(self, uid: str, agent_id: int) -> None:
        consult = self.consults.get(uid)
        if consult is None or consult.agent_id != agent_id or consult.answered:
            return
        consult.answered = True
        self._deliver("on_consult_answered", (uid, agent_id))

    def _consult_failed(self, uid: str, agent_id: int, reason: str) -> None:
        consult = self.consults.get(uid)
        if consult is None or consult.agent_id != agent_id:
            return
        self._drop_consult(uid)
        self._deliver("on_consult_failed", (uid, agent_id, reason))

    @staticmethod
    def _consult_cancel_timers(consult: _SimConsult) -> None:
        for timer in consult.timers:
            timer.cancel()
        consult.timers.clear()

    def _drop_consult(self, uid: str) -> bool:
        consult = self.consults.pop(uid, None)
        if consult is None:
            return False
        self._consult_cancel_timers(consult)
        if consult.number and uid not in self.conferences:
            self._free_number_leg(uid)
        return True

    # --- three-way conference ----------------------------------------------------------------
    def conference(self, uid: str) -> bool:
        call = self.calls.get(uid)
        consult = self.consults.get(uid)
        if call is None or consult is None or not consult.answered or uid in self.conferences:
            return False
        self.conferences[uid] = consult.agent_id  # before the drop: an outside party keeps its leg
        self._drop_consult(uid)
        call.held = False  # the caller leaves hold music for the conversation of three
        return True

    def conference_drop(self, uid: str, agent_id: int) -> bool:
        call = self.calls.get(uid)
        member = self.conferences.get(uid)
        if call is None or member is None:
            return False
        if agent_id == member:
            del self.conferences[uid]
            self._free_number_leg(uid)
            return True
        if call.agent_id not in (agent_id, None):
            return False
        if member == OUTSIDE_PARTY:  # the caller goes on with the number, away from this switch
            del self.conferences[uid]
            self._release(call)
            return True
        # The call's agent leaves: the colleague talks on with the caller (their own course).
        del self.conferences[uid]
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()
        call.agent_id = member
        self._talk(call, member)
        return True

    def hang_up_conference(self, uid: str) -> None:
        """The conference's colleague hangs up on their phone (a world event, for tests and the demo)."""
        member = self.conferences.pop(uid, None)
        if member is not None:
            if member == OUTSIDE_PARTY:
                self._free_number_leg(uid)
            self._deliver("on_conference_left", (uid, member, BY_CALLER if member == OUTSIDE_PARTY else BY_AGENT))
