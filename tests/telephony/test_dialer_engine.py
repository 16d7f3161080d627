"""Campaign calls through the real controller and ACD on the virtual clock, driven by the simulated switch.

No database here (a MemoryStore subclass records what the controller reported); the DB side
is in test_dialer_runner.py.
"""

from __future__ import annotations

import pytest

from apps.telephony import agent_states
from apps.telephony.dialer.campaign import PAUSED, RUNNING, CampaignRuntime
from apps.telephony.dialer.contract import CampaignSettings, DialTarget
from apps.telephony.dialer.memory import MemoryContactSource, RetryRule
from apps.telephony.engine import state as engine_state
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.config import AgentSettings, NumberSettings, QueueSettings
from apps.telephony.engine.drivers.base import PROMPT_ABANDON
from apps.telephony.engine.drivers.sim import Duration, OutboundBehaviour, SimDriver, SimNumber, VirtualAgentBehaviour
from tests.recording_store import RecordingStore
from tests.telephony.harness import make_controller

QUEUE = 1
CAMPAIGN = 7
RING = 5.0  # the far end answers 5 s after the dial
DETECT = 1.0  # the detector needs 1 s for a person


class PlayLog(SimDriver):
    """The simulated switch, remembering the prompts played."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.played: list[tuple[str, str, float]] = []

    def play(self, uid, prompt, data=None):
        self.played.append((uid, prompt, self.clock.now()))
        super().play(uid, prompt, data)


def outcomes(**rates) -> OutboundBehaviour:
    values = {
        "answer_rate": 0.0,
        "machine_rate": 0.0,
        "busy_rate": 0.0,
        "ring": (RING, RING),
        "amd_human_seconds": (DETECT, DETECT),
        "amd_machine_seconds": (2.0, 2.0),
        "busy_after": (3.0, 3.0),
    }
    values.update(rates)
    return OutboundBehaviour(**values)


def contacts(count: int, first: int = 1) -> list[DialTarget]:
    return [
        DialTarget(contact_id=n, number=f"+8613800000{n:03d}", attempt=1, name=f"Contact {n}", data={"plan": "gold"})
        for n in range(first, first + count)
    ]


def build(*, behaviour=None, channels=None, mode="progressive", ratio=1.0, targets=None, state=RUNNING, **settings):
    clock = VirtualClock()
    driver = PlayLog(clock, seed=3, default_trunk_id=1, emit_ringing=False)
    driver.outbound = behaviour or outcomes(answer_rate=1.0)
    driver.set_trunk(1, channels)
    store = RecordingStore(clock)
    controller = make_controller(
        clock=clock,
        driver=driver,
        store=store,
        queues=[QueueSettings(queue_id=QUEUE, name="Outbound", wrapup_seconds=10)],
    )
    source = MemoryContactSource()
    source.add(CAMPAIGN, targets if targets is not None else contacts(1))
    values = {"campaign_id": CAMPAIGN, "name": "Spring offer", "mode": mode, "ratio": ratio, "queue_id": QUEUE}
    values.update(settings)
    runtime = CampaignRuntime(CampaignSettings(**values), source, state=state, preview_seconds=4.0)
    return clock, driver, controller, store, source, runtime


def virtual(driver, controller, agent_id, *, talk=60.0, ready=True):
    driver.set_virtual_agent(agent_id, VirtualAgentBehaviour(talk=Duration(talk, "fixed")))
    return controller.set_agent(AgentSettings(agent_id=agent_id, is_virtual=True), ready=ready)


def human(controller, agent_id, *, ready=True):
    return controller.set_agent(AgentSettings(agent_id=agent_id, name="Wang Fang"), ready=ready)


def only_call(store) -> engine_state.CallState:
    (call,) = store.finished.values()
    return call


# --- a live answer and the agent ----------------------------------------------------------------


def test_a_live_answer_is_connected_to_a_ready_agent_and_reported_answered():
    clock, driver, controller, store, source, runtime = build()
    virtual(driver, controller, 11, talk=60)
    controller.add_campaign(runtime)
    clock.run()
    call = only_call(store)
    assert call.direction == engine_state.OUTBOUND
    assert (call.campaign_id, call.contact_id) == (CAMPAIGN, 1)
    assert call.live_at == pytest.approx(RING + DETECT)
    assert call.answered == pytest.approx(RING + DETECT)  # no ringing on the agent's side
    assert call.agent_id == 11
    assert call.talk_seconds == pytest.approx(60)
    assert call.wrapup_seconds == pytest.approx(10)
    assert store.attempts == [(1, "answered", pytest.approx(RING + DETECT + 60))]
    assert source.is_finished(CAMPAIGN, 1)
    assert controller.agent(11).state == agent_states.READY
    assert runtime.stats.answered == 1 and runtime.stats.dials == 1


def test_without_a_free_agent_the_abandon_message_plays_after_the_grace():
    clock, driver, controller, store, source, runtime = build(state=PAUSED)
    virtual(driver, controller, 11, ready=False)
    controller.add_campaign(runtime)
    call = controller.campaign_dial(runtime, source.take(CAMPAIGN, 1, 0.0)[0])
    clock.run()
    live = RING + DETECT
    assert call.end_reason == engine_state.END_ABANDONED
    assert call.ended == pytest.approx(live + 2.0)
    assert (call.uid, PROMPT_ABANDON, pytest.approx(live + 2.0)) in driver.played
    assert (call.uid, "abandon_message") in [(uid, kind) for uid, kind, _data in store.events]
    assert store.attempts == [(1, "abandoned", pytest.approx(live + 2.0))]
    assert call.uid not in controller.calls and call.uid not in driver.calls  # hung up after the message
    assert store.campaign.abandoned == 1 and store.campaign.live_answers == 1
    assert not source.is_finished(CAMPAIGN, 1)  # retried later by the abandoned rule


def test_an_agent_freeing_within_the_grace_takes_the_live_answer():
    clock, driver, controller, store, source, runtime = build(state=PAUSED)
    virtual(driver, controller, 11, ready=False)
    controller.add_campaign(runtime)
    call = controller.campaign_dial(runtime, source.take(CAMPAIGN, 1, 0.0)[0])
    clock.run_until(RING + DETECT + 1.5)
    assert call.status == engine_state.QUEUED
    controller.agent_state_changed(11, agent_states.READY)
    clock.advance(0)
    assert call.status == engine_state.TALKING
    clock.run()
    assert store.attempts == [(1, "answered", pytest.approx(RING + DETECT + 1.5 + 60))]
    assert call.agent_id == 11


def test_a_live_answer_goes_before_inbound_callers_waiting_in_the_same_queue():
    clock, driver, controller, store, source, runtime = build(state=PAUSED)
    virtual(driver, controller, 11, ready=False)
    number = SimNumber(number_id=1, number="4008001000", trunk_id=1)
    controller.numbers[1] = NumberSettings(number_id=1, number=number.number, trunk_id=1, queue_id=QUEUE)
    driver.set_number(number)
    inbound = driver.inject(number, caller="13900000000")
    controller.add_campaign(runtime)
    outbound = controller.campaign_dial(runtime, source.take(CAMPAIGN, 1, 0.0)[0])
    clock.run_until(RING + DETECT + 0.5)
    controller.agent_state_changed(11, agent_states.READY)
    clock.advance(0)
    assert controller.calls[outbound.uid].status == engine_state.TALKING
    assert controller.calls[inbound].status == engine_state.QUEUED


# --- what else the far end does ----------------------------------------------------------------


def test_an_amd_false_positive_is_hung_up_and_counted_as_abandoned():
    clock, driver, controller, store, source, runtime = build(
        behaviour=outcomes(answer_rate=1.0, amd_false_positive=1.0)
    )
    source.set_rules(CAMPAIGN, {})  # no retry: one attempt
    virtual(driver, controller, 11)
    controller.add_campaign(runtime)
    clock.run()
    call = only_call(store)
    assert call.amd_result == "machine" and call.amd_actual == "human"
    assert call.answered is None  # nobody talked to them
    assert store.attempts == [(1, "abandoned", pytest.approx(RING + DETECT))]
    assert store.campaign.abandoned == 1 and store.campaign.live_answers == 1
    assert driver.amd_false_positives == 1
    assert runtime.pacer.last.lines >= 0 and runtime.stats.live_detected == 0  # the engine never saw a person


def test_a_machine_is_hung_up_without_troubling_an_agent():
    clock, driver, controller, store, source, runtime = build(behaviour=outcomes(machine_rate=1.0))
    virtual(driver, controller, 11)
    controller.add_campaign(runtime)
    clock.run_until(RING + 2.0 + 0.5)
    assert store.attempts == [(1, "machine", pytest.approx(RING + 2.0))]
    assert controller.agent(11).state == agent_states.READY
    assert store.campaign.live_answers == 0


def test_busy_and_no_answer_outcomes():
    clock, driver, controller, store, source, runtime = build(behaviour=outcomes(busy_rate=1.0), targets=contacts(1))
    virtual(driver, controller, 11)
    controller.add_campaign(runtime)
    clock.run_until(10)
    assert store.attempts == [(1, "busy", pytest.approx(3.0))]

    clock, driver, controller, store, source, runtime = build(behaviour=outcomes(), ring_timeout_seconds=20)
    virtual(driver, controller, 11)
    controller.add_campaign(runtime)
    clock.run_until(30)
    assert store.attempts == [(1, "no_answer", pytest.approx(20.0))]  # rang the whole ring timeout
    assert only_call(store).end_reason == engine_state.END_NO_ANSWER


def test_retries_follow_the_source_rules():
    clock, driver, controller, store, source, runtime = build(behaviour=outcomes(busy_rate=1.0))
    source.set_rules(CAMPAIGN, {"busy": RetryRule(min_gap_seconds=60, max_attempts=3)})
    virtual(driver, controller, 11)
    controller.add_campaign(runtime)
    clock.run_until(400)
    assert [when for _contact, _outcome, when in store.attempts] == [
        pytest.approx(3.0),
        pytest.approx(66.0),
        pytest.approx(129.0),
    ]  # redialled 60 s after each busy (busy 3 s after the dial): three attempts, then closed
    assert source.is_finished(CAMPAIGN, 1)


# --- pacing limits --------------------------------------------------------------------------------


def test_lines_never_exceed_the_trunk_channels():
    clock, driver, controller, store, source, runtime = build(behaviour=outcomes(), channels=2, targets=contacts(40))
    for agent_id in range(1, 11):
        virtual(driver, controller, agent_id)
    controller.add_campaign(runtime)
    most = 0
    for _ in range(200):
        clock.advance(0.5)
        most = max(most, driver.trunks[1].busy)
        assert len(runtime.lines) <= 2
    assert most == 2
    assert driver.trunks[1].blocked == 0
    assert len(store.attempts) >= 6


def test_power_mode_keeps_its_ratio_of_lines_per_ready_agent():
    clock, driver, controller, store, source, runtime = build(
        behaviour=outcomes(), mode="power", ratio=2.0, targets=contacts(40)
    )
    for agent_id in range(1, 5):
        virtual(driver, controller, agent_id)
    controller.add_campaign(runtime)
    clock.advance(0.5)
    assert len(runtime.lines) == 8
    clock.advance(3)
    assert len(runtime.lines) == 8  # nothing resolved yet: nothing new


def test_pause_stops_new_dials_and_resume_starts_them_again():
    clock, driver, controller, store, source, runtime = build(behaviour=outcomes(), targets=contacts(10))
    virtual(driver, controller, 11)
    controller.add_campaign(runtime)
    clock.advance(0.5)
    assert len(runtime.lines) == 1
    runtime.pause()
    clock.advance(60)
    assert len(store.attempts) == 1 and not runtime.lines
    runtime.resume()
    clock.advance(0.5)
    assert len(runtime.lines) == 1


# --- human agents: offers, preview, callbacks --------------------------------------------------------


def test_a_human_agent_gets_the_contact_card_and_the_rendered_script_with_the_offer():
    clock, driver, controller, store, source, runtime = build(script="Hello {{contact.name}}, about {{contact.plan}}.")
    human(controller, 21)
    controller.add_campaign(runtime)
    clock.run_until(RING + DETECT + 0.5)
    (uid, agent_id, offer) = store.campaign_offers[0]
    assert agent_id == 21
    assert offer["campaign_id"] == CAMPAIGN and offer["campaign_name"] == "Spring offer"
    assert offer["contact"]["contact_id"] == 1 and offer["contact"]["name"] == "Contact 1"
    assert offer["contact"]["fields"]["plan"] == "gold"
    assert offer["script"] == "Hello Contact 1, about gold."
    assert controller.calls[uid].status == engine_state.TALKING  # connected without a click
    assert (21, {"type": "call.answered", "call_uid": uid}) in store.desk


def test_preview_shows_the_contact_and_the_agent_dials_or_skips():
    clock, driver, controller, store, source, runtime = build(
        mode="preview", targets=contacts(2), script="Hi {{contact.name}}"
    )
    human(controller, 21)
    controller.add_campaign(runtime)
    clock.advance(0.5)
    (agent_id, message) = store.desk[-1]
    assert agent_id == 21 and message["type"] == "campaign.preview"
    assert message["contact"]["contact_id"] == 1 and message["script"] == "Hi Contact 1"
    assert 21 not in controller.acd.available_agents()  # no inbound call while looking at it

    controller.handle_message({"type": "campaign.preview_skip", "agent_id": 21, "contact_id": 1})
    clock.advance(1)
    (_agent_id, message) = store.desk[-1]
    assert message["contact"]["contact_id"] == 2  # the next one; the skipped contact waits a minute
    assert runtime.skipped[0][1].contact_id == 1

    controller.handle_message({"type": "campaign.preview_dial", "agent_id": 21, "contact_id": 2})
    call = controller.agent(21).call
    assert call is not None and call.status == engine_state.DIALING and call.contact_id == 2
    assert controller.agent(21).state == agent_states.RESERVED
    clock.advance(RING + DETECT + 0.5)
    assert call.status == engine_state.TALKING and call.agent_id == 21


def test_a_virtual_agent_dials_its_preview_after_looking_at_it():
    clock, driver, controller, store, source, runtime = build(mode="preview")
    virtual(driver, controller, 11)
    controller.add_campaign(runtime)
    clock.run()
    call = only_call(store)
    assert call.arrived == pytest.approx(4.0)  # preview_seconds
    assert store.attempts[0][1] == "answered"


def test_an_agent_owned_callback_is_dialled_for_its_agent_only():
    owned = DialTarget(contact_id=9, number="+8613800000999", attempt=2, name="Promised", owner_agent_id=12)
    clock, driver, controller, store, source, runtime = build(targets=[owned])
    virtual(driver, controller, 11)
    virtual(driver, controller, 12, ready=False)
    controller.add_campaign(runtime)
    clock.advance(5)
    assert not store.campaign_offers and not store.attempts  # waiting for agent 12
    controller.agent_state_changed(12, agent_states.READY)
    clock.advance(1.5)
    call = controller.agent(12).call
    assert call is not None and call.contact_id == 9
    clock.run()
    assert store.attempts[0][1] == "answered" and only_call(store).agent_id == 12


def test_a_reloaded_desk_asking_for_its_preview_again_is_shown_the_same_contact():
    clock, driver, controller, store, source, runtime = build(mode="preview", targets=contacts(2))
    human(controller, 21)
    controller.add_campaign(runtime)
    clock.advance(0.5)
    assert store.desk[-1][1]["contact"]["contact_id"] == 1
    controller.handle_message({"type": "campaign.preview_skip", "agent_id": 21, "contact_id": None})
    clock.advance(1)
    assert store.desk[-1][1]["contact"]["contact_id"] == 1
    assert not runtime.skipped
