"""The conference's desk messages as they are really sent (the engine on the simulated switch with
the DbStore, the envelope of apps/core/events.py) validate against apps/telephony/realtime_schema.py,
and a desk socket opened mid-conference gets a snapshot with the conference in it."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django_tenants.utils import tenant_context

from apps.telephony.models import Agent
from apps.telephony.realtime_schema import schema_for
from tests.telephony.test_realtime_payloads import (  # noqa: F401 -- fixtures
    RECEIVE_TIMEOUT,
    _errors,
    _keep_the_test_connection,
    _socket,
    _talking_with_consult,
    inbound,
    wire,
)


def _conference(inbound):  # noqa: F811 -- the fixture's value
    clock, controller, store, uid, a, b = _talking_with_consult(inbound)
    controller.handle_message({"type": "call.answer", "agent_id": b, "call_uid": uid})
    clock.run_until(30)
    controller.handle_message({"type": "call.conference", "agent_id": a, "call_uid": uid})
    clock.run_until(35)
    return clock, controller, store, uid, a, b


def test_conference_messages_to_both_desks(inbound, wire, django_capture_on_commit_callbacks):  # noqa: F811
    with tenant_context(inbound["world"].tenant), django_capture_on_commit_callbacks(execute=True):
        clock, controller, store, uid, a, b = _conference(inbound)
        controller.handle_message({"type": "call.conference_drop", "agent_id": b, "call_uid": uid})  # not the host
        controller.handle_message({"type": "call.conference_leave", "agent_id": a, "call_uid": uid})
        clock.run_until(40)
    seen = wire.check(*store.published)
    assert {
        ("agent", "call.conference_started"),
        ("agent", "call.conference_failed"),
        ("agent", "call.conference_ended"),
        ("agent", "call.ended"),
    } <= seen
    to_b = [m for topic, m in store.published if topic == f"agent.{b}" and m["type"].startswith("call.conference")]
    assert [m["type"] for m in to_b] == [
        "call.conference_started",
        "call.conference_failed",
        "call.conference_ended",
    ]
    assert to_b[0]["role"] == "member" and [p["agent_id"] for p in to_b[0]["parties"]] == [a, b]
    assert to_b[2]["role"] == "agent"  # the host left: B has the caller


@pytest.mark.usefixtures("_keep_the_test_connection")
def test_a_desk_socket_opened_mid_conference_gets_it_in_the_snapshot(inbound, django_capture_on_commit_callbacks):  # noqa: F811
    world = inbound["world"]
    with tenant_context(world.tenant), django_capture_on_commit_callbacks(execute=True):
        _conference(inbound)
    member = inbound["b"]
    with tenant_context(world.tenant):
        user = Agent.objects.select_related("user").get(pk=member.pk).user
    token = world.token(user)

    async def snapshot() -> dict[str, Any]:
        socket = _socket(world, "/ws/agent/", token)
        connected, _code = await socket.connect()
        assert connected
        frame = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await socket.disconnect()
        return frame

    frame = async_to_sync(snapshot)()
    schema = schema_for("agent", "snapshot")
    assert schema is not None
    assert _errors(frame, schema, "agent snapshot") == []
    conference = frame["call"]["conference"]
    assert conference["role"] == "member"
    assert [party["role"] for party in conference["parties"]] == ["host", "member"]
    assert frame["call"]["consult"] is None
