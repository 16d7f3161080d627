"""The store of ``generate_history``: what the engine's database store would write, kept in memory.

A tenant's past is produced by the real controller and ACD on the virtual clock (see
:mod:`apps.telephony.engine.simulation.history`). Live traffic writes through
:class:`~apps.telephony.engine.dbstore.DbStore`, one operation at a time through the CDR,
reservation and agent-state services; thirty days of a contact center that way would take an
hour. This store receives the same controller calls and builds the same rows *unsaved* with
the same rules — :func:`~apps.telephony.services.cdr.call_build`,
:func:`~apps.telephony.services.cdr.call_close_compute`,
:func:`~apps.telephony.services.cdr.call_wrapup_end_compute` for CDRs, the fields
:func:`~apps.telephony.services.cdr.call_event` writes for timelines, and the fields the
reservation and agent-state services set for ``AgentStateEvent`` (``seconds_in_previous`` from the
agent's previous change, a pause reason for NotReady, the call for the call states) — so that
the KPIs computed on them are the ones live traffic would give. The service
(``apps/telephony/services/history.py``) then writes them with ``bulk_create``.

No database access here: queues, pause reasons and dispositions come in as rows read once.
Recordings and voicemail audio files are not made (audio for thousands of calls is slow and
worthless); every other row a live call leaves is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from apps.telephony import agent_states
from apps.telephony.choices import CallStatus
from apps.telephony.engine.clock import Clock
from apps.telephony.engine.state import (
    A_HOLD,
    A_NOT_READY,
    A_READY,
    A_RESERVED,
    A_TALKING,
    A_WRAP_UP,
    DIALING,
    AgentRuntime,
    CallState,
)
from apps.telephony.engine.store import Store
from apps.telephony.models import (
    Call,
    CallbackRequest,
    Disposition,
    Queue,
    Voicemail,
)
from apps.telephony.services.cdr import (
    call_build,
    call_close_compute,
    call_wrapup_end_compute,
)

IN_CALL = (A_RESERVED, A_TALKING, A_HOLD, A_WRAP_UP)  # agent states that name their call
# The columns of a state event tuple (``call`` holds the Call row until it has a primary key).
STATE_COLUMNS = ("agent_id", "at", "from_state", "to_state", "reason_id", "call_id", "actor_id", "seconds_in_previous")
STATE_CALL = STATE_COLUMNS.index("call_id")


class _AgentTrack:
    """What the database row of one agent would hold: its state, reason and since when."""

    __slots__ = ("call", "reason_id", "since", "state")

    def __init__(self, state: str, since: datetime) -> None:
        self.state = state
        self.reason_id: int | None = None
        self.since = since
        self.call: Call | None = None


class HistoryStore(Store):
    """Builds CDRs, timelines, agent state events, voicemails and callback requests in memory.

    ``uid_prefix`` is put before the engine's call ids (``hist-…``: recognisable, unique per
    range and seed). ``on_answered`` and ``on_agent_state`` tell the virtual desks when a call is
    answered and when the engine moves an agent (they transfer, pick dispositions and come back
    from a missed call, as people at a desk would)."""

    wants_queue_updates = False

    def __init__(
        self,
        clock: Clock,
        *,
        uid_prefix: str,
        queues: dict[int, Queue],
        reasons: dict[str, int],
        dispositions: dict[str, Disposition],
        start: datetime,
    ) -> None:
        self.clock = clock
        self.uid_prefix = uid_prefix
        self.queues = queues
        self.reasons = reasons  # pause reason code -> id (system reasons included)
        self.dispositions = dispositions
        self.start = start
        self.rows: dict[str, Call] = {}  # engine uid -> row
        # CallEvent and AgentStateEvent rows as tuples of their columns (the service COPYs them;
        # a model instance each would cost more than the engine's whole work for the call):
        # (call row, at, kind, agent id, data) and STATE_COLUMNS with the call row for call_id.
        self.events: list[tuple[Call, datetime, str, int | None, dict]] = []
        self.state_events: list[list[Any]] = []
        self.voicemails: list[Voicemail] = []
        self.callbacks: dict[str, CallbackRequest] = {}  # requesting call's engine uid -> request
        self.agents: dict[int, _AgentTrack] = {}
        self.users: dict[int, int | None] = {}  # agent id -> user id (the actor of their own changes)
        self.on_answered: Callable[[CallState], None] | None = None
        self.on_agent_state: Callable[[AgentRuntime, CallState | None], None] | None = None

    # --- helpers -------------------------------------------------------------------------
    def _at(self, t: float | None = None) -> datetime:
        return self.clock.wall(t)

    def _event(self, row: Call, kind: str, at: datetime, agent: int | None = None, **data: Any) -> None:
        """One timeline step, the fields ``call_event`` writes (``data`` JSON-serialisable)."""
        self.events.append((row, at, kind, agent, data))

    def _row(self, uid: str | None) -> Call | None:
        return self.rows.get(uid) if uid else None

    def _track(self, agent_id: int) -> _AgentTrack:
        track = self.agents.get(agent_id)
        if track is None:
            track = self.agents[agent_id] = _AgentTrack(agent_states.OFFLINE, self.start)
        return track

    def _agent_event(
        self,
        agent_id: int,
        state: str,
        at: datetime,
        *,
        reason_id: int | None = None,
        call: Call | None = None,
        actor_id: int | None = None,
    ) -> None:
        """One ``AgentStateEvent`` as ``agent_set_state`` (or the reservation service) writes it:
        nothing when state, reason and call are unchanged; ``seconds_in_previous`` = time since
        the previous change."""
        track = self._track(agent_id)
        if track.state == state and track.reason_id == reason_id and (call is None or track.call is call):
            return
        seconds = max(0.0, (at - track.since).total_seconds())
        self.state_events.append([agent_id, at, track.state, state, reason_id, call, actor_id, seconds])
        track.state, track.reason_id, track.since = state, reason_id, at
        if call is not None:
            track.call = call
        elif state in (A_READY, A_NOT_READY, agent_states.OFFLINE):
            track.call = None

    def _reason_id(self, code: str | None) -> int | None:
        if not code:
            return None
        return self.reasons.get(code) or self.reasons.get(agent_states.REASON_MISSED)

    # --- people (the virtual desktops) -------------------------------------------------
    def person_state(self, agent_id: int, state: str, reason: str | None = None) -> None:
        """The agent changed their own state at the desk (log in, Ready, pause, log out)."""
        reason_id = self._reason_id(reason) if state == A_NOT_READY else None
        self._agent_event(agent_id, state, self._at(), reason_id=reason_id, actor_id=self.users.get(agent_id))

    # --- calls -----------------------------------------------------------------------------
    def call_arrived(self, call: CallState) -> None:
        at = self._at(call.arrived)
        row = call_build(
            uid=self.uid_prefix + call.uid,
            direction=call.direction,
            caller=call.caller,
            callee=call.callee,
            trunk=call.trunk_id,
            number=call.number_id,
            at=at,
            priority=call.priority,
            is_simulated=True,
            lookup_customer=False,
        )
        row.customer_id = call.customer_id  # the engine identified the caller already
        row.ivr_version_id = call.ivr_version_id
        self.rows[call.uid] = row
        self._event(row, "arrived", at, caller=row.caller, callee=row.callee, customer_id=row.customer_id)
        if call.campaign_id is not None and call.contact is not None:
            row.campaign_id = call.campaign_id
            self._event(
                row,
                "campaign_dial",
                at,
                campaign_id=call.campaign_id,
                contact_id=call.contact_id,
                attempt=call.contact.attempt,
            )

    def call_blocked(self, call: CallState) -> None:
        self.call_arrived(call)
        row = self.rows[call.uid]
        self._close(row, self._at(call.arrived), "blocked", blocked=True)

    def call_event(self, call: CallState, kind: str, agent_id: int | None = None, **data: Any) -> None:
        row = self._row(call.uid)
        if row is not None:
            self._event(row, kind, self._at(), agent=agent_id, **data)

    def call_ivr_exited(self, call: CallState) -> None:
        row = self._row(call.uid)
        if row is not None:
            row.ivr_exited_at = self._at(call.ivr_exited)
            row.ivr_path = list(call.ivr.path) if call.ivr is not None else []

    def call_queued(self, call: CallState) -> None:
        row = self._row(call.uid)
        if row is None or (row.status == CallStatus.QUEUED and row.queue_id == call.queue_id):
            return
        at = self._at(call.queue_entered)
        row.queue_id = call.queue_id
        row.status = CallStatus.QUEUED
        if row.queued_at is None:
            row.queued_at = at
        if row.ivr_exited_at is None and row.direction != "outbound":
            row.ivr_exited_at = at
        row.priority = call.priority
        self._event(row, "queued", at, agent=row.agent_id, queue_id=call.queue_id)

    def call_offered(self, call: CallState, agents: list[AgentRuntime], queue: Any = None) -> None:
        row = self._row(call.uid)
        if row is None:
            return
        at = self._at()
        inbound = call.status != DIALING
        for index, agent in enumerate(agents):
            if inbound and index == 0 and row.status == CallStatus.QUEUED:
                row.agent_id = agent.agent_id  # the reservation's compare-and-set names the agent
            self._agent_event(agent.agent_id, A_RESERVED, at, call=row)
            row.status = CallStatus.OFFERED
            row.offer_count += 1
            if row.offered_at is None:
                row.offered_at = at
            self._event(row, "offered", at, agent=agent.agent_id)

    def call_offer_ended(self, call: CallState, agent_id: int, reason: str) -> None:
        self.call_event(call, "rona" if reason == "rona" else "offer_ended", agent_id=agent_id, reason=reason)

    def call_requeued(self, call: CallState) -> None:
        row = self._row(call.uid)
        if row is None:
            return
        row.status = CallStatus.QUEUED
        if row.answered_at is None:
            row.agent_id = None
        self._event(row, "requeued", self._at(), queue_id=call.queue_id)

    def call_answered(self, call: CallState) -> None:
        row = self._row(call.uid)
        if row is None:
            return
        at = self._at()
        if row.answered_at is None:
            row.agent_id = call.agent_id
            row.status = CallStatus.TALKING
            row.answered_at = at
            self._event(row, "answered", at, agent=call.agent_id)
        else:  # a transferred call: one CDR, the last agent named
            row.agent_id = call.agent_id
            row.status = CallStatus.TALKING
            self._event(row, "answered", at, agent=call.agent_id, transfer=len(call.agents_served) > 1)
        if self.on_answered is not None:
            self.on_answered(call)

    def call_held(self, call: CallState) -> None:
        row = self._row(call.uid)
        if row is not None and row.status == CallStatus.TALKING:
            at = self._at()
            row.status = CallStatus.HOLD
            row._hold_started_at = at  # type: ignore[attr-defined]
            self._event(row, "held", at, agent=row.agent_id)

    def call_resumed(self, call: CallState) -> None:
        row = self._row(call.uid)
        if row is None or row.status != CallStatus.HOLD:
            return
        at = self._at()
        held = self._hold_segment(row, at)
        row.status = CallStatus.TALKING
        self._event(row, "resumed", at, agent=row.agent_id, held_seconds=round(held, 3))

    @staticmethod
    def _hold_segment(row: Call, at: datetime) -> float:
        started = getattr(row, "_hold_started_at", None)
        held = max(0.0, (at - started).total_seconds()) if started is not None else 0.0
        row.hold_seconds = (row.hold_seconds or 0) + held
        row._hold_started_at = None  # type: ignore[attr-defined]
        return held

    def call_transferred(self, call: CallState, from_agent_id: int | None, **data: Any) -> None:
        row = self._row(call.uid)
        if row is None:
            return
        row.hold_seconds = call.hold_seconds
        row._hold_started_at = None  # type: ignore[attr-defined]
        if row.status == CallStatus.HOLD:
            row.status = CallStatus.TALKING
        self._event(row, "transferred", self._at(), agent=from_agent_id, **data)

    def consult_started(self, call, from_agent, target, *, queue_id=None, ring_timeout_seconds=None) -> None:
        row = self._row(call.uid)
        if row is None:
            return
        at = self._at()
        self._event(
            row, "consult_started", at, agent=from_agent.agent_id, target_agent_id=target.agent_id, queue_id=queue_id
        )
        self._agent_event(target.agent_id, A_RESERVED, at, call=row)

    def consult_answered(self, call: CallState, from_agent_id: int, agent_id: int) -> None:
        self.call_event(call, "consult_answered", agent_id=agent_id, from_agent_id=from_agent_id)

    def consult_ended(self, call: CallState, from_agent_id: int, agent_id: int, kind: str, reason: str) -> None:
        self.call_event(call, kind, agent_id=agent_id, from_agent_id=from_agent_id, reason=reason)

    def consult_completed(self, call: CallState, from_agent_id: int, agent_id: int, **data: Any) -> None:
        row = self._row(call.uid)
        if row is None:
            return
        at = self._at()
        if row.status == CallStatus.HOLD:
            self._hold_segment(row, at)
        row.agent_id = agent_id
        row.status = CallStatus.TALKING
        self._event(row, "transferred", at, agent=from_agent_id, target_agent_id=agent_id, **data)

    def _close(self, row: Call, at: datetime, reason: str, *, blocked: bool = False, wrapup: bool | None = None):
        queue = self.queues.get(row.queue_id) if row.queue_id is not None else None
        if row.status == CallStatus.HOLD and getattr(row, "_hold_started_at", None) is None:
            row._hold_started_at = at  # type: ignore[attr-defined]  # nothing more to add
        call_close_compute(row, at=at, end_reason=reason, blocked=blocked, wrapup=wrapup, queue=queue)
        data: dict[str, Any] = {"end_reason": reason}
        if row.blocked:
            data["blocked"] = True
        if row.abandoned:
            data["abandoned"] = True
            data["short_abandon"] = row.short_abandon
        self._event(row, "ended", at, agent=row.agent_id, **data)

    def call_ended(self, call: CallState, queue: Any = None) -> None:
        row = self._row(call.uid)
        if row is None:
            return
        at = self._at(call.ended)
        ivr = call.ivr
        if ivr is not None:
            row.ivr_path = list(ivr.path)
            row.reached_agent_request = bool(ivr.reached_agent_request)
            if call.ivr_exited is None:
                row.ivr_exited_at = at
        if row.ended_at is None:
            self._close(row, at, call.end_reason, wrapup=call.status == "wrap_up")

    def call_wrapup_ended(self, call: CallState) -> None:
        row = self._row(call.uid)
        if row is None or row.ended_at is None:
            return
        at = self._at(call.wrapup_ended)
        was_in_wrapup = row.status == CallStatus.WRAP_UP
        disposition = self.dispositions.get(call.disposition) if call.disposition else None
        fields = call_wrapup_end_compute(row, at=at, disposition=disposition, notes=call.notes or "")
        if was_in_wrapup or fields:
            code = row.disposition.code if row.disposition_id is not None and row.disposition else None
            self._event(row, "wrapup_ended", at, agent=row.agent_id, disposition=code)

    # --- agents ------------------------------------------------------------------------------
    def agent_state(self, agent: AgentRuntime, previous: str, call: CallState | None = None) -> None:
        if agent.state == A_RESERVED:
            return  # written with the offer, as the reservation does
        row = self._row(call.uid) if call is not None else None
        state = agent.state
        at = self._at()
        track = self._track(agent.agent_id)
        if previous == A_RESERVED and state in (A_READY, A_NOT_READY) and row is not None and track.call is row:
            # The reservation released (RONA, a withdrawn offer): NotReady "missed" or Ready again.
            reason = self._reason_id(agent.reason or agent_states.REASON_MISSED) if state == A_NOT_READY else None
            self._agent_event(agent.agent_id, state, at, reason_id=reason, call=row)
            track.call = None
            if row.status == CallStatus.OFFERED and row.agent_id == agent.agent_id:
                row.status = CallStatus.QUEUED
                row.agent_id = None
        else:
            reason = self._reason_id(agent.reason) if state == A_NOT_READY else None
            self._agent_event(agent.agent_id, state, at, reason_id=reason, call=row if state in IN_CALL else None)
        if self.on_agent_state is not None:
            self.on_agent_state(agent, call)

    # --- the rest ----------------------------------------------------------------------------
    def callback_requested(self, call: CallState, queue_id: int, original_queued: float) -> None:
        row = self._row(call.uid)
        if row is not None:
            self.callbacks[call.uid] = CallbackRequest(
                call=row,
                queue_id=queue_id,
                number=call.caller,
                original_queued_at=self._at(original_queued),
                created_at=self._at(),
            )

    def callback_finished(self, request_uid: str, callback: CallState | None, status: str) -> None:
        request = self.callbacks.get(request_uid)
        if request is None:
            return
        request.status = status
        request.completed_at = self._at()
        request.callback_call = self._row(callback.uid) if callback is not None else None
        request.attempts = callback.callback_attempts if callback is not None else 0

    def voicemail_left(self, call: CallState, queue_id: int | None, seconds: float) -> None:
        row = self._row(call.uid)
        if row is not None:
            self.voicemails.append(
                Voicemail(
                    call=row, queue_id=queue_id, caller=call.caller, duration_seconds=seconds, created_at=self._at()
                )
            )

    def survey_scored(self, call: CallState, score: int) -> None:
        row = self._row(call.uid)
        if row is not None:
            row.survey_score = score
            if call.ivr is not None:
                row.ivr_path = list(call.ivr.path)

    def monitor(self, call: CallState, supervisor_user_id: int, mode: str) -> None:
        self.call_event(call, "monitor", agent_id=call.agent_id, supervisor_user_id=supervisor_user_id, mode=mode)

    # --- what to write -------------------------------------------------------------------
    def finished_rows(self, until: datetime) -> tuple[list[Call], list[tuple]]:
        """The CDRs to write — calls that arrived before ``until`` and are over — and their events.
        A call still going when the run stopped (it should not happen) is left out, with its
        timeline; agent events naming it lose the link."""
        keep = {id(row) for row in self.rows.values() if row.ended_at is not None and row.arrived_at < until}
        calls = [row for row in self.rows.values() if id(row) in keep]
        events = [event for event in self.events if id(event[0]) in keep]
        for event in self.state_events:
            if event[STATE_CALL] is not None and id(event[STATE_CALL]) not in keep:
                event[STATE_CALL] = None
        return calls, events
