"""The engine's side of voicemail: the message starts after the greeting and ends when the caller
hangs up, presses ``#`` or reaches the maximum length; a callback's dial marks its request."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.telephony.choices import CallbackStatus, CallEndReason
from apps.telephony.engine.clock import VirtualClock
from apps.telephony.engine.state import CallState
from apps.telephony.models import CallbackRequest
from apps.telephony.services import cdr
from tests.telephony.call_factories import at, make_queue, uid
from tests.telephony.test_engine import GRAPH, build, call_in, human, ivr_caller, virtual


def _message_events(store, call_uid):
    return [
        (kind, data) for event_uid, kind, data in store.events if event_uid == call_uid and kind.startswith("voice")
    ]


def test_the_caller_hanging_up_ends_the_message():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="2"))
    uid_ = call_in(driver)
    clock.run()
    assert store.voicemails[0][0] == uid_ and store.voicemails[0][2] == pytest.approx(12.0)
    assert [kind for kind, _data in _message_events(store, uid_)] == ["voicemail"]  # no voicemail_ended


def test_the_pound_key_ends_the_message_and_the_engine_hangs_up():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="2"))
    uid_ = call_in(driver)
    clock.run_until(3 + 3 + 1 + 3 + 4)  # welcome, menu, key press, greeting, then 4 s of message
    assert uid_ in driver.recording
    controller.on_digits(uid_, "#")
    clock.run()
    assert store.finished[uid_].end_reason == CallEndReason.VOICEMAIL
    assert store.voicemails[0][0] == uid_ and store.voicemails[0][2] == pytest.approx(4.0)
    assert ("voicemail_ended", {"reason": "key"}) in _message_events(store, uid_)
    assert uid_ not in driver.recording  # stopped before the hang-up


def test_other_keys_do_not_end_the_message():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="2"))
    uid_ = call_in(driver)
    clock.run_until(12)
    controller.on_digits(uid_, "5")
    clock.run()
    assert store.voicemails[0][2] == pytest.approx(12.0)


def test_a_message_stops_at_the_maximum_length():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="2"))
    controller.voicemail.max_seconds = 5.0
    uid_ = call_in(driver)
    clock.run()
    assert store.voicemails[0][0] == uid_ and store.voicemails[0][2] == pytest.approx(5.0)
    assert ("voicemail_ended", {"reason": "max_length"}) in _message_events(store, uid_)
    assert store.finished[uid_].end_reason == CallEndReason.VOICEMAIL


def test_the_maximum_length_timer_of_an_ended_message_does_nothing():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="2"))
    controller.voicemail.max_seconds = 60.0  # the caller hangs up after 12 s
    uid_ = call_in(driver)
    clock.run()
    assert len(store.voicemails) == 1
    assert not [kind for kind, _data in _message_events(store, uid_) if kind == "voicemail_ended"]
    assert driver.calls == {}


def test_a_callbacks_dial_marks_its_request_dialing_with_the_attempt(acme):
    from apps.telephony.engine.dbstore import DbStore

    with tenant_context(acme.tenant):
        queue = make_queue()
        request_call = cdr.call_open(uid=uid(), direction="inbound", caller="13900000001", callee="400", at=at(0))
        CallbackRequest.objects.create(call=request_call, queue=queue, number="13900000001", original_queued_at=at(0))
        store = DbStore(acme.tenant, VirtualClock())
        dial = CallState(
            f"{request_call.uid}-cb1", caller="400", callee="13900000001", arrived=0.0, direction="outbound"
        )
        dial.is_callback, dial.callback_for, dial.callback_attempts = True, request_call.uid, 1
        store.call_arrived(dial)
        request = CallbackRequest.objects.get(call=request_call)
        assert (request.status, request.attempts, request.callback_call.uid) == (
            CallbackStatus.DIALING,
            1,
            dial.uid,
        )
        store.callback_finished(request_call.uid, dial, "done")
        request.refresh_from_db()
        assert request.status == CallbackStatus.DONE and request.completed_at is not None


def _attempts(store, request_uid):
    return sorted(uid_ for uid_ in store.finished if uid_.startswith(f"{request_uid}-cb"))


def test_a_cancelled_request_leaves_the_queue_and_is_never_dialled():
    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="3"))
    human(controller, 21, ready=False)
    waiting = call_in(driver, caller="13800000001")
    clock.run_until(30)
    assert f"{waiting}-cb1" in controller.calls
    controller.handle_message({"type": "callback.cancel", "supervisor_user_id": 5, "request_uid": waiting})
    assert f"{waiting}-cb1" not in controller.calls
    virtual(driver, controller, 31, talk=20, answer=0)
    clock.run()
    assert _attempts(store, waiting) == []


def test_a_request_cancelled_between_attempts_is_not_retried():
    caller = ivr_caller(menu="3")
    caller.originate_answer_probability = 0.0
    clock, driver, controller, store = build(graph=GRAPH, caller=caller)
    virtual(driver, controller, 31, talk=20, answer=0)
    waiting = call_in(driver, caller="13800000001")
    while not _attempts(store, waiting):
        clock.run_until(clock.now() + 10)
    controller.handle_message({"type": "callback.cancel", "supervisor_user_id": 5, "request_uid": waiting})
    clock.run()
    assert _attempts(store, waiting) == [f"{waiting}-cb1"]
