"""The shift types page and the roster editor (/workforce/shift-types/, /workforce/roster/): HR
adds types, paints cells (one POST each, answered with the cell and the day's coverage), copies
last week, lays a rotation and publishes (agents notified); supervisors read; agents and other
tenants are refused; bad input changes nothing; GET never writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.notifications.models import Notification
from apps.workforce.choices import ShiftStatus
from apps.workforce.models import RotationPattern, Shift, ShiftType
from tests.workforce.pages_helpers import MONDAY, login, person, rostered, shift_types

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def world(acme):
    hr = person(acme, Role.HR, name="Helen HR")
    ann = person(acme, Role.AGENT, name="Ann Agent")
    bob = person(acme, Role.AGENT, name="Bob Agent")
    return {"hr": hr, "ann": ann, "bob": bob, "types": shift_types(acme)}


def test_hr_adds_and_edits_a_shift_type(acme, world):
    browser = login(acme, world["hr"])
    page = browser.get("/workforce/shift-types/").content.decode()
    assert 'data-shift-type="D"' in page and "next day" in page  # N is overnight
    added = browser.post(
        "/workforce/shift-types/",
        {"code": "E", "name": "Evening", "start": "14:00", "end": "23:00", "break_minutes": "30", "colour": "#aa5500"},
    )
    assert added.status_code == 302
    with tenant_context(acme.tenant):
        evening = ShiftType.objects.get(code="E")
    assert evening.break_minutes == 30 and evening.end == dt.time(23)
    edited = browser.post(
        f"/workforce/shift-types/{evening.pk}/",
        {"code": "E", "name": "Late", "start": "14:00", "end": "23:00", "break_minutes": "30", "colour": "#aa5500"},
    )
    assert edited.status_code == 302
    with tenant_context(acme.tenant):
        evening.refresh_from_db()
    assert evening.name == "Late" and not evening.is_active  # the box was not ticked: retired


def test_a_shift_type_with_a_break_longer_than_the_shift_is_refused(acme, world):
    browser = login(acme, world["hr"])
    refused = browser.post(
        "/workforce/shift-types/",
        {"code": "X", "name": "Short", "start": "09:00", "end": "10:00", "break_minutes": "90", "colour": "#aa5500"},
    )
    assert refused.status_code == 400 and "Too long." in refused.content.decode()
    with tenant_context(acme.tenant):
        assert not ShiftType.objects.filter(code="X").exists()


def test_hr_paints_cells_and_sees_the_calendar_and_coverage(acme, world):
    browser = login(acme, world["hr"])
    page = browser.get("/workforce/roster/", {"start": "2026-09-23"}).content.decode()
    assert 'data-date="2026-09-21"' in page and 'data-date="2026-09-27"' in page  # the week from Monday
    assert 'data-date="2026-09-25" data-day-kind="holiday"' in page and "Mid-autumn" in page
    before = browser.get("/workforce/roster/", {"start": "2026-09-14"}).content.decode()
    assert 'data-date="2026-09-20" data-day-kind="makeup"' in before and "Make-up workday" in before  # 调休 Sunday
    assert 'id="wf-coverage"' in page and page.count("data-scheduled=") == 48
    assert f'data-person="{world["ann"].pk}"' in page and f'data-person="{world["hr"].pk}"' not in page

    day = world["types"]["D"]
    answer = browser.post(
        "/workforce/roster/cell/",
        {"user": world["ann"].pk, "date": "2026-09-22", "shift_type": day.pk},
        **JSON,
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["cell"]["code"] == "D" and body["cell"]["status"] == "draft"
    assert body["coverage"]["date"] == "2026-09-22"
    intervals = body["coverage"]["intervals"]
    assert intervals[20]["scheduled"] == 1 and intervals[17]["scheduled"] == 0  # 10:00 on, 08:30 not yet
    with tenant_context(acme.tenant):
        shift = Shift.objects.get(user=world["ann"], date=dt.date(2026, 9, 22))
    assert shift.status == ShiftStatus.DRAFT and shift.shift_type == day

    cleared = browser.post("/workforce/roster/cell/", {"user": world["ann"].pk, "date": "2026-09-22"}, **JSON)
    assert cleared.status_code == 200 and cleared.json()["cell"]["code"] == ""
    with tenant_context(acme.tenant):
        assert not Shift.objects.filter(user=world["ann"]).exists()


def test_a_bad_cell_is_refused_and_changes_nothing(acme, world):
    browser = login(acme, world["hr"])
    bad = browser.post("/workforce/roster/cell/", {"user": world["ann"].pk, "date": "22/09/2026"}, **JSON)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    outsider = browser.post("/workforce/roster/cell/", {"user": 999999, "date": "2026-09-22"}, **JSON)
    assert outsider.status_code == 404
    with tenant_context(acme.tenant):
        assert not Shift.objects.exists()


def test_copy_last_week_rotation_and_publish_notify_agents(acme, world):
    ann, bob, types = world["ann"], world["bob"], world["types"]
    rostered(acme, ann, types["D"], MONDAY - dt.timedelta(days=7), publish=False)
    rostered(acme, bob, types["N"], MONDAY - dt.timedelta(days=6), publish=False)
    browser = login(acme, world["hr"])
    copied = browser.post("/workforce/roster/copy-week/", {"week": MONDAY.isoformat(), "return": "start=2026-09-21"})
    assert copied.status_code == 302 and copied["Location"] == "/workforce/roster/?start=2026-09-21"
    with tenant_context(acme.tenant):
        assert set(Shift.objects.filter(date__gte=MONDAY).values_list("user_id", "date")) == {
            (ann.pk, MONDAY),
            (bob.pk, MONDAY + dt.timedelta(days=1)),
        }

    saved = browser.post("/workforce/roster/patterns/", {"name": "Two on two off", "steps": "D D - -"})
    assert saved.status_code == 302
    with tenant_context(acme.tenant):
        pattern = RotationPattern.objects.get(name="Two on two off")
    assert pattern.steps == ["D", "D", "", ""]
    laid = browser.post(
        "/workforce/roster/rotation/",
        {
            "pattern": pattern.pk,
            "users": [ann.pk, bob.pk],
            "since": "2026-09-23",
            "until": "2026-09-26",
            "start_step": "1",
            "stagger": "on",
        },
    )
    assert laid.status_code == 302
    with tenant_context(acme.tenant):
        ann_days = sorted(Shift.objects.filter(user=ann, date__gte="2026-09-23").values_list("date", flat=True))
        bob_days = sorted(Shift.objects.filter(user=bob, date__gte="2026-09-23").values_list("date", flat=True))
    assert ann_days == [dt.date(2026, 9, 23), dt.date(2026, 9, 24)]  # steps 1-2 on, 3-4 off
    assert bob_days == [dt.date(2026, 9, 23), dt.date(2026, 9, 26)]  # one step further on

    published = browser.post("/workforce/roster/publish/", {"since": "2026-09-21", "until": "2026-09-27"})
    assert published.status_code == 302
    with tenant_context(acme.tenant):
        assert not Shift.objects.filter(date__gte=MONDAY, status=ShiftStatus.DRAFT).exists()
        told = set(Notification.objects.filter(kind="workforce.roster_published").values_list("user_id", flat=True))
    assert told == {ann.pk, bob.pk}


def test_a_pattern_with_an_unknown_code_is_refused(acme, world):
    browser = login(acme, world["hr"])
    browser.post("/workforce/roster/patterns/", {"name": "Bad", "steps": "D Q"})
    with tenant_context(acme.tenant):
        assert not RotationPattern.objects.exists()


def test_supervisors_read_the_roster_but_cannot_edit(acme, world):
    supervisor = person(acme, Role.SUPERVISOR)
    rostered(acme, world["ann"], world["types"]["D"], MONDAY)
    browser = login(acme, supervisor)
    page = browser.get("/workforce/roster/", {"start": MONDAY.isoformat()}).content.decode()
    assert f'data-person="{world["ann"].pk}"' in page and "data-editable" not in page and 'id="wf-palette"' not in page
    refused = browser.post(
        "/workforce/roster/cell/", {"user": world["ann"].pk, "date": MONDAY.isoformat(), "shift_type": ""}, **JSON
    )
    assert refused.status_code == 403
    assert browser.get("/workforce/shift-types/").status_code == 403
    with tenant_context(acme.tenant):
        assert Shift.objects.filter(user=world["ann"]).count() == 1


@pytest.mark.parametrize("path", ["/workforce/roster/", "/workforce/shift-types/"])
def test_agents_are_refused_the_planning_pages(acme, world, path):
    assert login(acme, world["ann"]).get(path).status_code == 403


def test_another_tenants_hr_cannot_touch_this_roster(acme, globex, world):
    stranger = person(globex, Role.HR)
    browser = login(globex, stranger)
    answer = browser.post(
        "/workforce/roster/cell/",
        {"user": world["ann"].pk, "date": "2026-09-22", "shift_type": world["types"]["D"].pk},
        HTTP_HOST=globex.host,
        **JSON,
    )
    assert answer.status_code in (400, 404)
    with tenant_context(acme.tenant):
        assert not Shift.objects.exists()


def test_the_roster_get_writes_nothing(acme, world):
    browser = login(acme, world["hr"])
    browser.get("/workforce/roster/", {"start": MONDAY.isoformat(), "view": "month"})
    with tenant_context(acme.tenant):
        assert not Shift.objects.exists() and not RotationPattern.objects.exists()


def test_the_coverage_of_a_day_as_json(acme, world):
    rostered(acme, world["ann"], world["types"]["D"], MONDAY, publish=False)
    browser = login(acme, person(acme, Role.SUPERVISOR))
    answer = browser.get("/workforce/roster/coverage/", {"date": MONDAY.isoformat()})
    body = answer.json()["coverage"]
    assert answer.status_code == 200 and body["date"] == MONDAY.isoformat() and len(body["intervals"]) == 48
    assert body["intervals"][22]["scheduled"] == 1  # 11:00, the draft counts while editing
    assert browser.get("/workforce/roster/coverage/", {"date": "tomorrow"}).status_code == 400
    assert login(acme, world["ann"]).get("/workforce/roster/coverage/").status_code == 403
