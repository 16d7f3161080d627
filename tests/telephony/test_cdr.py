"""CDR building (apps.telephony.services.cdr): every computed field of a Call, its timeline,
and the bulk path used by virtual-time runs.

Edges are inclusive: a call answered after exactly the SL threshold is within SL, and a call
abandoned after exactly ``short_abandon_seconds`` is a short abandon.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django_tenants.utils import tenant_context

from apps.core.errors import ApplicationError
from apps.crm.services import customer_create
from apps.telephony.choices import CallDirection, CallEndReason, CallStatus
from apps.telephony.models import Call, CallEvent
from apps.telephony.services import cdr
from tests.telephony.call_factories import at, make_agent, make_disposition, make_queue, uid


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


@pytest.fixture
def queue(tenant):
    return make_queue(sl_threshold_seconds=15, short_abandon_seconds=5, wrapup_seconds=30)


@pytest.fixture
def agent(tenant):
    return make_agent(tenant.user("agent"))


def open_call(caller: str = "13900000001", **kwargs) -> Call:
    kwargs.setdefault("at", at(0))
    return cdr.call_open(uid=uid(), direction=CallDirection.INBOUND, caller=caller, callee="4001234567", **kwargs)


def queued_call(queue, *, queued: float = 0, **kwargs) -> Call:
    call = open_call(**kwargs)
    return cdr.call_queued(call, queue=queue, at=at(queued))


def answered_call(queue, agent, *, wait: float, queued: float = 0) -> Call:
    call = queued_call(queue, queued=queued)
    cdr.call_offered(call, agent=agent, at=at(queued + wait))
    return cdr.call_answered(call, agent=agent, at=at(queued + wait))


def kinds(call: Call) -> list[str]:
    return list(CallEvent.objects.filter(call=call).order_by("at", "id").values_list("kind", flat=True))


# --- opening ------------------------------------------------------------------------------


def test_open_call_is_in_ivr_with_an_arrived_event(tenant):
    call = open_call()

    call.refresh_from_db()
    assert call.status == CallStatus.IVR
    assert call.arrived_at == at(0)
    assert call.priority == 0
    assert kinds(call) == ["arrived"]


def test_open_call_finds_the_customer_by_caller_number(tenant):
    customer = customer_create(name="Li Lei", phones=["+86 139 0000 0001"])

    call = open_call(caller="13900000001")

    assert call.customer_id == customer.pk


def test_outbound_call_finds_the_customer_by_the_number_dialled(tenant):
    customer = customer_create(name="Li Lei", phones=["13900000005"])

    call = cdr.call_open(
        uid=uid(), direction=CallDirection.OUTBOUND, caller="4001234567", callee="13900000005", at=at(0)
    )

    assert call.customer_id == customer.pk


def test_unknown_caller_has_no_customer(tenant):
    assert open_call(caller="13700000009").customer_id is None


def test_vip_caller_gets_vip_priority(tenant):
    customer_create(name="Han Meimei", phones=["13900000002"], is_vip=True)

    call = open_call(caller="13900000002")

    assert call.priority == cdr.VIP_PRIORITY


def test_vip_priority_never_lowers_a_higher_priority(tenant):
    customer_create(name="Han Meimei", phones=["13900000002"], is_vip=True)

    assert open_call(caller="13900000002", priority=50).priority == 50


def test_explicit_customer_wins_over_the_number_lookup(tenant):
    customer_create(name="By number", phones=["13900000003"])
    chosen = customer_create(name="Chosen", phones=["13900000004"])

    assert open_call(caller="13900000003", customer=chosen).customer_id == chosen.pk


def test_naive_timestamps_are_refused(tenant):
    with pytest.raises(ValueError, match="timezone-aware"):
        open_call(at=datetime(2025, 3, 3, 9, 0))  # noqa: DTZ001 - the point of the test


# --- queue, offer, answer -----------------------------------------------------------------


def test_queued_sets_queue_time_and_ends_ivr(tenant, queue):
    call = queued_call(queue, queued=12)

    call.refresh_from_db()
    assert call.status == CallStatus.QUEUED
    assert call.queue_id == queue.pk
    assert call.queued_at == at(12)
    assert call.ivr_exited_at == at(12)
    assert kinds(call) == ["arrived", "queued"]


def test_outbound_call_queued_for_an_agent_never_was_in_an_ivr(tenant, queue, agent):
    # A campaign's live answer is queued for an agent: it rang, it never was in an IVR, so it
    # has no "IVR time" (it used to get its ringing time, shown as "IVR (s) 0.9").
    call = cdr.call_open(uid=uid(), direction="outbound", caller="4008200000", callee="13900000009", at=at(0))
    cdr.call_queued(call, queue=queue, at=at(0.9))
    cdr.call_answered(call, agent=agent, at=at(2))
    cdr.call_close(call, at=at(30), end_reason=CallEndReason.COMPLETED)

    call.refresh_from_db()
    assert call.ivr_exited_at is None
    assert call.ivr_seconds == 0


def test_overflow_to_another_queue_keeps_the_first_queue_time(tenant, queue):
    other = make_queue()
    call = queued_call(queue, queued=5)

    cdr.call_queued(call, queue=other, at=at(65))

    call.refresh_from_db()
    assert call.queue_id == other.pk
    assert call.queued_at == at(5)


def test_each_offer_is_counted_and_the_first_is_kept(tenant, queue, agent):
    call = queued_call(queue)
    second = make_agent(tenant.user("agent"))

    cdr.call_offered(call, agent=agent, at=at(3))
    cdr.call_offered(call, agent=second, at=at(18))

    call.refresh_from_db()
    assert call.offer_count == 2
    assert call.offered_at == at(3)
    assert call.status == CallStatus.OFFERED
    offers = CallEvent.objects.filter(call=call, kind="offered").order_by("at")
    assert [event.agent_id for event in offers] == [agent.pk, second.pk]


def test_answer_sets_agent_and_talking(tenant, queue, agent):
    call = answered_call(queue, agent, wait=7)

    call.refresh_from_db()
    assert call.agent_id == agent.pk
    assert call.answered_at == at(7)
    assert call.status == CallStatus.TALKING


def test_a_call_cannot_be_answered_twice(tenant, queue, agent):
    call = answered_call(queue, agent, wait=7)

    with pytest.raises(ApplicationError) as error:
        cdr.call_answered(call, agent=agent, at=at(9))
    assert error.value.code == "invalid_call_state"


# --- a complete answered call -------------------------------------------------------------


@pytest.fixture
def full_call(tenant, queue, agent):
    """Arrives 0, queued 10, answered 16, hold 30–40, hangs up 76, wrap-up ends 100."""
    call = open_call()
    cdr.call_queued(call, queue=queue, at=at(10))
    cdr.call_offered(call, agent=agent, at=at(14))
    cdr.call_answered(call, agent=agent, at=at(16))
    cdr.call_hold_start(call, at=at(30))
    cdr.call_hold_stop(call, at=at(40))
    cdr.call_close(call, at=at(76), end_reason=CallEndReason.COMPLETED)
    return call


def test_ivr_seconds_run_from_arrival_to_queue(full_call):
    full_call.refresh_from_db()
    assert full_call.ivr_seconds == 10


def test_wait_seconds_run_from_queue_to_answer(full_call):
    full_call.refresh_from_db()
    assert full_call.wait_seconds == 6


def test_hold_seconds_accumulate(full_call):
    full_call.refresh_from_db()
    assert full_call.hold_seconds == 10


def test_talk_seconds_exclude_hold(full_call):
    full_call.refresh_from_db()
    assert full_call.talk_seconds == 50  # 76 - 16 - 10 on hold


def test_answered_call_is_not_abandoned(full_call):
    full_call.refresh_from_db()
    assert full_call.abandoned is False
    assert full_call.short_abandon is False
    assert full_call.blocked is False


def test_answered_within_threshold_is_within_sl_with_a_snapshot(full_call):
    full_call.refresh_from_db()
    assert full_call.answered_within_sl is True
    assert full_call.sl_threshold_seconds == 15


def test_closed_answered_call_goes_into_wrap_up(full_call):
    full_call.refresh_from_db()
    assert full_call.status == CallStatus.WRAP_UP
    assert full_call.ended_at == at(76)
    assert full_call.end_reason == CallEndReason.COMPLETED
    assert full_call.wrapup_ended_at is None


def test_wrapup_end_sets_wrapup_seconds_and_disposition(full_call):
    solved = make_disposition()

    cdr.call_wrapup_end(full_call, at=at(100), disposition=solved.code, notes="Refund sent")

    full_call.refresh_from_db()
    assert full_call.wrapup_seconds == 24
    assert full_call.wrapup_ended_at == at(100)
    assert full_call.status == CallStatus.ENDED
    assert full_call.disposition_id == solved.pk
    assert full_call.notes == "Refund sent"


def test_timeline_records_every_step_in_order(full_call):
    cdr.call_wrapup_end(full_call, at=at(100))

    assert kinds(full_call) == [
        "arrived",
        "queued",
        "offered",
        "answered",
        "held",
        "resumed",
        "ended",
        "wrapup_ended",
    ]


def test_unknown_disposition_is_refused(full_call):
    with pytest.raises(ApplicationError) as error:
        cdr.call_wrapup_end(full_call, at=at(100), disposition="no-such-code")

    assert error.value.code == "unknown_disposition"
    assert full_call.status == CallStatus.WRAP_UP  # unchanged in memory too, so a retry still ends it
    full_call.refresh_from_db()
    assert full_call.status == CallStatus.WRAP_UP


def test_wrapup_can_be_retried_without_the_unknown_disposition(full_call):
    with pytest.raises(ApplicationError):
        cdr.call_wrapup_end(full_call, at=at(100), disposition="no-such-code")

    cdr.call_wrapup_end(full_call, at=at(100))

    full_call.refresh_from_db()
    assert full_call.status == CallStatus.ENDED
    assert full_call.wrapup_seconds == 24


def test_closing_twice_is_refused(full_call):
    with pytest.raises(ApplicationError) as error:
        cdr.call_close(full_call, at=at(90), end_reason=CallEndReason.COMPLETED)

    assert error.value.code == "invalid_call_state"


def test_wrapup_cannot_end_before_the_call(tenant, queue, agent):
    call = answered_call(queue, agent, wait=3)

    with pytest.raises(ApplicationError) as error:
        cdr.call_wrapup_end(call, at=at(20))
    assert error.value.code == "invalid_call_state"


# --- hold ---------------------------------------------------------------------------------


def test_hang_up_on_hold_counts_the_open_hold(tenant, queue, agent):
    call = answered_call(queue, agent, wait=0)
    cdr.call_hold_start(call, at=at(20))

    cdr.call_close(call, at=at(50), end_reason=CallEndReason.COMPLETED)

    call.refresh_from_db()
    assert call.hold_seconds == 30
    assert call.talk_seconds == 20


def test_resume_finds_the_hold_start_in_the_timeline(tenant, queue, agent):
    """Another process (a reloaded row) can end a hold started elsewhere."""
    call = answered_call(queue, agent, wait=0)
    cdr.call_hold_start(call, at=at(20))

    fresh = Call.objects.get(pk=call.pk)
    cdr.call_hold_stop(fresh, at=at(32))

    fresh.refresh_from_db()
    assert fresh.hold_seconds == 12
    assert fresh.status == CallStatus.TALKING


def test_two_holds_add_up(tenant, queue, agent):
    call = answered_call(queue, agent, wait=0)
    for start, stop in ((10, 15), (20, 27)):
        cdr.call_hold_start(call, at=at(start))
        cdr.call_hold_stop(call, at=at(stop))

    call.refresh_from_db()
    assert call.hold_seconds == 12


def test_hold_needs_a_talking_call(tenant, queue):
    call = queued_call(queue)

    with pytest.raises(ApplicationError) as error:
        cdr.call_hold_start(call, at=at(3))
    assert error.value.code == "invalid_call_state"


# --- service level edges ------------------------------------------------------------------


def test_answered_at_exactly_the_threshold_is_within_sl(tenant, queue, agent):
    call = answered_call(queue, agent, wait=15)
    cdr.call_close(call, at=at(60), end_reason=CallEndReason.COMPLETED)

    assert call.answered_within_sl is True


def test_answered_just_after_the_threshold_is_not_within_sl(tenant, queue, agent):
    call = answered_call(queue, agent, wait=15.5)
    cdr.call_close(call, at=at(60), end_reason=CallEndReason.COMPLETED)

    assert call.answered_within_sl is False


def test_sl_threshold_snapshot_follows_the_queue(tenant, agent):
    strict = make_queue(sl_threshold_seconds=20)
    call = answered_call(strict, agent, wait=18)
    cdr.call_close(call, at=at(60), end_reason=CallEndReason.COMPLETED)

    assert call.sl_threshold_seconds == 20
    assert call.answered_within_sl is True


# --- abandons -----------------------------------------------------------------------------


def test_caller_hanging_up_in_queue_abandons(tenant, queue):
    call = queued_call(queue, queued=4)

    cdr.call_close(call, at=at(24), end_reason=CallEndReason.ABANDONED)

    call.refresh_from_db()
    assert call.abandoned is True
    assert call.short_abandon is False
    assert call.wait_seconds == 20
    assert call.talk_seconds == 0
    assert call.answered_within_sl is False
    assert call.status == CallStatus.ENDED
    assert call.wrapup_ended_at == at(24)


def test_hanging_up_while_ringing_an_agent_abandons(tenant, queue, agent):
    call = queued_call(queue)
    cdr.call_offered(call, agent=agent, at=at(10))

    cdr.call_close(call, at=at(12), end_reason=CallEndReason.ABANDONED)

    assert call.abandoned is True


def test_abandon_at_exactly_the_short_abandon_time_is_short(tenant, queue):
    call = queued_call(queue)

    cdr.call_close(call, at=at(5), end_reason=CallEndReason.ABANDONED)

    assert call.abandoned is True
    assert call.short_abandon is True


def test_abandon_just_after_the_short_abandon_time_is_not_short(tenant, queue):
    call = queued_call(queue)

    cdr.call_close(call, at=at(5.001), end_reason=CallEndReason.ABANDONED)

    assert call.abandoned is True
    assert call.short_abandon is False


def test_short_abandon_time_zero_turns_the_exclusion_off(tenant):
    no_exclusion = make_queue(short_abandon_seconds=0)
    call = queued_call(no_exclusion)

    cdr.call_close(call, at=at(0), end_reason=CallEndReason.ABANDONED)

    assert call.abandoned is True
    assert call.short_abandon is False


@pytest.mark.parametrize(
    "reason",
    [CallEndReason.VOICEMAIL, CallEndReason.CALLBACK, CallEndReason.OVERFLOW, CallEndReason.FORCE_RELEASED],
)
def test_leaving_the_queue_for_another_service_is_not_an_abandon(tenant, queue, reason):
    call = queued_call(queue)

    cdr.call_close(call, at=at(40), end_reason=reason)

    assert call.abandoned is False
    assert call.wait_seconds == 40
    assert call.answered_within_sl is False


def test_hanging_up_in_the_ivr_is_not_an_abandon(tenant):
    call = open_call()

    cdr.call_close(call, at=at(33), end_reason=CallEndReason.IVR_HANGUP)

    call.refresh_from_db()
    assert call.abandoned is False
    assert call.wait_seconds is None
    assert call.answered_within_sl is None
    assert call.sl_threshold_seconds is None
    assert call.ivr_seconds == 33


def test_blocked_call_is_blocked_and_nothing_else(tenant):
    call = open_call()

    cdr.call_close(call, at=at(0), end_reason=CallEndReason.BLOCKED, blocked=True)

    call.refresh_from_db()
    assert call.blocked is True
    assert call.end_reason == CallEndReason.BLOCKED
    assert call.abandoned is False
    assert call.status == CallStatus.ENDED
    assert CallEvent.objects.get(call=call, kind="ended").data == {"end_reason": "blocked", "blocked": True}


# --- wrap-up choices ----------------------------------------------------------------------


def test_queue_without_wrapup_ends_the_call_at_hang_up(tenant, agent):
    quick = make_queue(wrapup_seconds=0)
    call = answered_call(quick, agent, wait=2)

    cdr.call_close(call, at=at(62), end_reason=CallEndReason.COMPLETED)

    assert call.status == CallStatus.ENDED
    assert call.wrapup_ended_at == at(62)
    assert call.wrapup_seconds == 0


def test_disposition_can_follow_a_call_without_wrapup(tenant, agent):
    quick = make_queue(wrapup_seconds=0)
    call = answered_call(quick, agent, wait=2)
    cdr.call_close(call, at=at(62), end_reason=CallEndReason.COMPLETED)

    cdr.call_wrapup_end(call, at=at(70), disposition=make_disposition().pk)

    call.refresh_from_db()
    assert call.disposition is not None
    assert call.wrapup_seconds == 0
    assert call.wrapup_ended_at == at(62)


def test_explicit_wrapup_flag_overrides_the_queue(tenant, queue, agent):
    call = answered_call(queue, agent, wait=2)

    cdr.call_close(call, at=at(30), end_reason=CallEndReason.COMPLETED, wrapup=False)

    assert call.status == CallStatus.ENDED


# --- updates and raw events ---------------------------------------------------------------


def test_call_update_accepts_foreign_keys_as_ids(tenant, queue):
    call = open_call()

    cdr.call_update(call, queue=queue.pk, survey_score=4)

    call.refresh_from_db()
    assert call.queue_id == queue.pk
    assert call.survey_score == 4


def test_call_update_refuses_unknown_fields(tenant):
    call = open_call()

    with pytest.raises(ValueError, match="no field"):
        cdr.call_update(call, colour="blue")


def test_call_event_stores_its_data_and_agent(tenant, agent):
    call = open_call()

    event = cdr.call_event(call, "ivr.node", at=at(2), agent=agent.pk, node="menu", digits="1")

    event.refresh_from_db()
    assert event.kind == "ivr.node"
    assert event.agent_id == agent.pk
    assert event.data == {"node": "menu", "digits": "1"}


def test_unknown_end_reason_is_refused(tenant):
    call = open_call()

    with pytest.raises(ApplicationError):
        cdr.call_close(call, at=at(3), end_reason="gone-fishing")


# --- bulk ---------------------------------------------------------------------------------


def test_bulk_create_matches_the_one_by_one_path(tenant, queue, agent):
    built, events = [], []
    for n, wait in enumerate((3, 20)):
        call = cdr.call_build(
            uid=f"h8-bulk-{n}",
            direction=CallDirection.INBOUND,
            caller="13900000001",
            callee="4001234567",
            at=at(0),
            is_simulated=True,
        )
        call.queue = queue
        call.queued_at = at(0)
        call.agent = agent
        call.answered_at = at(wait)
        cdr.call_close_compute(call, at=at(wait + 100), end_reason=CallEndReason.COMPLETED, queue=queue)
        cdr.call_wrapup_end_compute(call, at=at(wait + 110))
        events += [
            cdr.call_event_build(call, "arrived", at=at(0)),
            cdr.call_event_build(call, "answered", at=at(wait), agent=agent),
        ]
        built.append(call)
    abandoned = cdr.call_build(
        uid="h8-bulk-ab", direction=CallDirection.INBOUND, caller="1", callee="2", at=at(0), lookup_customer=False
    )
    abandoned.queue, abandoned.queued_at = queue, at(0)
    cdr.call_close_compute(abandoned, at=at(4), end_reason=CallEndReason.ABANDONED, queue=queue)
    built.append(abandoned)

    cdr.calls_bulk_create(built, events)

    rows = {call.uid: call for call in Call.objects.filter(uid__startswith="h8-bulk-")}
    assert set(rows) == {"h8-bulk-0", "h8-bulk-1", "h8-bulk-ab"}
    assert rows["h8-bulk-0"].answered_within_sl is True
    assert rows["h8-bulk-1"].answered_within_sl is False
    assert rows["h8-bulk-1"].talk_seconds == 100
    assert rows["h8-bulk-1"].wrapup_seconds == 10
    assert rows["h8-bulk-1"].status == CallStatus.ENDED
    assert rows["h8-bulk-ab"].short_abandon is True
    assert CallEvent.objects.filter(call__uid__startswith="h8-bulk-").count() == 4
    assert CallEvent.objects.get(call=rows["h8-bulk-1"], kind="answered").agent_id == agent.pk
