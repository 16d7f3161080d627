"""The month per person (apps/workforce/selectors/attendance.py) and the payroll export
``GET /api/v1/workforce/attendance`` (issue 15 item 7): hand-made Octobers with National Day,
an overnight shift across the month's end, a sick spell across a weekend and one begun the month
before, overtime on each kind of day, the CSV/XLSX files, bad months, and who sees which rows."""

from __future__ import annotations

import csv
import io

import pytest
from django_tenants.utils import tenant_context
from openpyxl import load_workbook

from apps.audit.models import AuditEntry
from apps.workforce.choices import ClockKind, LeaveKind
from apps.workforce.selectors.attendance import EXPORT_HEADER, attendance_month
from tests.workforce.helpers import (
    approved_leave,
    approved_overtime,
    at,
    clock_pair,
    roster,
    shift_type,
    team,
)

URL = "/api/v1/workforce/attendance"
pytestmark = pytest.mark.django_db


@pytest.fixture
def october(acme):
    """ann: day shifts 8, 9 Oct (after the holiday), 10 Oct (Saturday make-up workday), 12–13 Oct,
    and a night shift on 31 Oct ending 1 Nov. bob: day shifts 12–16 Oct and 19–20 Oct, sick
    Thu 15 to Tue 20 (the weekend not scheduled)."""
    with tenant_context(acme.tenant):
        hr = acme.user("hr")
        ann = acme.user("agent")
        bob = acme.user("agent")
        day = shift_type("D", "09:00", "18:00", 60)
        night = shift_type("N", "22:00", "06:00", 30)
        roster(ann, ["2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13"], day)
        roster(ann, ["2026-10-31"], night)
        clock_pair(ann, "2026-10-08", "08:45", "18:02")  # on time
        clock_pair(ann, "2026-10-09", "08:57", "18:00")  # late 7 minutes (from 08:50)
        clock_pair(ann, "2026-10-10", "08:40", "17:30")  # early leave 30
        # 12 Oct: absent. 13 Oct: approved personal leave.
        approved_leave(ann, LeaveKind.PERSONAL, "2026-10-13", "2026-10-13")
        clock_pair(ann, "2026-10-31", "21:58", "06:01", out_day="2026-11-01")  # late 8, overnight
        approved_overtime(ann, at("2026-10-01", "10:00"), at("2026-10-01", "14:00"), "holiday")
        approved_overtime(ann, at("2026-10-06", "10:00"), at("2026-10-06", "12:00"), "rest_day")
        approved_overtime(ann, at("2026-10-10", "18:00"), at("2026-10-10", "19:30"), "workday")
        roster(bob, [f"2026-10-{d}" for d in (12, 13, 14, 15, 16, 19, 20)], day)
        for d in (12, 13, 14):
            clock_pair(bob, f"2026-10-{d}", "08:30", "18:00")
        approved_leave(bob, LeaveKind.SICK, "2026-10-15", "2026-10-20")
        yield {"hr": hr, "ann": ann, "bob": bob}


def _row(rows, user):
    return next(row for row in rows if row["email"] == user.email)


def test_a_hand_made_october(acme, october):
    with tenant_context(acme.tenant):
        rows = attendance_month("2026-10")
    ann = _row(rows, october["ann"])
    assert ann["scheduled_days"] == 6
    assert ann["scheduled_hours"] == 5 * 8 + 7.5
    # 8 Oct 8 h; 9 Oct 8 h; 10 Oct 09:00–17:30 − 1 h = 7.5 h; the night 22:00–06:00 − 0.5 h = 7.5 h.
    assert ann["worked_hours"] == 31.0
    assert ann["late_count"] == 2
    assert ann["late_minutes"] == 7 + 8
    assert ann["early_leave_minutes"] == 30
    assert ann["absent_days"] == 1
    assert ann["leave_days"][LeaveKind.PERSONAL] == 1
    assert ann["overtime_hours"] == {"workday": 1.5, "rest_day": 2.0, "holiday": 4.0}
    assert ann["flags"] == ["absent:2026-10-12"]


def test_the_overnight_shift_belongs_to_the_month_it_starts(acme, october):
    with tenant_context(acme.tenant):
        november = attendance_month("2026-11")
    assert all(row["email"] != october["ann"].email for row in november)


def test_sick_spell_across_a_weekend_deducts_by_band(acme, october):
    with tenant_context(acme.tenant):
        bob = _row(attendance_month("2026-10"), october["bob"])
    # Thu 15, Fri 16, Mon 19 are days 1–3 of the spell (0.5 each), Tue 20 is day 4 (1.0).
    assert bob["leave_days"][LeaveKind.SICK] == 4
    assert bob["sick_deduction_days"] == 2.5
    assert bob["absent_days"] == 0


def test_a_spell_begun_the_month_before_keeps_counting(acme):
    with tenant_context(acme.tenant):
        carl = acme.user("agent")
        roster(carl, ["2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09"], shift_type())
        approved_leave(carl, LeaveKind.SICK, "2026-09-28", "2026-10-09")
        row = _row(attendance_month("2026-10"), carl)
    # 28–30 Sep are days 1–3; the holiday is not scheduled; 8 and 9 Oct are days 4 and 5.
    assert row["sick_deduction_days"] == 2.0


def test_a_voided_clock_in_no_longer_counts(acme, october):
    with tenant_context(acme.tenant):
        event = october["ann"].clock_events.get(kind=ClockKind.IN, at=at("2026-10-08", "08:45"))
        event.voided_at = at("2026-11-02", "10:00")
        event.save()
        ann = _row(attendance_month("2026-10"), october["ann"])
    assert ann["absent_days"] == 2


def test_json_export_for_hr(acme, october):
    response = acme.api(october["hr"]).get(URL, {"month": "2026-10"})
    assert response.status_code == 200
    assert response.json()["month"] == "2026-10"
    emails = [row["email"] for row in response.json()["rows"]]
    assert october["ann"].email in emails and october["bob"].email in emails


def test_csv_export_flattens_leave_and_overtime_and_is_audited(acme, october):
    response = acme.api(october["hr"]).get(URL, {"month": "2026-10", "format": "csv"})
    assert response.status_code == 200
    assert "attendance-2026-10.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    reader = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert reader[0] == EXPORT_HEADER
    ann = next(row for row in reader[1:] if row[1] == october["ann"].email)
    assert ann[EXPORT_HEADER.index("overtime_hours_holiday")] == "4.0"
    assert ann[EXPORT_HEADER.index("leave_days_personal")] == "1"
    with tenant_context(acme.tenant):
        assert AuditEntry.objects.filter(action="export.downloaded", extra__kind="attendance").exists()


def test_xlsx_export(acme, october):
    response = acme.api(october["hr"]).get(URL, {"month": "2026-10", "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in next(sheet.iter_rows(max_row=1))] == EXPORT_HEADER


@pytest.mark.parametrize("month", ["", "2026-13", "2026/10", "october"])
def test_a_bad_month_is_a_400(acme, october, month):
    response = acme.api(october["hr"]).get(URL, {"month": month})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "month" in response.json()["fields"]


def test_an_unknown_format_is_a_400(acme, october):
    response = acme.api(october["hr"]).get(URL, {"month": "2026-10", "format": "pdf"})
    assert response.status_code == 400


def test_an_agent_sees_only_their_own_row(acme, october):
    rows = acme.api(october["ann"]).get(URL, {"month": "2026-10"}).json()["rows"]
    assert [row["email"] for row in rows] == [october["ann"].email]


def test_a_supervisor_sees_their_team(acme, october):
    with tenant_context(acme.tenant):
        lead = acme.user("supervisor")
        team(supervisors=[lead], members=[october["bob"]])
    rows = acme.api(lead).get(URL, {"month": "2026-10"}).json()["rows"]
    assert [row["email"] for row in rows] == [october["bob"].email]


def test_people_without_a_workforce_role_and_outsiders_are_refused(acme, globex, october):
    with tenant_context(acme.tenant):
        billing = acme.user("billing")
    assert acme.api(billing).get(URL, {"month": "2026-10"}).status_code == 403
    assert acme.api().get(URL, {"month": "2026-10"}).status_code in (401, 403)
    outsider = globex.admin()
    client = acme.api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {globex.token(outsider)}")
    assert client.get(URL, {"month": "2026-10"}).status_code in (401, 403)
