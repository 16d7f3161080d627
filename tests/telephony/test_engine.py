"""The call controller on the virtual clock, driven by the simulated switch.

Most tests need no database: a MemoryStore subclass records what the controller reported.
The CDR tests run the same controller with the DbStore on the acme session tenant.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.telephony import agent_states
from apps.telephony.choices import CallEndReason, CallStatus
from apps.telephony.engine import state as engine_state
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, CustomerInfo, NumberSettings, QueueSettings
from apps.telephony.engine.dbstore import DbStore
from apps.telephony.engine.drivers.sim import CallerBehaviour, Duration, SimDriver, SimNumber, VirtualAgentBehaviour
from apps.telephony.models import Agent, AgentStateEvent, Call, PhoneNumber, Queue, Trunk
from tests.recording_store import RecordingStore
from tests.telephony.harness import make_controller, plant_routing

QUEUE = 1
OTHER_QUEUE = 2
NUMBER = SimNumber(number_id=1, number="4008001000", trunk_id=1)


def build(*, queues=None, caller=None, store_factory=RecordingStore, trunk_channels=None, graph=None):
    clock = VirtualClock()
    driver = SimDriver(clock, seed=7, caller=caller or CallerBehaviour(), default_trunk_id=1)
    driver.set_trunk(1, trunk_channels)
    store = store_factory(clock)
    number = NumberSettings(
        number_id=NUMBER.number_id, number=NUMBER.number, trunk_id=1, queue_id=QUEUE, ivr_graph=graph, ivr_version_id=5
    )
    controller = make_controller(
        clock=clock,
        driver=driver,
        store=store,
        queues=queues or [QueueSettings(queue_id=QUEUE, name="Support")],
        numbers=[number],
        use_ivr=graph is not None,
    )
    driver.set_number(NUMBER)
    return clock, driver, controller, store


def virtual(driver, controller, agent_id, *, talk=60.0, answer=2.0, ready=True, skills=None):
    driver.set_virtual_agent(
        agent_id, VirtualAgentBehaviour(talk=Duration(talk, "fixed"), answer_delay=Duration(answer, "fixed"))
    )
    return controller.set_agent(AgentSettings(agent_id=agent_id, is_virtual=True, skills=skills or {}), ready=ready)


def human(controller, agent_id, *, ready=True, skills=None):
    return controller.set_agent(AgentSettings(agent_id=agent_id, skills=skills or {}), ready=ready)


def call_in(driver, caller="13800000001"):
    return driver.inject(NUMBER, caller=caller)


# --- reaching an agent ---------------------------------------------------------------------------


def test_caller_reaches_a_ready_agent_and_talks():
    clock, driver, controller, store = build()
    virtual(driver, controller, 11, talk=60, answer=2)
    uid = call_in(driver)
    clock.run_until(1)
    assert controller.calls[uid].status == engine_state.OFFERED
    assert controller.agent(11).state == agent_states.RESERVED
    clock.run_until(3)
    assert controller.calls[uid].status == engine_state.TALKING
    assert controller.agent(11).state == agent_states.TALKING
    clock.run()
    finished = store.finished[uid]
    assert finished.agent_id == 11
    assert finished.end_reason == CallEndReason.COMPLETED
    assert finished.wait_seconds == pytest.approx(2.0)
    assert finished.talk_seconds == pytest.approx(60.0)


def test_agent_goes_back_to_ready_after_a_call_without_wrapup():
    clock, driver, controller, store = build()
    virtual(driver, controller, 11, talk=30, answer=0)
    call_in(driver)
    clock.run()
    assert controller.agent(11).state == agent_states.READY
    states = [t[3] for t in store.transitions if t[1] == 11]
    assert states == [agent_states.READY, agent_states.RESERVED, agent_states.TALKING, agent_states.READY]


def test_call_waits_in_queue_until_an_agent_becomes_ready():
    clock, driver, controller, store = build()
    human(controller, 21, ready=False)
    uid = call_in(driver)
    clock.run_until(40)
    assert controller.calls[uid].status == engine_state.QUEUED
    assert controller.waiting(QUEUE) == 1
    controller.handle_message({"type": "agent.state", "agent_id": 21, "state": "ready", "reason": None})
    assert controller.calls[uid].status == engine_state.OFFERED
    assert controller.calls[uid].ringing == (21,)
    assert controller.waiting(QUEUE) == 0


def test_human_agent_answers_through_the_desktop_command():
    clock, driver, controller, store = build(caller=CallerBehaviour(talk_with_human=Duration(90, "fixed")))
    human(controller, 21)
    uid = call_in(driver)
    clock.run_until(5)
    controller.handle_message({"type": "call.answer", "agent_id": 21, "call_uid": uid})
    clock.run_until(6)
    assert controller.calls[uid].status == engine_state.TALKING
    assert controller.agent(21).state == agent_states.TALKING
    clock.run()
    assert store.finished[uid].talk_seconds == pytest.approx(90.0)
    assert store.finished[uid].wait_seconds == pytest.approx(5.0)


def test_agent_state_messages_from_the_engine_itself_are_ignored():
    clock, driver, controller, store = build()
    human(controller, 21)
    controller.handle_message({"type": "agent.state", "agent_id": 21, "state": "offline", "source": "engine"})
    assert controller.agent(21).state == agent_states.READY


# --- RONA ------------------------------------------------------------------------------------------


def test_rona_offers_the_next_agent_and_sets_the_first_not_ready_missed():
    queue = QueueSettings(queue_id=QUEUE, ring_timeout_seconds=15)
    clock, driver, controller, store = build(queues=[queue])
    human(controller, 21)  # longest idle: offered first, never answers
    clock.run_until(10)
    virtual(driver, controller, 22, talk=60, answer=3)
    uid = call_in(driver)
    clock.run_until(11)
    assert controller.calls[uid].ringing == (21,)
    clock.run_until(10 + 15 + 0.5)
    assert controller.agent(21).state == agent_states.NOT_READY
    assert controller.agent(21).reason == agent_states.REASON_MISSED
    assert controller.calls[uid].ringing == (22,)
    clock.run()
    finished = store.finished[uid]
    assert finished.agent_id == 22
    assert finished.offer_count == 2
    assert finished.wait_seconds == pytest.approx(15 + 3)
    assert [offer[1] for offer in store.offers] == [(21,), (22,)]


def test_rona_with_nobody_else_leaves_the_call_waiting():
    clock, driver, controller, store = build(queues=[QueueSettings(queue_id=QUEUE, ring_timeout_seconds=10)])
    human(controller, 21)
    uid = call_in(driver)
    clock.run_until(11)
    assert controller.calls[uid].status == engine_state.QUEUED
    assert controller.waiting(QUEUE) == 1
    assert controller.agent(21).state == agent_states.NOT_READY


def test_rejected_offer_goes_to_the_next_agent_and_the_rejecting_agent_stays_ready():
    clock, driver, controller, store = build()
    human(controller, 21)
    clock.run_until(1)
    human(controller, 22)
    uid = call_in(driver)
    clock.run_until(2)
    controller.handle_message({"type": "call.reject", "agent_id": 21, "call_uid": uid})
    assert controller.calls[uid].ringing == (22,)
    assert controller.agent(21).state == agent_states.READY


# --- wrap-up -----------------------------------------------------------------------------------


def test_wrapup_timeout_returns_the_agent_to_ready():
    clock, driver, controller, store = build(queues=[QueueSettings(queue_id=QUEUE, wrapup_seconds=30)])
    virtual(driver, controller, 11, talk=60, answer=0)
    uid = call_in(driver)  # answered at once, at 0 s: talk ends at 60 s, wrap-up at 90 s
    clock.run_until(61)
    assert controller.agent(11).state == agent_states.WRAP_UP
    clock.run_until(89.5)
    assert controller.agent(11).state == agent_states.WRAP_UP
    clock.run_until(90.5)
    assert controller.agent(11).state == agent_states.READY
    assert store.finished[uid].wrapup_seconds == pytest.approx(30.0)


def test_wrapup_message_ends_wrapup_early_with_a_disposition():
    clock, driver, controller, store = build(queues=[QueueSettings(queue_id=QUEUE, wrapup_seconds=120)])
    virtual(driver, controller, 11, talk=60, answer=0)
    uid = call_in(driver)
    clock.run_until(70)
    controller.handle_message(
        {"type": "call.wrapup", "agent_id": 11, "call_uid": uid, "disposition": "resolved", "notes": "ok"}
    )
    assert controller.agent(11).state == agent_states.READY
    call = store.finished[uid]
    assert call.disposition == "resolved"
    assert call.wrapup_seconds == pytest.approx(10.0, abs=0.01)


def test_agent_in_wrapup_takes_the_next_call_only_after_wrapup():
    clock, driver, controller, store = build(queues=[QueueSettings(queue_id=QUEUE, wrapup_seconds=20)])
    virtual(driver, controller, 11, talk=30, answer=0)
    first = call_in(driver)
    clock.run_until(35)
    second = call_in(driver, caller="13800000002")
    clock.run_until(40)
    assert controller.calls[second].status == engine_state.QUEUED
    clock.run()
    assert store.finished[first].agent_id == 11
    assert store.finished[second].wait_seconds == pytest.approx(15.0)


# --- overflow, abandon, hold -------------------------------------------------------------------


def test_overflow_after_max_wait_moves_the_call_to_the_overflow_queue():
    queues = [
        QueueSettings(queue_id=QUEUE, max_wait_seconds=60, overflow_queue_id=OTHER_QUEUE, required={1: 5}),
        QueueSettings(queue_id=OTHER_QUEUE, max_wait_seconds=0),
    ]
    clock, driver, controller, store = build(queues=queues)
    uid = call_in(driver)
    clock.run_until(59)
    assert controller.calls[uid].queue_id == QUEUE
    clock.run_until(61)
    assert controller.calls[uid].queue_id == OTHER_QUEUE
    assert controller.waiting(QUEUE) == 0
    assert controller.waiting(OTHER_QUEUE) == 1
    virtual(driver, controller, 11, talk=10, answer=0)
    clock.run()
    assert store.finished[uid].agent_id == 11
    assert store.finished[uid].wait_seconds == pytest.approx(61.0, abs=1.0)


def test_overflow_without_a_target_ends_the_call_with_reason_overflow():
    clock, driver, controller, store = build(queues=[QueueSettings(queue_id=QUEUE, max_wait_seconds=45)])
    uid = call_in(driver)
    clock.run()
    finished = store.finished[uid]
    assert finished.end_reason == CallEndReason.OVERFLOW
    assert finished.ended == pytest.approx(45.0)
    assert store.totals.abandoned == 0
    assert driver.calls == {}


def test_caller_hanging_up_while_queued_is_abandoned():
    clock, driver, controller, store = build(caller=CallerBehaviour(patience=30))
    uid = call_in(driver)
    clock.run()
    finished = store.finished[uid]
    assert finished.end_reason == CallEndReason.ABANDONED
    assert store.totals.abandoned == 1
    assert controller.waiting(QUEUE) == 0


def test_hold_time_is_not_talk_time():
    clock, driver, controller, store = build(caller=CallerBehaviour(talk_with_human=Duration(100, "fixed")))
    human(controller, 21)
    uid = call_in(driver)
    clock.run_until(1)
    controller.handle_message({"type": "call.answer", "agent_id": 21, "call_uid": uid})
    clock.run_until(20)
    controller.handle_message({"type": "call.hold", "agent_id": 21, "call_uid": uid})
    clock.run_until(21)
    assert controller.agent(21).state == agent_states.HOLD
    clock.run_until(50)
    controller.handle_message({"type": "call.resume", "agent_id": 21, "call_uid": uid})
    clock.run()
    finished = store.finished[uid]
    assert finished.hold_seconds == pytest.approx(30.0)
    assert finished.talk_seconds == pytest.approx(70.0)


def test_trunk_channel_cap_blocks_the_extra_call():
    clock, driver, controller, store = build(trunk_channels=1)
    call_in(driver)
    call_in(driver, caller="13800000002")
    assert store.totals.blocked == 1
    assert driver.trunks[1].blocked == 1


# --- priority ------------------------------------------------------------------------------------


def test_vip_caller_is_served_before_earlier_normal_callers():
    clock, driver, controller, store = build()
    controller.customers["13900000009"] = CustomerInfo(customer_id=9, name="VIP Ltd", is_vip=True)
    human(controller, 21, ready=False)
    first = call_in(driver, caller="13800000001")
    clock.run_until(5)
    second = call_in(driver, caller="13800000002")
    clock.run_until(10)
    vip = call_in(driver, caller="13900000009")
    clock.run_until(15)
    controller.handle_message({"type": "agent.state", "agent_id": 21, "state": "ready"})
    assert controller.calls[vip].status == engine_state.OFFERED
    assert controller.calls[vip].priority > controller.calls[first].priority
    controller.handle_message({"type": "call.reject", "agent_id": 21, "call_uid": vip})
    # Rejecting keeps the VIP call ahead for the next agent; the rejecting agent gets the next in line.
    assert controller.calls[first].status == engine_state.OFFERED
    assert controller.calls[second].status == engine_state.QUEUED


def test_calls_are_answered_in_arrival_order_within_a_priority():
    clock, driver, controller, store = build()
    uids = []
    for n in range(3):
        uids.append(call_in(driver, caller=f"1380000000{n}"))
        clock.run_until(clock.now() + 5)
    virtual(driver, controller, 11, talk=10, answer=0)
    clock.run()
    answered = sorted(store.finished.values(), key=lambda call: call.answered)
    assert [call.uid for call in answered] == uids


def test_higher_priority_queue_is_served_first_by_an_agent_in_both():
    queues = [QueueSettings(queue_id=QUEUE, priority=1), QueueSettings(queue_id=OTHER_QUEUE, priority=9)]
    clock, driver, controller, store = build(queues=queues)
    low = call_in(driver)
    clock.run_until(5)
    controller.numbers[NUMBER.number_id].queue_id = OTHER_QUEUE
    high = call_in(driver, caller="13800000002")
    clock.run_until(6)
    human(controller, 21)
    assert controller.calls[high].status == engine_state.OFFERED
    assert controller.calls[low].status == engine_state.QUEUED


# --- transfer, release ----------------------------------------------------------------------------


def test_transfer_to_a_queue_sends_the_caller_back_to_waiting_and_the_agent_to_wrapup():
    queues = [QueueSettings(queue_id=QUEUE, wrapup_seconds=15), QueueSettings(queue_id=OTHER_QUEUE, required={3: 1})]
    clock, driver, controller, store = build(
        queues=queues, caller=CallerBehaviour(talk_with_human=Duration(300, "fixed"))
    )
    human(controller, 21)
    uid = call_in(driver)
    clock.run_until(1)
    controller.handle_message({"type": "call.answer", "agent_id": 21, "call_uid": uid})
    clock.run_until(30)
    controller.handle_message(
        {"type": "call.transfer", "agent_id": 21, "call_uid": uid, "queue_id": OTHER_QUEUE, "target_agent_id": None}
    )
    assert controller.calls[uid].status == engine_state.QUEUED
    assert controller.calls[uid].queue_id == OTHER_QUEUE
    assert controller.agent(21).state == agent_states.WRAP_UP
    clock.run_until(46)
    assert controller.agent(21).state == agent_states.READY
    assert controller.calls[uid].status == engine_state.QUEUED  # agent 21 lacks skill 3


def test_supervisor_force_release_ends_a_live_call():
    clock, driver, controller, store = build(queues=[QueueSettings(queue_id=QUEUE, wrapup_seconds=0)])
    virtual(driver, controller, 11, talk=600, answer=0)
    uid = call_in(driver)
    clock.run_until(30)
    controller.handle_message({"type": "call.release", "supervisor_user_id": 5, "call_uid": uid})
    assert store.finished[uid].end_reason == CallEndReason.FORCE_RELEASED
    assert controller.agent(11).state == agent_states.READY
    clock.run()
    assert driver.calls == {}


# --- IVR, voicemail, callback, survey ---------------------------------------------------------------

GRAPH = {
    "start": "welcome",
    "nodes": {
        "welcome": {"type": "play", "prompt": "Welcome", "next": "menu"},
        "menu": {
            "type": "menu",
            "prompt": "1 agent, 2 message, 3 call me back",
            "options": {"1": "queue", "2": "message", "3": "later"},
            "timeout": 5,
            "retries": 1,
        },
        "queue": {"type": "queue", "queue": QUEUE, "after_call": "survey"},
        "message": {"type": "voicemail", "queue": QUEUE},
        "later": {"type": "callback", "queue": QUEUE},
        "survey": {"type": "survey", "prompt": "Rate us"},
    },
}


def ivr_caller(**choices):
    return CallerBehaviour(
        choices=choices, think=(1.0, 1.0), prompt_seconds=3.0, voicemail=(12.0, 12.0), originate_ring=(4.0, 4.0),
        originate_answer_probability=1.0,
    )  # fmt: skip


def test_menu_choice_takes_the_caller_through_the_ivr_to_an_agent():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="1", survey="4"))
    virtual(driver, controller, 11, talk=30, answer=0)
    uid = call_in(driver)
    clock.run_until(1)
    assert controller.calls[uid].status == engine_state.IVR
    clock.run()
    finished = store.finished[uid]
    assert finished.ivr_version_id == 5
    assert finished.ivr_exited == pytest.approx(3 + 3 + 1)  # welcome prompt, menu prompt, a key press
    assert finished.queued == finished.ivr_exited
    assert finished.agent_id == 11
    assert [step["node"] for step in finished.ivr.path] == ["welcome", "menu", "queue", "queue", "survey"]


def test_post_call_survey_score_is_stored_after_the_agent_hangs_up():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="1", survey="4"))
    virtual(driver, controller, 11, talk=30, answer=0)
    uid = call_in(driver)
    clock.run()
    assert store.surveys == {uid: 4}
    assert driver.calls == {}  # the survey ends the call: the trunk channel is free


def test_voicemail_records_the_callers_message():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="2"))
    uid = call_in(driver)
    clock.run()
    assert store.finished[uid].end_reason == CallEndReason.VOICEMAIL
    assert store.voicemails == [(uid, QUEUE, pytest.approx(12.0))]


def test_callback_request_keeps_the_callers_place_and_the_engine_calls_back():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="3"))
    human(controller, 21, ready=False)
    waiting = call_in(driver, caller="13800000001")  # presses 3 at 7 s: callback
    clock.run_until(5)
    controller.numbers[NUMBER.number_id].ivr_graph = None  # the next caller goes straight to the queue
    direct = call_in(driver, caller="13800000002")
    clock.run_until(60)
    assert store.finished[waiting].end_reason == CallEndReason.CALLBACK
    assert ("requested", waiting, QUEUE, pytest.approx(7.0)) in store.callbacks
    virtual(driver, controller, 31, talk=20, answer=0)
    clock.run_until(61)
    # The caller queued at 5 s is ahead of the callback asked for at 7 s.
    assert controller.calls[direct].status == engine_state.TALKING
    clock.run()
    assert ("done", waiting, f"{waiting}-cb1") in store.callbacks
    callback = store.finished[f"{waiting}-cb1"]
    assert callback.direction == engine_state.OUTBOUND
    assert callback.callee == "13800000001"
    assert callback.agent_id == 31
    assert callback.talk_seconds == pytest.approx(20.0)


def test_a_callback_nobody_answers_is_retried_then_recorded_as_failed():
    caller = ivr_caller(menu="3")
    caller.originate_answer_probability = 0.0
    clock, driver, controller, store = build(graph=GRAPH, caller=caller)
    virtual(driver, controller, 31, talk=20, answer=0)
    waiting = call_in(driver, caller="13800000001")
    clock.run()
    attempts = [uid for uid in store.finished if uid.startswith(f"{waiting}-cb")]
    assert sorted(attempts) == [f"{waiting}-cb1", f"{waiting}-cb2", f"{waiting}-cb3"]
    # Each retry waits five minutes after the previous attempt failed.
    starts = sorted(store.finished[uid].arrived for uid in attempts)
    assert starts[1] - starts[0] >= 300
    assert starts[2] - starts[1] >= 300
    assert ("failed", waiting, f"{waiting}-cb3") in store.callbacks


def test_callback_keeps_its_place_ahead_of_later_callers():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="3"))
    first = call_in(driver, caller="13800000001")  # asks for a callback at 7 s
    clock.run_until(20)
    controller.numbers[NUMBER.number_id].ivr_graph = None
    later = call_in(driver, caller="13800000002")  # queued at 20 s
    clock.run_until(30)
    virtual(driver, controller, 31, talk=20, answer=0)
    assert controller.calls[f"{first}-cb1"].status == engine_state.DIALING
    assert controller.calls[later].status == engine_state.QUEUED


def test_position_announcements_are_played_while_waiting():
    queue = QueueSettings(queue_id=QUEUE, announce_position=True, announce_interval_seconds=30)
    clock, driver, controller, store = build(queues=[queue])
    call_in(driver, caller="13800000001")
    second = call_in(driver, caller="13800000002")
    clock.run_until(65)
    announcements = [data for uid, kind, data in store.events if uid == second and kind == "announcement"]
    assert announcements == [{"position": 2}, {"position": 2}, {"position": 2}]


def test_callback_offer_while_waiting_turns_the_call_into_a_callback():
    queue = QueueSettings(queue_id=QUEUE, callback_offer=True, callback_offer_after_seconds=60)
    clock, driver, controller, store = build(queues=[queue], caller=ivr_caller(callback_offer="1"))
    uid = call_in(driver)
    clock.run_until(59)
    assert controller.calls[uid].status == engine_state.QUEUED
    clock.run_until(70)
    assert store.finished[uid].end_reason == CallEndReason.CALLBACK
    assert controller.calls[f"{uid}-cb1"].status == engine_state.CALLBACK_WAITING
    assert controller.waiting(QUEUE) == 1


# --- a busy day leaves nothing behind ------------------------------------------------------------


def test_a_busy_run_with_misses_abandons_and_holds_leaves_no_call_or_channel_behind():
    queue = QueueSettings(queue_id=QUEUE, wrapup_seconds=10, max_wait_seconds=300, ring_timeout_seconds=10)
    clock, driver, controller, store = build(queues=[queue], caller=CallerBehaviour(patience=90), trunk_channels=8)
    driver.arrivals_until = 4 * 3600
    for agent_id in range(1, 5):
        driver.set_virtual_agent(
            agent_id,
            VirtualAgentBehaviour(
                talk=Duration(150, "lognormal"),
                answer_delay=Duration(2, "exp"),
                hold_probability=0.3,
                miss_probability=0.1,
            ),
        )
        controller.set_agent(AgentSettings(agent_id=agent_id, is_virtual=True), ready=True)
    busy_number = SimNumber(number_id=1, number=NUMBER.number, trunk_id=1, arrivals_per_hour=110)
    driver.set_number(busy_number)

    def revive():  # missed agents come back after a minute
        for agent in controller.agents.values():
            if agent.state == agent_states.NOT_READY:
                controller.handle_message({"type": "agent.state", "agent_id": agent.agent_id, "state": "ready"})
        if clock.now() < 5 * 3600:
            clock.call_later(60, revive)

    clock.call_later(60, revive)
    driver.start()
    clock.run()
    totals = store.totals
    assert totals.answered > 250
    assert totals.abandoned > 0
    assert controller.calls == {}
    assert driver.calls == {}
    assert driver.trunks[1].busy == 0
    assert controller.waiting(QUEUE) == 0
    assert {agent.state for agent in controller.agents.values()} == {agent_states.READY}


# --- the CDR through the DbStore -------------------------------------------------------------------


@pytest.fixture
def acme_plant(acme):
    """A queue, a number on a sim trunk and one virtual agent in the acme schema."""
    with tenant_context(acme.tenant):
        trunk = Trunk.objects.create(name="engine test", channels=10)
        queue = Queue.objects.create(
            code="engine-test", name="Engine test", wrapup_seconds=20, sl_threshold_seconds=15, short_abandon_seconds=5
        )
        number = PhoneNumber.objects.create(number="4009990001", trunk=trunk, queue=queue)
        user = User.objects.create_user("vagent@acme.test", "x-Pass-1234", name="Virtual", roles=["agent"])
        agent = Agent.objects.create(user=user, is_virtual=True, state=agent_states.READY)
    return {"tenant": acme.tenant, "trunk": trunk, "queue": queue, "number": number, "agent": agent}


def build_db(plant, *, patience=None, answer=4.0, talk=50.0):
    clock = VirtualClock()
    driver = SimDriver(clock, seed=3, caller=CallerBehaviour(patience=patience), default_trunk_id=plant["trunk"].pk)
    store = DbStore(plant["tenant"], clock)
    queue, number, sim_number = plant_routing(plant)
    controller = make_controller(clock=clock, driver=driver, store=store, queues=[queue], numbers=[number])
    driver.set_trunk(plant["trunk"].pk, plant["trunk"].channels)
    driver.set_virtual_agent(
        plant["agent"].pk,
        VirtualAgentBehaviour(talk=Duration(talk, "fixed"), answer_delay=Duration(answer, "fixed")),
    )
    controller.set_agent(AgentSettings(agent_id=plant["agent"].pk, is_virtual=True, state=agent_states.READY))
    return clock, driver, controller, store, sim_number


def test_dbstore_writes_the_cdr_of_an_answered_call(acme_plant):
    with tenant_context(acme_plant["tenant"]):
        clock, driver, controller, store, number = build_db(acme_plant)
        uid = driver.inject(number, caller="13812345678")
        clock.run()
        call = Call.objects.get(uid=uid)
    assert call.status == CallStatus.ENDED
    assert call.queue_id == acme_plant["queue"].pk
    assert call.agent_id == acme_plant["agent"].pk
    assert call.wait_seconds == pytest.approx(4.0)
    assert call.talk_seconds == pytest.approx(50.0)
    assert call.wrapup_seconds == pytest.approx(20.0)
    assert call.answered_within_sl is True
    assert call.abandoned is False
    assert call.short_abandon is False
    assert call.end_reason == CallEndReason.COMPLETED
    assert call.is_simulated is True


def test_dbstore_records_the_timeline_and_agent_states(acme_plant):
    with tenant_context(acme_plant["tenant"]):
        clock, driver, controller, store, number = build_db(acme_plant)
        uid = driver.inject(number, caller="13812345678")
        clock.run()
        call = Call.objects.get(uid=uid)
        kinds = list(call.events.values_list("kind", flat=True))
        states = list(AgentStateEvent.objects.filter(agent=acme_plant["agent"]).values_list("from_state", "to_state"))
        agent = Agent.objects.get(pk=acme_plant["agent"].pk)
    assert kinds == ["arrived", "queued", "offered", "answered", "ended", "wrapup_ended"]
    assert states == [
        ("ready", "reserved"),
        ("reserved", "talking"),
        ("talking", "wrap_up"),
        ("wrap_up", "ready"),
    ]
    assert agent.state == agent_states.READY
    assert agent.current_call_id is None


def test_dbstore_marks_a_long_wait_abandon_and_a_short_abandon(acme_plant):
    with tenant_context(acme_plant["tenant"]):
        clock, driver, controller, store, number = build_db(acme_plant, patience=None)
        controller.handle_message(
            {"type": "agent.state", "agent_id": acme_plant["agent"].pk, "state": "not_ready", "reason": "break"}
        )
        long_wait = driver.inject(number, caller="13800000001")
        clock.run_until(40)
        driver.hangup(long_wait, "caller")
        short_wait = driver.inject(number, caller="13800000002")
        clock.run_until(43)
        driver.hangup(short_wait, "caller")
        clock.run()
        long_call = Call.objects.get(uid=long_wait)
        short_call = Call.objects.get(uid=short_wait)
    assert long_call.abandoned is True
    assert long_call.short_abandon is False
    assert long_call.answered_within_sl is False
    assert long_call.wait_seconds == pytest.approx(40.0)
    assert short_call.abandoned is True
    assert short_call.short_abandon is True
    assert short_call.end_reason == CallEndReason.ABANDONED


def test_dbstore_answered_after_the_threshold_is_outside_sl(acme_plant):
    with tenant_context(acme_plant["tenant"]):
        Queue.objects.filter(pk=acme_plant["queue"].pk).update(sl_threshold_seconds=10)
        acme_plant["queue"].refresh_from_db()
        clock, driver, controller, store, number = build_db(acme_plant, answer=12.0)
        uid = driver.inject(number, caller="13812345678")
        clock.run()
        call = Call.objects.get(uid=uid)
    assert call.wait_seconds == pytest.approx(12.0)
    assert call.sl_threshold_seconds == 10
    assert call.answered_within_sl is False


def test_dbstore_rona_sets_the_agent_not_ready_missed_in_the_database(acme_plant):
    with tenant_context(acme_plant["tenant"]):
        clock, driver, controller, store, number = build_db(acme_plant)
        driver.remove_virtual_agent(acme_plant["agent"].pk)  # nobody picks up now
        uid = driver.inject(number, caller="13812345678")
        clock.run_until(acme_plant["queue"].ring_timeout_seconds + 1)
        agent = Agent.objects.select_related("reason").get(pk=acme_plant["agent"].pk)
        call = Call.objects.get(uid=uid)
        kinds = list(call.events.values_list("kind", flat=True))
    assert agent.state == agent_states.NOT_READY
    assert agent.reason.code == agent_states.REASON_MISSED
    assert call.status == CallStatus.QUEUED
    assert kinds[-2:] == ["rona", "requeued"]


def test_dbstore_writes_a_blocked_call(acme_plant):
    with tenant_context(acme_plant["tenant"]):
        clock, driver, controller, store, number = build_db(acme_plant)
        driver.set_trunk(acme_plant["trunk"].pk, 0)
        uid = driver.inject(number, caller="13812345678")
        call = Call.objects.get(uid=uid)
    assert call.blocked is True
    assert call.end_reason == CallEndReason.BLOCKED
    assert call.queued_at is None


def test_dbstore_publishes_the_offer_with_a_screen_pop_to_a_human_agent(acme_plant, acme):
    from apps.crm.models import Customer

    with tenant_context(acme_plant["tenant"]):
        Customer.objects.create(name="张三", phones=["13812345678"], is_vip=True)
        clock, driver, controller, store, number = build_db(acme_plant)
        user = User.objects.create_user("human@acme.test", "x-Pass-1234", name="Human", roles=["agent"])
        person = Agent.objects.create(user=user, state=agent_states.READY, seat=None)
        controller.handle_message(
            {"type": "agent.state", "agent_id": acme_plant["agent"].pk, "state": "not_ready", "reason": "break"}
        )
        controller.set_agent(AgentSettings(agent_id=person.pk, state=agent_states.READY))
        uid = driver.inject(number, caller="13812345678")
        clock.run_until(1)
    offers = [message for topic, message in store.published if topic == f"agent.{person.pk}"]
    assert offers[0]["type"] == "call.offer"
    assert offers[0]["call_uid"] == uid
    assert offers[0]["queue_id"] == acme_plant["queue"].pk
    assert offers[0]["ring_timeout_seconds"] == acme_plant["queue"].ring_timeout_seconds
    assert offers[0]["customer"]["name"] == "张三"
    assert offers[0]["customer"]["is_vip"] is True


def test_dbstore_ring_all_goes_to_the_first_to_answer_and_frees_the_other(acme_plant):
    with tenant_context(acme_plant["tenant"]):
        Queue.objects.filter(pk=acme_plant["queue"].pk).update(strategy="ring_all")
        acme_plant["queue"].refresh_from_db()
        clock, driver, controller, store, number = build_db(acme_plant, answer=5.0)
        user = User.objects.create_user("vagent2@acme.test", "x-Pass-1234", name="Virtual 2", roles=["agent"])
        quick = Agent.objects.create(user=user, is_virtual=True, state=agent_states.READY)
        driver.set_virtual_agent(
            quick.pk, VirtualAgentBehaviour(talk=Duration(30, "fixed"), answer_delay=Duration(2, "fixed"))
        )
        controller.set_agent(AgentSettings(agent_id=quick.pk, is_virtual=True, state=agent_states.READY))
        uid = driver.inject(number, caller="13812345678")
        clock.run_until(3)
        slow = Agent.objects.get(pk=acme_plant["agent"].pk)
        call = Call.objects.get(uid=uid)
        slow_states = list(AgentStateEvent.objects.filter(agent=slow).values_list("from_state", "to_state"))
    assert call.agent_id == quick.pk
    assert call.status == CallStatus.TALKING
    assert slow.state == agent_states.READY
    assert slow.current_call_id is None
    assert slow_states == [("ready", "reserved"), ("reserved", "ready")]


def test_dbstore_ivr_call_keeps_its_path_version_and_survey_score(acme_plant):
    from apps.telephony.models import IvrFlow, IvrFlowVersion

    queue = acme_plant["queue"]
    graph = {
        "start": "menu",
        "nodes": {
            "menu": {"type": "menu", "prompt": "Press 1", "options": {"1": "queue"}, "timeout": 5, "retries": 1},
            "queue": {"type": "queue", "queue": queue.pk, "after_call": "survey"},
            "survey": {"type": "survey", "prompt": "Rate us"},
        },
    }
    with tenant_context(acme_plant["tenant"]):
        flow = IvrFlow.objects.create(name="engine test flow")
        version = IvrFlowVersion.objects.create(flow=flow, number=1, status="published", graph=graph)
        clock = VirtualClock()
        driver = SimDriver(clock, seed=3, caller=CallerBehaviour(choices={"menu": "1", "survey": "5"}))
        store = DbStore(acme_plant["tenant"], clock)
        number = acme_plant["number"]
        controller = make_controller(
            clock=clock,
            driver=driver,
            store=store,
            queues=[QueueSettings.from_model(queue, {})],
            numbers=[
                NumberSettings(number_id=number.pk, number=number.number, ivr_graph=graph, ivr_version_id=version.pk)
            ],
            use_ivr=True,
        )
        driver.set_virtual_agent(
            acme_plant["agent"].pk,
            VirtualAgentBehaviour(talk=Duration(40, "fixed"), answer_delay=Duration(1, "fixed")),
        )
        controller.set_agent(AgentSettings(agent_id=acme_plant["agent"].pk, is_virtual=True, state="ready"))
        uid = driver.inject(SimNumber(number_id=number.pk, number=number.number, trunk_id=None), caller="138")
        clock.run()
        call = Call.objects.get(uid=uid)
    assert call.ivr_version_id == version.pk
    assert [step["node"] for step in call.ivr_path] == ["menu", "queue", "queue", "survey"]
    assert call.ivr_exited_at is not None
    assert call.ivr_seconds > 0
    assert call.survey_score == 5
    assert call.talk_seconds == pytest.approx(40.0)


def test_dbstore_publishes_call_states_queue_updates_and_todays_kpis(acme_plant):
    with tenant_context(acme_plant["tenant"]):
        clock, driver, controller, store, number = build_db(acme_plant)
        uid = driver.inject(number, caller="13812345678")
        clock.run()
    wallboard = [message for topic, message in store.published if topic == "wallboard"]
    states = [message["status"] for message in wallboard if message["type"] == "call.state"]
    updates = [message for message in wallboard if message["type"] == "queue.update"]
    kpis = [message for message in wallboard if message["type"] == "queue.kpi"]
    assert states == ["ivr", "queued", "offered", "talking", "wrap_up", "ended"]
    assert updates[-1] == {
        "type": "queue.update",
        "queue_id": acme_plant["queue"].pk,
        "waiting": 0,
        "longest_wait_seconds": 0.0,
    }
    assert kpis[-1]["queue_id"] == acme_plant["queue"].pk
    assert kpis[-1]["offered"] == 1
    assert kpis[-1]["answered"] == 1
    assert kpis[-1]["handled"] == 1
    assert all(message.get("call_uid") == uid for message in wallboard if message["type"] == "call.state")


def test_engine_state_names_match_the_model_choices():
    assert {engine_state.IVR, engine_state.QUEUED, engine_state.OFFERED, engine_state.TALKING} <= set(CallStatus.values)
    assert {engine_state.HOLD, engine_state.WRAP_UP, engine_state.ENDED} <= set(CallStatus.values)
    reasons = [
        engine_state.END_COMPLETED,
        engine_state.END_ABANDONED,
        engine_state.END_BLOCKED,
        engine_state.END_OVERFLOW,
        engine_state.END_FORCE_RELEASED,
        engine_state.END_CALLBACK,
        engine_state.END_VOICEMAIL,
    ]
    assert set(reasons) <= set(CallEndReason.values)
    assert set(agent_states.STATES) == {
        engine_state.A_OFFLINE,
        engine_state.A_READY,
        engine_state.A_NOT_READY,
        engine_state.A_RESERVED,
        engine_state.A_TALKING,
        engine_state.A_HOLD,
        engine_state.A_WRAP_UP,
    }
