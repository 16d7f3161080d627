"""Queue KPIs (apps.telephony.selectors.kpis) by DOMAIN.md §2, from hand-built CDRs with known answers.

Queue A, T = 15 s, short abandon = 5 s, calls arriving in the window:
- answered after 5, 10, 15 (at the threshold: within), 20, 30 s  → 5 answered, 3 within SL
- abandoned after 40 and 25 s (after T)                          → 2
- abandoned after 8 s (within T, not short)                      → 1 (not in SL, in abandon rate)
- abandoned after 2 and 4 s (short)                              → 2, excluded everywhere
- left for a callback after 60 s                                 → offered, neither answered nor abandoned
- one blocked call on a number routed to A, one IVR-only call on that number
offered = 11; SL = 3 / (5 + 2) = 42.86 %; ASA = 16 s; abandon rate = 3 / 11 = 27.27 %;
handled = 4 (one answered call still in wrap-up); AHT = (120 + 240 + 60 + 180) / 4 = 150 s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import tenant_context

from apps.telephony.choices import CallEndReason, CallStatus
from apps.telephony.models import PhoneNumber, Trunk
from apps.telephony.selectors.kpis import agent_kpis, queue_kpis
from apps.telephony.services import cdr
from tests.telephony.call_factories import T0, at, make_agent, make_queue, stored_call, uid

SINCE = T0 - timedelta(hours=1)
UNTIL = T0 + timedelta(hours=1)


def answered(queue, agent, *, wait, talk=100, hold=0, wrapup=20, wrapup_done=True, number=None):
    queued = at(10)
    ended = queued + timedelta(seconds=wait + talk + hold)
    return stored_call(
        queue=queue,
        agent=agent,
        number=number,
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
    )


def unanswered(queue, *, wait, abandoned=True, reason=CallEndReason.ABANDONED, arrived=T0):
    queued = arrived + timedelta(seconds=10)
    return stored_call(
        arrived_at=arrived,
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


@pytest.fixture
def world(acme):
    with tenant_context(acme.tenant):
        queue_a = make_queue(sl_threshold_seconds=15, short_abandon_seconds=5)
        queue_b = make_queue(sl_threshold_seconds=20)
        idle = make_queue()
        agent = make_agent(acme.user("agent"))
        number = PhoneNumber.objects.create(number="+864009990001", trunk=Trunk.objects.first(), queue=queue_a)
        answered(queue_a, agent, wait=5, talk=100, hold=0, wrapup=20)
        answered(queue_a, agent, wait=10, talk=200, hold=10, wrapup=30)
        answered(queue_a, agent, wait=15, talk=60, hold=0, wrapup=0)
        answered(queue_a, agent, wait=20, talk=150, hold=5, wrapup=25)
        answered(queue_a, agent, wait=30, talk=80, wrapup_done=False)
        for wait in (40, 25, 8, 2, 4):
            unanswered(queue_a, wait=wait)
        unanswered(queue_a, wait=60, abandoned=False, reason=CallEndReason.CALLBACK)
        stored_call(number=number, blocked=True, end_reason=CallEndReason.BLOCKED, ended_at=T0, status="ended")
        stored_call(number=number, ended_at=at(30), end_reason=CallEndReason.IVR_HANGUP, status="ended")
        unanswered(queue_a, wait=100, arrived=SINCE - timedelta(minutes=5))  # before the window
        unanswered(queue_a, wait=100, arrived=UNTIL)  # the window's end is exclusive
        answered(queue_b, agent, wait=1, talk=30, wrapup=0)
        unanswered(queue_b, wait=30)
        yield {"a": queue_a, "b": queue_b, "idle": idle, "agent": agent, "tenant": acme}


@pytest.fixture
def kpis_a(world):
    return queue_kpis(since=SINCE, until=UNTIL, queue_ids=[world["a"].pk])[world["a"].pk]


def test_offered_counts_every_call_that_entered_the_queue(kpis_a):
    assert kpis_a["offered"] == 11


def test_answered_counts_answered_calls(kpis_a):
    assert kpis_a["answered"] == 5


def test_abandoned_leaves_out_short_abandons(kpis_a):
    assert kpis_a["abandoned"] == 3
    assert kpis_a["short_abandons"] == 2


def test_the_output_says_short_abandons_are_excluded(kpis_a):
    assert kpis_a["short_abandons_excluded"] is True
    assert kpis_a["short_abandon_seconds"] == 5


def test_service_level_by_the_domain_formula(kpis_a):
    assert kpis_a["sl_percent"] == round(100 * 3 / 7, 2)


def test_asa_is_the_mean_wait_of_answered_calls(kpis_a):
    assert kpis_a["asa_seconds"] == 16.0


def test_abandon_rate_is_abandoned_over_offered(kpis_a):
    assert kpis_a["abandon_rate"] == round(100 * 3 / 11, 2)


def test_handled_needs_wrapup_to_be_over(kpis_a):
    assert kpis_a["handled"] == 4


def test_aht_is_talk_hold_and_wrapup_over_handled_calls(kpis_a):
    assert kpis_a["aht_seconds"] == 150.0


def test_blocked_calls_count_against_the_numbers_queue(kpis_a):
    assert kpis_a["blocked"] == 1


def test_other_queues_are_counted_apart(world):
    kpis = queue_kpis(since=SINCE, until=UNTIL, queue_ids=[world["b"].pk])

    assert set(kpis) == {world["b"].pk}
    b = kpis[world["b"].pk]
    assert (b["offered"], b["answered"], b["abandoned"]) == (2, 1, 1)
    assert b["sl_percent"] == 50.0
    assert b["aht_seconds"] == 30.0


def test_a_queue_without_calls_has_zeros_and_no_ratios(world):
    idle = queue_kpis(since=SINCE, until=UNTIL, queue_ids=[world["idle"].pk])[world["idle"].pk]

    assert idle["offered"] == 0
    assert idle["handled"] == 0
    assert idle["sl_percent"] is None
    assert idle["asa_seconds"] is None
    assert idle["abandon_rate"] is None
    assert idle["aht_seconds"] is None


def test_every_queue_is_reported_without_a_filter(world):
    kpis = queue_kpis(since=SINCE, until=UNTIL)

    assert {world["a"].pk, world["b"].pk, world["idle"].pk} <= set(kpis)


def test_kpis_take_two_queries(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        queue_kpis(since=SINCE, until=UNTIL)


def test_changing_the_threshold_later_does_not_rewrite_history(world):
    queue_a = world["a"]
    queue_a.sl_threshold_seconds = 60
    queue_a.save(update_fields=["sl_threshold_seconds"])

    kpis = queue_kpis(since=SINCE, until=UNTIL, queue_ids=[queue_a.pk])[queue_a.pk]

    assert kpis["sl_percent"] == round(100 * 3 / 7, 2)


def test_agent_kpis_sum_handled_work(world):
    mine = agent_kpis(since=SINCE, until=UNTIL, agent_ids=[world["agent"].pk])[world["agent"].pk]

    assert mine["answered"] == 6
    assert mine["handled"] == 5
    assert mine["talk_seconds"] == 100 + 200 + 60 + 150 + 30
    assert mine["hold_seconds"] == 15
    assert mine["wrapup_seconds"] == 75
    assert mine["aht_seconds"] == round((120 + 240 + 60 + 180 + 30) / 5, 2)


def test_kpis_of_calls_built_by_the_cdr_service(acme):
    """The CDR service's classification feeds the KPIs: one answered within SL, one abandoned after T,
    one short abandon."""
    with tenant_context(acme.tenant):
        queue = make_queue(sl_threshold_seconds=15, short_abandon_seconds=5, wrapup_seconds=0)
        agent = make_agent(acme.user("agent"))
        for wait, answer in ((4, True), (30, False), (3, False)):
            call = cdr.call_open(uid=uid(), direction="inbound", caller="1", callee="2", at=at(0))
            cdr.call_queued(call, queue=queue, at=at(0))
            if answer:
                cdr.call_answered(call, agent=agent, at=at(wait))
                cdr.call_close(call, at=at(wait + 60), end_reason=CallEndReason.COMPLETED)
            else:
                cdr.call_close(call, at=at(wait), end_reason=CallEndReason.ABANDONED)

        kpis = queue_kpis(since=SINCE, until=UNTIL, queue_ids=[queue.pk])[queue.pk]

    assert kpis["offered"] == 3
    assert kpis["short_abandons"] == 1
    assert kpis["sl_percent"] == 50.0
    assert kpis["abandon_rate"] == round(100 / 3, 2)
    assert kpis["handled"] == 1
    assert kpis["aht_seconds"] == 60.0


# --- GET /api/v1/kpis/queues --------------------------------------------------------------


def _api_kpis(world, user, **params):
    params.setdefault("since", SINCE.isoformat())
    params.setdefault("until", UNTIL.isoformat())
    return world["tenant"].api(user).get("/api/v1/kpis/queues", params)


def test_kpi_api_gives_the_selector_figures(world):
    response = _api_kpis(world, world["tenant"].user("supervisor"))

    assert response.status_code == 200
    body = response.json()
    assert body["short_abandons_excluded"] is True
    row = next(q for q in body["queues"] if q["queue_id"] == world["a"].pk)
    assert row["offered"] == 11
    assert row["sl_percent"] == round(100 * 3 / 7, 2)
    assert row["aht_seconds"] == 150.0


def test_kpi_api_accepts_dates_in_tenant_time(world):
    response = _api_kpis(world, world["tenant"].user("qa"), since="2025-03-03", until="2025-03-04")

    assert response.status_code == 200
    assert response.json()["since"].startswith("2025-03-03T00:00:00")


def test_kpi_api_refuses_a_bad_date(world):
    response = _api_kpis(world, world["tenant"].user("supervisor"), since="yesterday")

    assert response.status_code == 400
    assert "since" in response.json()["fields"]


@pytest.mark.parametrize("since", ["0001-01-01", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-10:00"])
def test_kpi_api_refuses_a_date_outside_the_calendar(world, since):
    """A moment that cannot be expressed in UTC (the first day of year 1 east of Greenwich) is a
    400 on its field, not an overflow deep in the database adapter."""
    response = _api_kpis(world, world["tenant"].user("supervisor"), since=since, until="9999-12-31")

    assert response.status_code == 400
    assert "since" in response.json()["fields"]


def test_kpi_api_takes_any_utc_offset_iso_8601_allows(world):
    """+16:40 is a valid ISO 8601 offset that PostgreSQL refuses as a time zone: the API reads the
    moment in UTC, so the window is answered, not a 500."""
    response = _api_kpis(world, world["tenant"].user("supervisor"), since="2025-03-03T00:00:00+16:40")

    assert response.status_code == 200, response.content
    since = datetime.fromisoformat(response.json()["since"])
    assert since == datetime(2025, 3, 2, 7, 20, tzinfo=UTC)


def test_kpi_api_refuses_an_empty_window(world):
    response = _api_kpis(world, world["tenant"].user("supervisor"), since=UNTIL.isoformat(), until=SINCE.isoformat())

    assert response.status_code == 400


def test_kpi_api_is_not_for_agents(world):
    assert _api_kpis(world, world["tenant"].user("agent")).status_code == 403


def test_kpi_api_refuses_another_tenants_token(world, globex):
    client = world["tenant"].api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}")

    assert client.get("/api/v1/kpis/queues").status_code == 401
