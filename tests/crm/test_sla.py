"""Business time (apps/crm/sla.py) on its own and with the company's real hours and the holiday
calendar: nights, weekends, lunch breaks, Mid-autumn and National Day 2026 with their make-up
workdays (Sun 2026-09-20, Sat 2026-10-10), time zones with daylight saving, hours that are never
open, and hours edited while a ticket runs (due times fixed at receipt)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

from apps.calendar.models import TenantCalendarDay
from apps.calendar.selectors import invalidate
from apps.crm.services import ticket_category_create, ticket_change, ticket_create
from apps.crm.services.ticket_sla import sla_clock
from apps.crm.sla import BusinessClock, NoBusinessTime, parse_intervals
from apps.telephony.models import BusinessHours, HolidayOverride
from apps.telephony.selectors.business_hours import opening_hours

SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE_TO_SIX = [(540, 1080)]


def local(text: str, zone: ZoneInfo = SHANGHAI) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


def weekdays(intervals):
    """A plain Monday–Friday clock (no holidays): the rules without the calendar."""
    return BusinessClock(SHANGHAI, lambda day: intervals if day.weekday() < 5 else [])


# --- the arithmetic alone ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        ("2026-11-10 10:00", 60, "2026-11-10 11:00"),  # inside one day
        ("2026-11-10 17:30", 60, "2026-11-11 09:30"),  # across the night
        ("2026-11-10 07:00", 30, "2026-11-10 09:30"),  # before opening
        ("2026-11-10 19:00", 30, "2026-11-11 09:30"),  # after closing
        ("2026-11-13 17:00", 120, "2026-11-16 10:00"),  # Friday → Monday over the weekend
        ("2026-11-14 12:00", 60, "2026-11-16 10:00"),  # received on a Saturday
        ("2026-11-10 09:00", 540, "2026-11-10 18:00"),  # exactly a day: due at closing, not next morning
        ("2026-11-10 09:00", 541, "2026-11-11 09:01"),
        ("2026-11-10 10:00", 540 * 5, "2026-11-17 10:00"),  # a business week
    ],
)
def test_adding_business_minutes_on_weekdays(start, minutes, due):
    assert weekdays(NINE_TO_SIX).add(local(start), minutes) == local(due)


def test_adding_nothing_is_the_instant_itself_even_when_closed():
    saturday_night = local("2026-11-14 23:00")
    assert weekdays(NINE_TO_SIX).add(saturday_night, 0) == saturday_night


def test_a_lunch_break_is_not_business_time():
    clock = weekdays(parse_intervals([["09:00", "12:00"], ["13:00", "18:00"]]))
    assert clock.add(local("2026-11-10 11:30"), 60) == local("2026-11-10 13:30")
    assert clock.minutes_between(local("2026-11-10 11:00"), local("2026-11-10 14:00")) == 120


def test_open_until_midnight_runs_into_the_next_day_without_a_gap():
    clock = BusinessClock(SHANGHAI, lambda day: parse_intervals([["08:00", "24:00"]]))
    assert clock.add(local("2026-11-10 23:30"), 60) == local("2026-11-11 08:30")
    always = BusinessClock.always_open(SHANGHAI)
    assert always.add(local("2026-11-10 23:30"), 60) == local("2026-11-11 00:30")


def test_minutes_between_counts_only_open_time_and_is_signed():
    clock = weekdays(NINE_TO_SIX)
    friday, monday = local("2026-11-13 17:00"), local("2026-11-16 10:00")
    assert clock.minutes_between(friday, monday) == 120
    assert clock.minutes_between(monday, friday) == -120
    assert clock.minutes_between(local("2026-11-14 10:00"), local("2026-11-15 10:00")) == 0


def test_adding_then_measuring_gives_the_minutes_back():
    clock = weekdays(parse_intervals([["09:00", "12:00"], ["13:30", "18:00"]]))
    start = local("2026-11-12 16:47")
    for minutes in (1, 59, 61, 400, 1000, 5000):
        assert clock.minutes_between(start, clock.add(start, minutes)) == pytest.approx(minutes)


def test_any_zone_of_the_instant_gives_the_same_answer():
    clock = weekdays(NINE_TO_SIX)
    start = local("2026-11-10 17:30")
    assert clock.add(start.astimezone(dt.UTC), 60) == clock.add(start, 60) == local("2026-11-11 09:30")


def test_business_time_is_real_elapsed_time_across_daylight_saving():
    berlin = ZoneInfo("Europe/Berlin")
    clock = BusinessClock.always_open(berlin)
    # 2026-03-29: 02:00 → 03:00 in Berlin, so two real hours after 01:00 it is 04:00 on the wall.
    assert clock.add(local("2026-03-29 01:00", berlin), 120) == local("2026-03-29 04:00", berlin)
    night_shift = BusinessClock(berlin, lambda day: [(0, 360)])  # 00:00–06:00 on the wall
    assert night_shift.minutes_between(local("2026-03-29 00:00", berlin), local("2026-03-29 06:00", berlin)) == 300


def test_hours_that_are_never_open_raise():
    clock = BusinessClock(SHANGHAI, lambda day: [])
    with pytest.raises(NoBusinessTime):
        clock.add(local("2026-11-10 10:00"), 1)
    assert clock.add(local("2026-11-10 10:00"), 0) == local("2026-11-10 10:00")


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        weekdays(NINE_TO_SIX).add(dt.datetime(2026, 11, 10, 10), 5)  # noqa: DTZ001 -- the point of the test


def test_intervals_are_parsed_sorted_and_merged():
    assert parse_intervals([["13:00", "18:00"], ["09:00", "12:00"], ["11:00", "12:30"], ["20:00", "20:00"]]) == [
        (540, 750),
        (780, 1080),
    ]
    assert parse_intervals([["00:00", "24:00"]]) == [(0, 1440)]
    with pytest.raises(ValueError):
        parse_intervals([["09:00", "25:00"]])


# --- with the company's hours and the holiday calendar ---------------------------------------------


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


def company_clock():
    return sla_clock(None).clock


def test_the_company_hours_are_the_provisioned_weekday_hours(tenant):
    hours = opening_hours()
    assert hours.id == BusinessHours.objects.order_by("pk").first().pk
    assert str(hours.zone) == "Asia/Shanghai"
    assert hours.intervals(dt.date(2026, 11, 10)) == [["09:00", "18:00"]]
    assert hours.intervals(dt.date(2026, 11, 14)) == []


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # The last working day before National Day, then 1–7 October closed: Thursday the 8th.
        ("2026-09-30 17:00", 120, "2026-10-08 10:00"),
        ("2026-10-01 10:00", 60, "2026-10-08 10:00"),  # received during the holiday
        # Friday the 9th, then the make-up Saturday 10 October is a workday (Monday's hours).
        ("2026-10-09 17:00", 120, "2026-10-10 10:00"),
        # …and Sunday the 11th is a rest day again.
        ("2026-10-10 17:30", 60, "2026-10-12 09:30"),
        # The make-up Sunday before: 20 September 2026.
        ("2026-09-19 10:00", 60, "2026-09-20 10:00"),
        # Mid-autumn Festival: Friday 25 to Sunday 27 September.
        ("2026-09-24 17:00", 120, "2026-09-28 10:00"),
    ],
)
def test_due_times_follow_the_chinese_holiday_calendar(tenant, start, minutes, due):
    assert company_clock().add(local(start), minutes) == local(due)


def test_business_minutes_across_national_day_count_the_make_up_day(tenant):
    clock = company_clock()
    # 30 Sep 17:00–18:00, 8 Oct and 9 Oct whole days, Sat 10 Oct whole (make-up) day.
    assert clock.minutes_between(local("2026-09-30 17:00"), local("2026-10-11 12:00")) == 60 + 3 * 540


def test_a_tenant_extra_day_off_and_an_hours_override_close_the_clock(tenant):
    hours = BusinessHours.objects.order_by("pk").first()
    HolidayOverride.objects.create(hours=hours, date=dt.date(2026, 11, 11), is_open=False, name="Founders' day")
    TenantCalendarDay.objects.create(tenant_id=tenant.tenant.pk, date=dt.date(2026, 11, 12), kind="closed", name="Move")
    invalidate()
    try:
        assert company_clock().add(local("2026-11-10 17:00"), 120) == local("2026-11-13 10:00")
    finally:
        invalidate()


def test_a_category_runs_on_its_own_hours(tenant):
    round_the_clock = BusinessHours.objects.create(
        name="24 x 7",
        weekly={day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        follow_chinese_holidays=False,
    )
    category = ticket_category_create(actor=None, name="Outage", business_hours=round_the_clock.pk)
    assert sla_clock(category).add(local("2026-10-01 10:00"), 60) == local("2026-10-01 11:00")


def test_hours_that_are_never_open_count_calendar_time(tenant):
    closed = BusinessHours.objects.create(
        name="Never", weekly={day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    )
    category = ticket_category_create(actor=None, name="Odd", business_hours=closed.pk)
    assert sla_clock(category).add(local("2026-11-10 10:00"), 60) == local("2026-11-10 11:00")


def test_due_times_are_fixed_at_receipt_and_recomputed_on_a_priority_change(tenant):
    hours = BusinessHours.objects.order_by("pk").first()
    category = ticket_category_create(
        actor=None,
        name="Billing",
        targets=[
            {"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 600},
            {"priority": "high", "first_response_minutes": 30, "resolution_minutes": 300},
        ],
    )
    received = local("2026-11-10 17:00")
    ticket = ticket_create(actor=None, title="Invoice wrong", category=category.pk, received_at=received)
    assert ticket.number.startswith("T-2026-")
    assert ticket.first_response_due == local("2026-11-10 18:00")
    assert ticket.resolution_due == local("2026-11-11 18:00")  # 60 on the 10th + 540 on the 11th

    # The hours are cut to mornings only while the ticket runs: its due times stand …
    hours.weekly = {**hours.weekly, **{day: [["09:00", "12:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}}
    hours.save()
    ticket.refresh_from_db()
    assert ticket.resolution_due == local("2026-11-11 18:00")
    # … a ticket received now is counted on the new hours …
    later = ticket_create(actor=None, title="Second", category=category.pk, received_at=received)
    assert later.resolution_due == local("2026-11-16 10:00")  # 180 a day: 11th, 12th, 13th, then 60 on Monday
    # … and a priority change computes the ticket's due times again, on the hours in force now.
    ticket_change(ticket=ticket, actor=None, priority="high")
    ticket.refresh_from_db()
    assert (ticket.first_response_minutes, ticket.resolution_minutes) == (30, 300)
    assert ticket.first_response_due == local("2026-11-11 09:30")
    assert ticket.resolution_due == local("2026-11-12 11:00")  # 180 on the 11th, 120 on the 12th
