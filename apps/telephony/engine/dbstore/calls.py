"""Call and CDR writes of the DbStore: what each controller event leaves in the database.

CDR rules live in :mod:`apps.telephony.services.cdr`; offers reserve agents through the
reservation service (``agents.py``). Each public method captures the call's values now; its
``_op_`` twin applies them later in the worker (``core.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from apps.core.errors import ApplicationError
from apps.crm.selectors.customers import screen_pop_for_agent
from apps.telephony.audio import synthesize_wav
from apps.telephony.choices import CallbackStatus
from apps.telephony.engine.dbstore.agents import _reserve
from apps.telephony.engine.dbstore.core import _Batch
from apps.telephony.engine.dbstore.realtime import RealtimeMessages
from apps.telephony.engine.state import (
    DIALING,
    AgentRuntime,
    CallState,
)
from apps.telephony.models import Call, CallbackRequest
from apps.telephony.queue_scripts import ivr_variables, queue_script_render
from apps.telephony.services.cdr import (
    call_answered,
    call_close,
    call_event,
    call_hold_start,
    call_hold_stop,
    call_offered,
    call_open,
    call_queued,
    call_update,
    call_wrapup_end,
)
from apps.telephony.services.recordings import recording_create
from apps.telephony.services.voicemail import voicemail_left

logger = logging.getLogger(__name__)


class CallWrites(RealtimeMessages):
    """Everything a call leaves in the database: the CDR row, its timeline, offers and their
    reservations, attended transfers, callbacks, voicemail, survey scores, monitoring."""

    # --- calls -------------------------------------------------------------------------
    def call_arrived(self, call: CallState) -> None:
        campaign = (
            {"campaign_id": call.campaign_id, "contact_id": call.contact_id, "attempt": call.contact.attempt}
            if call.campaign_id is not None and call.contact is not None
            else None
        )
        # A callback's dial: its request is "dialing" now, with the attempt's number.
        callback = (
            {"request_uid": call.callback_for, "attempts": call.callback_attempts}
            if call.is_callback and call.callback_for
            else None
        )
        self._durable(
            "call_arrived",
            values=self._call_values(call, self._at(call.arrived), self.simulated),
            ivr_version_id=call.ivr_version_id,
            campaign=campaign,
            state=self._call_state_message(call),
            callback=callback,
        )

    def _op_call_arrived(self, batch: _Batch, *, values: dict, ivr_version_id, campaign, state, callback=None) -> None:
        if Call.objects.filter(uid=values["uid"]).exists():
            return  # written by an earlier run of this operation (an outbox replayed without its cursor)
        row = call_open(**values)
        if callback is not None:
            CallbackRequest.objects.filter(
                call__uid=callback["request_uid"], status__in=(CallbackStatus.PENDING, CallbackStatus.DIALING)
            ).update(status=CallbackStatus.DIALING, attempts=callback["attempts"], callback_call=row)
        if ivr_version_id:
            call_update(row, ivr_version=ivr_version_id)
        if campaign is not None:
            # The CDR's link to the campaign, for reports by campaign; the attempt itself
            # (DialAttempt.call) is linked when the dialer reports its outcome.
            call_update(row, campaign=campaign["campaign_id"])
            call_event(row, "campaign_dial", at=values["at"], **campaign)
        self._rows[values["uid"]] = row
        batch.publish("wallboard", state)

    def call_blocked(self, call: CallState) -> None:
        self._durable("call_blocked", values=self._call_values(call, self._at(call.arrived), self.simulated))

    def _op_call_blocked(self, batch: _Batch, *, values: dict) -> None:
        if Call.objects.filter(uid=values["uid"]).exists():
            return
        row = call_open(**values)
        call_close(row, at=values["at"], end_reason="blocked", blocked=True)

    def call_event(self, call: CallState, kind: str, agent_id: int | None = None, **data: Any) -> None:
        self._durable("call_event", uid=call.uid, kind=kind, at=self._at(), agent_id=agent_id, data=data)

    def _op_call_event(self, batch: _Batch, *, uid, kind, at, agent_id, data) -> None:
        row = self._row(uid)
        if row is not None:
            call_event(row, kind, at=at, agent=agent_id, **data)

    def call_ivr_exited(self, call: CallState) -> None:
        path = list(call.ivr.path) if call.ivr is not None else []
        self._durable("call_ivr_exited", uid=call.uid, at=self._at(call.ivr_exited), path=path)

    def _op_call_ivr_exited(self, batch: _Batch, *, uid, at, path) -> None:
        row = self._row(uid)
        if row is not None:
            call_update(row, ivr_exited_at=at, ivr_path=path)

    def call_queued(self, call: CallState) -> None:
        self._durable(
            "call_queued",
            uid=call.uid,
            at=self._at(call.queue_entered),
            queue_id=call.queue_id,
            priority=call.priority,
            state=self._call_state_message(call),
        )

    def _op_call_queued(self, batch: _Batch, *, uid, at, queue_id, priority, state) -> None:
        row = self._row(uid)
        if row is None or (row.status == "queued" and row.queue_id == queue_id):
            return
        call_queued(row, queue=queue_id, at=at, priority=priority)
        batch.publish("wallboard", state)

    def call_offered(self, call: CallState, agents: list[AgentRuntime], queue: Any = None) -> None:
        uid = call.uid
        inbound = call.status != DIALING
        # The party on the line: for an outbound call (click-to-dial, callback, campaign) that is
        # the number dialled, never our own caller ID — whatever the call's status by now.
        caller = call.callee if call.direction == "outbound" or not inbound else call.caller
        offer = {
            "type": "call.offer",
            "call_uid": uid,
            "caller": caller,
            "direction": call.direction,
            "queue_id": call.queue_id,
            "queue_name": queue.name if queue is not None else None,
            "ring_timeout_seconds": queue.ring_timeout_seconds if queue is not None and inbound else None,
        }
        if call.campaign_offer:
            # An outbound campaign call: the contact's card and the rendered script (docs/realtime.md).
            offer.update(call.campaign_offer)
            offer["ring_timeout_seconds"] = None
        self._durable(
            "call_offered",
            uid=uid,
            at=self._at(),
            inbound=inbound,
            caller=caller,
            humans=[agent.agent_id for agent in agents if not agent.is_virtual],
            agent_ids=[agent.agent_id for agent in agents],
            offer=offer,
            state=self._call_state_message(call, "offered"),
            ring=call.acd_ring,
            # An inbound queue's agent script, filled in per agent below (apps/telephony/queue_scripts.py).
            script=getattr(queue, "script", "") if inbound and not call.campaign_offer else "",
            variables=ivr_variables(call),
        )

    def _op_call_offered(
        self,
        batch: _Batch,
        *,
        uid,
        at,
        inbound,
        caller,
        humans,
        agent_ids,
        offer,
        state,
        ring=None,
        script="",
        variables=None,
    ) -> None:
        row = self._row(uid)
        if row is None:
            return
        for index, agent_id in enumerate(agent_ids):
            compare_and_set = inbound and index == 0 and row.status == "queued"
            if not _reserve(agent_id, row, at=at, compare_and_set=compare_and_set):
                batch.lost.append((uid, agent_id))
                continue
            call_offered(row, agent=agent_id, at=at, ring=ring)
        if ring is not None:
            offer = {**offer, "ring": ring}
        if humans:
            for agent_id in humans:  # one pop per agent: what it shows depends on their roles
                customer = screen_pop_for_agent(caller, agent_id=agent_id, exclude_uid=uid) if caller else None
                message = {**offer, "customer": customer}
                if variables:
                    # What the caller gave the IVR (gathered digits, looked-up values): the screen pop shows them.
                    message["ivr_variables"] = dict(variables)
                if script:
                    message["script"] = queue_script_render(
                        script,
                        customer=customer,
                        variables=variables,
                        caller=caller,
                        queue_name=offer.get("queue_name"),
                    )
                batch.publish(f"agent.{agent_id}", message)
        batch.publish("wallboard", state)

    def call_offer_ended(self, call: CallState, agent_id: int, reason: str) -> None:
        self.call_event(call, "rona" if reason == "rona" else "offer_ended", agent_id=agent_id, reason=reason)

    def call_requeued(self, call: CallState) -> None:
        self._durable(
            "call_requeued", uid=call.uid, at=self._at(), queue_id=call.queue_id, state=self._call_state_message(call)
        )

    def _op_call_requeued(self, batch: _Batch, *, uid, at, queue_id, state) -> None:
        row = self._row(uid)
        if row is None:
            return
        fields: dict[str, Any] = {"status": "queued"}
        if row.answered_at is None:
            fields["agent"] = None  # the reservation named the agent offered; nobody has it now
        call_update(row, **fields)
        call_event(row, "requeued", at=at, queue_id=queue_id)
        batch.publish("wallboard", state)

    def call_answered(self, call: CallState) -> None:
        self._durable(
            "call_answered",
            uid=call.uid,
            at=self._at(),
            agent_id=call.agent_id,
            transferred=len(call.agents_served) > 1,
            state=self._call_state_message(call),
        )

    def _op_call_answered(self, batch: _Batch, *, uid, at, agent_id, transferred, state) -> None:
        row = self._row(uid)
        if row is None:
            return
        if row.answered_at is None:
            call_answered(row, agent=agent_id, at=at)
        else:  # a transferred call: one CDR, the last agent named
            call_update(row, agent=agent_id, status="talking")
            call_event(row, "answered", at=at, agent=agent_id, transfer=transferred)
        batch.publish("wallboard", state)

    def call_held(self, call: CallState) -> None:
        self._durable("call_held", uid=call.uid, at=self._at(), state=self._call_state_message(call))

    def _op_call_held(self, batch: _Batch, *, uid, at, state) -> None:
        row = self._row(uid)
        if row is not None:
            call_hold_start(row, at=at)
            batch.publish("wallboard", state)

    def call_resumed(self, call: CallState) -> None:
        self._durable("call_resumed", uid=call.uid, at=self._at(), state=self._call_state_message(call))

    def _op_call_resumed(self, batch: _Batch, *, uid, at, state) -> None:
        row = self._row(uid)
        if row is not None:
            call_hold_stop(row, at=at)
            batch.publish("wallboard", state)

    def call_transferred(self, call: CallState, from_agent_id: int | None, **data: Any) -> None:
        self._durable(
            "call_transferred",
            uid=call.uid,
            at=self._at(),
            hold=call.hold_seconds,
            from_agent_id=from_agent_id,
            data=data,
        )

    def _op_call_transferred(self, batch: _Batch, *, uid, at, hold, from_agent_id, data) -> None:
        row = self._row(uid)
        if row is None:
            return
        fields: dict[str, Any] = {"hold_seconds": hold}
        if row.status == "hold":
            fields["status"] = "talking"
        call_update(row, **fields)
        call_event(row, "transferred", at=at, agent=from_agent_id, **data)

    def call_ended(self, call: CallState, queue: Any = None) -> None:
        at = self._at(call.ended)
        wrapup = call.status == "wrap_up"
        ivr = call.ivr
        extra: dict[str, Any] = {}
        if ivr is not None:
            extra = {"ivr_path": list(ivr.path), "reached_agent_request": bool(ivr.reached_agent_request)}
            if call.ivr_exited is None:
                extra["ivr_exited_at"] = at
        talk = call.talk_seconds
        record = call.record and call.answered is not None and talk > 0 and (self.record_all or self.record_left > 0)
        if record and not self.record_all:
            self.record_left -= 1
        self._durable(
            "call_ended",
            uid=call.uid,
            at=at,
            reason=call.end_reason,
            wrapup=wrapup,
            extra=extra,
            record=bool(record),
            talk=talk,
            state=self._call_state_message(call),
        )
        if call.queue_id is not None and not wrapup:
            self._kpi_changed(call.queue_id)

    def _op_call_ended(self, batch: _Batch, *, uid, at, reason, wrapup, extra, record, talk, state) -> None:
        row = self._row(uid)
        if row is None:
            return
        if extra:
            call_update(row, **extra)
        if row.ended_at is None:
            call_close(row, at=at, end_reason=reason, wrapup=wrapup)
        if record:
            # The switch records from the answer to the end, hold included (as hold music).
            span = (row.ended_at - row.answered_at).total_seconds() if row.answered_at and row.ended_at else talk
            recording_create(call=row, duration_seconds=min(max(span, talk), 4 * 3600), seed=row.pk)
        if not wrapup:
            self._rows.pop(uid, None)
        batch.publish("wallboard", state)

    def call_wrapup_ended(self, call: CallState) -> None:
        self._durable(
            "call_wrapup_ended",
            uid=call.uid,
            at=self._at(call.wrapup_ended),
            disposition=call.disposition,
            notes=call.notes,
            state=self._call_state_message(call),
        )
        if call.queue_id is not None:
            self._kpi_changed(call.queue_id)

    def _op_call_wrapup_ended(self, batch: _Batch, *, uid, at, disposition, notes, state) -> None:
        row = self._row(uid)
        if row is None:
            return
        try:
            call_wrapup_end(row, at=at, disposition=disposition, notes=notes)
        except ApplicationError as error:
            if error.code != "unknown_disposition":
                raise
            call_wrapup_end(row, at=at, notes=notes)
        self._rows.pop(uid, None)
        batch.publish("wallboard", state)

    # --- attended transfer -------------------------------------------------------------
    def consult_started(
        self,
        call: CallState,
        from_agent: AgentRuntime,
        target: AgentRuntime,
        *,
        queue_id: int | None = None,
        ring_timeout_seconds: float | None = None,
    ) -> None:
        uid = call.uid
        caller = call.callee if call.direction == "outbound" else call.caller
        # The consulted agent's desk: who consults them, and the caller's screen pop.
        offer = {
            "type": "call.consult_offer",
            "call_uid": uid,
            "caller": caller,
            "direction": call.direction,
            "queue_id": call.queue_id,
            "from_agent_id": from_agent.agent_id,
            "from_agent_name": from_agent.name,
            "ring_timeout_seconds": ring_timeout_seconds,
        }
        self._durable(
            "consult_started",
            uid=uid,
            at=self._at(),
            from_id=from_agent.agent_id,
            target_id=target.agent_id,
            queue_id=queue_id,
            caller=caller,
            human=not target.is_virtual,
            offer=offer,
        )

    def _op_consult_started(self, batch: _Batch, *, uid, at, from_id, target_id, queue_id, caller, human, offer):
        row = self._row(uid)
        if row is None:
            return
        call_event(row, "consult_started", at=at, agent=from_id, target_agent_id=target_id, queue_id=queue_id)
        if not _reserve(target_id, row, at=at, compare_and_set=False):
            batch.lost.append((uid, target_id))
            return
        if human:
            customer = screen_pop_for_agent(caller, agent_id=target_id, exclude_uid=uid) if caller else None
            batch.publish(f"agent.{target_id}", {**offer, "customer": customer})
        consulting = {"type": "agent.consult", "call_uid": uid, "agent_id": target_id, "from_agent_id": from_id}
        batch.publish("wallboard", {**consulting, "phase": "ringing"})

    def consult_answered(self, call: CallState, from_agent_id: int, agent_id: int) -> None:
        self._durable("consult_answered", uid=call.uid, at=self._at(), from_agent_id=from_agent_id, agent_id=agent_id)

    def _op_consult_answered(self, batch: _Batch, *, uid, at, from_agent_id, agent_id) -> None:
        row = self._row(uid)
        if row is None:
            return
        call_event(row, "consult_answered", at=at, agent=agent_id, from_agent_id=from_agent_id)
        batch.publish("wallboard", _consult_message(uid, agent_id, from_agent_id, "talking"))

    def consult_ended(self, call: CallState, from_agent_id: int, agent_id: int, kind: str, reason: str) -> None:
        self._durable(
            "consult_ended",
            uid=call.uid,
            at=self._at(),
            from_agent_id=from_agent_id,
            agent_id=agent_id,
            kind=kind,
            reason=reason,
        )

    def _op_consult_ended(self, batch: _Batch, *, uid, at, from_agent_id, agent_id, kind, reason) -> None:
        row = self._row(uid)
        if row is None:
            return
        call_event(row, kind, at=at, agent=agent_id, from_agent_id=from_agent_id, reason=reason)
        batch.publish("wallboard", _consult_message(uid, agent_id, from_agent_id, "ended"))

    def consult_completed(self, call: CallState, from_agent_id: int, agent_id: int, **data: Any) -> None:
        self._durable(
            "consult_completed",
            uid=call.uid,
            at=self._at(),
            from_agent_id=from_agent_id,
            agent_id=agent_id,
            data=data,
            state=self._call_state_message(call),
        )

    def _op_consult_completed(self, batch: _Batch, *, uid, at, from_agent_id, agent_id, data, state) -> None:
        row = self._row(uid)
        if row is None:
            return
        if row.status == "hold":
            call_hold_stop(row, at=at)  # the caller leaves hold for the new agent
        # One CDR, the last agent named (as a blind transfer's answer); the timeline keeps both.
        call_update(row, agent=agent_id, status="talking")
        call_event(row, "transferred", at=at, agent=from_agent_id, target_agent_id=agent_id, **data)
        batch.publish("wallboard", _consult_message(uid, agent_id, from_agent_id, "completed"))
        batch.publish("wallboard", state)

    # --- the rest ----------------------------------------------------------------------
    def callback_requested(self, call: CallState, queue_id: int, original_queued: float) -> None:
        self._durable(
            "callback_requested",
            uid=call.uid,
            queue_id=queue_id,
            number=call.caller,
            original=self._at(original_queued),
        )

    def _op_callback_requested(self, batch: _Batch, *, uid, queue_id, number, original) -> None:
        row = self._row(uid)
        if row is not None:
            CallbackRequest.objects.create(call=row, queue_id=queue_id, number=number, original_queued_at=original)

    def callback_finished(self, request_uid: str, callback: CallState | None, status: str) -> None:
        self._durable(
            "callback_finished",
            request_uid=request_uid,
            callback_uid=callback.uid if callback is not None else None,
            attempts=callback.callback_attempts if callback is not None else 0,
            status=status,
            at=self._at(),
        )

    def _op_callback_finished(self, batch: _Batch, *, request_uid, callback_uid, attempts, status, at) -> None:
        callback_row = self._row(callback_uid) if callback_uid else None
        CallbackRequest.objects.filter(call__uid=request_uid).update(
            status=status, completed_at=at, callback_call=callback_row, attempts=attempts
        )

    def voicemail_left(self, call: CallState, queue_id: int | None, seconds: float) -> None:
        self._durable(
            "voicemail_left",
            uid=call.uid,
            queue_id=queue_id,
            caller=call.caller,
            seconds=seconds,
            record=bool(self.record_all or self.record_left > 0),
            at=self._at(),
        )

    def _op_voicemail_left(self, batch: _Batch, *, uid, queue_id, caller, seconds, record, at) -> None:
        row = self._row(uid)
        if row is None:
            return
        audio = synthesize_wav(seconds, seed=row.pk) if record and seconds > 0 else None
        voicemail_left(call=row, queue_id=queue_id, caller=caller, seconds=seconds, at=at, audio=audio)

    def survey_scored(self, call: CallState, score: int) -> None:
        fields: dict[str, Any] = {"survey_score": score}
        if call.ivr is not None:
            fields["ivr_path"] = list(call.ivr.path)
        self._durable("survey_scored", uid=call.uid, fields=fields)

    def _op_survey_scored(self, batch: _Batch, *, uid, fields) -> None:
        # The CDR may be closed already (the survey follows the conversation): update in place.
        Call.objects.filter(uid=uid).update(**fields)

    def monitor(self, call: CallState, supervisor_user_id: int, mode: str) -> None:
        self._durable(
            "monitor",
            uid=call.uid,
            at=self._at(),
            agent_id=call.agent_id,
            supervisor_user_id=supervisor_user_id,
            mode=mode,
        )

    def _op_monitor(self, batch: _Batch, *, uid, at, agent_id, supervisor_user_id, mode) -> None:
        row = self._row(uid)
        if row is None:
            return
        call_event(row, "monitor", at=at, agent=agent_id, supervisor_user_id=supervisor_user_id, mode=mode)
        message = {
            "type": "call.monitor",
            "call_uid": uid,
            "agent_id": agent_id,
            "supervisor_user_id": supervisor_user_id,
            "mode": mode,
        }
        batch.publish("wallboard", message)
        if agent_id is not None and mode in ("whisper", "barge"):
            batch.publish(f"agent.{agent_id}", message)


def _consult_message(uid: str, agent_id: int, from_agent_id: int, phase: str) -> dict:
    return {
        "type": "agent.consult",
        "call_uid": uid,
        "agent_id": agent_id,
        "from_agent_id": from_agent_id,
        "phase": phase,
    }
