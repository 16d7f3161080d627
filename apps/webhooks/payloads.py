"""The ``data`` of each event type, built from the object the core announced (the subject of
:func:`apps.core.domain_events.domain_event`). Shapes: apps/webhooks/catalog.py.

Built inside the announcing transaction, so a delivery carries the state that was committed with
it, however late it is sent or replayed. Ids, not names, for people (names change; an integrator
looks them up through the API), and no secrets or personal notes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apps.webhooks.catalog import TEST_EVENT


def iso(moment: datetime | None) -> str | None:
    """UTC, milliseconds, ``Z`` — the realtime messages' format (docs/realtime.md)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def call_data(call: Any) -> dict[str, Any]:
    return {
        "call_uid": call.uid,
        "direction": call.direction,
        "status": call.status,
        "caller": call.caller,
        "callee": call.callee,
        "queue_id": call.queue_id,
        "agent_id": call.agent_id,
        "campaign_id": call.campaign_id,
        "customer_id": call.customer_id,
        "arrived_at": iso(call.arrived_at),
        "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at),
        "simulated": bool(call.is_simulated),
    }


def cdr_data(call: Any) -> dict[str, Any]:
    return {
        "end_reason": call.end_reason,
        "wait_seconds": _number(call.wait_seconds),
        "ivr_seconds": float(call.ivr_seconds),
        "talk_seconds": float(call.talk_seconds),
        "hold_seconds": float(call.hold_seconds),
        "offer_count": call.offer_count,
        "abandoned": call.abandoned,
        "short_abandon": call.short_abandon,
        "blocked": call.blocked,
        "answered_within_sl": call.answered_within_sl,
        "sl_threshold_seconds": call.sl_threshold_seconds,
        "ivr_path": list(call.ivr_path or []),
    }


def recording_data(recording: Any) -> dict[str, Any]:
    return {
        "recording_id": recording.pk,
        "call_uid": recording.call.uid,
        "duration_seconds": float(recording.duration_seconds),
        "size_bytes": recording.size_bytes,
        "content_type": recording.content_type,
        "created_at": iso(recording.created_at),
    }


def agent_state_data(agent: Any) -> dict[str, Any]:
    return {
        "agent_id": agent.pk,
        "user_id": agent.user_id,
        "state": agent.state,
        "reason": agent.reason.code if agent.reason_id is not None else None,
        "since": iso(agent.state_since),
        "seat": agent.seat.extension if agent.seat_id is not None else None,
    }


def ticket_data(ticket: Any, change: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket.pk,
        "number": ticket.number,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category.name if ticket.category_id is not None else None,
        "customer_id": ticket.customer_id,
        "assignee_id": ticket.assignee_id,
        "received_at": iso(ticket.received_at),
        "updated_at": iso(ticket.updated_at),
        "resolved_at": iso(ticket.resolved_at),
        "change": change,
    }


def evaluation_data(evaluation: Any) -> dict[str, Any]:
    return {
        "evaluation_id": evaluation.pk,
        "call_uid": evaluation.call.uid,
        "agent_id": evaluation.agent_id,
        "evaluator_id": evaluation.evaluator_id,
        "scorecard_id": evaluation.scorecard_id,
        "score": _number(evaluation.score),
        "critical_failed": evaluation.critical_failed,
        "submitted_at": iso(evaluation.submitted_at),
    }


def campaign_data(campaign: Any) -> dict[str, Any]:
    return {
        "campaign_id": campaign.pk,
        "name": campaign.name,
        "type": campaign.type,
        "dial_mode": campaign.dial_mode,
        "status": campaign.status,
        "started_at": iso(campaign.started_at),
        "finished_at": iso(campaign.finished_at),
    }


# The event kinds of a ticket's history that are their own webhook type; every other kind that a
# person or the SLA sweep records is "ticket.updated" with the kind in ``change``.
TICKET_TYPES = {
    "created": "ticket.created",
    "resolved": "ticket.resolved",
    "closed": "ticket.closed",
    "reopened": "ticket.reopened",
}
# Internal notes stay inside the company.
TICKET_QUIET = {"note"}


def ticket_event_type(kind: str) -> str | None:
    if kind in TICKET_QUIET:
        return None
    return TICKET_TYPES.get(kind, "ticket.updated")


def public_type(event_type: str, subject: Any, extra: dict[str, Any]) -> str | None:
    """The webhook type of an announced event, or None when it is not for outsiders: a ticket's
    history line becomes its own type (or "ticket.updated"; internal notes none), and a calibration
    session's evaluations are practice, not results."""
    if event_type == "ticket.changed":
        return ticket_event_type(str(extra.get("change", "")))
    if event_type == "evaluation.submitted" and getattr(subject, "calibration_id", None) is not None:
        return None
    return event_type


def event_data(event_type: str, subject: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` of ``event_type`` about ``subject``."""
    family = event_type.split(".", 1)[0]
    if event_type == TEST_EVENT:
        return {"subscription_id": subject.pk, "message": str(extra.get("message", ""))}
    if family == "call":
        data = call_data(subject)
        if event_type == "call.ended":
            data["cdr"] = cdr_data(subject)
        return data
    if family == "recording":
        return recording_data(subject)
    if family == "agent":
        return agent_state_data(subject)
    if family == "ticket":
        return ticket_data(subject, str(extra.get("change", "")))
    if family == "evaluation":
        return evaluation_data(subject)
    if family == "campaign":
        return campaign_data(subject)
    raise LookupError(f"no payload for {event_type}")
