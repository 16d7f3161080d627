"""Hand-built CDRs with known KPI answers, shared by the KPI tests (call inside ``tenant_context``).

Queue A, T = 15 s, short abandon = 5 s; calls arriving in [SINCE, UNTIL) (T0 = 2025-03-03 09:00 UTC,
17:00 in Asia/Shanghai):

- answered after 5, 10, 15 (exactly T: within), 20, 30 s (the last still in wrap-up) → 5 answered,
  3 within T; talk 100/200/60/150, hold 0/10/0/5, wrap-up 20/30/0/25 on the four handled;
- abandoned after 40 and 25 s (after T) and 8 s (within T, not short) → 3; after 2 and 5 s
  (exactly the short-abandon limit: short) → 2 short abandons;
- left for a callback after 60 s → offered, neither answered nor abandoned; one callback request;
- a blocked call and an IVR-only call on a number routed to A (trunk X: 2 attempts, 1 blocked).

offered 11; SL = 3 / (5 + 2) = 42.86 %; ASA = 16 s; abandon rate 3 / 11 = 27.27 %; handled 4;
AHT = (120 + 240 + 60 + 180) / 4 = 150 s; talk 127.5, hold 3.75, wrap-up 18.75.

FCR (72 h, same caller and queue) over the 4 handled: caller 1 calls A again 1 h after UNTIL
(a repeat, outside the reported period but inside the window); caller 2 calls again after 73 h (not
a repeat); caller 3 calls again but the call's disposition resolves the contact; caller 4 never
calls again → 3 / 4 = 75 % (resolving dispositions count), 2 / 4 = 50 % (they do not).

CSAT 5, 4, 3, 1 → mean 3.25, top two 50 %. IVR: 3 calls ran the IVR (the IVR-only call ended
there: contained; one asked for an agent and hung up: not contained; answered call 1 was queued)
→ 33.33 %. Events: call 2 transferred by the agent; call 1 rang out on agent 2 first (RONA).
A voicemail left in the IVR. Agent states: Ready 600 s, Talking 300 s, Hold 60 s, Wrap-up 40 s
(crossing the 09:15 boundary) → occupancy 400 / 1000 = 40 %.
"""

from __future__ import annotations

from datetime import timedelta

from apps.reports.services.rollups import rollups_rebuild_period
from apps.telephony.choices import CallDirection, CallEndReason, CallStatus
from apps.telephony.models import (
    AgentStateEvent,
    CallbackRequest,
    CallEvent,
    IvrFlow,
    IvrFlowVersion,
    PhoneNumber,
    Trunk,
    Voicemail,
)
from tests.telephony.call_factories import T0, at, make_agent, make_disposition, make_queue, stored_call

SINCE = T0 - timedelta(hours=1)
UNTIL = T0 + timedelta(hours=1)


def answered(queue, agent, *, wait, talk=100, hold=0, wrapup=20, wrapup_done=True, caller="13900000000", **extra):
    queued = extra.pop("queued_at", at(10))
    ended = queued + timedelta(seconds=wait + talk + hold)
    extra.setdefault("arrived_at", queued - timedelta(seconds=10))
    return stored_call(
        queue=queue,
        agent=agent,
        caller=caller,
        queued_at=queued,
        answered_at=queued + timedelta(seconds=wait),
        ended_at=ended,
        wrapup_ended_at=ended + timedelta(seconds=wrapup) if wrapup_done else None,
        status=CallStatus.ENDED if wrapup_done else CallStatus.WRAP_UP,
        wait_seconds=wait,
        talk_seconds=talk,
        hold_seconds=hold,
        wrapup_seconds=wrapup if wrapup_done else 0,
        answered_within_sl=wait <= queue.sl_threshold_seconds,
        sl_threshold_seconds=queue.sl_threshold_seconds,
        end_reason=CallEndReason.COMPLETED,
        **extra,
    )


def unanswered(queue, *, wait, abandoned=True, reason=CallEndReason.ABANDONED, arrived=T0, caller="13700000000"):
    queued = arrived + timedelta(seconds=10)
    return stored_call(
        arrived_at=arrived,
        caller=caller,
        queue=queue,
        queued_at=queued,
        ended_at=queued + timedelta(seconds=wait),
        wrapup_ended_at=queued + timedelta(seconds=wait),
        status=CallStatus.ENDED,
        wait_seconds=wait,
        abandoned=abandoned,
        short_abandon=abandoned and wait <= queue.short_abandon_seconds,
        answered_within_sl=False,
        sl_threshold_seconds=queue.sl_threshold_seconds,
        end_reason=reason,
    )


def ivr_version():
    flow = IvrFlow.objects.create(name="kpi test flow")
    return IvrFlowVersion.objects.create(flow=flow, number=1, status="published", graph={})


def state(agent, seconds: float, to_state: str, from_state: str = "offline"):
    return AgentStateEvent.objects.create(agent=agent, at=at(seconds), from_state=from_state, to_state=to_state)


def build(tenant_world) -> dict:
    queue_a = make_queue(sl_threshold_seconds=15, short_abandon_seconds=5)
    agent = make_agent(tenant_world.user("agent"))
    agent2 = make_agent(tenant_world.user("agent"))
    trunk = Trunk.objects.create(name="trunk X", channels=2)
    number = PhoneNumber.objects.create(number="+864009990101", trunk=trunk, queue=queue_a)
    version = ivr_version()
    solved = make_disposition()

    c1 = answered(
        queue_a, agent, wait=5, talk=100, hold=0, wrapup=20, caller="1001", survey_score=5, ivr_version=version
    )
    c2 = answered(queue_a, agent, wait=10, talk=200, hold=10, wrapup=30, caller="1002", survey_score=4)
    answered(queue_a, agent, wait=15, talk=60, hold=0, wrapup=0, caller="1003", survey_score=3, disposition=solved)
    answered(queue_a, agent, wait=20, talk=150, hold=5, wrapup=25, caller="1004", survey_score=1)
    answered(queue_a, agent, wait=30, talk=80, wrapup_done=False, caller="1005")
    for wait in (40, 25, 8, 2, 5):
        unanswered(queue_a, wait=wait)
    callback = unanswered(queue_a, wait=60, abandoned=False, reason=CallEndReason.CALLBACK, caller="1006")
    CallbackRequest.objects.create(call=callback, queue=queue_a, number="1006", original_queued_at=at(10))
    stored_call(number=number, trunk=trunk, blocked=True, end_reason=CallEndReason.BLOCKED, ended_at=T0, status="ended")
    ivr_only = stored_call(
        number=number,
        trunk=trunk,
        ended_at=at(30),
        end_reason=CallEndReason.IVR_HANGUP,
        status="ended",
        ivr_version=version,
    )
    stored_call(
        ended_at=at(40),
        end_reason=CallEndReason.IVR_HANGUP,
        status="ended",
        ivr_version=version,
        reached_agent_request=True,
    )
    Voicemail.objects.create(call=ivr_only, caller=ivr_only.caller)
    CallEvent.objects.create(call=c2, kind="transferred", at=at(100), agent=agent)
    CallEvent.objects.create(call=c1, kind="rona", at=at(12), agent=agent2)
    # outside the period: before, at the (exclusive) end, and the FCR repeat calls
    unanswered(queue_a, wait=100, arrived=SINCE - timedelta(minutes=5))
    unanswered(queue_a, wait=100, arrived=UNTIL)
    unanswered(queue_a, wait=3, arrived=UNTIL + timedelta(hours=1), caller="1001")
    unanswered(queue_a, wait=3, arrived=T0 + timedelta(hours=73), caller="1002")
    unanswered(queue_a, wait=3, arrived=UNTIL + timedelta(hours=2), caller="1003")
    # agent states: Ready 09:00–09:10, Talking –09:15, Hold –09:16, Wrap-up –09:16:40, then Offline
    state(agent, 0, "ready")
    state(agent, 600, "talking", "ready")
    state(agent, 900, "hold", "talking")
    state(agent, 960, "wrap_up", "hold")
    state(agent, 1000, "offline", "wrap_up")
    rollups_rebuild_period(since=SINCE - timedelta(days=1), until=T0 + timedelta(days=4))
    return {"a": queue_a, "agent": agent, "agent2": agent2, "trunk": trunk, "number": number, "solved": solved}


def rebuild():
    rollups_rebuild_period(since=SINCE - timedelta(days=1), until=T0 + timedelta(days=4))


__all__ = ["SINCE", "UNTIL", "CallDirection", "answered", "build", "rebuild", "state", "unanswered"]
