"""The handbook's rules (apps/workforce/rules.py) on hand-made shifts and months: late, absent,
early leave and worked hours (overnight shifts, month boundaries), sick bands within a spell
(one crossing a weekend), annual leave by service, bereavement by relation, discipline
thresholds, and overtime on each kind of day of National Day 2026 from the real calendar."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django_tenants.utils import tenant_context

from apps.calendar.selectors import calendar_for
from apps.workforce import rules

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
POLICY = rules.Policy()


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SH)


def slot(day: str, start: str, end: str, break_minutes: int = 60) -> rules.ShiftSlot:
    begins, ends = rules.shift_instants(
        dt.date.fromisoformat(day), dt.time.fromisoformat(start), dt.time.fromisoformat(end), SH
    )
    return rules.ShiftSlot(day, dt.date.fromisoformat(day), begins, ends, break_minutes)


LATER = at("2030-01-01", "00:00")


def judge(shift, clock_in=None, clock_out=None, **kwargs):
    return rules.judge_shift(shift, rules.ClockPair(clock_in, clock_out), policy=POLICY, now=LATER, **kwargs)


def test_clock_in_ten_minutes_before_is_on_time():
    result = judge(slot("2026-11-02", "09:00", "18:00"), at("2026-11-02", "08:50"), at("2026-11-02", "18:00"))
    assert result.late_minutes == 0
    assert result.worked_minutes == 8 * 60  # 09:00–18:00 minus the hour's break; clocking early is not work


def test_clock_in_after_the_early_deadline_is_late_counted_from_that_point():
    result = judge(slot("2026-11-02", "09:00", "18:00"), at("2026-11-02", "08:55"), at("2026-11-02", "18:00"))
    assert result.late
    assert result.late_minutes == 5  # from 08:50, not from 09:00


def test_lateness_within_the_grace_is_not_counted():
    policy = rules.Policy(late_grace_minutes=5)
    shift = slot("2026-11-02", "09:00", "18:00")
    pair = rules.ClockPair(at("2026-11-02", "08:54"), at("2026-11-02", "18:00"))
    assert rules.judge_shift(shift, pair, policy=policy, now=LATER).late_minutes == 0
    pair = rules.ClockPair(at("2026-11-02", "08:56"), at("2026-11-02", "18:00"))
    assert rules.judge_shift(shift, pair, policy=policy, now=LATER).late_minutes == 6


def test_no_clock_in_is_absent_once_the_shift_ended_and_not_before():
    shift = slot("2026-11-02", "09:00", "18:00")
    assert judge(shift).absent
    during = rules.judge_shift(shift, rules.ClockPair(), policy=POLICY, now=at("2026-11-02", "12:00"))
    assert not during.absent


def test_approved_leave_excuses_the_shift():
    result = judge(slot("2026-11-02", "09:00", "18:00"), on_leave=True)
    assert result.on_leave and not result.absent and result.worked_minutes == 0


def test_clock_out_before_the_end_is_early_leave():
    result = judge(slot("2026-11-02", "09:00", "18:00"), at("2026-11-02", "08:45"), at("2026-11-02", "17:20"))
    assert result.early_leave_minutes == 40
    assert result.worked_minutes == 8 * 60 + 20 - 60


def test_missing_clock_out_is_flagged_and_not_counted_as_work():
    result = judge(slot("2026-11-02", "09:00", "18:00"), at("2026-11-02", "08:45"))
    assert result.missing_clock_out and result.worked_minutes == 0 and not result.absent


def test_overnight_shift_ends_the_next_day_across_the_month_boundary():
    shift = slot("2026-10-31", "22:00", "06:00", break_minutes=30)
    assert shift.end == at("2026-11-01", "06:00")
    assert shift.scheduled_minutes == 8 * 60 - 30
    result = judge(shift, at("2026-10-31", "21:55"), at("2026-11-01", "06:05"))
    assert result.late_minutes == 5
    assert result.worked_minutes == 8 * 60 - 30
    assert result.early_leave_minutes == 0


def test_clock_records_are_matched_to_consecutive_overnight_shifts():
    shifts = [slot("2026-10-30", "22:00", "06:00"), slot("2026-10-31", "22:00", "06:00")]
    ins = [at("2026-10-30", "21:45"), at("2026-10-31", "21:50")]
    outs = [at("2026-10-31", "06:02"), at("2026-11-01", "05:30")]
    pairs = rules.match_clock_events(shifts, ins, outs)
    assert pairs[0] == rules.ClockPair(ins[0], outs[0])
    assert pairs[1] == rules.ClockPair(ins[1], outs[1])
    assert judge(shifts[1], pairs[1].clock_in, pairs[1].clock_out).early_leave_minutes == 30


def test_a_clock_in_far_from_any_shift_matches_nothing():
    shifts = [slot("2026-11-02", "09:00", "18:00")]
    pairs = rules.match_clock_events(shifts, [at("2026-11-01", "20:00")], [at("2026-11-01", "23:00")])
    assert pairs == [rules.ClockPair(None, None)]


def test_month_bounds_reads_only_yyyy_mm():
    assert rules.month_bounds("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert rules.month_bounds("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    for bad in ("2026-13", "2026-1", "26-01", "2026/01", ""):
        with pytest.raises(ValueError):
            rules.month_bounds(bad)


def test_sick_spell_crossing_a_weekend_counts_only_scheduled_days_in_order():
    # Sick Thu 5 Nov to Tue 10 Nov 2026; the weekend is not scheduled and does not break the spell.
    days = [dt.date(2026, 11, d) for d in (5, 6, 9, 10)]
    shares = rules.sick_deductions([(day, True) for day in days], policy=POLICY)
    assert shares == {days[0]: 0.5, days[1]: 0.5, days[2]: 0.5, days[3]: 1.0}


def test_a_worked_scheduled_day_ends_the_spell():
    d = [dt.date(2026, 11, n) for n in range(2, 9)]
    sequence = [(d[0], True), (d[1], True), (d[2], False), (d[3], True), (d[4], True), (d[5], True), (d[6], True)]
    shares = rules.sick_deductions(sequence, policy=POLICY)
    assert [shares[day] for day in (d[0], d[1], d[3], d[4], d[5], d[6])] == [0.5, 0.5, 0.5, 0.5, 0.5, 1.0]


def test_annual_leave_by_total_years_of_service():
    on = dt.date(2026, 1, 1)
    assert rules.annual_leave_entitlement(None, on, policy=POLICY) == 0
    assert rules.annual_leave_entitlement(dt.date(2025, 6, 1), on, policy=POLICY) == 0
    assert rules.annual_leave_entitlement(dt.date(2025, 1, 1), on, policy=POLICY) == 5
    assert rules.annual_leave_entitlement(dt.date(2016, 1, 2), on, policy=POLICY) == 5  # 9 years
    assert rules.annual_leave_entitlement(dt.date(2016, 1, 1), on, policy=POLICY) == 10
    assert rules.annual_leave_entitlement(dt.date(2006, 1, 1), on, policy=POLICY) == 15


def test_bereavement_days_by_relation():
    assert [rules.bereavement_days(r, policy=POLICY) for r in ("parent", "spouse", "child")] == [3, 3, 3]
    assert [rules.bereavement_days(r, policy=POLICY) for r in ("grandparent", "sibling", "parent_in_law")] == [1, 1, 1]
    assert rules.bereavement_days("cousin", policy=POLICY) == 0


def test_three_warnings_within_six_months_reach_the_threshold():
    dates = [dt.date(2026, 1, 4), dt.date(2026, 4, 1), dt.date(2026, 7, 5)]
    assert rules.warnings_reaching_threshold(dates, on=dt.date(2026, 7, 5), policy=POLICY) is None  # Jan is out
    dates.append(dt.date(2026, 7, 20))
    assert rules.warnings_reaching_threshold(dates, on=dt.date(2026, 7, 20), policy=POLICY) == dates[1:]


def test_three_consecutive_scheduled_absences_flag_even_across_days_off():
    sequence = [(dt.date(2026, 11, 5), True), (dt.date(2026, 11, 6), True), (dt.date(2026, 11, 9), True)]
    assert rules.consecutive_absences(sequence, policy=POLICY) == [d for d, _a in sequence]
    broken = [sequence[0], (dt.date(2026, 11, 6), False), sequence[2]]
    assert rules.consecutive_absences(broken, policy=POLICY) is None


def test_three_absences_within_a_year_flag():
    dates = [dt.date(2025, 11, 1), dt.date(2026, 3, 1), dt.date(2026, 10, 20)]
    assert rules.absences_in_year(dates, on=dt.date(2026, 10, 20), policy=POLICY) == dates
    assert rules.absences_in_year(dates, on=dt.date(2026, 11, 2), policy=POLICY) is None


@pytest.mark.django_db
def test_overtime_day_kinds_over_national_day_2026(acme):
    """1–5 Oct statutory (300%), 6–7 Oct in lieu (200%), Sat 10 Oct a make-up workday (150%),
    Sun 11 Oct a rest day, Mon 12 Oct a working day."""
    with tenant_context(acme.tenant):
        calendar = calendar_for(acme.tenant)

        def kind(day: int) -> str:
            info = calendar.day_info(dt.date(2026, 10, day))
            return rules.overtime_day_kind(
                kind=info.kind, platform_kind=info.platform_kind, is_working_day=info.is_working_day
            )

        assert kind(1) == rules.HOLIDAY
        assert kind(3) == rules.HOLIDAY
        assert kind(6) == rules.REST_DAY
        assert kind(7) == rules.REST_DAY
        assert kind(10) == rules.WORKDAY
        assert kind(11) == rules.REST_DAY
        assert kind(12) == rules.WORKDAY


def test_overtime_day_kind_follows_the_law_not_the_company_opening():
    assert rules.overtime_day_kind(kind="worked", platform_kind="holiday", is_working_day=True) == rules.HOLIDAY
    assert rules.overtime_day_kind(kind="closed", platform_kind="workday", is_working_day=False) == rules.REST_DAY
    assert rules.overtime_day_kind(kind="weekend", is_working_day=False) == rules.REST_DAY


def test_overtime_pay_factors():
    assert [float(rules.overtime_pay_factor(k, policy=POLICY)) for k in rules.OVERTIME_DAY_KINDS] == [1.5, 2.0, 3.0]
    assert str(rules.overtime_hours(at("2026-10-01", "18:00"), at("2026-10-01", "20:30"))) == "2.50"
