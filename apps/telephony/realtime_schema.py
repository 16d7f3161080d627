"""The shape of every realtime message, one JSON Schema per (channel, type): docs/realtime.md in
a form a test can check.

A channel is where a message goes: ``agent`` (an agent's desk socket, topic ``agent.<id>``),
``wallboard`` (supervisors' socket), ``engine`` (the engine's inbox) or ``plumbing`` (channel-layer
messages between publishers, hubs and the engine runner that never reach a socket). The same type
can have two shapes on two channels (``agent.state`` carries ``source`` only to the engine).

The schemas are strict (``additionalProperties: false``): a field added to or dropped from a
message without changing this module and the page fails tests/telephony/test_realtime_payloads.py,
which validates the messages published while engine and desk flows run;
tests/core/test_docs_realtime.py holds this module, the page and the producers in apps/ to the
same set of types. Plain data: nothing here is used at run time.
"""

from __future__ import annotations

from typing import Any

from apps.telephony import agent_states
from apps.telephony.choices import CallDirection, CallStatus, DialMode

Schema = dict[str, Any]

# ISO 8601, UTC, milliseconds, "Z": every ``ts`` and every timestamp the engine and services write.
TIMESTAMP: Schema = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"}
# The screen pop's ``arrived_at`` is Python's isoformat() (microseconds, "+00:00"), not TIMESTAMP.
ISO_DATETIME: Schema = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
STRING: Schema = {"type": "string"}
BOOLEAN: Schema = {"type": "boolean"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def one_of(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def record(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with exactly these fields (``optional`` ones may be left out)."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": sorted(required),
        "additionalProperties": False,
    }


def message(kind: str, required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """A message as it leaves: ``type`` and ``ts`` (apps/core/events.py adds it) around the payload."""
    return record({"type": {"const": kind}, "ts": TIMESTAMP, **required}, optional)


STATE = one_of(*agent_states.STATES)
SOURCE = one_of(*agent_states.SOURCES)
CALL_STATUS = one_of(*CallStatus.values)
DIRECTION = one_of(*CallDirection.values)
MONITOR_MODE = one_of("listen", "whisper", "barge")

AGENT_STATE: dict[str, Schema] = {
    "agent_id": INTEGER,
    "state": STATE,
    "reason": nullable(STRING),
    "since": TIMESTAMP,
    "seat": nullable(STRING),
}
SCREEN_POP: Schema = record(
    {
        "customer_id": INTEGER,
        "name": STRING,
        "is_vip": BOOLEAN,
        "vip_level": INTEGER,
        "tags": {"type": "array", "items": STRING},
        "notes": STRING,
        # The customer's custom fields as the agent's roles may see them (apps/crm): the value as
        # text, a sensitive one masked ("1101**********1234") unless the roles may see it whole.
        "custom_fields": {
            "type": "array",
            "items": record({"key": STRING, "label": STRING, "value": STRING, "masked": BOOLEAN}),
        },
        "open_tickets": {
            "type": "array",
            "maxItems": 5,
            "items": record(
                {
                    "id": INTEGER,
                    "number": STRING,
                    "title": STRING,
                    "status": STRING,
                    "status_label": STRING,
                    "resolution_due": ISO_DATETIME,
                }
            ),
        },
        "last_calls": {
            "type": "array",
            "maxItems": 5,
            "items": record(
                {
                    "uid": STRING,
                    "arrived_at": ISO_DATETIME,
                    "queue": nullable(STRING),
                    "agent": nullable(STRING),
                    "disposition": nullable(STRING),
                    "talk_seconds": nullable(NUMBER),
                }
            ),
        },
    }
)
CALL_SUMMARY: dict[str, Schema] = {
    "call_uid": STRING,
    "status": CALL_STATUS,
    "direction": DIRECTION,
    "caller": STRING,
    "callee": STRING,
    "queue_id": nullable(INTEGER),
    "queue_name": nullable(STRING),
    "agent_id": nullable(INTEGER),
    "since": nullable(TIMESTAMP),
}
CONTACT: Schema = record(
    {
        "contact_id": INTEGER,
        "name": STRING,
        "number": STRING,
        "attempt": INTEGER,
        # The contact card: standard fields and the list's custom columns (values as imported).
        "fields": {"type": "object"},
    }
)
CAMPAIGN_PART: dict[str, Schema] = {
    "campaign_id": INTEGER,
    "campaign_name": STRING,
    "contact": CONTACT,
    "script": STRING,
}
OFFER: dict[str, Schema] = {
    "call_uid": STRING,
    "caller": STRING,
    "direction": DIRECTION,
    "queue_id": nullable(INTEGER),
    "queue_name": nullable(STRING),
    "ring_timeout_seconds": nullable(NUMBER),
    "customer": nullable(SCREEN_POP),
}
CALL_UID: dict[str, Schema] = {"call_uid": STRING}
COMMAND: dict[str, Schema] = {"agent_id": INTEGER, "call_uid": STRING}
QUEUE_KPI: dict[str, Schema] = {
    "offered": INTEGER,
    "answered": INTEGER,
    "abandoned": INTEGER,
    "handled": INTEGER,
    "sl_percent": nullable(NUMBER),
    "asa_seconds": nullable(NUMBER),
    "abandon_rate": nullable(NUMBER),
    "aht_seconds": nullable(NUMBER),
}
MONITOR: dict[str, Schema] = {
    "call_uid": STRING,
    "agent_id": nullable(INTEGER),
    "supervisor_user_id": INTEGER,
    "mode": MONITOR_MODE,
}
SEAT: dict[str, Schema] = {"agent_id": INTEGER, "seat": STRING}
# A three-way conference's agents (the caller is implied), host first.
PARTIES: Schema = {
    "type": "array",
    "items": record(
        {"agent_id": nullable(INTEGER), "name": STRING, "role": one_of("host", "member")}, {"number": STRING}
    ),
}

AGENT: dict[str, Schema] = {
    "snapshot": message(
        "snapshot",
        {
            "agent": record({**AGENT_STATE, "name": STRING}),
            "call": nullable(
                record(
                    {**CALL_SUMMARY, "customer": nullable(SCREEN_POP)},
                    {
                        "ring_timeout_seconds": NUMBER,
                        "script": STRING,
                        "ivr_variables": {"type": "object"},
                        "consult": nullable(
                            record({"role": one_of("first", "target"), "name": STRING, "answered": BOOLEAN})
                        ),
                        "conference": nullable(record({"role": one_of("host", "member"), "parties": PARTIES})),
                    },
                )
            ),
        },
    ),
    "pong": message("pong", {}),
    "agent.state": message("agent.state", AGENT_STATE),
    "agent.seat": message("agent.seat", SEAT),
    "call.offer": message("call.offer", OFFER, {**CAMPAIGN_PART, "ring": INTEGER, "ivr_variables": {"type": "object"}}),
    "call.answered": message("call.answered", CALL_UID),
    "call.held": message("call.held", CALL_UID),
    "call.resumed": message("call.resumed", CALL_UID),
    "call.ended": message("call.ended", {**CALL_UID, "by": one_of("agent", "caller", "system", "transfer", "network")}),
    "call.wrapup": message("call.wrapup", {**CALL_UID, "wrapup_seconds": NUMBER}),
    "call.offer_withdrawn": message("call.offer_withdrawn", {**CALL_UID, "reason": STRING}),
    "call.transfer_failed": message("call.transfer_failed", {**CALL_UID, "reason": STRING}),
    "call.consult_offer": message(
        "call.consult_offer",
        {
            **CALL_UID,
            "caller": STRING,
            "direction": DIRECTION,
            "queue_id": nullable(INTEGER),
            "from_agent_id": INTEGER,
            "from_agent_name": STRING,
            "ring_timeout_seconds": nullable(NUMBER),
            "customer": nullable(SCREEN_POP),
        },
    ),
    "call.consult_started": message(
        "call.consult_started",
        {**CALL_UID, "agent_id": nullable(INTEGER), "agent_name": STRING, "queue_id": nullable(INTEGER)},
    ),
    "call.consult_answered": message(
        "call.consult_answered",
        CALL_UID,
        {"agent_id": INTEGER, "agent_name": STRING, "from_agent_id": INTEGER, "from_agent_name": STRING},
    ),
    "call.consult_failed": message("call.consult_failed", {**CALL_UID, "reason": STRING}, {"agent_id": INTEGER}),
    "call.consult_ended": message("call.consult_ended", {**CALL_UID, "reason": STRING}, {"agent_id": INTEGER}),
    "call.conference_started": message(
        "call.conference_started", {**CALL_UID, "role": one_of("host", "member"), "parties": PARTIES}
    ),
    "call.conference_failed": message("call.conference_failed", {**CALL_UID, "reason": STRING}),
    "call.conference_ended": message(
        "call.conference_ended",
        {**CALL_UID, "reason": STRING, "role": one_of("host", "member", "agent", "left")},
    ),
    "call.consult_completed": message(
        "call.consult_completed",
        {**CALL_UID, "role": one_of("first", "target")},
        {"agent_id": INTEGER, "from_agent_id": INTEGER},
    ),
    "call.monitor": message("call.monitor", MONITOR),
    "campaign.preview": message("campaign.preview", CAMPAIGN_PART),
}

WALLBOARD: dict[str, Schema] = {
    "snapshot": message(
        "snapshot",
        {
            "tenant": STRING,
            "seats": INTEGER,
            "agents": {
                "type": "array",
                "items": record(
                    {
                        **AGENT_STATE,
                        "name": STRING,
                        "extension": nullable(STRING),
                        "is_virtual": BOOLEAN,
                        "phone_registered": BOOLEAN,
                    }
                ),
            },
            "queues": {
                "type": "array",
                "items": record(
                    {
                        "queue_id": INTEGER,
                        "name": STRING,
                        "waiting": INTEGER,
                        "longest_wait_seconds": NUMBER,
                        "sl_threshold_seconds": NUMBER,
                        "sl_target_percent": NUMBER,
                        **QUEUE_KPI,
                    }
                ),
            },
            "calls": {"type": "array", "maxItems": 500, "items": record(CALL_SUMMARY)},
        },
    ),
    "pong": message("pong", {}),
    "agent.state": message("agent.state", AGENT_STATE),
    "agent.seat": message("agent.seat", SEAT),
    "queue.update": message("queue.update", {"queue_id": INTEGER, "waiting": INTEGER, "longest_wait_seconds": NUMBER}),
    "queue.kpi": message("queue.kpi", {"queue_id": INTEGER, **QUEUE_KPI}),
    "call.state": message(
        "call.state",
        {
            "call_uid": STRING,
            "status": CALL_STATUS,
            "queue_id": nullable(INTEGER),
            "agent_id": nullable(INTEGER),
            "direction": DIRECTION,
            "caller": STRING,
            "callee": STRING,
        },
    ),
    "call.monitor": message("call.monitor", MONITOR),
    "agent.consult": message(
        "agent.consult",
        {
            "call_uid": STRING,
            "agent_id": INTEGER,
            "from_agent_id": INTEGER,
            "phase": one_of("ringing", "talking", "ended", "completed"),
        },
    ),
    "seats.changed": message("seats.changed", {"seats": INTEGER}),
    # Workforce: live schedule adherence of the agents on a published shift (every 5 s).
    "adherence.update": message(
        "adherence.update",
        {
            "agents": {
                "type": "array",
                "items": record(
                    {
                        "agent_id": INTEGER,
                        "user_id": INTEGER,
                        "scheduled": nullable(one_of("on_queue", "break", "meal", "training", "meeting")),
                        "actual": one_of("on_queue", "break", "meal", "training", "meeting", "other"),
                        "out_of_adherence": BOOLEAN,
                        "since": nullable(TIMESTAMP),
                    }
                ),
            }
        },
    ),
    "campaign.stats": message(
        "campaign.stats",
        {
            "campaign_id": INTEGER,
            "mode": one_of(*DialMode.values),
            "status": one_of("running", "paused", "stopped", "finished"),
            "dials": INTEGER,
            "dials_per_minute": NUMBER,
            "live_answers": INTEGER,
            "abandoned": INTEGER,
            "abandon_rate": nullable(NUMBER),
            "abandon_rate_30d": nullable(NUMBER),
            "abandon_rate_estimated": nullable(NUMBER),
            "max_abandon_rate": NUMBER,
            "lines_in_flight": INTEGER,
            "dial_level": NUMBER,
            "agents": record({"ready": INTEGER, "talking": INTEGER, "wrap_up": INTEGER}),
            # Each count is null until the engine's first read of the contact list.
            "contacts": record(
                {"remaining": nullable(INTEGER), "attempted": nullable(INTEGER), "finished": nullable(INTEGER)}
            ),
            "warming_up": BOOLEAN,
        },
    ),
}

ENGINE: dict[str, Schema] = {
    "agent.state": message("agent.state", {**AGENT_STATE, "source": SOURCE}),
    "call.answer": message("call.answer", COMMAND),
    "call.reject": message("call.reject", COMMAND),
    "call.hangup": message("call.hangup", COMMAND),
    "call.hold": message("call.hold", COMMAND),
    "call.resume": message("call.resume", COMMAND),
    "call.transfer": message(
        "call.transfer",
        COMMAND,
        {"queue_id": nullable(INTEGER), "target_agent_id": nullable(INTEGER), "number": STRING},
    ),
    "call.consult": message(
        "call.consult",
        {**COMMAND, "queue_id": nullable(INTEGER), "target_agent_id": nullable(INTEGER)},
        {"number": STRING},
    ),
    "call.consult_complete": message("call.consult_complete", COMMAND),
    "call.consult_cancel": message("call.consult_cancel", COMMAND),
    "call.conference": message("call.conference", COMMAND),
    "call.conference_leave": message("call.conference_leave", COMMAND),
    "call.conference_drop": message("call.conference_drop", COMMAND),
    "call.conference_end": message("call.conference_end", COMMAND),
    "call.wrapup": message("call.wrapup", {**COMMAND, "disposition": nullable(STRING), "notes": STRING}),
    "call.dial": message("call.dial", {"agent_id": INTEGER, "number": STRING, "customer_id": nullable(INTEGER)}),
    "call.monitor": message("call.monitor", {"supervisor_user_id": INTEGER, "call_uid": STRING, "mode": MONITOR_MODE}),
    "call.release": message("call.release", {"supervisor_user_id": INTEGER, "call_uid": STRING}),
    "callback.cancel": message("callback.cancel", {"supervisor_user_id": INTEGER, "request_uid": STRING}),
    "config.changed": message(
        "config.changed",
        {
            "kind": one_of(
                "queue",
                "skill",
                "agent",
                "pause_reason",
                "disposition",
                "campaign",
                "campaign_policy",
                "dialling_policy",
            ),
            "id": nullable(INTEGER),
        },
    ),
    "ivr.published": message("ivr.published", {"flow_id": INTEGER, "version_id": INTEGER, "version": INTEGER}),
    "number.route": message(
        "number.route",
        {"number_id": INTEGER, "number": STRING, "ivr_flow_id": nullable(INTEGER), "queue_id": nullable(INTEGER)},
    ),
    "campaign.preview_dial": message("campaign.preview_dial", {"agent_id": INTEGER, "contact_id": nullable(INTEGER)}),
    "campaign.preview_skip": message("campaign.preview_skip", {"agent_id": INTEGER, "contact_id": nullable(INTEGER)}),
}

# Between a publisher and the hubs, and inside the engine runner: no ``ts`` of their own.
PLUMBING: dict[str, Schema] = {
    "event.forward": record(
        {"type": {"const": "event.forward"}, "event": {"type": "object", "required": ["type", "ts"]}},
        {"published_at": NUMBER},
    ),
    "hub.probe": record({"type": {"const": "hub.probe"}, "probe": STRING}),
    "engine.stop": record({"type": {"const": "engine.stop"}}),
}

# One person's notifications (apps/notifications, topic ``notifications.<user id>``).
NOTIFICATION: dict[str, Schema] = {
    "id": INTEGER,
    "kind": STRING,
    "title": STRING,
    "body": STRING,
    "url": STRING,
    "created_at": TIMESTAMP,
    "read": BOOLEAN,
}
NOTIFICATIONS: dict[str, Schema] = {
    "snapshot": message("snapshot", {"unread": INTEGER, "latest": {"type": "array", "items": record(NOTIFICATION)}}),
    "notification.new": message("notification.new", {**NOTIFICATION, "unread": INTEGER}),
    "notification.read": message("notification.read", {"ids": {"type": "array", "items": INTEGER}, "unread": INTEGER}),
    "pong": message("pong", {}),
}

CHANNELS: dict[str, dict[str, Schema]] = {
    "agent": AGENT,
    "wallboard": WALLBOARD,
    "engine": ENGINE,
    "plumbing": PLUMBING,
    "notifications": NOTIFICATIONS,
}


def channel_of(topic: str) -> str:
    """The channel of a publish topic (``wallboard``, ``engine``, ``agent.<id>``, ``notifications.<user id>``)."""
    if topic.startswith("notifications."):
        return "notifications"
    return "agent" if topic.startswith("agent.") else topic


def schema_for(channel: str, kind: str) -> Schema | None:
    return CHANNELS.get(channel, {}).get(kind)
