"""The calendar's API twins: the platform operator's (public host) and the tenant's merged view
and exceptions (tenant host)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.calendar import selectors
from apps.calendar.models import CalendarDay, CalendarYear, TenantCalendarDay
from tests.conftest import PASSWORD

GOOD_CSV = """date,kind,name_zh,name_en
2027-02-05,holiday,春节,Spring Festival
2027-02-06,holiday,春节,Spring Festival
2027-02-07,holiday,春节,Spring Festival
2027-02-08,holiday,春节,Spring Festival
2027-02-09,in_lieu,春节,Spring Festival
2027-02-10,in_lieu,春节,Spring Festival
2027-02-11,in_lieu,春节,Spring Festival
2027-02-20,makeup,春节,Spring Festival
"""


@pytest.fixture
def staff_api(db) -> APIClient:
    with schema_context("public"):
        user = User.objects.create_superuser("ops-calendar@platform.test", PASSWORD)
    client = APIClient(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_authenticate(user)
    return client


def platform_state():
    with schema_context("public"):
        return (
            sorted(CalendarDay.objects.values_list("date", "kind", "name_en", "source")),
            sorted(CalendarYear.objects.values_list("year", "official")),
        )


def upload(text: str | bytes, name: str = "2027.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)


def test_platform_year_view_marks_computed_days_provisional(staff_api):
    body = staff_api.get("/api/v1/platform/calendar", {"year": 2027}).json()

    assert body["official"] is False
    spring = next(day for day in body["days"] if day["date"] == "2027-02-06")
    assert (spring["kind"], spring["source"], spring["is_working_day"]) == ("holiday", "provisional", False)
    assert staff_api.get("/api/v1/platform/calendar", {"year": 2026}).json()["official"] is True


def test_platform_day_post_then_delete(staff_api):
    response = staff_api.post(
        "/api/v1/platform/calendar/days",
        {"date": "2027-02-20", "kind": "makeup", "name_zh": "春节", "name_en": "Spring Festival"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert selectors.is_working_day(dt.date(2027, 2, 20))

    response = staff_api.post("/api/v1/platform/calendar/days", {"date": "2027-02-22", "kind": "makeup"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "date" in response.json()["fields"]

    assert staff_api.delete("/api/v1/platform/calendar/days/2027-02-20").status_code == 204
    assert not selectors.is_working_day(dt.date(2027, 2, 20))


def test_platform_import_replaces_the_year_and_makes_it_official(staff_api):
    response = staff_api.post("/api/v1/platform/calendar/import", {"file": upload(GOOD_CSV)}, format="multipart")

    assert response.status_code == 201, response.content
    assert response.json() == {"year": 2027, "days": 8}
    with schema_context("public"):
        assert CalendarYear.objects.get(year=2027).official
    info = selectors.day_info(dt.date(2027, 2, 11))
    assert (info.kind, info.source) == ("in_lieu", "official")
    assert selectors.is_working_day(dt.date(2027, 10, 1))  # no provisional days left in 2027
    coverage = staff_api.get("/api/v1/platform/calendar/coverage", {"days": 30}).json()
    assert "complete" in coverage


@pytest.mark.parametrize(
    ("content", "name", "needle"),
    [
        (GOOD_CSV.replace("2027-02-07,holiday", "2027-02-31,holiday"), "2027.csv", "is not a date"),
        (GOOD_CSV.replace("2027-02-20,makeup", "2027-02-22,makeup"), "2027.csv", "is a weekday"),
        (GOOD_CSV.replace("2027-02-09,in_lieu", "2027-02-09,vacation"), "2027.csv", "Unknown kind"),
        (GOOD_CSV + "2028-01-01,holiday,元旦,New Year's Day\n", "2027.csv", "mixes years"),
        (GOOD_CSV + "2027-02-05,holiday,春节,Spring Festival\n", "2027.csv", "appears twice"),
        ("day;type\n2027-01-01;holiday\n", "2027.csv", "columns date, kind"),
        ('{"year": 2027, "days": [{"date": "2027-01-01"', "2027.json", "not valid JSON"),
        (b"\xff\xfe\x00d\x00a", "2027.csv", "not UTF-8"),
        ("date,kind,name_zh,name_en\n", "2027.csv", "no days"),
    ],
)
def test_a_bad_import_is_a_clear_400_and_changes_nothing(staff_api, content, name, needle):
    before = platform_state()

    response = staff_api.post("/api/v1/platform/calendar/import", {"file": upload(content, name)}, format="multipart")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_file"
    assert needle in body["message"] + " ".join(body.get("fields", {}).get("file", []))
    assert platform_state() == before
    assert selectors.day_info(dt.date(2027, 2, 6)).source == "provisional"


def test_a_json_import_with_its_year(staff_api):
    text = (
        '{"year": 2027, "days": [{"date": "2027-01-01", "kind": "holiday", "name_zh": "元旦", "name_en": "New Year"}]}'
    )
    response = staff_api.post(
        "/api/v1/platform/calendar/import", {"file": upload(text, "gov.json")}, format="multipart"
    )

    assert response.status_code == 201, response.content
    assert selectors.year_days(2027)[0].name_en == "New Year"


def test_platform_calendar_api_is_for_staff_only(acme, public_api):
    assert public_api.get("/api/v1/platform/calendar").status_code in (401, 403)
    response = public_api.post("/api/v1/platform/calendar/import", {"file": upload(GOOD_CSV)}, format="multipart")
    assert response.status_code in (401, 403)
    # A tenant administrator's token is no key to the platform either.
    assert acme.api(acme.admin()).get("/api/v1/platform/calendar").status_code == 404


def test_tenant_calendar_merges_its_exceptions(acme, globex):
    admin_api = acme.api(acme.admin())
    response = admin_api.post("/api/v1/calendar/overrides", {"date": "2027-02-08", "kind": "worked"}, format="json")
    assert response.status_code == 201, response.content

    acme_days = {day["date"]: day for day in admin_api.get("/api/v1/calendar/", {"year": 2027}).json()["days"]}
    assert (acme_days["2027-02-08"]["kind"], acme_days["2027-02-08"]["source"]) == ("worked", "tenant")
    assert acme_days["2027-02-08"]["platform_source"] == "provisional"
    globex_days = {d["date"]: d for d in globex.api(globex.admin()).get("/api/v1/calendar/?year=2027").json()["days"]}
    assert globex_days["2027-02-08"]["source"] == "provisional"


def test_tenant_overrides_crud_for_admins_only_and_never_across_tenants(acme, globex):
    admin_api = acme.api(acme.admin())
    created = admin_api.post(
        "/api/v1/calendar/overrides", {"date": "2026-12-31", "kind": "closed", "name": "Stocktake"}, format="json"
    ).json()
    assert (
        admin_api.patch(f"/api/v1/calendar/overrides/{created['id']}", {"name": "Inventory"}, format="json").json()[
            "name"
        ]
        == "Inventory"
    )
    bad = admin_api.post("/api/v1/calendar/overrides", {"date": "2026-12-30", "kind": "holiday"}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()["fields"]

    agent_api = acme.api(acme.user("agent"))
    assert agent_api.get("/api/v1/calendar/?year=2026").status_code == 200
    assert agent_api.post("/api/v1/calendar/overrides", {"date": "2026-12-30", "kind": "closed"}).status_code == 403

    globex_api = globex.api(globex.admin())
    assert globex_api.get("/api/v1/calendar/overrides").json()["results"] == []
    assert [row["id"] for row in admin_api.get("/api/v1/calendar/overrides").json()["results"]] == [created["id"]]
    assert globex_api.delete(f"/api/v1/calendar/overrides/{created['id']}").status_code == 404
    with schema_context("public"):
        assert TenantCalendarDay.objects.filter(pk=created["id"]).exists()

    assert admin_api.delete(f"/api/v1/calendar/overrides/{created['id']}").status_code == 204
    assert selectors.is_working_day(dt.date(2026, 12, 31), tenant=acme.tenant)


def test_ivr_hours_status_calls_a_2027_spring_festival_day_a_provisional_holiday(acme):
    api = acme.api(acme.admin())
    weekdays = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    hours = api.post("/api/v1/business-hours", {"name": "Office 2027", "weekly": weekdays}, format="json")
    assert hours.status_code == 201, hours.content

    body = api.get(f"/api/v1/business-hours/{hours.json()['id']}/status", {"at": "2027-02-08T10:00:00+08:00"}).json()

    assert (body["state"], body["day_kind"], body["day_source"]) == ("holiday", "public_holiday", "provisional")
    assert "Spring Festival" in body["day_name"]
