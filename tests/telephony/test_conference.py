"""Three-way conference: the call controller on the simulated switch (virtual clock), then the CDR
timeline and agent states through the DbStore.

A has the caller and consults B; "Conference" joins the caller, A and B (controller/conferences.py).
"""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.telephony import agent_states
from apps.telephony.choices import CallEndReason, CallStatus
from apps.telephony.engine import state as engine_state
from apps.telephony.engine.drivers.base import SwitchDriver
from apps.telephony.models import Agent, AgentStateEvent, Call
from tests.telephony.test_attended_transfer import (
    A,
    B,
    _db_talking,
    a_talking,
    build,
    consult,
    human,
    plant,  # noqa: F401 -- the fixture
    virtual,
)


def conference_of_three(*, colleague_virtual=False, talk_with_human=300.0):
    """A talks with the caller from 1 s, consults B at 30 s, B answers at 34 s, A conferences at 35 s."""
    clock, driver, controller, store = build(talk_with_human=talk_with_human)
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    if colleague_virtual:
        virtual(driver, controller, B, answer=4.0, talk=600.0)
    else:
        human(controller, B)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(34)
    if not colleague_virtual:
        controller.handle_message({"type": "call.answer", "agent_id": B, "call_uid": uid})
    clock.run_until(35)
    assert controller.agent(B).state == agent_states.TALKING
    controller.handle_message({"type": "call.conference", "agent_id": A, "call_uid": uid})
    return clock, driver, controller, store, uid


def kinds(store, uid):
    return [kind for event_uid, kind, _data in store.events if event_uid == uid and kind.startswith("conference_")]


def test_conference_joins_caller_host_and_colleague():
    clock, driver, controller, store, uid = conference_of_three()
    call = controller.calls[uid]
    assert call.status == engine_state.TALKING  # the caller left hold
    assert call.agent_id == A
    assert call.hold_seconds == pytest.approx(5.0)  # held from 30 s to 35 s
    assert controller.agent(A).state == agent_states.TALKING
    assert controller.agent(B).state == agent_states.TALKING  # both agents are on the call
    assert controller.agent(B).call is call
    assert controller.consults == {}
    assert uid in controller.conferences.conferences
    assert driver.conferences == {uid: B}
    assert not driver.calls[uid].held
    assert kinds(store, uid) == ["conference_started", "conference_party_joined"]
    (started_a,) = store.sent_to(A, "call.conference_started")
    (started_b,) = store.sent_to(B, "call.conference_started")
    parties = [
        {"agent_id": A, "name": f"Agent {A}", "role": "host"},
        {"agent_id": B, "name": f"Agent {B}", "role": "member"},
    ]
    assert started_a["role"] == "host" and started_a["parties"] == parties
    assert started_b["role"] == "member" and started_b["parties"] == parties


def test_conference_without_a_consultation_is_refused_with_a_reason():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    controller.handle_message({"type": "call.conference", "agent_id": A, "call_uid": uid})
    (failed,) = store.sent_to(A, "call.conference_failed")
    assert failed["reason"] == "no_consultation"
    assert controller.conferences.conferences == {}
    assert controller.calls[uid].status == engine_state.TALKING
    assert kinds(store, uid) == []


def test_conference_while_the_colleague_still_rings_is_refused():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, target_agent_id=B)
    clock.run_until(31)
    controller.handle_message({"type": "call.conference", "agent_id": A, "call_uid": uid})
    (failed,) = store.sent_to(A, "call.conference_failed")
    assert failed["reason"] == "not_answered"
    assert uid in controller.consults  # the consultation goes on
    assert controller.agent(B).state == agent_states.RESERVED


def test_the_colleague_cannot_start_the_conference():
    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, target_agent_id=B)
    controller.handle_message({"type": "call.answer", "agent_id": B, "call_uid": uid})
    clock.run_until(31)
    controller.handle_message({"type": "call.conference", "agent_id": B, "call_uid": uid})
    assert store.sent_to(B, "call.conference_failed")[0]["reason"] == "no_consultation"
    assert controller.conferences.conferences == {}


def test_a_switch_without_conference_refuses_and_the_consultation_goes_on():
    class NoConference(SwitchDriver):
        pass

    clock, driver, controller, store = build()
    human(controller, A)
    uid = a_talking(clock, driver, controller)
    human(controller, B)
    consult(controller, uid, target_agent_id=B)
    controller.handle_message({"type": "call.answer", "agent_id": B, "call_uid": uid})
    clock.run_until(31)
    driver.conference = lambda uid: SwitchDriver.conference(driver, uid)  # the interface's default
    controller.handle_message({"type": "call.conference", "agent_id": A, "call_uid": uid})
    assert store.sent_to(A, "call.conference_failed")[0]["reason"] == "not_supported"
    assert uid in controller.consults
    assert NoConference.conference is SwitchDriver.conference


def test_colleague_leaving_from_the_desk_returns_to_a_two_party_call():
    clock, driver, controller, store, uid = conference_of_three()
    clock.run_until(50)
    controller.handle_message({"type": "call.conference_leave", "agent_id": B, "call_uid": uid})
    call = controller.calls[uid]
    assert call.agent_id == A and call.status == engine_state.TALKING
    assert controller.agent(A).state == agent_states.TALKING
    assert controller.agent(B).state == agent_states.READY
    assert controller.agent(B).call is None
    assert controller.conferences.conferences == {} and driver.conferences == {}
    assert kinds(store, uid) == [
        "conference_started",
        "conference_party_joined",
        "conference_party_left",
        "conference_ended",
    ]
    left = [data for event_uid, kind, data in store.events if kind == "conference_party_left"]
    assert left == [{"reason": "left"}]
    assert store.sent_to(A, "call.conference_ended")[0]["reason"] == "left"
    assert store.sent_to(B, "call.conference_ended")[0]["role"] == "member"


def test_colleague_hanging_up_on_the_phone_returns_to_a_two_party_call():
    clock, driver, controller, store, uid = conference_of_three()
    driver.hang_up_conference(uid)
    assert controller.calls[uid].agent_id == A
    assert controller.agent(B).state == agent_states.READY
    assert [data for _u, kind, data in store.events if kind == "conference_party_left"] == [{"reason": "hung_up"}]


def test_colleague_hang_up_button_leaves_the_conference():
    clock, driver, controller, store, uid = conference_of_three()
    controller.handle_message({"type": "call.hangup", "agent_id": B, "call_uid": uid})
    assert controller.calls[uid].agent_id == A
    assert controller.agent(B).state == agent_states.READY
    assert controller.agent(A).state == agent_states.TALKING


def test_host_drops_the_colleague():
    clock, driver, controller, store, uid = conference_of_three()
    controller.handle_message({"type": "call.conference_drop", "agent_id": A, "call_uid": uid})
    assert controller.agent(B).state == agent_states.READY
    assert controller.calls[uid].agent_id == A
    assert [data for _u, kind, data in store.events if kind == "conference_ended"] == [{"reason": "dropped"}]


def test_only_the_host_may_drop_or_end():
    clock, driver, controller, store, uid = conference_of_three()
    controller.handle_message({"type": "call.conference_drop", "agent_id": B, "call_uid": uid})
    controller.handle_message({"type": "call.conference_end", "agent_id": B, "call_uid": uid})
    assert [m["reason"] for m in store.sent_to(B, "call.conference_failed")] == ["not_in_conference"] * 2
    assert uid in controller.conferences.conferences


def test_host_leaving_hands_the_caller_to_the_colleague():
    clock, driver, controller, store, uid = conference_of_three(talk_with_human=600.0)
    clock.run_until(60)
    controller.handle_message({"type": "call.conference_leave", "agent_id": A, "call_uid": uid})
    call = controller.calls[uid]
    assert call.agent_id == B
    assert call.agents_served == [A, B]
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert controller.agent(B).state == agent_states.TALKING
    assert driver.calls[uid].agent_id == B and driver.conferences == {}
    assert store.consult_log[-1] == ("transferred", A, B, "conference", "left")
    assert [m["by"] for m in store.sent_to(A, "call.ended")] == ["transfer"]
    assert store.sent_to(B, "call.conference_ended")[0]["role"] == "agent"
    controller.handle_message({"type": "call.hangup", "agent_id": B, "call_uid": uid})
    clock.run_until(62)
    assert store.finished[uid].agent_id == B
    assert controller.agent(B).state == agent_states.WRAP_UP


@pytest.mark.parametrize("how", ["desk", "phone"])
def test_host_hanging_up_keeps_caller_and_colleague_connected(how):
    clock, driver, controller, store, uid = conference_of_three()
    if how == "desk":
        controller.handle_message({"type": "call.hangup", "agent_id": A, "call_uid": uid})
    else:
        driver.hangup(uid, "agent")  # the switch reports the host's leg gone (on_hung_up "agent")
    clock.run_until(36)
    assert controller.calls[uid].agent_id == B
    assert driver.calls[uid].agent_id == B
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert controller.agent(B).state == agent_states.TALKING
    reasons = [data["reason"] for _u, kind, data in store.events if kind == "conference_party_left"]
    assert reasons == ["left" if how == "desk" else "hung_up"]


def test_host_ends_the_conference_for_everyone():
    clock, driver, controller, store, uid = conference_of_three()
    controller.handle_message({"type": "call.conference_end", "agent_id": A, "call_uid": uid})
    clock.run_until(36)
    assert uid not in controller.calls
    assert uid not in driver.calls  # the caller's leg is hung up too
    assert store.finished[uid].agent_id == A
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert controller.agent(B).state == agent_states.READY
    assert [data for _u, kind, data in store.events if kind == "conference_ended"] == [{"reason": "ended"}]


def test_caller_hanging_up_ends_the_conference():
    clock, driver, controller, store, uid = conference_of_three()
    driver.hangup(uid, "caller")
    clock.run_until(36)
    assert uid not in controller.calls
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert controller.agent(B).state == agent_states.READY
    assert controller.conferences.conferences == {} and driver.conferences == {}
    assert [data for _u, kind, data in store.events if kind == "conference_ended"] == [{"reason": "caller_hung_up"}]


def test_the_switch_losing_the_colleague_returns_to_a_two_party_call():
    clock, driver, controller, store, uid = conference_of_three()
    driver.conferences.pop(uid)
    controller.on_conference_left(uid, B, "system")  # as a switch reports a lost leg
    assert controller.calls[uid].agent_id == A
    assert controller.agent(B).state == agent_states.READY
    assert [d for _u, kind, d in store.events if kind == "conference_party_left"] == [{"reason": "system"}]


def test_a_supervisor_releasing_the_call_ends_the_conference():
    clock, driver, controller, store, uid = conference_of_three()
    controller.handle_message({"type": "call.release", "supervisor_user_id": 7, "call_uid": uid})
    clock.run_until(36)
    assert uid not in controller.calls and uid not in driver.calls
    assert controller.agent(B).state == agent_states.READY
    assert controller.agent(A).state == agent_states.WRAP_UP
    assert controller.conferences.conferences == {} and driver.conferences == {}


def test_no_hold_consult_or_transfer_during_a_conference():
    clock, driver, controller, store, uid = conference_of_three()
    controller.handle_message({"type": "call.hold", "agent_id": A, "call_uid": uid})
    clock.run_until(36)
    assert controller.calls[uid].status == engine_state.TALKING
    consult(controller, uid, target_agent_id=B)
    assert store.sent_to(A, "call.consult_failed")[-1]["reason"] == "in_conference"
    controller.handle_message(
        {"type": "call.transfer", "agent_id": A, "call_uid": uid, "queue_id": 1, "target_agent_id": None}
    )
    assert store.sent_to(A, "call.transfer_failed")[-1]["reason"] == "consulting"
    assert controller.calls[uid].agent_id == A


def test_a_virtual_colleague_in_a_conference():
    clock, driver, controller, store, uid = conference_of_three(colleague_virtual=True)
    assert controller.agent(B).state == agent_states.TALKING
    controller.handle_message({"type": "call.conference_leave", "agent_id": A, "call_uid": uid})
    clock.run()  # the virtual colleague talks its course, then hangs up
    assert store.finished[uid].agent_id == B
    assert store.finished[uid].end_reason == CallEndReason.COMPLETED


# --- the CDR timeline and agent states through the DbStore -------------------------------------------


def _db_conference(planted):
    clock, driver, controller, store, uid, a, b = _db_talking(planted)  # consulting from 20 s
    controller.handle_message({"type": "call.answer", "agent_id": b, "call_uid": uid})
    clock.run_until(30)
    controller.handle_message({"type": "call.conference", "agent_id": a, "call_uid": uid})
    clock.run_until(40)
    return clock, driver, controller, store, uid, a, b


def test_cdr_timeline_of_a_conference_the_colleague_leaves(plant):  # noqa: F811 -- the fixture
    with tenant_context(plant["tenant"]):
        clock, driver, controller, store, uid, a, b = _db_conference(plant)
        ann, bob = Agent.objects.get(pk=a), Agent.objects.get(pk=b)
        assert ann.state == bob.state == agent_states.TALKING
        assert ann.current_call.uid == bob.current_call.uid == uid
        row = Call.objects.get(uid=uid)
        assert row.status == CallStatus.TALKING
        controller.handle_message({"type": "call.conference_leave", "agent_id": b, "call_uid": uid})
        clock.run_until(50)
        controller.handle_message({"type": "call.hangup", "agent_id": a, "call_uid": uid})
        clock.run()
        row.refresh_from_db()
        events = [(e.kind, e.agent_id, e.data) for e in row.events.order_by("at", "id")]
        states_b = list(AgentStateEvent.objects.filter(agent_id=b).values_list("from_state", "to_state"))
        ann, bob = Agent.objects.get(pk=a), Agent.objects.get(pk=b)
    names = [kind for kind, _agent, _data in events]
    assert names[4:] == [
        "consult_started",
        "held",
        "consult_answered",
        "consult_ended",  # the consultation became the conference
        "resumed",
        "conference_started",
        "conference_party_joined",
        "conference_party_left",
        "conference_ended",
        "ended",
        "wrapup_ended",
    ]
    by_kind = {kind: (agent, data) for kind, agent, data in events}
    assert by_kind["conference_started"][0] == a
    assert by_kind["conference_started"][1]["target_agent_id"] == b
    assert by_kind["conference_party_joined"][0] == b
    assert by_kind["conference_party_left"] == (b, {"reason": "left"})
    assert by_kind["consult_ended"] == (b, {"from_agent_id": a, "reason": "conference"})
    # The wallboard's consult phases end as the conference starts.
    phases = [m["phase"] for topic, m in store.published if topic == "wallboard" and m["type"] == "agent.consult"]
    assert phases == ["ringing", "talking", "ended"]
    assert row.agent_id == a
    assert row.hold_seconds == pytest.approx(10.0, abs=0.01)
    assert row.end_reason == CallEndReason.COMPLETED
    assert states_b == [("ready", "reserved"), ("reserved", "talking"), ("talking", "ready")]
    assert bob.current_call_id is None and bob.state == agent_states.READY


def test_cdr_of_a_conference_the_host_leaves_names_the_colleague(plant):  # noqa: F811 -- the fixture
    with tenant_context(plant["tenant"]):
        clock, driver, controller, store, uid, a, b = _db_conference(plant)
        controller.handle_message({"type": "call.conference_leave", "agent_id": a, "call_uid": uid})
        clock.run_until(45)
        row = Call.objects.get(uid=uid)
        assert row.agent_id == b
        ann, bob = Agent.objects.get(pk=a), Agent.objects.get(pk=b)
        assert ann.state == agent_states.WRAP_UP and bob.state == agent_states.TALKING
        controller.handle_message({"type": "call.hangup", "agent_id": b, "call_uid": uid})
        clock.run()
        row.refresh_from_db()
        kinds_ = list(row.events.order_by("at", "id").values_list("kind", flat=True))
        transferred = row.events.get(kind="transferred")
    assert kinds_[-6:] == [
        "conference_party_joined",
        "conference_party_left",
        "conference_ended",
        "transferred",
        "ended",
        "wrapup_ended",
    ]
    assert transferred.agent_id == a
    assert transferred.data["type"] == "conference"
    assert transferred.data["target_agent_id"] == b
    assert row.agent_id == b


def test_a_reloaded_desk_finds_the_conference_again(plant):  # noqa: F811 -- the fixture
    from apps.telephony.selectors.wallboard import agent_desktop_snapshot

    with tenant_context(plant["tenant"]):
        clock, driver, controller, store, uid, a, b = _db_conference(plant)
        ann, bob = Agent.objects.get(pk=a), Agent.objects.get(pk=b)
        snap_a = agent_desktop_snapshot(ann)["call"]
        snap_b = agent_desktop_snapshot(bob)["call"]
        controller.handle_message({"type": "call.conference_drop", "agent_id": a, "call_uid": uid})
        clock.run_until(45)
        after_a = agent_desktop_snapshot(Agent.objects.get(pk=a))["call"]
    assert snap_a["consult"] is None and snap_b["consult"] is None
    assert snap_a["conference"]["role"] == "host"
    assert snap_b["conference"]["role"] == "member"
    assert [p["agent_id"] for p in snap_a["conference"]["parties"]] == [a, b]
    assert after_a["conference"] is None


def test_the_call_page_timeline_shows_the_conference_in_words(acme, plant):  # noqa: F811 -- the fixture
    from tests.accounts.helpers import web_login

    with tenant_context(plant["tenant"]):
        clock, driver, controller, store, uid, a, b = _db_conference(plant)
        controller.handle_message({"type": "call.conference_drop", "agent_id": a, "call_uid": uid})
        clock.run_until(45)
        bob = Agent.objects.select_related("user").get(pk=b).user.get_full_name()
    with tenant_context(acme.tenant):
        supervisor = acme.user("supervisor")
    client = web_login(acme, supervisor.email)
    page = client.get(f"/calls/{uid}/").content.decode()
    timeline = page[page.index('class="timeline"') :]
    assert "Conference started" in timeline
    assert f"with the caller and {bob}" in timeline
    assert "Joined the conference" in timeline and "Left the conference" in timeline
    assert "Conference ended" in timeline and "dropped by the first agent" in timeline
    assert ">conference_" not in timeline and "target_agent_id" not in timeline  # words, not codes
