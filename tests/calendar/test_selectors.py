"""The one calendar: package years unchanged, provisional years by rule, operator and tenant
entries, the process cache and the coverage warning's arithmetic."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.cache import cache
from django_tenants.utils import tenant_context

from apps.calendar import selectors, services
from apps.calendar.models import CalendarDay, CalendarYear
from apps.telephony.dialer.windows import date_open
from apps.telephony.ivr.hours import DayKind, HoursState, day_plan, hours_state
from apps.telephony.models import BusinessHours
from apps.telephony.services.business_hours import business_hours_create
from apps.telephony.services.campaigns.windows import calling_window, campaign_window, day_kind

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKDAY = [["09:00", "18:00"]]
WEEKLY = {day: WORKDAY for day in ("mon", "tue", "wed", "thu", "fri")}
SPRING_FESTIVAL_2027 = dt.date(2027, 2, 6)  # a Saturday; 8 Feb 2027 is the Monday after


def every_day(year: int):
    day = dt.date(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def hours_of(world) -> BusinessHours:
    with tenant_context(world.tenant):
        return business_hours_create(name=f"Office {BusinessHours.objects.count()}", weekly=WEEKLY)


def spec_of(world, hours: BusinessHours):
    from apps.telephony.ivr.hours import HoursSpec

    with tenant_context(world.tenant):
        return HoursSpec.from_model(BusinessHours.objects.prefetch_related("overrides").get(pk=hours.pk))


@pytest.mark.parametrize("year", [2004, 2015, 2020, 2025, 2026])
def test_package_years_answer_exactly_as_chinesecalendar_did(year):
    for day in every_day(year):
        info = selectors.day_info(day)
        assert info.is_working_day is chinese_calendar.is_workday(day), day
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        if is_holiday and name:
            assert (info.kind in ("holiday", "in_lieu"), info.source, info.name_en) == (True, "official", name), day
        assert day_kind(day) == (
            "holiday" if is_holiday and name else "makeup" if not is_holiday and day.weekday() >= 5 else "plain"
        )


def test_the_seeded_years_are_official_and_2027_is_not():
    assert set(range(2004, 2027)) <= set(CalendarYear.objects.filter(official=True).values_list("year", flat=True))
    assert not CalendarYear.objects.filter(year=2027, official=True).exists()
    assert services.calendar_seed() == 0  # idempotent


def test_2027_spring_festival_is_a_provisional_holiday_and_ivr_hours_are_closed(acme):
    info = selectors.day_info(SPRING_FESTIVAL_2027)
    assert (info.kind, info.source, info.is_working_day) == ("holiday", "provisional", False)
    assert info.name_zh == "春节" and "Spring Festival" in info.name_en
    monday = dt.date(2027, 2, 8)
    assert not selectors.is_working_day(monday)

    spec = spec_of(acme, hours_of(acme))
    plan = day_plan(spec, monday)
    assert (plan.kind, plan.source) == (DayKind.PUBLIC_HOLIDAY, "provisional")
    assert hours_state(spec, at(monday)) == HoursState.HOLIDAY
    assert hours_state(spec, at(dt.date(2027, 2, 16))) == HoursState.OPEN  # an ordinary Tuesday after it
    assert not date_open(calling_window(), monday)


def test_an_operator_entered_2027_day_overrides_the_provisional_one(acme):
    eve = dt.date(2027, 2, 5)  # Friday, Spring Festival's eve: provisional holiday by rule
    makeup = dt.date(2027, 2, 20)  # a Saturday nobody knows to be a make-up workday yet
    spec_before = spec_of(acme, hours_of(acme))
    assert hours_state(spec_before, at(eve)) == HoursState.HOLIDAY
    assert hours_state(spec_before, at(makeup)) == HoursState.CLOSED

    services.calendar_day_set(date=eve, kind="workday")
    services.calendar_day_set(date=makeup, kind="makeup", name_zh="春节", name_en="Spring Festival")

    assert (selectors.day_info(eve).kind, selectors.day_info(eve).source) == ("workday", "manual")
    assert selectors.is_working_day(eve) and selectors.is_working_day(makeup)
    assert selectors.day_info(SPRING_FESTIVAL_2027).source == "provisional"  # the rest stays provisional
    spec = spec_of(acme, hours_of(acme))
    assert hours_state(spec, at(eve)) == HoursState.OPEN
    assert day_plan(spec, makeup).kind == DayKind.MAKEUP_WORKDAY
    assert hours_state(spec, at(makeup)) == HoursState.OPEN
    assert date_open(calling_window(weekdays=frozenset({1, 2, 3, 4, 5})), makeup)


def test_marking_a_year_official_drops_its_computed_days():
    services.calendar_day_set(date=dt.date(2027, 2, 11), kind="holiday", name_zh="春节", name_en="Spring Festival")
    services.calendar_year_set_official(year=2027, official=True)

    assert selectors.is_working_day(SPRING_FESTIVAL_2027 + dt.timedelta(days=2)) is True  # Monday 8 Feb
    assert selectors.day_info(dt.date(2027, 2, 11)).source == "manual"
    assert [info.date for info in selectors.year_days(2027)] == [dt.date(2027, 2, 11)]


def test_a_tenant_override_wins_for_that_tenant_only(acme, globex):
    closed = dt.date(2026, 3, 4)  # an ordinary Wednesday
    worked = dt.date(2026, 10, 1)  # National Day, a Thursday
    services.tenant_day_set(tenant=acme.tenant, date=closed, kind="closed", name="Company day")
    services.tenant_day_set(tenant=acme.tenant, date=worked, kind="worked")

    assert not selectors.is_working_day(closed, tenant=acme.tenant)
    assert selectors.day_info(closed, acme.tenant).name_en == "Company day"
    assert selectors.is_working_day(worked, tenant=acme.tenant)
    for other in (globex.tenant, None):
        assert selectors.is_working_day(closed, tenant=other)
        assert not selectors.is_working_day(worked, tenant=other)

    acme_spec, globex_spec = spec_of(acme, hours_of(acme)), spec_of(globex, hours_of(globex))
    assert hours_state(acme_spec, at(closed)) == HoursState.HOLIDAY
    assert hours_state(globex_spec, at(closed)) == HoursState.OPEN
    assert (day_plan(acme_spec, worked).kind, hours_state(acme_spec, at(worked))) == (
        DayKind.TENANT_WORKED,
        HoursState.OPEN,
    )
    assert hours_state(globex_spec, at(worked)) == HoursState.HOLIDAY
    campaign = SimpleNamespace(**{**vars(calling_window()), "weekdays": range(1, 8)})
    with tenant_context(acme.tenant):
        acme_window = campaign_window(campaign)
    assert not date_open(acme_window, closed) and date_open(calling_window(), closed)
    assert date_open(acme_window, worked) and not date_open(calling_window(), worked)


def test_another_process_sees_a_change_once_the_shared_version_moves(monkeypatch):
    day = dt.date(2027, 3, 3)
    assert selectors.is_working_day(day)
    # Another process writes and bumps the shared version (its on-commit hook).
    CalendarDay.objects.create(date=day, kind="holiday", name_en="Extra", source="manual")
    assert selectors.is_working_day(day)  # this process still has its snapshot
    cache.set(selectors.VERSION_KEY, uuid.uuid4().hex, timeout=None)
    monkeypatch.setattr(selectors, "_checked_at", 0.0)

    assert not selectors.is_working_day(day)


def test_coverage_names_the_uncovered_range_and_the_provisional_days(frozen_today):
    frozen_today(dt.date(2026, 12, 15))

    result = selectors.coverage()

    assert result.uncovered == [(dt.date(2027, 1, 1), dt.date(2027, 2, 13))]
    dates = [info.date for info in result.provisional]
    assert dt.date(2027, 1, 1) in dates and SPRING_FESTIVAL_2027 in dates
    assert all(info.source == "provisional" for info in result.provisional)

    frozen_today(dt.date(2026, 6, 1))
    assert selectors.coverage().complete


def test_the_commands_import_a_year_refuse_a_bad_file_and_report_coverage(tmp_path, frozen_today):
    from django.core.management import CommandError, call_command

    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind,name_zh,name_en\n2027-02-22,makeup,春节,Spring Festival\n", encoding="utf-8")
    with pytest.raises(CommandError, match="is a weekday"):
        call_command("calendar_import", str(bad))
    assert not CalendarYear.objects.filter(year=2027).exists()

    frozen_today(dt.date(2026, 12, 15))
    with pytest.raises(SystemExit) as exit_info:
        call_command("calendar_coverage")
    assert exit_info.value.code == 1

    good = tmp_path / "2027.csv"
    good.write_text("date,kind,name_zh,name_en\n2027-02-20,makeup,春节,Spring Festival\n", encoding="utf-8")
    call_command("calendar_import", str(good))
    assert CalendarYear.objects.get(year=2027).official
    assert selectors.is_working_day(dt.date(2027, 2, 20)) and selectors.is_working_day(dt.date(2027, 2, 8))
    call_command("calendar_coverage")  # covered now: no exit


def test_the_engine_config_carries_the_tenant_calendar_and_evaluates_hours_without_the_database(
    acme, django_db_blocker
):
    from apps.telephony.engine.config import load_tenant_config

    closed = dt.date(2026, 3, 4)  # an ordinary Wednesday the company closes
    services.tenant_day_set(tenant=acme.tenant, date=closed, kind="closed")
    hours = hours_of(acme)
    with tenant_context(acme.tenant):
        spec = load_tenant_config(acme.tenant, customers=False).hours[hours.pk]

    assert spec.calendar is not None and spec.calendar.tenant_id == acme.tenant.pk
    with django_db_blocker.block():  # the engine evaluates hours on its event loop
        assert hours_state(spec, at(closed)) == HoursState.HOLIDAY
        assert hours_state(spec, at(SPRING_FESTIVAL_2027 + dt.timedelta(days=2))) == HoursState.HOLIDAY
        assert hours_state(spec, at(dt.date(2026, 3, 5))) == HoursState.OPEN
