"""Opening hours: weekly intervals, overrides, the Chinese calendar and its limits."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from apps.telephony.ivr.hours import (
    DayKind,
    HoursSpec,
    HoursState,
    OverrideSpec,
    day_plan,
    hours_state,
    interval_errors,
    is_open,
    weekly_errors,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKDAY = [["09:00", "12:00"], ["13:00", "18:00"]]
# Holidays come from the platform's holiday calendar (apps.calendar), which lives in the database.
pytestmark = pytest.mark.django_db

HOURS = HoursSpec(weekly={"mon": WORKDAY, "tue": WORKDAY, "wed": WORKDAY, "thu": WORKDAY, "fri": WORKDAY})


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2025-10-09 08:59", False),
        ("2025-10-09 09:00", True),
        ("2025-10-09 11:59", True),
        ("2025-10-09 12:30", False),  # lunch break
        ("2025-10-09 17:59", True),
        ("2025-10-09 18:00", False),  # the end is excluded
    ],
)
def test_weekly_intervals_include_the_start_and_exclude_the_end(moment, expected):
    assert is_open(HOURS, at(moment)) is expected


def test_24_00_keeps_the_day_open_until_midnight():
    hours = HoursSpec(weekly={"thu": [["00:00", "24:00"]]}, follow_chinese_holidays=False)

    assert is_open(hours, at("2025-10-09 23:59"))
    assert is_open(hours, at("2025-10-09 00:00"))


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="aware"):
        hours_state(HOURS, dt.datetime(2025, 10, 9, 10, 0))  # noqa: DTZ001 - the point of the test


def test_public_holidays_are_named():
    plan = day_plan(HOURS, dt.date(2025, 10, 1))

    assert plan.kind == DayKind.PUBLIC_HOLIDAY
    assert plan.name == "National Day"
    assert plan.is_holiday


def test_weekend_days_inside_a_holiday_are_holidays_too():
    day = dt.date(2025, 10, 4)  # a Saturday within the National Day week
    assert chinese_calendar.get_holiday_detail(day) == (True, "National Day")

    assert day_plan(HOURS, day).kind == DayKind.PUBLIC_HOLIDAY


def test_make_up_workdays_take_mondays_hours_by_default():
    plan = day_plan(HOURS, dt.date(2025, 9, 28))

    assert plan.kind == DayKind.MAKEUP_WORKDAY
    assert plan.intervals == WORKDAY


def test_an_ordinary_weekend_is_closed_without_being_a_holiday():
    assert hours_state(HOURS, at("2025-09-27 10:00")) == HoursState.CLOSED


def test_years_outside_the_official_calendar_use_provisional_holidays_never_plain_weeks():
    # chinesecalendar 1.11 has no data for 2040; 2040-10-01 (a Monday) is National Day by rule.
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_holiday(dt.date(2040, 10, 1))

    plan = day_plan(HOURS, dt.date(2040, 10, 1))

    assert (plan.kind, plan.source, plan.name) == (DayKind.PUBLIC_HOLIDAY, "provisional", "National Day")
    assert hours_state(HOURS, at("2040-10-01 10:00")) == HoursState.HOLIDAY
    assert is_open(HOURS, at("2040-10-09 10:00"))  # an ordinary Tuesday


def test_an_open_override_without_hours_uses_the_make_up_hours():
    hours = HoursSpec(
        weekly=HOURS.weekly,
        makeup_day_hours=[["10:00", "16:00"]],
        overrides={dt.date(2025, 9, 27): OverrideSpec(is_open=True)},
    )

    assert day_plan(hours, dt.date(2025, 9, 27)).intervals == [["10:00", "16:00"]]


def test_an_override_wins_over_the_official_calendar():
    hours = HoursSpec(weekly=HOURS.weekly, overrides={dt.date(2025, 10, 1): OverrideSpec(True, [["10:00", "14:00"]])})

    assert hours_state(hours, at("2025-10-01 11:00")) == HoursState.OPEN


def test_a_bad_time_zone_falls_back_to_shanghai():
    hours = HoursSpec(time_zone="Mars/Olympus", weekly=HOURS.weekly)

    assert is_open(hours, dt.datetime(2025, 10, 9, 2, 0, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("intervals", "problems"),
    [
        ([["09:00", "18:00"]], []),
        ([["09:00", "12:00"], ["13:00", "24:00"]], []),
        ([["9:00", "18:00"]], ["bad_interval"]),
        ([["09:00"]], ["bad_interval"]),
        ([["18:00", "09:00"]], ["empty_interval"]),
        ([["13:00", "18:00"], ["09:00", "12:00"]], ["overlap"]),
        ("09:00-18:00", ["not_a_list"]),
    ],
)
def test_interval_problems(intervals, problems):
    assert interval_errors(intervals) == problems


def test_weekly_problems_name_the_day():
    assert weekly_errors({"mon": [["18:00", "09:00"]], "funday": []}) == {
        "funday": ["unknown_day"],
        "mon": ["empty_interval"],
    }
