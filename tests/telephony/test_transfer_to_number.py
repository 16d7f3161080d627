"""Numbers the company pays for beyond click-to-dial (issue 10 item 12): an agent's blind transfer
to an outside number (engine on the virtual clock with the sim driver, and the API's dialling-policy
checks) and callbacks to a caller's own number (checked by the engine with the tenant's rules)."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apps.telephony import agent_states
from apps.telephony.choices import CallEndReason
from apps.telephony.engine import state as engine_state
from apps.telephony.engine.config import QueueSettings
from apps.telephony.engine.drivers.sim import CallerBehaviour, Duration
from apps.telephony.models import DoNotCall
from apps.telephony.services import dialling as dialling_service
from tests.telephony.agent_helpers import Published, give_call, make_agent
from tests.telephony.test_dialling_api import _clear_rate
from tests.telephony.test_engine import QUEUE, build, call_in, human


@pytest.fixture
def published(monkeypatch) -> Published:
    record = Published()
    monkeypatch.setattr(
        "apps.core.events.publish", lambda schema, topic, message: record.messages.append((topic, message))
    )
    return record


@pytest.fixture
def talking(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    _clear_rate(acme, subject.agent.pk)
    yield subject, call
    _clear_rate(acme, subject.agent.pk)


def test_engine_hands_the_caller_to_the_number_and_the_agent_goes_to_wrapup():
    queues = [QueueSettings(queue_id=QUEUE, wrapup_seconds=15)]
    clock, driver, controller, store = build(
        queues=queues, caller=CallerBehaviour(talk_with_human=Duration(300, "fixed"))
    )
    human(controller, 21)
    uid = call_in(driver)
    clock.run_until(1)
    controller.handle_message({"type": "call.answer", "agent_id": 21, "call_uid": uid})
    clock.run_until(30)
    controller.handle_message({"type": "call.transfer", "agent_id": 21, "call_uid": uid, "number": "01065529988"})
    assert store.finished[uid].end_reason == CallEndReason.TRANSFERRED
    assert store.finished[uid].talk_seconds > 0
    assert uid not in controller.calls
    assert uid not in driver.calls
    assert controller.agent(21).state == agent_states.WRAP_UP
    clock.run_until(46)
    assert controller.agent(21).state == agent_states.READY


def test_transfer_to_an_allowed_number_is_sent(acme, talking, published, django_capture_on_commit_callbacks):
    subject, call = talking
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(subject.user).post(
            f"/api/v1/calls/{call.uid}/transfer", {"number": "010-6552-9988"}, format="json"
        )
    assert response.status_code == 202, response.content
    (command,) = published.on("engine")
    assert command == {
        "type": "call.transfer",
        "agent_id": subject.agent.pk,
        "call_uid": call.uid,
        "number": "01065529988",
    }


@pytest.mark.parametrize(
    ("number", "code"),
    [("16812345", "dial_premium"), ("+449012345678", "dial_premium"), ("+85221234567", "dial_blocked_prefix")],
)
def test_transfer_to_a_refused_number_is_never_sent(acme, talking, published, number, code):
    subject, call = talking
    response = acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/transfer", {"number": number}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert published.on("engine") == []


def test_transfer_to_a_do_not_call_number_is_refused(acme, talking):
    subject, call = talking
    with tenant_context(acme.tenant):
        DoNotCall.objects.create(number="+8613900003333")
    response = acme.api(subject.user).post(
        f"/api/v1/calls/{call.uid}/transfer", {"number": "13900003333"}, format="json"
    )
    assert response.json()["code"] == "dial_dnc"


def test_transfer_needs_exactly_one_of_queue_agent_or_number(acme, talking):
    subject, call = talking
    response = acme.api(subject.user).post(
        f"/api/v1/calls/{call.uid}/transfer", {"number": "13800138000", "queue_id": 1}, format="json"
    )
    assert response.status_code == 400
    assert "target" in response.json()["fields"]
    bad = acme.api(subject.user).post(f"/api/v1/calls/{call.uid}/transfer", {"number": "12ab"}, format="json")
    assert bad.json()["code"] == "invalid" and "number" in bad.json()["fields"]


# --- callbacks: the engine calls the caller's number itself ------------------------------------------------------


def test_a_callback_to_a_premium_number_is_refused_and_the_caller_waits_in_the_queue():
    from tests.telephony.test_engine import GRAPH, ivr_caller

    clock, driver, controller, store = build(graph=GRAPH, caller=ivr_caller(menu="3"))
    uid = call_in(driver, caller="+19005551234")  # presses 3 (call me back) at 7 s
    clock.run_until(10)
    assert "callback_refused" in [kind for call_uid, kind, _data in store.events if call_uid == uid]
    assert store.callbacks == []
    assert controller.calls[uid].status == engine_state.QUEUED
    assert f"{uid}-cb1" not in controller.calls


def test_a_callback_offer_from_an_international_caller_keeps_them_waiting():
    queue = QueueSettings(queue_id=QUEUE, callback_offer=True, callback_offer_after_seconds=60)
    clock, driver, controller, store = build(queues=[queue], caller=ivr_caller_offer())
    uid = call_in(driver, caller="+85221234567")
    clock.run_until(70)
    assert controller.calls[uid].status == engine_state.QUEUED
    assert store.callbacks == []


def test_a_callback_to_an_allowed_number_still_works_and_policy_reloads_reach_the_engine():
    from apps.telephony.dialer.dialling import Rules
    from apps.telephony.engine.config import TenantConfig

    queue = QueueSettings(queue_id=QUEUE, callback_offer=True, callback_offer_after_seconds=60)
    clock, driver, controller, store = build(queues=[queue], caller=ivr_caller_offer())
    controller.apply_config(
        TenantConfig(
            queues={QUEUE: queue},
            numbers=dict(controller.numbers),
            dialling_rules=Rules(allow_international=True, allowed_prefixes=("+86", "+852")),
        )
    )
    uid = call_in(driver, caller="+85221234567")
    clock.run_until(70)
    assert controller.calls[f"{uid}-cb1"].status == engine_state.CALLBACK_WAITING


def ivr_caller_offer():
    from tests.telephony.test_engine import ivr_caller

    return ivr_caller(callback_offer="1")


def test_the_engine_loads_the_tenants_policy(acme):
    from apps.telephony.engine.config import load_tenant_config

    with tenant_context(acme.tenant):
        dialling_service.dialling_policy_update(allow_international=True, allowed_prefixes=["+86", "+852"])
        config = load_tenant_config(acme.tenant, customers=False)
    assert config.dialling_rules.allow_international is True
    assert config.dialling_rules.allowed_prefixes == ("+86", "+852")
