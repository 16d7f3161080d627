"""Calendar pages: the coverage banner on both dashboards, the operator's year view (form and
import) and a tenant administrator's exceptions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from apps.accounts.models import User
from apps.calendar import selectors
from apps.calendar.models import CalendarDay, CalendarYear, TenantCalendarDay
from tests.accounts.helpers import web_login
from tests.conftest import PASSWORD

BANNER = 'id="calendar-coverage"'


@pytest.fixture
def console(db) -> Client:
    with schema_context("public"):
        user = User.objects.create_superuser("ops-calendar-pages@platform.test", PASSWORD)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context("public"):
        client.force_login(user)
    return client


def test_both_dashboards_warn_when_the_next_60_days_are_not_covered(console, acme, frozen_today):
    frozen_today(dt.date(2026, 12, 15))

    platform_page = console.get("/platform/").content.decode()
    admin_page = web_login(acme, acme.admin_email).get("/").content.decode()

    for page in (platform_page, admin_page):
        assert BANNER in page
        assert "Not covered: 2027-01-01 – 2027-02-13." in page
        assert "2027-02-06 Chinese New Year (Spring Festival)" in page
        assert "Provisional" in page
    assert "/platform/calendar/" in platform_page and "/console/calendar/" in admin_page
    agent = acme.user("agent")
    assert BANNER not in web_login(acme, agent.email).get("/").content.decode()


def test_no_banner_while_the_official_schedule_covers_the_next_60_days(console, acme, frozen_today):
    frozen_today(dt.date(2026, 6, 1))

    assert BANNER not in console.get("/platform/").content.decode()
    assert BANNER not in web_login(acme, acme.admin_email).get("/").content.decode()

    frozen_today(dt.date(2026, 12, 15))
    with schema_context("public"):
        CalendarYear.objects.create(year=2027, official=True)
    selectors.clear_local_cache()
    assert BANNER not in console.get("/platform/").content.decode()


def test_the_year_view_shows_provisional_days_and_saves_an_operator_day(console):
    page = console.get("/platform/calendar/?year=2027").content.decode()
    assert "is not officially covered" in page and "Chinese New Year (Spring Festival)" in page

    response = console.post(
        "/platform/calendar/days/?year=2027",
        {
            "day-date": "2027-02-20",
            "day-kind": "makeup",
            "day-name_zh": "春节",
            "day-name_en": "Spring Festival",
            "day-source": "manual",
        },
        follow=True,
    )
    assert "2027-02-20 saved." in response.content.decode()
    with schema_context("public"):
        assert CalendarDay.objects.get(date="2027-02-20").kind == "makeup"
    assert selectors.is_working_day(dt.date(2027, 2, 20))

    response = console.post("/platform/calendar/years/2027/", {"official": "1"}, follow=True)
    assert "2027 is marked officially covered." in response.content.decode()
    assert selectors.is_working_day(dt.date(2027, 2, 8))  # the computed holidays are gone


def test_a_bad_import_on_the_page_says_why_and_changes_nothing(console):
    with schema_context("public"):
        before = CalendarDay.objects.count(), CalendarYear.objects.filter(official=True).count()
    bad = SimpleUploadedFile("2027.csv", b"date,kind,name_zh,name_en\n2027-02-22,makeup,,\n")

    response = console.post("/platform/calendar/import/", {"file": bad, "year": "2027"}, follow=True)

    page = response.content.decode()
    assert "nothing was imported" in page and "is a weekday" in page
    with schema_context("public"):
        assert (CalendarDay.objects.count(), CalendarYear.objects.filter(official=True).count()) == before


def test_the_platform_calendar_is_for_staff_only(acme):
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    assert client.get("/platform/calendar/").status_code == 302
    assert acme.client().get("/platform/calendar/").status_code == 404


def test_an_admin_adds_and_removes_an_exception_for_the_company_only(acme, globex):
    client = web_login(acme, acme.admin_email)
    response = client.post(
        "/console/calendar/", {"date": "2026-12-31", "kind": "closed", "name": "Stocktake"}, follow=True
    )
    assert "2026-12-31 saved." in response.content.decode()
    assert not selectors.is_working_day(dt.date(2026, 12, 31), tenant=acme.tenant)
    assert selectors.is_working_day(dt.date(2026, 12, 31), tenant=globex.tenant)
    with schema_context("public"):
        row = TenantCalendarDay.objects.get(tenant=acme.tenant, date="2026-12-31")

    other = web_login(globex, globex.admin_email)
    assert "Stocktake" not in other.get("/console/calendar/?year=2026").content.decode()
    assert other.post(f"/console/calendar/{row.pk}/remove/").status_code == 404
    agent = acme.user("agent")
    assert web_login(acme, agent.email).get("/console/calendar/").status_code == 403

    client.post(f"/console/calendar/{row.pk}/remove/")
    assert selectors.is_working_day(dt.date(2026, 12, 31), tenant=acme.tenant)


def test_confirming_a_provisional_day_starts_from_its_computed_values(console):
    page = console.get("/platform/calendar/?year=2027&edit=2027-02-06").content.decode()

    assert 'value="2027-02-06"' in page and 'value="春节"' in page
    assert console.get("/platform/calendar/?year=2027&edit=nonsense").status_code == 200
