"""The agent state machine: the one table of allowed transitions (ARCHITECTURE §5).

Plain Python, no Django. ``apps.telephony.services.agent_state.agent_set_state`` is the only
writer of ``Agent.state`` and checks every change here first.

This is the one definition of the states: the engine's ``A_*`` names
(:mod:`apps.telephony.engine.state`), the database choices (``choices.AgentState``, which adds
the labels) and the dialer (:mod:`apps.telephony.dialer.campaign`) all take their values from
here; tests/telephony/test_one_source_agent_states.py proves they agree, and that the engine
only makes the changes this table allows it.

Who may make a change (the *source*):

- ``agent``: the agent from the desktop or the API (log in, Ready/NotReady, log out, end
  wrap-up early);
- ``supervisor``: a supervisor or administrator forcing a state (Ready, NotReady, Offline)
  on an agent who is not in a call;
- ``engine``: call control (offers, answer, hold, RONA, wrap-up, virtual agents).

Nobody leaves a live call (talking, hold) for NotReady or Offline: the call must end first.
"""

from __future__ import annotations

OFFLINE = "offline"
READY = "ready"
NOT_READY = "not_ready"
RESERVED = "reserved"
TALKING = "talking"
HOLD = "hold"
WRAP_UP = "wrap_up"

STATES = (OFFLINE, READY, NOT_READY, RESERVED, TALKING, HOLD, WRAP_UP)

AGENT = "agent"
SUPERVISOR = "supervisor"
ENGINE = "engine"
SOURCES = (AGENT, SUPERVISOR, ENGINE)

_ALL = frozenset(SOURCES)
_PEOPLE = frozenset({AGENT, SUPERVISOR})
_AGENT_OR_ENGINE = frozenset({AGENT, ENGINE})
_ENGINE = frozenset({ENGINE})

# (from, to) -> the sources allowed to make that change. Anything absent is refused.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    # Logging in (virtual agents are logged in by the engine).
    (OFFLINE, READY): _AGENT_OR_ENGINE,
    (OFFLINE, NOT_READY): _AGENT_OR_ENGINE,
    # Available and paused; not_ready -> not_ready changes the reason.
    (READY, NOT_READY): _ALL,
    (NOT_READY, READY): _ALL,
    (NOT_READY, NOT_READY): _ALL,
    (READY, OFFLINE): _ALL,
    (NOT_READY, OFFLINE): _ALL,
    # An offer (inbound), or a click-to-dial from Ready or NotReady (outbound).
    (READY, RESERVED): _ENGINE,
    (NOT_READY, RESERVED): _ENGINE,
    # The offer is answered, withdrawn (caller gone, ring-all lost) or missed/rejected (RONA).
    (RESERVED, TALKING): _ENGINE,
    (RESERVED, READY): _ENGINE,
    (RESERVED, NOT_READY): _ENGINE,
    # Logging out while ringing: the engine withdraws the offer when it hears of it.
    (RESERVED, OFFLINE): _ALL,
    # In a call.
    (TALKING, HOLD): _ENGINE,
    (HOLD, TALKING): _ENGINE,
    (TALKING, WRAP_UP): _ENGINE,
    (HOLD, WRAP_UP): _ENGINE,
    # A queue without wrap-up time: straight back to Ready.
    (TALKING, READY): _ENGINE,
    (HOLD, READY): _ENGINE,
    # Wrap-up ends by the agent (disposition saved, or Ready/NotReady chosen), the queue's
    # timeout (engine), or a supervisor.
    (WRAP_UP, READY): _ALL,
    (WRAP_UP, NOT_READY): _ALL,
    (WRAP_UP, OFFLINE): _ALL,
}

# The states a person may ask for through the API; the rest belong to call control.
REQUESTABLE = (READY, NOT_READY, OFFLINE)


class TransitionRefused(ValueError):
    def __init__(self, from_state: str, to_state: str, source: str) -> None:
        super().__init__(f"{source} may not change an agent from {from_state} to {to_state}")
        self.from_state = from_state
        self.to_state = to_state
        self.source = source


def is_allowed(from_state: str, to_state: str, source: str) -> bool:
    return source in TRANSITIONS.get((from_state, to_state), frozenset())


def validate_transition(from_state: str, to_state: str, source: str) -> None:
    """Raise :class:`TransitionRefused` unless ``source`` may move an agent ``from_state`` -> ``to_state``."""
    if from_state not in STATES or to_state not in STATES or source not in SOURCES:
        raise TransitionRefused(from_state, to_state, source)
    if not is_allowed(from_state, to_state, source):
        raise TransitionRefused(from_state, to_state, source)


def needs_reason(state: str) -> bool:
    return state == NOT_READY


def is_in_call(state: str) -> bool:
    return state in (RESERVED, TALKING, HOLD, WRAP_UP)


def is_logged_in(state: str) -> bool:
    return state != OFFLINE


# System pause reasons (seeded for every tenant, never deletable): set by login and by RONA.
REASON_LOGIN = "login"
REASON_MISSED = "missed"
SYSTEM_REASONS = (REASON_LOGIN, REASON_MISSED)
