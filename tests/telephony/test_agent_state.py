"""The agent state machine (apps.telephony.agent_states) and agent_set_state."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.telephony import agent_states
from apps.telephony.models import AgentStateEvent, PauseReason
from apps.telephony.services.agent_state import agent_login, agent_set_state
from tests.telephony.agent_helpers import Published, give_call, make_agent, make_call, reload

STATES = ["offline", "ready", "not_ready", "reserved", "talking", "hold", "wrap_up"]
SOURCES = ["agent", "supervisor", "engine"]
A, S, E = "agent", "supervisor", "engine"

# The specification (ARCHITECTURE §5, issue 3), written out independently of the module's table.
ALLOWED = {
    ("offline", "ready"): {A, E},
    ("offline", "not_ready"): {A, E},
    ("ready", "not_ready"): {A, S, E},
    ("not_ready", "ready"): {A, S, E},
    ("not_ready", "not_ready"): {A, S, E},
    ("ready", "offline"): {A, S, E},
    ("not_ready", "offline"): {A, S, E},
    ("ready", "reserved"): {E},
    ("not_ready", "reserved"): {E},
    ("reserved", "talking"): {E},
    ("reserved", "ready"): {E},
    ("reserved", "not_ready"): {E},
    ("reserved", "offline"): {A, S, E},
    ("talking", "hold"): {E},
    ("hold", "talking"): {E},
    ("talking", "wrap_up"): {E},
    ("hold", "wrap_up"): {E},
    ("talking", "ready"): {E},
    ("hold", "ready"): {E},
    ("wrap_up", "ready"): {A, S, E},
    ("wrap_up", "not_ready"): {A, S, E},
    ("wrap_up", "offline"): {A, S, E},
}
EVERY_CHANGE = [
    (old, new, source)
    for old, new, source in itertools.product(STATES, STATES, SOURCES)
    if old != new or old == "not_ready"
]


def _id(case) -> str:
    return "-".join(case)


@pytest.fixture
def published(monkeypatch) -> Published:
    record = Published()
    monkeypatch.setattr(
        "apps.core.events.publish", lambda schema, topic, message: record.messages.append((topic, message))
    )
    return record


# --- the table ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", EVERY_CHANGE, ids=_id)
def test_table_allows_exactly_the_specified_changes(case):
    old, new, source = case
    assert agent_states.is_allowed(old, new, source) is (source in ALLOWED.get((old, new), set()))


def test_table_has_no_transitions_beyond_the_specification():
    assert {key: set(value) for key, value in agent_states.TRANSITIONS.items()} == ALLOWED


def test_validate_refuses_unknown_states_and_sources():
    with pytest.raises(agent_states.TransitionRefused):
        agent_states.validate_transition("ready", "dancing", "agent")
    with pytest.raises(agent_states.TransitionRefused):
        agent_states.validate_transition("ready", "not_ready", "robot")


def test_nobody_but_call_control_leaves_a_live_call():
    for live in ("talking", "hold"):
        for target in ("not_ready", "offline"):
            assert not any(agent_states.is_allowed(live, target, source) for source in SOURCES)


# --- the service honours the table -------------------------------------------------------------------


@pytest.mark.parametrize("case", EVERY_CHANGE, ids=_id)
def test_service_applies_allowed_and_refuses_other_changes(acme, case):
    old, new, source = case
    subject = make_agent(acme, state=old, reason="break" if old == "not_ready" else None)
    allowed = source in ALLOWED.get((old, new), set())
    with tenant_context(acme.tenant):
        reason = "lunch" if new == "not_ready" else None
        if allowed:
            agent_set_state(agent=subject.agent, state=new, reason_code=reason, source=source)
        else:
            with pytest.raises(ApplicationError) as refused:
                agent_set_state(agent=subject.agent, state=new, reason_code=reason, source=source)
            assert refused.value.code == "invalid_transition"
        events = list(AgentStateEvent.objects.filter(agent=subject.agent))
    after = reload(acme, subject.agent)
    if allowed:
        assert after.state == new
        assert [(e.from_state, e.to_state) for e in events] == [(old, new)]
    else:
        assert after.state == old
        assert events == []


# --- what a change records ------------------------------------------------------------------------


def test_change_writes_an_event_with_reason_actor_call_and_time_in_previous_state(acme):
    subject = make_agent(acme, state="ready")
    supervisor = acme.user("supervisor")
    t0 = timezone.now()
    with tenant_context(acme.tenant):
        type(subject.agent).objects.filter(pk=subject.agent.pk).update(state_since=t0)
        agent_set_state(
            agent=subject.agent,
            state="not_ready",
            reason_code="break",
            actor=supervisor,
            source="supervisor",
            now=t0 + timedelta(seconds=90),
        )
        event = AgentStateEvent.objects.get(agent=subject.agent)
        assert event.from_state == "ready"
        assert event.to_state == "not_ready"
        assert event.reason.code == "break"
        assert event.actor_id == supervisor.pk
        assert event.at == t0 + timedelta(seconds=90)
        assert event.seconds_in_previous == 90.0


def test_change_moves_state_since_and_keeps_the_reason(acme):
    subject = make_agent(acme, state="ready")
    later = timezone.now() + timedelta(minutes=5)
    with tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="not_ready", reason_code="lunch", now=later)
    after = reload(acme, subject.agent)
    assert after.state_since == later
    assert after.reason.code == "lunch"


def test_entering_ready_stamps_idle_since(acme):
    subject = make_agent(acme, state="not_ready", reason="break")
    moment = timezone.now() + timedelta(seconds=3)
    with tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="ready", now=moment)
    assert reload(acme, subject.agent).idle_since == moment


def test_leaving_ready_keeps_idle_since(acme):
    subject = make_agent(acme, state="not_ready", reason="break")
    first = timezone.now()
    with tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="ready", now=first)
        agent_set_state(agent=subject.agent, state="not_ready", reason_code="break", now=first + timedelta(seconds=9))
    assert reload(acme, subject.agent).idle_since == first


def test_ready_clears_the_reason(acme):
    subject = make_agent(acme, state="not_ready", reason="break")
    with tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="ready", reason_code="break")
    assert reload(acme, subject.agent).reason is None


def test_the_callers_instance_sees_the_new_state(acme):
    subject = make_agent(acme, state="ready")
    with tenant_context(acme.tenant):
        returned = agent_set_state(agent=subject.agent, state="not_ready", reason_code="break")
    assert returned.state == "not_ready"
    assert subject.agent.state == "not_ready"


def test_engine_offer_records_the_call_and_ready_clears_it(acme):
    subject = make_agent(acme, state="ready")
    call = make_call(acme, status="offered")
    with tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="reserved", call=call, source="engine")
        assert reload(acme, subject.agent).current_call_id == call.pk
        assert AgentStateEvent.objects.get(agent=subject.agent).call_id == call.pk
        agent_set_state(agent=subject.agent, state="ready", source="engine")
    assert reload(acme, subject.agent).current_call_id is None


def test_wrap_up_keeps_the_current_call(acme):
    subject = make_agent(acme)
    call = give_call(acme, subject.agent, state="talking", call_status="talking")
    with tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="wrap_up", source="engine")
    assert reload(acme, subject.agent).current_call_id == call.pk


def test_offline_frees_the_seat(acme):
    subject = make_agent(acme, state="ready")
    with tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="offline")
    assert reload(acme, subject.agent).seat is None


def test_same_state_and_reason_changes_nothing(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="not_ready", reason="break")
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="not_ready", reason_code="break")
        assert not AgentStateEvent.objects.filter(agent=subject.agent).exists()
    assert published.messages == []


def test_new_reason_while_not_ready_is_a_change(acme):
    subject = make_agent(acme, state="not_ready", reason="break")
    with tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="not_ready", reason_code="meeting")
        event = AgentStateEvent.objects.select_related("reason").get(agent=subject.agent)
    assert event.reason.code == "meeting"
    assert reload(acme, subject.agent).reason.code == "meeting"


# --- refusals ---------------------------------------------------------------------------------------


def _refusal(acme, subject, **kwargs) -> ApplicationError:
    with tenant_context(acme.tenant), pytest.raises(ApplicationError) as refused:
        agent_set_state(agent=subject.agent, **kwargs)
    return refused.value


def test_not_ready_needs_a_reason(acme):
    subject = make_agent(acme, state="ready")
    error = _refusal(acme, subject, state="not_ready")
    assert error.code == "reason_required"
    assert "reason" in error.fields
    assert reload(acme, subject.agent).state == "ready"


def test_unknown_reason_is_refused(acme):
    subject = make_agent(acme, state="ready")
    assert _refusal(acme, subject, state="not_ready", reason_code="nap").code == "unknown_reason"


def test_inactive_reason_is_refused(acme):
    subject = make_agent(acme, state="ready")
    with tenant_context(acme.tenant):
        PauseReason.objects.filter(code="lunch").update(is_active=False)
    assert _refusal(acme, subject, state="not_ready", reason_code="lunch").code == "unknown_reason"


def test_people_cannot_pick_the_missed_reason(acme):
    subject = make_agent(acme, state="ready")
    assert _refusal(acme, subject, state="not_ready", reason_code="missed").code == "unknown_reason"
    assert _refusal(acme, subject, state="not_ready", reason_code="missed", source="supervisor").code == (
        "unknown_reason"
    )


def test_engine_sets_missed_after_an_unanswered_offer(acme):
    subject = make_agent(acme)
    give_call(acme, subject.agent, state="reserved", call_status="offered")
    with tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="not_ready", reason_code="missed", source="engine")
    after = reload(acme, subject.agent)
    assert (after.state, after.reason.code) == ("not_ready", "missed")


def test_unknown_state_is_refused(acme):
    subject = make_agent(acme, state="ready")
    error = _refusal(acme, subject, state="asleep")
    assert error.code == "invalid"
    assert "state" in error.fields


def test_ready_without_a_seat_is_refused(acme):
    subject = make_agent(acme, seat=False)
    assert _refusal(acme, subject, state="ready").code == "not_logged_in"
    assert reload(acme, subject.agent).state == "offline"


def test_virtual_agents_need_no_seat(acme):
    subject = make_agent(acme, seat=False)
    with tenant_context(acme.tenant):
        type(subject.agent).objects.filter(pk=subject.agent.pk).update(is_virtual=True)
        subject.agent.refresh_from_db()
        agent_set_state(agent=subject.agent, state="ready", source="engine")
    assert reload(acme, subject.agent).state == "ready"


def test_unknown_source_is_a_programming_error(acme):
    subject = make_agent(acme, state="ready")
    with tenant_context(acme.tenant), pytest.raises(ValueError, match="source"):
        agent_set_state(agent=subject.agent, state="not_ready", reason_code="break", source="robot")


# --- publishing -----------------------------------------------------------------------------------------


def test_change_is_published_only_when_the_transaction_commits(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="not_ready", reason="break")
    with django_capture_on_commit_callbacks(execute=False) as callbacks, tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="ready")
    assert published.messages == []
    for callback in callbacks:
        callback()
    assert sorted(published.topics()) == sorted(["wallboard", f"agent.{subject.agent.pk}", "engine"])


def test_published_message_follows_the_contract(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="ready")
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
        agent_set_state(agent=subject.agent, state="not_ready", reason_code="break")
    after = reload(acme, subject.agent)
    (wallboard,) = published.on("wallboard")
    assert wallboard["type"] == "agent.state"
    assert wallboard["agent_id"] == subject.agent.pk
    assert wallboard["state"] == "not_ready"
    assert wallboard["reason"] == "break"
    assert wallboard["since"] == after.state_since.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert published.on(f"agent.{subject.agent.pk}") == [wallboard]
    (engine,) = published.on("engine")
    assert engine == {**wallboard, "source": "agent"}


def test_rolled_back_change_is_never_published(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="ready")
    with (
        django_capture_on_commit_callbacks(execute=True),
        tenant_context(acme.tenant),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        agent_set_state(agent=subject.agent, state="not_ready", reason_code="break")
        raise RuntimeError("abort")
    assert published.messages == []
    assert reload(acme, subject.agent).state == "ready"


def test_refused_change_publishes_nothing(acme, published, django_capture_on_commit_callbacks):
    subject = make_agent(acme, state="ready")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        tenant_context(acme.tenant),
        pytest.raises(ApplicationError),
    ):
        agent_set_state(agent=subject.agent, state="talking")
    assert callbacks == []
    assert published.messages == []


# --- login ------------------------------------------------------------------------------------------------


def test_login_takes_the_seat_and_leaves_the_agent_not_ready_logged_in(acme):
    subject = make_agent(acme, seat=False)
    with tenant_context(acme.tenant):
        agent = agent_login(user=subject.user, seat_extension="1001")
    assert agent.seat.extension == "1001"
    after = reload(acme, subject.agent)
    assert (after.state, after.reason.code, after.seat.extension) == ("not_ready", "login", "1001")


def test_login_accepts_the_contracts_agent_user_keyword(acme):
    subject = make_agent(acme, seat=False)
    with tenant_context(acme.tenant):
        agent_login(agent_user=subject.user, seat_extension="1002")
    assert reload(acme, subject.agent).seat.extension == "1002"


def test_login_creates_the_agent_row_for_a_user_with_the_agent_role(acme):
    user = acme.user("agent")
    with tenant_context(acme.tenant):
        agent = agent_login(user=user, seat_extension="1003")
        assert agent.user_id == user.pk
        assert agent.state == "not_ready"


def test_login_of_a_user_without_the_agent_role_is_forbidden(acme):
    user = acme.user("supervisor")
    with tenant_context(acme.tenant), pytest.raises(ApplicationError) as refused:
        agent_login(user=user, seat_extension="1001")
    assert refused.value.status == 403
    assert refused.value.code == "not_an_agent"


def test_login_to_a_seat_held_by_a_logged_in_agent_is_refused(acme):
    holder = make_agent(acme, state="ready")
    newcomer = make_agent(acme, seat=False)
    with tenant_context(acme.tenant), pytest.raises(ApplicationError) as refused:
        agent_login(user=newcomer.user, seat_extension=holder.seat.extension)
    assert refused.value.code == "seat_taken"
    assert reload(acme, newcomer.agent).state == "offline"
    assert reload(acme, holder.agent).seat_id == holder.seat.pk


def test_login_to_an_unknown_seat_is_refused(acme):
    subject = make_agent(acme, seat=False)
    with tenant_context(acme.tenant), pytest.raises(ApplicationError) as refused:
        agent_login(user=subject.user, seat_extension="9999")
    assert refused.value.code == "unknown_seat"


def test_changes_made_outside_the_service_can_still_be_announced(acme, published, django_capture_on_commit_callbacks):
    from apps.telephony.services.agent_state import agent_state_publish

    subject = make_agent(acme, state="reserved")
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
        agent_state_publish(agent=reload(acme, subject.agent), source="engine")
    (message,) = published.on("wallboard")
    assert (message["type"], message["agent_id"], message["state"]) == ("agent.state", subject.agent.pk, "reserved")
    assert published.on("engine")[0]["source"] == "engine"
