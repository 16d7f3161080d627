"""The caller's IVR variables reach the agent's screen pop (``call.offer`` ``ivr_variables``),
checked against the realtime schema."""

from __future__ import annotations

from dataclasses import replace

from django_tenants.utils import tenant_context

from apps.telephony import agent_states
from apps.telephony.engine.config import AgentSettings
from apps.telephony.models import Agent, CallEvent
from apps.telephony.selectors.wallboard import agent_desktop_snapshot
from tests.telephony.test_realtime_payloads import _engine, inbound, wire  # noqa: F401 -- fixtures

GRAPH = {
    "start": "ask",
    "nodes": {
        "ask": {"type": "gather", "prompt": "Order number", "max_digits": 8, "variable": "order", "next": "mark"},
        "mark": {"type": "set", "variable": "topic", "value": "order {order}", "next": "agent"},
        "agent": {"type": "queue", "queue": 0},
    },
}


def test_the_offer_carries_the_ivr_variables(inbound, wire, django_capture_on_commit_callbacks):  # noqa: F811
    with tenant_context(inbound["world"].tenant), django_capture_on_commit_callbacks(execute=True):
        clock, driver, controller, store, number = _engine(
            inbound["world"], inbound["queue"], inbound["trunk"], inbound["number"]
        )
        graph = {**GRAPH, "nodes": {**GRAPH["nodes"], "agent": {"type": "queue", "queue": inbound["queue"].pk}}}
        settings = controller.numbers[number.number_id]
        controller.numbers[number.number_id] = replace(settings, ivr_graph=graph, ivr_version_id=None)
        controller.use_ivr = True
        driver.caller.choices = {"ask": "12345"}
        a = inbound["a"].pk
        controller.set_agent(AgentSettings(agent_id=a, name="Ann", state=agent_states.READY))
        driver.inject(number, caller="13900000009")
        clock.run_until(12)
        controller.handle_message({"type": "call.answer", "agent_id": a, "call_uid": offer_uid(store)})
        clock.run_until(16)
    wire.check(*store.published)  # every message matches the documented schema
    offer = next(m for t, m in store.published if m["type"] == "call.offer")
    assert offer["ivr_variables"] == {"order": "12345", "topic": "order 12345"}
    # A desk reloaded mid-call gets them again: kept on the call's timeline, in the snapshot.
    with tenant_context(inbound["world"].tenant):
        snapshot = agent_desktop_snapshot(Agent.objects.get(pk=a))
        kept = CallEvent.objects.get(kind="ivr_variables", call__uid=offer["call_uid"]).data
    assert snapshot["call"]["ivr_variables"] == {"order": "12345", "topic": "order 12345"}
    assert kept == {"variables": {"order": "12345", "topic": "order 12345"}}
    wire.check((f"agent.{a}", {"type": "snapshot", **snapshot}))


def offer_uid(store) -> str:
    return next(m for t, m in store.published if m["type"] == "call.offer")["call_uid"]
