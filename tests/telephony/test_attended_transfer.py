"""Attended (consultative) transfer: the call controller on the simulated switch (virtual clock).

A is the agent who has the caller, B the colleague A consults. The MemoryStore subclass below
records what the controller reported; the CDR tests at the end run the DbStore on acme.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.telephony import agent_states
from apps.telephony.choices import CallEndReason, CallStatus
from apps.telephony.engine import state as engine_state
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.dbstore import DbStore
from apps.telephony.engine.drivers.base import SwitchDriver
from apps.telephony.engine.drivers.sim import CallerBehaviour, Duration, SimDriver, SimNumber, VirtualAgentBehaviour
from apps.telephony.models import Agent, AgentStateEvent, Call, PhoneNumber, Queue, Trunk
from tests.recording_store import RecordingStore
from tests.telephony.agent_helpers import make_agent
from tests.telephony.harness import make_controller, plant_routing

QUEUE = 1
SALES = 2
SALES_SKILL = 3
NUMBER = SimNumber(number_id=1, number="4008001000", trunk_id=1)
A, B, C = 21, 31, 41


def build(*, talk_with_human=300.0, queues=None, driver_class=SimDriver):
    clock = VirtualClock()
    caller = CallerBehaviour(talk_with_human=Duration(talk_with_human, "fixed"))
    driver = driver_class(clock, seed=11, caller=caller, default_trunk_id=1)
    driver.set_trunk(1, None)
    store = RecordingStore(clock)
    controller = make_controller(
        clock=clock,
        driver=driver,
        store=store,
        queues=queues or [QueueSettings(queue_id=QUEUE, name="Support", wrapup_seconds=10, ring_timeout_seconds=15)],
        numbers=[NumberSettings(number_id=NUMBER.number_id, number=NUMBER.number, trunk_id=1, queue_id=QUEUE)],
    )
    driver.set_number(NUMBER)
    return clock, driver, controller, store


def human(controller, agent_id, *, ready=True, skills=None, name=""):
    settings = AgentSettings(agent_id=agent_id, skills=skills or {}, name=name or f"Agent {agent_id}")
    return controller.set_agent(settings, ready=ready)


def virtual(driver, controller, agent_id, *, answer=3.0, talk=60.0, miss=0.0, skills=None):
    driver.set_virtual_agent(
        agent_id,
        VirtualAgentBehaviour(
            talk=Duration(talk, "fixed"), answer_delay=Duration(answer, "fixed"), miss_probability=miss
        ),
    )
    settings = AgentSettings(agent_id=agent_id, is_virtual=True, skills=skills or {}, name=f"Virtual {agent_id}")
    return controller.set_agent(settings, ready=True)


def a_talking(clock, driver, controller, *, at=30.0):
    """A (human, the only Ready agent) answers a caller; returns the call uid at ``at`` seconds."""
    uid = driver.inject(NUMBER, caller="13800000001")
    clock.run_until(1)
    controller.handle_message({"type": "call.answer", "agent_id": A, "call_uid": uid})
    clock.run_until(at)
    assert controller.calls[uid].status == engine_state.TALKING
    assert controller.calls[uid].agent_id == A
    return uid


def consult(controller, uid, **target):
    message = {"type": "call.consult", "agent_id": A, "call_uid": uid, "queue_id": None, "target_agent_id": None}
    controller.handle_message({**message, **target})


# --- consult, answer, complete ---------------------------------------------------------------------


def test_consult_holds_the_caller_and_rings_the_colleague():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)  # Ready only now, so the caller went to A
    consult(controller, uid, target_agent_id=B)
    assert controller.agent(B).state == agent_states.RESERVED
    assert controller.agent(B).call is controller.calls[uid]
    clock.run_until(30.5)
    call = controller.calls[uid]
    assert call.status == engine_state.HOLD  # the switch put the caller on hold (on_held)
    assert call.agent_id == A
    assert controller.agent(A).state == agent_states.HOLD
    assert store.consult_log == [("consult_started", A, B, None)]
    (started,) = store.sent_to(A, "call.consult_started")
    assert started["agent_id"] == B
    assert started["agent_name"] == f"Agent {B}"


def test_completed_consultation_gives_the_caller_to_the_colleague_and_a_goes_to_wrapup():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    virtual(driver, controller, B, answer=4.0, talk=60.0)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(35)
    assert controller.agent(B).state == agent_states.TALKING  # talking with A, on the consult
    assert controller.calls[uid].status == engine_state.HOLD
    assert ("consult_answered", A, B) in store.consult_log
    assert store.sent_to(A, "call.consult_answered")[0]["agent_id"] == B

    controller.handle_message({"type": "call.consult_complete", "agent_id": A, "call_uid": uid})
    call = controller.calls[uid]
    assert call.status == engine_state.TALKING
    assert call.agent_id == B
    assert call.agents_served == [A, B]
    assert call.hold_seconds == pytest.approx(5.0)  # held from 30 to 35
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert controller.agent(B).call is call
    assert controller.consults == {}
    assert store.consult_log[-1] == ("transferred", A, B, "attended", "complete")
    assert [m["by"] for m in store.sent_to(A, "call.ended")] == ["transfer"]
    assert controller.last_agent["13800000001"][0] == B

    clock.run_until(46)
    assert controller.agent(A).state == agent_states.READY  # 10 s of wrap-up after the transfer
    clock.run()  # B (virtual) talks 60 s with the caller, then hangs up
    finished = store.finished[uid]
    assert finished.agent_id == B
    assert finished.end_reason == CallEndReason.COMPLETED
    assert finished.ended == pytest.approx(95.0)
    assert finished.talk_seconds == pytest.approx(95.0 - 1.0 - 5.0)
    assert controller.agent(B).state == agent_states.READY
    assert driver.calls == {}


def test_a_human_colleague_answers_the_consultation_from_the_desk():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(33)
    assert controller.consults[uid].answered is None
    controller.handle_message({"type": "call.answer", "agent_id": B, "call_uid": uid})
    clock.run_until(34)
    assert controller.consults[uid].answered == pytest.approx(33.0)
    assert controller.agent(B).state == agent_states.TALKING
    assert store.sent_to(B, "call.consult_answered")[0]["from_agent_id"] == A
    controller.handle_message({"type": "call.consult_complete", "agent_id": A, "call_uid": uid})
    assert controller.calls[uid].agent_id == B
    assert store.sent_to(B, "call.consult_completed")[0]["role"] == "target"
    # B now owns the call: their hang-up ends it, A's messages no longer act on it.
    controller.handle_message({"type": "call.hangup", "agent_id": A, "call_uid": uid})
    clock.run_until(40)
    assert controller.calls[uid].status == engine_state.TALKING
    controller.handle_message({"type": "call.hangup", "agent_id": B, "call_uid": uid})
    clock.run_until(41)
    assert store.finished[uid].agent_id == B
    assert store.finished[uid].ended_by == "agent"
    assert controller.agent(B).state == agent_states.WRAP_UP


def test_complete_before_the_colleague_answers_is_refused():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(32)
    controller.handle_message({"type": "call.consult_complete", "agent_id": A, "call_uid": uid})
    assert controller.calls[uid].agent_id == A
    assert controller.agent(B).state == agent_states.RESERVED
    assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "not_answered"


# --- cancel, failures ------------------------------------------------------------------------------


def test_cancel_returns_a_to_the_held_caller_and_frees_the_colleague():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    virtual(driver, controller, B, answer=2.0)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(40)
    controller.handle_message({"type": "call.consult_cancel", "agent_id": A, "call_uid": uid})
    call = controller.calls[uid]
    assert controller.consults == {}
    assert driver.consults == {}
    assert call.agent_id == A
    assert call.status == engine_state.HOLD  # still held: A resumes when ready
    assert controller.agent(A).state == agent_states.HOLD
    assert controller.agent(B).state == agent_states.READY
    assert controller.agent(B).call is None
    assert store.consult_log[-1] == ("consult_cancelled", A, B, "cancelled")
    assert store.sent_to(A, "call.consult_ended")[0]["reason"] == "cancelled"
    controller.handle_message({"type": "call.resume", "agent_id": A, "call_uid": uid})
    clock.run_until(41)
    assert call.status == engine_state.TALKING
    assert controller.agent(A).state == agent_states.TALKING
    assert call.hold_seconds == pytest.approx(10.0)


def test_resume_and_blind_transfer_wait_until_the_consultation_is_over():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(31)
    controller.handle_message({"type": "call.resume", "agent_id": A, "call_uid": uid})
    controller.handle_message(
        {"type": "call.transfer", "agent_id": A, "call_uid": uid, "queue_id": QUEUE, "target_agent_id": None}
    )
    clock.run_until(32)
    assert controller.calls[uid].status == engine_state.HOLD
    assert controller.calls[uid].agent_id == A
    assert store.sent_to(A, "call.transfer_failed")[0]["reason"] == "consulting"


def test_colleague_who_does_not_answer_is_rona_and_a_is_told():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    virtual(driver, controller, B, miss=1.0)  # lets it ring out
    consult(controller, uid, target_agent_id=B)
    clock.run_until(44.9)
    assert controller.agent(B).state == agent_states.RESERVED
    clock.run_until(45.1)  # the queue's 15 s ring timeout
    assert controller.consults == {}
    assert driver.consults == {}
    assert controller.agent(B).state == agent_states.NOT_READY
    assert controller.agent(B).reason == engine_state.REASON_MISSED
    assert controller.calls[uid].agent_id == A
    assert controller.calls[uid].status == engine_state.HOLD
    assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "rona"
    assert store.consult_log[-1] == ("consult_failed", A, B, "rona")


def test_colleague_who_rejects_is_ready_again():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(32)
    controller.handle_message({"type": "call.reject", "agent_id": B, "call_uid": uid})
    assert controller.agent(B).state == agent_states.READY
    assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "rejected"
    assert store.consult_log[-1] == ("consult_failed", A, B, "rejected")


def test_colleague_hanging_up_the_consultation_leaves_a_with_the_caller():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    virtual(driver, controller, B, answer=1.0)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(35)
    driver.hang_up_consult(uid)  # B hangs up on their phone
    assert controller.consults == {}
    assert controller.agent(B).state == agent_states.READY
    assert controller.calls[uid].agent_id == A
    assert store.sent_to(A, "call.consult_ended")[0]["reason"] == "target_hung_up"
    assert store.consult_log[-1] == ("consult_ended", A, B, "target_hung_up")


def test_unavailable_colleague_fails_at_once_and_changes_nothing():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B, ready=False)
    consult(controller, uid, target_agent_id=B)
    consult(controller, uid, target_agent_id=A)  # oneself
    consult(controller, uid, target_agent_id=999)  # unknown
    clock.run_until(31)
    assert [m["reason"] for m in store.sent_to(A, "call.consult_failed")] == ["agent_unavailable"] * 3
    assert controller.calls[uid].status == engine_state.TALKING  # never held
    assert controller.consults == {}
    assert store.consult_log == []


def test_unreachable_seat_fails_and_is_a_missed_offer():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    driver.unreachable_seats.add(B)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(31)
    assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "unreachable"
    assert controller.agent(B).state == agent_states.NOT_READY
    assert controller.calls[uid].status == engine_state.HOLD  # held when the consult began


def test_a_switch_without_consult_refuses_and_the_colleague_stays_routable():
    class NoConsultSim(SimDriver):
        consult = SwitchDriver.consult
        consult_complete = SwitchDriver.consult_complete
        consult_cancel = SwitchDriver.consult_cancel

    clock, driver, controller, store = build(driver_class=NoConsultSim)
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(31)
    assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "not_supported"
    assert controller.calls[uid].status == engine_state.TALKING
    assert controller.agent(B).state == agent_states.READY
    second = driver.inject(NUMBER, caller="13800000002")
    clock.run_until(32)
    assert controller.calls[second].ringing == (B,)  # B was given back to the ACD


# --- hang-ups during a consultation --------------------------------------------------------------


def test_caller_hanging_up_during_the_consultation_ends_everything_cleanly():
    clock, driver, controller, store = build(talk_with_human=40.0)  # the caller leaves at 41 s
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    virtual(driver, controller, B, answer=5.0)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(38)
    assert controller.agent(B).state == agent_states.TALKING
    clock.run_until(42)
    finished = store.finished[uid]
    assert finished.end_reason == CallEndReason.COMPLETED
    assert finished.ended_by == "caller"
    assert finished.agent_id == A
    assert finished.hold_seconds == pytest.approx(11.0)
    assert controller.consults == {}
    assert driver.consults == {}
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert controller.agent(B).state == agent_states.READY
    assert controller.agent(B).call is None
    assert store.consult_log[-1] == ("consult_ended", A, B, "caller")
    clock.run()
    assert driver.calls == {}
    assert controller.agent(A).state == agent_states.READY


def test_a_hanging_up_during_an_answered_consultation_completes_the_transfer():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    virtual(driver, controller, B, answer=2.0, talk=30.0)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(35)
    controller.handle_message({"type": "call.hangup", "agent_id": A, "call_uid": uid})
    clock.run_until(36)
    call = controller.calls[uid]
    assert call.agent_id == B
    assert call.status == engine_state.TALKING
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert store.consult_log[-1] == ("transferred", A, B, "attended", "first_agent_hung_up")
    clock.run()
    assert store.finished[uid].agent_id == B
    assert store.finished[uid].ended == pytest.approx(65.0)


def test_a_hanging_up_while_the_colleague_rings_becomes_a_blind_transfer_to_them():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(33)
    controller.handle_message({"type": "call.hangup", "agent_id": A, "call_uid": uid})
    clock.run_until(34)
    call = controller.calls[uid]
    assert call.status == engine_state.OFFERED
    assert call.ringing == (B,)
    assert controller.consults == {}
    assert controller.agent(B).state == agent_states.RESERVED
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert store.transfers == [(A, {"target_agent_id": B, "type": "blind", "reason": "first_agent_left"})]
    controller.handle_message({"type": "call.answer", "agent_id": B, "call_uid": uid})
    clock.run_until(35)
    assert call.status == engine_state.TALKING
    assert call.agent_id == B


# --- consulting a queue --------------------------------------------------------------------------


def test_consulting_a_queue_rings_the_agent_the_queue_picks():
    queues = [
        QueueSettings(queue_id=QUEUE, name="Support", wrapup_seconds=10),
        QueueSettings(queue_id=SALES, name="Sales", required={SALES_SKILL: 1}),
    ]
    clock, driver, controller, store = build(queues=queues)
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)  # no sales skill
    virtual(driver, controller, C, answer=2.0, skills={SALES_SKILL: 5})
    consult(controller, uid, queue_id=SALES)
    assert controller.consults[uid].agent_id == C
    assert store.consult_log == [("consult_started", A, C, SALES)]
    clock.run_until(33)
    assert controller.agent(C).state == agent_states.TALKING
    assert controller.agent(B).state == agent_states.READY
    assert controller.waiting(SALES) == 0  # the pick left nothing in the queue
    controller.handle_message({"type": "call.consult_complete", "agent_id": A, "call_uid": uid})
    assert controller.calls[uid].agent_id == C


def test_consulting_a_queue_without_a_ready_agent_fails_at_once():
    queues = [
        QueueSettings(queue_id=QUEUE, name="Support"),
        QueueSettings(queue_id=SALES, name="Sales", required={SALES_SKILL: 1}),
    ]
    clock, driver, controller, store = build(queues=queues)
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, queue_id=SALES)
    consult(controller, uid, queue_id=99)
    assert [m["reason"] for m in store.sent_to(A, "call.consult_failed")] == ["no_agent_available", "unknown_queue"]
    assert controller.waiting(SALES) == 0
    assert controller.agent(B).state == agent_states.READY


def test_colleague_logging_out_while_ringing_withdraws_the_consultation():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(32)
    controller.handle_message({"type": "agent.state", "agent_id": B, "state": "offline"})
    assert controller.agent(B).state == agent_states.OFFLINE
    assert controller.consults == {}
    assert driver.consults == {}
    assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "withdrawn"


# --- the CDR and agent states through the DbStore ------------------------------------------------


@pytest.fixture
def plant(acme):
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.create(name="consult test", channels=10)
        queue = Queue.objects.create(code="consult-test", name="Consult test", wrapup_seconds=20)
        number = PhoneNumber.objects.create(number="4009990002", trunk=trunk, queue=queue)
    first = make_agent(acme, state="ready")
    second = make_agent(acme, state="ready")
    return {"tenant": acme.tenant, "trunk": trunk, "queue": queue, "number": number, "a": first, "b": second}


def build_db(plant):
    clock = VirtualClock()
    caller = CallerBehaviour(talk_with_human=Duration(600, "fixed"))
    driver = SimDriver(clock, seed=5, caller=caller, default_trunk_id=plant["trunk"].pk)
    store = DbStore(plant["tenant"], clock)
    queue, number, sim_number = plant_routing(plant)
    controller = make_controller(clock=clock, driver=driver, store=store, queues=[queue], numbers=[number])
    driver.set_trunk(plant["trunk"].pk, plant["trunk"].channels)
    first, second = plant["a"].agent, plant["b"].agent
    controller.set_agent(AgentSettings(agent_id=first.pk, name="Ann", state=agent_states.READY))
    return clock, driver, controller, store, sim_number, first.pk, second.pk


def _db_talking(plant):
    clock, driver, controller, store, number, a, b = build_db(plant)
    uid = driver.inject(number, caller="13812345678")
    clock.run_until(1)
    controller.handle_message({"type": "call.answer", "agent_id": a, "call_uid": uid})
    clock.run_until(20)
    # B goes Ready after the caller reached A.
    controller.set_agent(AgentSettings(agent_id=b, name="Bob", state=agent_states.READY))
    controller.handle_message(
        {"type": "call.consult", "agent_id": a, "call_uid": uid, "queue_id": None, "target_agent_id": b}
    )
    clock.run_until(25)
    return clock, driver, controller, store, uid, a, b


def test_cdr_of_an_attended_transfer_names_both_agents(plant):
    with tenant_context(plant["tenant"]):
        clock, driver, controller, store, uid, a, b = _db_talking(plant)
        assert Agent.objects.get(pk=b).state == agent_states.RESERVED
        assert Agent.objects.get(pk=b).current_call.uid == uid
        controller.handle_message({"type": "call.answer", "agent_id": b, "call_uid": uid})
        clock.run_until(30)
        controller.handle_message({"type": "call.consult_complete", "agent_id": a, "call_uid": uid})
        clock.run_until(40)
        row = Call.objects.get(uid=uid)
        assert row.agent_id == b
        assert row.status == CallStatus.TALKING
        assert row.hold_seconds == pytest.approx(10.0, abs=0.01)
        controller.handle_message({"type": "call.hangup", "agent_id": b, "call_uid": uid})
        clock.run()
        row.refresh_from_db()
        events = [(e.kind, e.agent_id, e.data) for e in row.events.order_by("at", "id")]
        states_a = list(AgentStateEvent.objects.filter(agent_id=a).values_list("from_state", "to_state"))
        states_b = list(AgentStateEvent.objects.filter(agent_id=b).values_list("from_state", "to_state"))
        ann, bob = Agent.objects.get(pk=a), Agent.objects.get(pk=b)
    kinds = [kind for kind, _agent, _data in events]
    assert kinds == [
        "arrived",
        "queued",
        "offered",
        "answered",
        "consult_started",
        "held",
        "consult_answered",
        "resumed",
        "transferred",
        "ended",
        "wrapup_ended",
    ]
    consult_started = events[kinds.index("consult_started")]
    assert consult_started[1] == a
    assert consult_started[2]["target_agent_id"] == b
    assert events[kinds.index("consult_answered")][1] == b
    transferred = events[kinds.index("transferred")]
    assert transferred[1] == a
    assert transferred[2]["type"] == "attended"
    assert transferred[2]["target_agent_id"] == b
    assert transferred[2]["consult_seconds"] == pytest.approx(5.0)
    assert row.end_reason == CallEndReason.COMPLETED
    assert row.talk_seconds == pytest.approx(40.0 - 1.0 - 10.0, abs=0.01)
    assert states_a == [
        ("ready", "reserved"),
        ("reserved", "talking"),
        ("talking", "hold"),
        ("hold", "wrap_up"),
        ("wrap_up", "ready"),
    ]
    assert states_b == [("ready", "reserved"), ("reserved", "talking"), ("talking", "wrap_up"), ("wrap_up", "ready")]
    assert ann.state == bob.state == agent_states.READY
    assert ann.current_call_id is None and bob.current_call_id is None
    # Realtime: B's desk got the consultation with the caller's number, the wallboard the consult phases.
    (offer,) = [m for topic, m in store.published if topic == f"agent.{b}" and m["type"] == "call.consult_offer"]
    assert offer["caller"] == "13812345678"
    assert offer["from_agent_name"] == "Ann"
    assert "customer" in offer
    phases = [m["phase"] for topic, m in store.published if topic == "wallboard" and m["type"] == "agent.consult"]
    assert phases == ["ringing", "talking", "completed"]


def test_cdr_of_a_cancelled_consultation(plant):
    with tenant_context(plant["tenant"]):
        clock, driver, controller, store, uid, a, b = _db_talking(plant)
        controller.handle_message({"type": "call.consult_cancel", "agent_id": a, "call_uid": uid})
        clock.run_until(26)
        row = Call.objects.get(uid=uid)
        kinds = list(row.events.values_list("kind", flat=True))
        bob = Agent.objects.get(pk=b)
        states_b = list(AgentStateEvent.objects.filter(agent_id=b).values_list("from_state", "to_state"))
    assert kinds[-3:] == ["consult_started", "held", "consult_cancelled"]
    assert row.agent_id == a
    assert row.status == CallStatus.HOLD
    assert bob.state == agent_states.READY
    assert bob.current_call_id is None
    assert states_b == [("ready", "reserved"), ("reserved", "ready")]


def test_cdr_when_the_caller_hangs_up_during_an_answered_consultation(plant):
    with tenant_context(plant["tenant"]):
        clock, driver, controller, store, uid, a, b = _db_talking(plant)
        controller.handle_message({"type": "call.answer", "agent_id": b, "call_uid": uid})
        clock.run_until(30)
        assert Agent.objects.get(pk=b).state == agent_states.TALKING
        driver.hangup(uid, "caller")  # the switch reports the caller gone
        clock.run_until(31)
        row = Call.objects.get(uid=uid)
        events = [(e.kind, e.agent_id, e.data) for e in row.events.order_by("at", "id")]
        ann, bob = Agent.objects.get(pk=a), Agent.objects.get(pk=b)
    kinds = [kind for kind, _agent, _data in events]
    assert kinds[4:] == ["consult_started", "held", "consult_answered", "consult_ended", "ended"]
    (ended,) = [event for event in events if event[0] == "consult_ended"]
    assert ended[1] == b
    assert ended[2] == {"from_agent_id": a, "reason": "caller"}
    assert row.agent_id == a
    assert row.end_reason == CallEndReason.COMPLETED
    assert row.hold_seconds == pytest.approx(10.0, abs=0.01)  # held from 20 s until the caller left at 30 s
    assert ann.state == agent_states.WRAP_UP
    assert bob.state == agent_states.READY
    assert bob.current_call_id is None


def test_a_reloaded_desk_finds_the_consultation_again(plant):
    """The desk's snapshot (a page reload mid-consultation) carries the consult panel's state, read
    back from the call's timeline: who consults whom, and whether the colleague answered."""
    from apps.telephony.selectors.wallboard import agent_desktop_snapshot

    with tenant_context(plant["tenant"]):
        clock, driver, controller, store, uid, a, b = _db_talking(plant)
        ann, bob = Agent.objects.get(pk=a), Agent.objects.get(pk=b)
        names = {a: ann.user.get_full_name(), b: bob.user.get_full_name()}
        ringing_a = agent_desktop_snapshot(ann)["call"]["consult"]
        ringing_b = agent_desktop_snapshot(bob)["call"]["consult"]
        controller.handle_message({"type": "call.answer", "agent_id": b, "call_uid": uid})
        clock.run_until(30)
        talking_a = agent_desktop_snapshot(ann)["call"]["consult"]
        talking_b = agent_desktop_snapshot(bob)["call"]["consult"]
        controller.handle_message({"type": "call.consult_complete", "agent_id": a, "call_uid": uid})
        clock.run_until(40)
        after_b = agent_desktop_snapshot(Agent.objects.get(pk=b))["call"]
    assert ringing_a == {"role": "first", "name": names[b], "answered": False}
    assert ringing_b == {"role": "target", "name": names[a], "answered": False}
    assert talking_a == {"role": "first", "name": names[b], "answered": True}
    assert talking_b == {"role": "target", "name": names[a], "answered": True}
    assert after_b["call_uid"] == uid and after_b["consult"] is None  # B owns the call now


def test_a_reloaded_desk_shows_no_consultation_once_it_is_cancelled(plant):
    from apps.telephony.selectors.wallboard import agent_desktop_snapshot

    with tenant_context(plant["tenant"]):
        clock, driver, controller, store, uid, a, b = _db_talking(plant)
        controller.handle_message({"type": "call.consult_cancel", "agent_id": a, "call_uid": uid})
        clock.run_until(26)
        snapshot = agent_desktop_snapshot(Agent.objects.get(pk=a))["call"]
    assert snapshot["call_uid"] == uid and snapshot["consult"] is None
