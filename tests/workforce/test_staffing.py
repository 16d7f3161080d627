"""Staffing: Erlang C figures of DOMAIN.md §3, shrinkage, the per-seat formula, roster coverage
(breaks and activities taken out) and the required/scheduled rows the roster editor shows.

History is written as KPI rollup rows (``q15``: one per queue and 15-minute bucket), the only
history staffing reads; shifts are rows written directly (the roster services are another
helper's and are tested there).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.reports.models import CallRollup
from apps.telephony.selectors.erlang import erlang_c, required_agents, service_level, traffic_erlangs
from apps.workforce import staffing
from apps.workforce.choices import ActivityKind, ShiftStatus
from apps.workforce.models import Shift, ShiftActivity, ShiftType
from apps.workforce.selectors import staffing as staffing_selectors
from apps.workforce.services.staffing_demo import staffing_demo_ensure
from tests.factories import QueueFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


# --- Erlang C (DOMAIN §3) -------------------------------------------------------------------------


def test_domain_check_figures_100_calls_aht_180_80_in_20_with_30_percent_shrinkage():
    figures = required_agents(
        calls=100, interval_seconds=1800, aht_seconds=180, sl_target=0.8, sl_threshold_seconds=20, shrinkage=0.3
    )
    assert figures.traffic == pytest.approx(10.0)
    assert figures.agents == 14
    assert figures.service_level == pytest.approx(0.888, abs=0.001)
    assert figures.wait_probability == pytest.approx(0.174, abs=0.001)
    assert figures.staff == 20


def test_thirteen_agents_miss_the_target_that_fourteen_meet():
    a = traffic_erlangs(100, 1800, 180)
    assert service_level(13, a, 180, 20) < 0.8 <= service_level(14, a, 180, 20)
    assert erlang_c(10, a) == 1.0  # N ≤ A: every caller waits


def test_interval_requirement_uses_the_queue_target_and_occupancy_cap():
    target = staffing.QueueTarget(queue_id=1, sl_target=0.8, sl_threshold_seconds=20)
    free = staffing.interval_requirement(
        slot=3, calls=100, aht_seconds=180, interval_seconds=1800, target=target, max_occupancy=1.0, shrinkage=0.3
    )
    assert (free.slot, free.agents, free.staff) == (3, 14, 20)
    capped = staffing.interval_requirement(
        slot=3, calls=100, aht_seconds=180, interval_seconds=1800, target=target, max_occupancy=0.65, shrinkage=0.3
    )
    assert capped.agents == 16  # 10 / 16 = 0.625 ≤ 0.65 < 10 / 15
    assert capped.occupancy == pytest.approx(0.625)


def test_an_interval_without_calls_needs_nobody():
    target = staffing.QueueTarget(queue_id=1, sl_target=0.8, sl_threshold_seconds=20)
    row = staffing.interval_requirement(
        slot=0, calls=0.0, aht_seconds=180, interval_seconds=1800, target=target, max_occupancy=0.85, shrinkage=0.3
    )
    assert (row.agents, row.staff, row.service_level) == (0, 0, None)


# --- shrinkage and the per-seat formula ------------------------------------------------------------


@pytest.mark.parametrize(
    ("agents", "shrinkage", "staff"), [(14, 0.3, 20), (10, 0.0, 10), (7, 0.3, 10), (1, 0.5, 2), (9, 0.25, 12)]
)
def test_staff_after_shrinkage_is_the_ceiling_of_n_over_one_minus_s(agents, shrinkage, staff):
    assert staffing.staff_after_shrinkage(agents, shrinkage) == staff


def test_shrinkage_of_one_is_refused():
    with pytest.raises(ValueError):
        staffing.staff_after_shrinkage(5, 1.0)


def test_people_per_seat_is_the_seeds_example():
    value = staffing.people_per_seat(seat_hours_per_day=14, working_days_per_month=30, monthly_legal_hours=174)
    assert value == pytest.approx(2.4138, abs=0.0001)


@pytest.mark.parametrize(("hours", "days", "legal"), [(0, 30, 174), (25, 30, 174), (14, 0, 174), (14, 30, 0)])
def test_people_per_seat_refuses_impossible_input(hours, days, legal):
    with pytest.raises(ValueError):
        staffing.people_per_seat(seat_hours_per_day=hours, working_days_per_month=days, monthly_legal_hours=legal)


# --- coverage ----------------------------------------------------------------------------------------


def test_on_queue_spans_take_out_activities():
    day = dt.date(2025, 3, 3)
    spans = staffing.on_queue_spans(
        start=at(day, 9),
        end=at(day, 17),
        break_minutes=60,
        off_queue=[(at(day, 12), at(day, 13)), (at(day, 15), at(day, 15, 15))],
    )
    assert spans == [(at(day, 9), at(day, 12)), (at(day, 13), at(day, 15)), (at(day, 15, 15), at(day, 17))]


def test_a_break_without_an_activity_is_placed_mid_shift():
    day = dt.date(2025, 3, 3)
    spans = staffing.on_queue_spans(start=at(day, 9), end=at(day, 17), break_minutes=60, off_queue=[])
    assert spans == [(at(day, 9), at(day, 12, 30)), (at(day, 13, 30), at(day, 17))]


def test_coverage_counts_shares_of_intervals_and_rounds_half_up():
    day = dt.date(2025, 3, 3)
    spans = [(at(day, 9), at(day, 9, 45)), (at(day, 9), at(day, 10))]
    values = staffing.coverage_by_slot(spans, day_start=at(day, 0), slots=48, interval_minutes=30)
    assert values[18] == pytest.approx(2.0)
    assert values[19] == pytest.approx(1.5)
    assert values[17] == 0 and values[20] == 0
    assert staffing.whole_staff(values)[18:20] == [2, 2]


def test_coverage_gaps_name_the_short_intervals():
    gaps = staffing.coverage_gaps([0, 3, 5, 2], [1, 3, 2, 0])
    assert [(gap.slot, gap.shortfall) for gap in gaps] == [(2, 3), (3, 2)]


# --- the selectors the roster editor calls -------------------------------------------------------------


@pytest.fixture
def early(acme):
    with tenant_context(acme.tenant):
        return ShiftType.objects.create(code="E", name="Early", start=dt.time(8), end=dt.time(16), break_minutes=60)


def _shift(user, day, start, end, *, shift_type, break_minutes=0, status=ShiftStatus.PUBLISHED):
    return Shift.objects.create(
        user=user, date=day, shift_type=shift_type, start=start, end=end, break_minutes=break_minutes, status=status
    )


def test_scheduled_staff_counts_shifts_on_queue_minus_break_and_meal(acme, early):
    day = dt.date(2025, 3, 3)
    with tenant_context(acme.tenant):
        ann, bob = UserFactory(roles=[Role.AGENT]), UserFactory(roles=[Role.AGENT])
        first = _shift(ann, day, at(day, 8), at(day, 16), shift_type=early, break_minutes=60)
        ShiftActivity.objects.create(shift=first, kind=ActivityKind.MEAL, start=at(day, 12), end=at(day, 13))
        ShiftActivity.objects.create(shift=first, kind=ActivityKind.ON_QUEUE, start=at(day, 8), end=at(day, 12))
        _shift(bob, day, at(day, 10), at(day, 14), shift_type=early, status=ShiftStatus.DRAFT)
        values = staffing_selectors.scheduled_staff(day)
        published = staffing_selectors.scheduled_staff(day, published_only=True)
    assert len(values) == 48
    assert values[15] == 0  # 07:30
    assert values[16] == 1  # 08:00
    assert values[20] == 2  # 10:00: Ann and Bob's draft
    assert values[24] == 1  # 12:00: Ann at her meal, Bob on queue
    assert values[28] == 1  # 14:00: Bob gone
    assert values[32] == 0  # 16:00
    assert published[20] == 1 and published[24] == 0


def test_a_night_shift_covers_the_start_of_the_next_day(acme):
    day = dt.date(2025, 3, 3)
    with tenant_context(acme.tenant):
        night = ShiftType.objects.create(code="N", name="Night", start=dt.time(22), end=dt.time(6))
        _shift(UserFactory(roles=[Role.AGENT]), day, at(day, 22), at(day + dt.timedelta(days=1), 6), shift_type=night)
        today = staffing_selectors.scheduled_staff(day)
        tomorrow = staffing_selectors.scheduled_staff(day + dt.timedelta(days=1))
    assert today[43] == 0 and today[44:] == [1, 1, 1, 1]
    assert tomorrow[:12] == [1] * 12 and tomorrow[12] == 0


def _history(queue, *, first: dt.date, days: int, calls_per_bucket: dict[int, int], aht: float = 180.0):
    """Rollup rows: ``calls_per_bucket`` maps a local hour to calls in each of its 15-minute buckets."""
    rows = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        for hour, calls in calls_per_bucket.items():
            for quarter in range(4):
                rows.append(
                    CallRollup(
                        grain="q15",
                        bucket_start=at(day, hour, quarter * 15).astimezone(UTC),
                        queue_id=queue.pk,
                        direction="inbound",
                        offered=calls,
                        handled=calls,
                        handle_sum=calls * aht,
                    )
                )
    CallRollup.objects.bulk_create(rows)


def test_required_staff_follows_the_forecast_through_erlang_c_and_shrinkage(acme):
    # Four weeks of 50 calls per half hour from 10:00 to 11:00, AHT 180 s: A = 5 Erlangs, SL 80%
    # in 20 s → 8 agents (occupancy 0.625 ≤ 0.85), 30% shrinkage → ⌈8 / 0.7⌉ = 12.
    target_day = dt.date(2025, 3, 31)  # a Monday
    with tenant_context(acme.tenant):
        queue = QueueFactory(sl_target_percent=80, sl_threshold_seconds=20)
        _history(queue, first=dt.date(2025, 3, 3), days=28, calls_per_bucket={10: 25})
        plans = staffing_selectors.staffing_plan(target_day, queue_ids=[queue.pk], today=target_day)
        required = staffing_selectors.required_staff(target_day)
    plan = plans[0]
    assert plan.forecast[20].offered == pytest.approx(50.0)
    assert plan.forecast[20].aht_seconds == pytest.approx(180.0)
    assert plan.requirement[20].agents == 8
    assert plan.requirement[20].staff == 12
    assert required[20] == required[21] == 12
    assert required[19] == 0 and required[22] == 0
    assert len(required) == 48


def test_another_tenants_history_and_roster_are_not_counted(acme, globex, early):
    day = dt.date(2025, 3, 31)
    with tenant_context(acme.tenant):
        queue = QueueFactory()
        _history(queue, first=dt.date(2025, 3, 3), days=28, calls_per_bucket={10: 25})
        _shift(UserFactory(roles=[Role.AGENT]), day, at(day, 8), at(day, 16), shift_type=early)
    with tenant_context(globex.tenant):
        assert staffing_selectors.scheduled_staff(day) == [0] * 48
        assert staffing_selectors.required_staff(day) == [0] * 48


def test_the_demo_gives_published_shifts_a_meal_and_a_break_once(acme, early):
    now = at(dt.date(2025, 3, 3), 7)
    with tenant_context(acme.tenant):
        shift = _shift(
            UserFactory(roles=[Role.AGENT]),
            now.date(),
            at(now.date(), 8),
            at(now.date(), 16),
            shift_type=early,
            break_minutes=60,
        )
    assert staffing_demo_ensure(acme.tenant.schema_name, now=now) == {"activities": 2}
    assert staffing_demo_ensure(acme.tenant, now=now) == {"activities": 0}
    with tenant_context(acme.tenant):
        kinds = list(shift.activities.order_by("start").values_list("kind", "start", "end"))
    assert kinds == [
        (ActivityKind.BREAK, at(now.date(), 10), at(now.date(), 10, 15)),
        (ActivityKind.MEAL, at(now.date(), 11, 30), at(now.date(), 12, 30)),
    ]
