"""The event types a subscription may ask for, and the JSON Schema of each payload.

This is the contract integrators code against (docs/webhooks.md prints it; the tests validate
every payload the product sends against it). Adding a field is compatible; renaming or removing
one is not — add a new event type instead.

Every delivery's body is ``{"id", "type", "created_at", "data"}``: ``id`` names the event (the
same for every subscription and for replays, so a receiver can ignore duplicates), ``created_at``
is when it happened (ISO 8601, UTC) and ``data`` follows the type's schema below.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

STRING = {"type": "string"}
INT = {"type": "integer"}
NUMBER = {"type": "number"}
BOOL = {"type": "boolean"}
MOMENT = {"type": "string", "format": "date-time"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": [schema["type"], "null"], **{k: v for k, v in schema.items() if k != "type"}}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": sorted(properties), "additionalProperties": False}


CALL = {
    "call_uid": STRING,
    "direction": {"type": "string", "enum": ["inbound", "outbound"]},
    "status": STRING,
    "caller": STRING,
    "callee": STRING,
    "queue_id": _nullable(INT),
    "agent_id": _nullable(INT),
    "campaign_id": _nullable(INT),
    "customer_id": _nullable(INT),
    "arrived_at": MOMENT,
    "answered_at": _nullable(MOMENT),
    "ended_at": _nullable(MOMENT),
    "simulated": BOOL,
}
CDR = {
    "end_reason": STRING,
    "wait_seconds": _nullable(NUMBER),
    "ivr_seconds": NUMBER,
    "talk_seconds": NUMBER,
    "hold_seconds": NUMBER,
    "offer_count": INT,
    "abandoned": BOOL,
    "short_abandon": BOOL,
    "blocked": BOOL,
    "answered_within_sl": _nullable(BOOL),
    "sl_threshold_seconds": _nullable(INT),
    "ivr_path": {"type": "array"},
}
RECORDING = {
    "recording_id": INT,
    "call_uid": STRING,
    "duration_seconds": NUMBER,
    "size_bytes": INT,
    "content_type": STRING,
    "created_at": MOMENT,
}
AGENT_STATE = {
    "agent_id": INT,
    "user_id": _nullable(INT),
    "state": STRING,
    "reason": _nullable(STRING),
    "since": MOMENT,
    "seat": _nullable(STRING),
}
TICKET = {
    "ticket_id": INT,
    "number": STRING,
    "title": STRING,
    "status": STRING,
    "priority": STRING,
    "category": _nullable(STRING),
    "customer_id": _nullable(INT),
    "assignee_id": _nullable(INT),
    "received_at": MOMENT,
    "updated_at": MOMENT,
    "resolved_at": _nullable(MOMENT),
    "change": STRING,
}
EVALUATION = {
    "evaluation_id": INT,
    "call_uid": STRING,
    "agent_id": _nullable(INT),
    "evaluator_id": _nullable(INT),
    "scorecard_id": INT,
    "score": _nullable(NUMBER),
    "critical_failed": BOOL,
    "submitted_at": _nullable(MOMENT),
}
CAMPAIGN = {
    "campaign_id": INT,
    "name": STRING,
    "type": STRING,
    "dial_mode": STRING,
    "status": STRING,
    "started_at": _nullable(MOMENT),
    "finished_at": _nullable(MOMENT),
}
TEST = {"subscription_id": INT, "message": STRING}

# type → (label, data schema). The order is the form's.
EVENT_TYPES: dict[str, tuple[Any, dict[str, Any]]] = {
    "call.started": (_("A call arrived or was dialled"), _object(CALL)),
    "call.answered": (_("A call was answered by an agent"), _object(CALL)),
    "call.ended": (_("A call ended (with its CDR)"), _object({**CALL, "cdr": _object(CDR)})),
    "recording.ready": (_("A call's recording is stored"), _object(RECORDING)),
    "agent.state": (_("An agent's state changed"), _object(AGENT_STATE)),
    "ticket.created": (_("A ticket was created"), _object(TICKET)),
    "ticket.updated": (_("A ticket changed (assigned, followed up, escalated …)"), _object(TICKET)),
    "ticket.resolved": (_("A ticket was resolved"), _object(TICKET)),
    "ticket.closed": (_("A ticket was closed"), _object(TICKET)),
    "ticket.reopened": (_("A ticket was reopened"), _object(TICKET)),
    "evaluation.submitted": (_("A QA evaluation was submitted"), _object(EVALUATION)),
    "campaign.started": (_("A campaign started"), _object(CAMPAIGN)),
    "campaign.paused": (_("A campaign was paused"), _object(CAMPAIGN)),
    "campaign.resumed": (_("A campaign resumed"), _object(CAMPAIGN)),
    "campaign.completed": (_("A campaign finished"), _object(CAMPAIGN)),
}
# Sent by "Send test event" only; nobody subscribes to it.
TEST_EVENT = "webhook.test"
TEST_SCHEMA = _object(TEST)


def subscribable() -> list[str]:
    return list(EVENT_TYPES)


def event_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {label}") for code, (label, _schema) in EVENT_TYPES.items()]


def data_schema(event_type: str) -> dict[str, Any]:
    if event_type == TEST_EVENT:
        return TEST_SCHEMA
    return EVENT_TYPES[event_type][1]


def envelope_schema(event_type: str) -> dict[str, Any]:
    """The whole body of a delivery of ``event_type``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "type": {"const": event_type},
            "created_at": MOMENT,
            "data": data_schema(event_type),
        },
        "required": ["id", "type", "created_at", "data"],
        "additionalProperties": False,
    }
