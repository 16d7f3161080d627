"""Consulting an outside number, and a three-way conference with it: the call controller on the
simulated switch (virtual clock), then the CDR timeline through the DbStore.

A has the caller and consults 13900001111 (the sim's number answers after 2 s); "Conference" joins
the caller, A and the number (controller/consultations.py, controller/conferences.py).
"""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.telephony import agent_states
from apps.telephony.choices import CallEndReason
from apps.telephony.engine import state as engine_state
from apps.telephony.engine.drivers.base import OUTSIDE_PARTY
from apps.telephony.models import Agent, Call
from apps.telephony.selectors.calls import call_timeline_entries
from tests.telephony.test_attended_transfer import (
    A,
    build,
    build_db,
    human,
    plant,  # noqa: F401 -- the fixture
)
from tests.telephony.test_attended_transfer import (
    a_talking as _a_talking,
)

NUMBER = "13900001111"


def consult_number(controller, uid, number=NUMBER):
    controller.handle_message(
        {
            "type": "call.consult",
            "agent_id": A,
            "call_uid": uid,
            "queue_id": None,
            "target_agent_id": None,
            "number": number,
        }
    )


def a_talking():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = _a_talking(clock, driver, controller)
    return clock, driver, controller, store, uid


def consult_events(store, uid):
    return [(kind, data) for event_uid, kind, data in store.events if event_uid == uid and kind.startswith("consult_")]


def test_the_number_answers_after_a_short_ring_the_caller_held():
    clock, driver, controller, store, uid = a_talking()
    consult_number(controller, uid)
    assert driver.consulted_numbers == [(uid, NUMBER)]
    assert driver.trunks[1].busy == 2  # the number's leg takes a channel of the call's trunk
    (started,) = store.sent_to(A, "call.consult_started")
    assert started["agent_id"] is None and started["agent_name"] == NUMBER
    clock.run_until(31)
    assert controller.calls[uid].status == engine_state.HOLD
    assert controller.consults[uid].answered is None
    clock.run_until(33)
    assert controller.consults[uid].answered == pytest.approx(32.0)
    (answered,) = store.sent_to(A, "call.consult_answered")
    assert answered["agent_name"] == NUMBER
    assert consult_events(store, uid) == [
        ("consult_started", {"number": NUMBER}),
        ("consult_answered", {"number": NUMBER}),
    ]
    assert controller.calls[uid].status == engine_state.HOLD  # held until complete, cancel or conference


@pytest.mark.parametrize("outcome", ["busy", "unreachable"])
def test_a_busy_or_unreachable_number_fails_back_to_the_agent(outcome):
    clock, driver, controller, store, uid = a_talking()
    driver.consult_number_outcomes[NUMBER] = outcome
    consult_number(controller, uid)
    clock.run_until(40)
    (failed,) = store.sent_to(A, "call.consult_failed")
    assert failed["reason"] == outcome
    assert controller.consults == {}
    call = controller.calls[uid]
    assert call.status == engine_state.HOLD and call.agent_id == A  # the caller still held with A
    assert driver.trunks[1].busy == 1  # the number's channel is free again
    assert consult_events(store, uid)[-1] == ("consult_failed", {"number": NUMBER, "reason": outcome})
    controller.handle_message({"type": "call.resume", "agent_id": A, "call_uid": uid})
    clock.run_until(41)
    assert controller.calls[uid].status == engine_state.TALKING


def test_a_number_that_does_not_answer_times_out():
    clock, driver, controller, store, uid = a_talking()
    driver.consult_number_outcomes[NUMBER] = "no_answer"
    consult_number(controller, uid)
    clock.run_until(59)
    assert uid in controller.consults
    clock.run_until(61)  # 30 s of ringing
    assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "no_answer"
    assert driver.consults == {} and driver.trunks[1].busy == 1
    assert controller.calls[uid].status == engine_state.HOLD


def test_a_full_trunk_refuses_the_number():
    clock, driver, controller, store, uid = a_talking()
    driver.set_trunk(1, 1)  # the caller holds the only channel
    consult_number(controller, uid)
    clock.run_until(31)
    assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "blocked"
    assert driver.trunks[1].blocked == 1 and driver.trunks[1].busy == 1


def test_cancel_hangs_the_number_up_and_keeps_the_caller():
    clock, driver, controller, store, uid = a_talking()
    consult_number(controller, uid)
    clock.run_until(35)
    controller.handle_message({"type": "call.consult_cancel", "agent_id": A, "call_uid": uid})
    assert controller.consults == {} and driver.consults == {}
    assert driver.trunks[1].busy == 1
    assert store.sent_to(A, "call.consult_ended")[0]["reason"] == "cancelled"
    assert consult_events(store, uid)[-1] == ("consult_cancelled", {"number": NUMBER, "reason": "cancelled"})
    assert controller.calls[uid].agent_id == A


def test_the_number_hanging_up_ends_the_consultation():
    clock, driver, controller, store, uid = a_talking()
    consult_number(controller, uid)
    clock.run_until(35)
    driver.hang_up_consult(uid)
    assert store.sent_to(A, "call.consult_ended")[0]["reason"] == "number_hung_up"
    assert controller.calls[uid].status == engine_state.HOLD


def test_complete_hands_the_caller_to_the_number():
    clock, driver, controller, store, uid = a_talking()
    consult_number(controller, uid)
    clock.run_until(35)
    controller.handle_message({"type": "call.consult_complete", "agent_id": A, "call_uid": uid})
    clock.run_until(36)
    assert uid not in controller.calls and uid not in driver.calls  # gone from this switch, as a blind transfer
    finished = store.finished[uid]
    assert finished.end_reason == engine_state.END_TRANSFERRED
    assert store.transfers[-1] == (A, {"number": NUMBER, "type": "attended", "how": "complete", "consult_seconds": 3.0})
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert store.sent_to(A, "call.ended")[-1]["by"] == "transfer"
    assert driver.trunks[1].busy == 0


def test_complete_before_the_number_answers_is_refused():
    clock, driver, controller, store, uid = a_talking()
    consult_number(controller, uid)
    controller.handle_message({"type": "call.consult_complete", "agent_id": A, "call_uid": uid})
    assert store.sent_to(A, "call.consult_failed")[0]["reason"] == "not_answered"
    assert uid in controller.consults


def test_first_agent_hanging_up_while_the_number_rings_ends_the_call():
    clock, driver, controller, store, uid = a_talking()
    consult_number(controller, uid)
    clock.run_until(31)
    controller.handle_message({"type": "call.hangup", "agent_id": A, "call_uid": uid})
    clock.run_until(40)
    assert uid not in controller.calls
    assert store.finished[uid].end_reason != engine_state.END_TRANSFERRED
    assert driver.number_legs == {} and driver.trunks[1].busy == 0


def conference_with_number():
    clock, driver, controller, store, uid = a_talking()
    consult_number(controller, uid)
    clock.run_until(35)
    controller.handle_message({"type": "call.conference", "agent_id": A, "call_uid": uid})
    return clock, driver, controller, store, uid


def conference_kinds(store, uid):
    return [
        (kind, data) for event_uid, kind, data in store.events if event_uid == uid and kind.startswith("conference_")
    ]


def test_conference_with_the_number():
    clock, driver, controller, store, uid = conference_with_number()
    call = controller.calls[uid]
    assert call.status == engine_state.TALKING and call.agent_id == A
    assert call.hold_seconds == pytest.approx(5.0)
    assert driver.conferences == {uid: OUTSIDE_PARTY}
    assert driver.trunks[1].busy == 2  # the number's leg stays up in the conference
    (started,) = store.sent_to(A, "call.conference_started")
    assert started["parties"] == [
        {"agent_id": A, "name": f"Agent {A}", "role": "host"},
        {"agent_id": None, "name": NUMBER, "role": "member", "number": NUMBER},
    ]
    kinds = conference_kinds(store, uid)
    assert kinds[0][0] == "conference_started" and kinds[0][1]["number"] == NUMBER
    assert kinds[1] == ("conference_party_joined", {"number": NUMBER, "from_agent_id": A})


def test_dropping_the_number_returns_to_two_parties():
    clock, driver, controller, store, uid = conference_with_number()
    controller.handle_message({"type": "call.conference_drop", "agent_id": A, "call_uid": uid})
    assert controller.conferences.conferences == {} and driver.conferences == {}
    assert driver.trunks[1].busy == 1
    assert conference_kinds(store, uid)[-2:] == [
        ("conference_party_left", {"number": NUMBER, "reason": "dropped"}),
        ("conference_ended", {"reason": "dropped"}),
    ]
    call = controller.calls[uid]
    assert call.status == engine_state.TALKING and call.agent_id == A


def test_the_number_hanging_up_leaves_the_conference():
    clock, driver, controller, store, uid = conference_with_number()
    driver.hang_up_conference(uid)
    assert controller.conferences.conferences == {}
    assert conference_kinds(store, uid)[-2][1] == {"number": NUMBER, "reason": "hung_up"}
    assert controller.calls[uid].agent_id == A


def test_the_host_leaving_hands_the_caller_to_the_number():
    clock, driver, controller, store, uid = conference_with_number()
    clock.run_until(45)
    controller.handle_message({"type": "call.conference_leave", "agent_id": A, "call_uid": uid})
    clock.run_until(46)
    assert uid not in controller.calls and uid not in driver.calls
    assert store.finished[uid].end_reason == engine_state.END_TRANSFERRED
    from_agent, data = store.transfers[-1]
    assert from_agent == A and data["number"] == NUMBER and data["type"] == "conference"
    assert data["conference_seconds"] == pytest.approx(10.0)
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert driver.trunks[1].busy == 0


def test_end_for_everyone_hangs_up_the_number_and_the_caller():
    clock, driver, controller, store, uid = conference_with_number()
    controller.handle_message({"type": "call.conference_end", "agent_id": A, "call_uid": uid})
    clock.run_until(60)
    assert uid not in controller.calls
    assert store.finished[uid].end_reason != engine_state.END_TRANSFERRED
    assert driver.trunks[1].busy == 0 and driver.number_legs == {}


def test_the_caller_hanging_up_ends_the_conference():
    clock, driver, controller, store, uid = conference_with_number()
    clock.run_until(400)  # the sim's caller hangs up after 300 s of talk with a human
    assert uid not in controller.calls
    assert conference_kinds(store, uid)[-1][0] == "conference_ended"
    assert driver.trunks[1].busy == 0 and driver.number_legs == {}


# --- the CDR timeline through the DbStore ------------------------------------------------------------


def test_cdr_timeline_names_the_number(plant):  # noqa: F811 -- the fixture
    with tenant_context(plant["tenant"]):
        clock, driver, controller, store, number, a, _b = build_db(plant)
        uid = driver.inject(number, caller="13812345678")
        clock.run_until(1)
        controller.handle_message({"type": "call.answer", "agent_id": a, "call_uid": uid})
        clock.run_until(20)
        controller.handle_message(
            {
                "type": "call.consult",
                "agent_id": a,
                "call_uid": uid,
                "queue_id": None,
                "target_agent_id": None,
                "number": NUMBER,
            }
        )
        clock.run_until(25)
        controller.handle_message({"type": "call.conference", "agent_id": a, "call_uid": uid})
        clock.run_until(35)
        controller.handle_message({"type": "call.conference_leave", "agent_id": a, "call_uid": uid})
        clock.run_until(40)
        row = Call.objects.get(uid=uid)
        events = [(e.kind, e.agent_id, e.data) for e in row.events.order_by("at", "id")]
        ann = Agent.objects.get(pk=a)
        words = {entry.kind: (entry.agent, entry.detail) for entry in call_timeline_entries(call=row)}
    # The call page's timeline in words names the number.
    assert words["consult_started"][1] == f"with {NUMBER}"
    assert words["conference_started"][1] == f"with the caller and {NUMBER}"
    assert words["conference_party_joined"][0] == NUMBER
    assert words["transferred"][1] == f"to {NUMBER}"
    names = [kind for kind, _agent, _data in events]
    assert names[4:] == [
        "consult_started",
        "held",
        "consult_answered",
        "consult_ended",
        "resumed",
        "conference_started",
        "conference_party_joined",
        "conference_party_left",
        "conference_ended",
        "transferred",
        "ended",
    ]
    by_kind = {kind: (agent, data) for kind, agent, data in events}
    assert by_kind["consult_started"] == (a, {"number": NUMBER})
    assert by_kind["consult_ended"] == (a, {"number": NUMBER, "reason": "conference"})
    assert by_kind["conference_party_joined"] == (None, {"number": NUMBER, "from_agent_id": a})
    assert by_kind["transferred"][1]["number"] == NUMBER
    assert row.end_reason == CallEndReason.TRANSFERRED
    assert ann.state == agent_states.WRAP_UP
