"""The forecast on synthetic history (plain Python, no database): day-of-week and intraday
profile, trend, holidays and make-up workdays from the calendar, AHT per interval, accuracy."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.workforce.forecast import HOLIDAY, WORKDAY, Forecaster, IntervalHistory, accuracy, day_class

MONDAY = dt.date(2025, 3, 3)
NATIONAL_DAY = {dt.date(2025, 10, day) for day in range(1, 9)}
MAKEUP = {dt.date(2025, 9, 28), dt.date(2025, 10, 11)}  # Sundays and Saturdays worked (调休)


def classify(day: dt.date) -> str:
    return day_class(
        day,
        is_working_day=day in MAKEUP or (day.weekday() < 5 and day not in NATIONAL_DAY),
        is_holiday=day in NATIONAL_DAY,
    )


def history(first: dt.date, days: int, volume, *, aht=lambda day, slot: 200.0, slots=48):
    """``volume(day, slot)`` calls in each interval, all handled at ``aht(day, slot)`` seconds."""
    rows = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        for slot in range(slots):
            calls = volume(day, slot)
            if calls:
                rows.append(IntervalHistory(day, slot, calls, calls, calls * aht(day, slot)))
    return rows


def weekday_shape(day: dt.date, slot: int) -> float:
    """Weekdays 10 calls per half hour 09:00–18:00, weekends 4; nothing at night."""
    if not 18 <= slot < 36:
        return 0
    return 4 if day.weekday() >= 5 else 10


def test_day_classes_follow_the_calendar():
    assert classify(dt.date(2025, 10, 1)) == HOLIDAY  # a Wednesday of National Day
    assert classify(dt.date(2025, 10, 4)) == HOLIDAY  # a Saturday inside the break
    assert classify(dt.date(2025, 9, 28)) == WORKDAY  # a Sunday worked
    assert classify(dt.date(2025, 3, 3)) == "dow0"
    assert classify(dt.date(2025, 3, 9)) == "dow6"


def test_weekday_and_weekend_profiles_are_forecast_apart():
    forecaster = Forecaster(history(MONDAY, 28, weekday_shape), classify=classify)
    monday = forecaster.day(dt.date(2025, 3, 31))
    sunday = forecaster.day(dt.date(2025, 3, 30))
    assert monday[18].offered == pytest.approx(10.0)
    assert monday[35].offered == pytest.approx(10.0)
    assert monday[17].offered == 0 and monday[36].offered == 0
    assert sunday[20].offered == pytest.approx(4.0)
    assert sum(row.offered for row in monday) == pytest.approx(180.0)
    assert len(monday) == 48


def test_the_intraday_profile_keeps_the_peak():
    def peaked(day, slot):
        return 30 if slot == 20 else (10 if 18 <= slot < 36 else 0)

    forecast = Forecaster(history(MONDAY, 28, peaked), classify=classify).day(dt.date(2025, 3, 31))
    assert forecast[20].offered == pytest.approx(30.0)
    assert forecast[19].offered == pytest.approx(10.0)


def test_a_growing_history_is_projected_upwards():
    def growing(day, slot):
        return (10 + (day - MONDAY).days * 0.5) if 18 <= slot < 36 and day.weekday() < 5 else 0

    forecaster = Forecaster(history(MONDAY, 56, growing), classify=classify)
    target = MONDAY + dt.timedelta(days=56)
    forecast = sum(row.offered for row in forecaster.day(target))
    flat_mean = sum(growing(MONDAY + dt.timedelta(days=7 * week), 20) for week in range(8)) * 18 / 8
    actual = growing(target, 20) * 18
    assert flat_mean < forecast
    assert forecast == pytest.approx(actual, rel=0.15)


def test_a_holiday_weekday_is_forecast_from_holidays_and_does_not_pull_its_weekday_down():
    def with_holidays(day, slot):
        if not 18 <= slot < 36:
            return 0
        if day in NATIONAL_DAY:
            return 2
        return 4 if day.weekday() >= 5 and day not in MAKEUP else 10

    forecaster = Forecaster(history(dt.date(2025, 9, 1), 49, with_holidays), classify=classify)
    # Wednesday 22 October: its Wednesdays' history includes 1 and 8 October (holidays), left out.
    wednesday = forecaster.day(dt.date(2025, 10, 22))
    assert wednesday[20].offered == pytest.approx(10.0)
    # The last day of the break is forecast from the holidays before it.
    assert forecaster.day(dt.date(2025, 10, 8))[20].offered == pytest.approx(2.0, rel=0.3)


def test_a_holiday_with_no_holiday_history_is_forecast_like_a_sunday():
    forecaster = Forecaster(history(dt.date(2025, 8, 4), 56, weekday_shape), classify=classify)
    assert forecaster.day(dt.date(2025, 10, 1))[20].offered == pytest.approx(4.0, rel=0.05)


def test_a_makeup_workday_is_forecast_like_a_weekday():
    forecaster = Forecaster(history(dt.date(2025, 8, 4), 49, weekday_shape), classify=classify)
    assert forecaster.day(dt.date(2025, 9, 28))[20].offered == pytest.approx(10.0, rel=0.05)


def test_aht_is_forecast_per_interval_with_a_fallback_for_thin_intervals():
    def mornings_longer(day, slot):
        return 380.0 if slot < 24 else 200.0

    def volume(day, slot):
        return 1 if slot == 40 else weekday_shape(day, slot)

    forecaster = Forecaster(history(MONDAY, 28, volume, aht=mornings_longer), classify=classify)
    monday = forecaster.day(dt.date(2025, 3, 31))
    assert monday[20].aht_seconds == pytest.approx(380.0)
    assert monday[30].aht_seconds == pytest.approx(200.0)
    assert monday[0].aht_seconds == pytest.approx(monday[1].aht_seconds)  # the class's daily AHT


def test_no_history_forecasts_nothing():
    forecast = Forecaster([], classify=classify).day(MONDAY)
    assert all(row.offered == 0 for row in forecast)
    assert forecast[0].aht_seconds == 180.0


def test_a_day_is_never_forecast_from_itself_or_later():
    forecaster = Forecaster(history(MONDAY, 28, weekday_shape), classify=classify)
    assert all(row.offered == 0 for row in forecaster.day(MONDAY))


def test_accuracy_is_wape_and_bias():
    result = accuracy([10, 20, 0], [12, 16, 2])
    assert result.actual == 30 and result.forecast == 30
    assert result.wape == pytest.approx(8 / 30)
    assert result.bias == pytest.approx(0.0)
    assert accuracy([1, 2], [0, 0]).wape is None
