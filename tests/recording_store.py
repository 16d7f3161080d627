"""The one recording store of the engine's tests: a MemoryStore that also remembers what the
controller reported, for the tests to assert on.

Engine tests without a database (tests/telephony: the engine, the dialer, attended transfer,
IVR prompts; tests/sip: the driver, monitoring, WebRTC) each had their own subclass recording
a few of these; they now share this one, so a store method the controller gains is recorded in
one place. It is a class rather than a fixture because each test builds its store with its own
clock (virtual or real) inside its ``build`` helper.
"""

from __future__ import annotations

from typing import Any

from apps.telephony.engine.clock import Clock
from apps.telephony.engine.state import AgentRuntime, CallState
from apps.telephony.engine.store import MemoryStore


class RecordingStore(MemoryStore):
    """Counts like the MemoryStore (figures, service level) and remembers every report."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.finished: dict[str, CallState] = {}  # uid -> the call as it ended
        self.answered: list[tuple[str, int | None]] = []  # (uid, agent id)
        # (uid, the agents offered at once, when): one entry per offer.
        self.offers: list[tuple[str, tuple[int, ...], float]] = []
        # (uid, agent id, the campaign's offer card): one entry per agent offered.
        self.campaign_offers: list[tuple[str, int, dict | None]] = []
        self.offer_ends: list[tuple[str, int, str]] = []  # (uid, agent id, reason)
        self.transitions: list[tuple[float, int, str, str, str | None]] = []  # (when, agent, from, to, reason)
        self.events: list[tuple[str, str, dict[str, Any]]] = []  # (uid, kind, data)
        self.attempts: list[tuple[int | None, str, float]] = []  # (contact id, outcome, when)
        self.voicemails: list[tuple[str, int | None, float]] = []
        self.surveys: dict[str, int] = {}
        self.callbacks: list[tuple[Any, ...]] = []
        self.consult_log: list[tuple[Any, ...]] = []
        self.transfers: list[tuple[int | None, dict[str, Any]]] = []
        self.desk: list[tuple[int, dict]] = []  # (agent id, message) sent to agents' desktops
        self.monitors: list[tuple[str, int, str]] = []  # (uid, supervisor's user id, mode)

    # --- calls -------------------------------------------------------------------------------
    def call_ended(self, call: CallState, queue: Any = None) -> None:
        super().call_ended(call, queue)
        self.finished[call.uid] = call

    def call_answered(self, call: CallState) -> None:
        super().call_answered(call)
        self.answered.append((call.uid, call.agent_id))

    def call_offered(self, call: CallState, agents: list[AgentRuntime], queue: Any = None) -> None:
        super().call_offered(call, agents, queue)
        self.offers.append((call.uid, tuple(agent.agent_id for agent in agents), self.clock.now()))
        for agent in agents:
            self.campaign_offers.append((call.uid, agent.agent_id, call.campaign_offer))

    def call_offer_ended(self, call: CallState, agent_id: int, reason: str) -> None:
        super().call_offer_ended(call, agent_id, reason)
        self.offer_ends.append((call.uid, agent_id, reason))

    def call_event(self, call: CallState, kind: str, agent_id: int | None = None, **data: Any) -> None:
        super().call_event(call, kind, agent_id, **data)
        self.events.append((call.uid, kind, data))

    def call_transferred(self, call: CallState, from_agent_id: int | None, **data: Any) -> None:
        super().call_transferred(call, from_agent_id, **data)
        self.transfers.append((from_agent_id, data))

    def campaign_attempt(self, call: CallState, outcome: str) -> None:
        super().campaign_attempt(call, outcome)
        self.attempts.append((call.contact_id, outcome, self.clock.now()))

    def voicemail_left(self, call: CallState, queue_id: int | None, seconds: float) -> None:
        super().voicemail_left(call, queue_id, seconds)
        self.voicemails.append((call.uid, queue_id, seconds))

    def survey_scored(self, call: CallState, score: int) -> None:
        super().survey_scored(call, score)
        self.surveys[call.uid] = score

    def callback_requested(self, call: CallState, queue_id: int, original_queued: float) -> None:
        super().callback_requested(call, queue_id, original_queued)
        self.callbacks.append(("requested", call.uid, queue_id, original_queued))

    def callback_finished(self, request_uid: str, callback: CallState | None, status: str) -> None:
        super().callback_finished(request_uid, callback, status)
        self.callbacks.append((status, request_uid, callback.uid if callback else None))

    def monitor(self, call: CallState, supervisor_user_id: int, mode: str) -> None:
        super().monitor(call, supervisor_user_id, mode)
        self.monitors.append((call.uid, supervisor_user_id, mode))

    # --- attended transfer -------------------------------------------------------------------
    def consult_started(
        self,
        call: CallState,
        from_agent: AgentRuntime,
        target: AgentRuntime,
        *,
        queue_id: int | None = None,
        ring_timeout_seconds: float | None = None,
    ) -> None:
        self.consult_log.append(("consult_started", from_agent.agent_id, target.agent_id, queue_id))

    def consult_answered(self, call: CallState, from_agent_id: int, agent_id: int) -> None:
        self.consult_log.append(("consult_answered", from_agent_id, agent_id))

    def consult_ended(self, call: CallState, from_agent_id: int, agent_id: int, kind: str, reason: str) -> None:
        self.consult_log.append((kind, from_agent_id, agent_id, reason))

    def consult_completed(self, call: CallState, from_agent_id: int, agent_id: int, **data: Any) -> None:
        self.consult_log.append(("transferred", from_agent_id, agent_id, data["type"], data["how"]))

    # --- agents ------------------------------------------------------------------------------
    def agent_state(self, agent: AgentRuntime, previous: str, call: CallState | None = None) -> None:
        super().agent_state(agent, previous, call)
        self.transitions.append((self.clock.now(), agent.agent_id, previous, agent.state, agent.reason))

    def notify_agent(self, agent_id: int, message: dict) -> None:
        super().notify_agent(agent_id, message)
        self.desk.append((agent_id, message))

    def sent_to(self, agent_id: int, kind: str) -> list[dict]:
        """The messages of type ``kind`` sent to ``agent_id``'s desktop."""
        return [message for to, message in self.desk if to == agent_id and message["type"] == kind]
