"""Requests, approvals and clocking through the API (issue 15 items 3–6, 11): leave with its
chain and certificate, overtime classified by the calendar, swaps (the roster changes only on a
supervisor's approval), clocking with the IP allow-list and the handover, HR corrections, the
roster's publish, warnings and dismissal-review flags — each with who may and who may not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.audit.models import AuditEntry
from apps.notifications.models import Notification
from apps.workforce.choices import ShiftStatus, SwapStatus
from apps.workforce.models import (
    ClockEvent,
    DismissalReviewFlag,
    LeaveRequest,
    Shift,
    WorkforcePolicy,
    WorkforceProfile,
)
from apps.workforce.services.clocking import handover_write
from apps.workforce.services.discipline import discipline_check
from tests.workforce.helpers import roster, shift_type, team

API = "/api/v1/workforce"
pytestmark = pytest.mark.django_db


@pytest.fixture
def people(acme):
    """``ann`` and ``bob`` agents in ``lead``'s team; ``other`` supervises another team; ``hr``."""
    with tenant_context(acme.tenant):
        found = {
            "hr": acme.user("hr"),
            "lead": acme.user("supervisor"),
            "other": acme.user("supervisor"),
            "ann": acme.user("agent"),
            "bob": acme.user("agent"),
            "cid": acme.user("agent"),
        }
        team(supervisors=[found["lead"]], members=[found["ann"], found["bob"]])
        team(supervisors=[found["other"]], members=[found["cid"]])
        return found


def post(acme, user, path, data=None, **extra):
    return acme.api(user).post(f"{API}/{path}", data or {}, format="json", **extra)


# --- leave ----------------------------------------------------------------------------------------


def test_agent_asks_leave_and_their_supervisor_approves(acme, people):
    response = post(
        acme,
        people["ann"],
        "leave-requests",
        {"kind": "personal", "start_date": "2027-03-01", "end_date": "2027-03-01"},
    )
    assert response.status_code == 201, response.json()
    leave = response.json()
    assert leave["status"] == "pending" and leave["required_steps"] == ["supervisor"]
    assert post(acme, people["ann"], f"leave-requests/{leave['id']}/approve").status_code == 403
    assert post(acme, people["other"], f"leave-requests/{leave['id']}/approve").status_code == 404
    approved = post(acme, people["lead"], f"leave-requests/{leave['id']}/approve", {"note": "ok"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    with tenant_context(acme.tenant):
        assert AuditEntry.objects.filter(action="workforce.leave_decided").count() == 1
        assert Notification.objects.filter(user=people["ann"], kind="workforce.leave_decided").exists()
        assert Notification.objects.filter(user=people["lead"], kind="workforce.leave_requested").exists()


def test_long_leave_needs_hr_after_the_supervisor(acme, people):
    leave = post(
        acme, people["ann"], "leave-requests", {"kind": "unpaid", "start_date": "2027-03-01", "end_date": "2027-03-12"}
    ).json()
    assert leave["required_steps"] == ["supervisor", "hr"]
    after_lead = post(acme, people["lead"], f"leave-requests/{leave['id']}/approve").json()
    assert after_lead["status"] == "pending" and after_lead["next_step"] == "hr"
    assert post(acme, people["lead"], f"leave-requests/{leave['id']}/approve").status_code == 403
    assert post(acme, people["hr"], f"leave-requests/{leave['id']}/approve").json()["status"] == "approved"


def test_an_agent_cannot_ask_for_someone_else(acme, people):
    response = post(
        acme,
        people["ann"],
        "leave-requests",
        {"user": people["bob"].pk, "kind": "personal", "start_date": "2027-03-01", "end_date": "2027-03-01"},
    )
    assert response.status_code == 403
    with tenant_context(acme.tenant):
        assert not LeaveRequest.objects.exists()


def test_sick_leave_needs_the_certificate_before_approval(acme, people):
    leave = post(
        acme, people["ann"], "leave-requests", {"kind": "sick", "start_date": "2027-03-01", "end_date": "2027-03-02"}
    ).json()
    refused = post(acme, people["lead"], f"leave-requests/{leave['id']}/approve")
    assert refused.status_code == 400 and refused.json()["code"] == "workforce_certificate_required"
    upload = SimpleUploadedFile("cert.pdf", b"%PDF-1.4 certificate", content_type="application/pdf")
    attached = acme.api(people["ann"]).post(
        f"{API}/leave-requests/{leave['id']}/certificate", {"certificate": upload}, format="multipart"
    )
    assert attached.status_code == 200 and attached.json()["has_certificate"]
    with tenant_context(acme.tenant):
        assert LeaveRequest.objects.get(pk=leave["id"]).certificate.name.startswith(
            f"tenants/{acme.tenant.schema_name}/"
        )
    assert post(acme, people["lead"], f"leave-requests/{leave['id']}/approve").json()["status"] == "approved"


def test_bereavement_leave_is_bounded_by_the_relation(acme, people):
    base = {"kind": "bereavement", "start_date": "2027-03-01", "end_date": "2027-03-03"}
    missing = post(acme, people["ann"], "leave-requests", base)
    assert missing.status_code == 400 and "relation" in missing.json()["fields"]
    too_long = post(acme, people["ann"], "leave-requests", {**base, "relation": "grandparent"})
    assert too_long.status_code == 400 and too_long.json()["code"] == "workforce_leave_exceeds_entitlement"
    assert post(acme, people["ann"], "leave-requests", {**base, "relation": "parent"}).status_code == 201


def test_annual_leave_is_bounded_by_the_balance(acme, people):
    with tenant_context(acme.tenant):
        WorkforceProfile.objects.create(user=people["ann"], service_start_date=dt.date(2020, 1, 1))
    five = post(
        acme, people["ann"], "leave-requests", {"kind": "annual", "start_date": "2027-03-01", "end_date": "2027-03-05"}
    )
    assert five.status_code == 201 and five.json()["days"] == 5
    more = post(
        acme, people["ann"], "leave-requests", {"kind": "annual", "start_date": "2027-03-08", "end_date": "2027-03-08"}
    )
    assert more.status_code == 400 and more.json()["code"] == "workforce_leave_exceeds_entitlement"
    balances = acme.api(people["ann"]).get(f"{API}/leave-balances", {"year": 2027}).json()["balances"]
    assert balances["annual"] == {"approved": 0.0, "pending": 5.0, "entitled": 5, "remaining": 0.0}


def test_overlapping_leave_and_bad_dates_change_nothing(acme, people):
    body = {"kind": "personal", "start_date": "2027-03-01", "end_date": "2027-03-02"}
    assert post(acme, people["ann"], "leave-requests", body).status_code == 201
    assert post(acme, people["ann"], "leave-requests", body).json()["code"] == "workforce_leave_overlaps"
    backwards = post(acme, people["ann"], "leave-requests", {**body, "start_date": "2027-03-05"})
    assert backwards.status_code == 400 and "end_date" in backwards.json()["fields"]
    with tenant_context(acme.tenant):
        assert LeaveRequest.objects.count() == 1


# --- overtime -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "kind"),
    [
        ("2026-10-01T18:00:00+08:00", "holiday"),
        ("2026-10-06T18:00:00+08:00", "rest_day"),
        ("2026-10-10T18:00:00+08:00", "workday"),
        ("2026-10-11T18:00:00+08:00", "rest_day"),
        ("2026-10-12T18:00:00+08:00", "workday"),
    ],
)
def test_overtime_is_classified_by_the_calendar(acme, people, start, kind):
    end = (dt.datetime.fromisoformat(start) + dt.timedelta(hours=2)).isoformat()
    response = post(acme, people["ann"], "overtime-requests", {"start": start, "end": end, "reason": "peak"})
    assert response.status_code == 201
    assert response.json()["day_kind"] == kind


def test_overtime_counts_only_once_approved(acme, people):
    body = {"start": "2026-10-01T18:00:00+08:00", "end": "2026-10-01T20:00:00+08:00", "reason": "peak"}
    request = post(acme, people["ann"], "overtime-requests", body).json()
    hours = lambda: acme.api(people["hr"]).get(f"{API}/attendance", {"month": "2026-10"}).json()["rows"]  # noqa: E731
    assert all(row["email"] != people["ann"].email for row in hours())
    assert post(acme, people["ann"], f"overtime-requests/{request['id']}/approve").status_code == 403
    assert post(acme, people["lead"], f"overtime-requests/{request['id']}/approve").json()["status"] == "approved"
    ann = next(row for row in hours() if row["email"] == people["ann"].email)
    assert ann["overtime_hours"]["holiday"] == 2.0
    again = post(acme, people["lead"], f"overtime-requests/{request['id']}/reject")
    assert again.status_code == 400 and again.json()["code"] == "workforce_not_pending"


def test_overtime_refusals(acme, people):
    backwards = {"start": "2026-10-01T18:00:00+08:00", "end": "2026-10-01T17:00:00+08:00", "reason": "x"}
    assert post(acme, people["ann"], "overtime-requests", backwards).status_code == 400
    no_reason = {"start": "2026-10-01T18:00:00+08:00", "end": "2026-10-01T19:00:00+08:00", "reason": ""}
    assert post(acme, people["ann"], "overtime-requests", no_reason).status_code == 400


# --- swaps ----------------------------------------------------------------------------------------


def _future(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_swap_needs_the_colleague_then_a_supervisor(acme, people):
    with tenant_context(acme.tenant):
        day, night = shift_type("D"), shift_type("E", "14:00", "22:00", 30)
        mine = roster(people["ann"], [_future(3)], day)[0]
        theirs = roster(people["bob"], [_future(4)], night)[0]
    swap = post(
        acme,
        people["ann"],
        "swap-requests",
        {"counterpart": people["bob"].pk, "requester_shift": mine.pk, "counterpart_shift": theirs.pk},
    ).json()
    assert swap["status"] == SwapStatus.PENDING_COUNTERPART
    assert post(acme, people["ann"], f"swap-requests/{swap['id']}/accept").status_code == 403
    assert (
        post(acme, people["bob"], f"swap-requests/{swap['id']}/accept").json()["status"] == SwapStatus.PENDING_APPROVAL
    )
    with tenant_context(acme.tenant):
        assert Shift.objects.get(pk=mine.pk).user_id == people["ann"].pk  # nothing moved yet
    assert post(acme, people["bob"], f"swap-requests/{swap['id']}/approve").status_code == 403
    assert post(acme, people["lead"], f"swap-requests/{swap['id']}/approve").json()["status"] == SwapStatus.APPROVED
    with tenant_context(acme.tenant):
        assert Shift.objects.get(pk=mine.pk).user_id == people["bob"].pk
        assert Shift.objects.get(pk=theirs.pk).user_id == people["ann"].pk
        assert AuditEntry.objects.filter(action="workforce.swap_decided").exists()


def test_swap_on_the_same_day_exchanges_the_shifts(acme, people):
    with tenant_context(acme.tenant):
        early, late = shift_type("D"), shift_type("E", "14:00", "22:00", 30)
        mine = roster(people["ann"], [_future(5)], early)[0]
        theirs = roster(people["bob"], [_future(5)], late)[0]
    swap = post(
        acme,
        people["ann"],
        "swap-requests",
        {"counterpart": people["bob"].pk, "requester_shift": mine.pk, "counterpart_shift": theirs.pk},
    ).json()
    post(acme, people["bob"], f"swap-requests/{swap['id']}/accept")
    assert post(acme, people["hr"], f"swap-requests/{swap['id']}/approve").status_code == 200
    with tenant_context(acme.tenant):
        assert Shift.objects.get(pk=mine.pk).shift_type.code == "E"
        assert Shift.objects.get(pk=theirs.pk).shift_type.code == "D"


def test_swap_refused_when_the_colleague_works_that_day(acme, people):
    with tenant_context(acme.tenant):
        mine = roster(people["ann"], [_future(6)], shift_type())[0]
        roster(people["bob"], [_future(6)], shift_type())
    response = post(acme, people["ann"], "swap-requests", {"counterpart": people["bob"].pk, "requester_shift": mine.pk})
    assert response.status_code == 400 and response.json()["code"] == "workforce_swap_conflict"


# --- roster and clocking --------------------------------------------------------------------------


def test_hr_assigns_and_publishes_agents_are_notified_and_agents_cannot_roster(acme, people):
    created = post(
        acme,
        people["hr"],
        "shift-types",
        {"code": "M", "name": "早班", "start": "08:00", "end": "16:00", "break_minutes": 30},
    )
    assert created.status_code == 201 and created.json()["overnight"] is False
    night = post(
        acme, people["hr"], "shift-types", {"code": "Y", "name": "夜班", "start": "22:00", "end": "06:00"}
    ).json()
    assert night["overnight"] is True
    shift = post(acme, people["hr"], "shifts", {"user": people["ann"].pk, "date": "2027-01-04", "shift_type": "M"})
    assert shift.status_code == 201 and shift.json()["status"] == "draft"
    assert (
        post(
            acme, people["ann"], "shifts", {"user": people["ann"].pk, "date": "2027-01-05", "shift_type": "M"}
        ).status_code
        == 403
    )
    assert acme.api(people["ann"]).get(f"{API}/shifts", {"since": "2027-01-04", "until": "2027-01-10"}).json() == []
    published = post(acme, people["hr"], "shifts/publish", {"since": "2027-01-04", "until": "2027-01-10"})
    assert published.json() == {"published": 1}
    mine = acme.api(people["ann"]).get(f"{API}/shifts", {"since": "2027-01-04", "until": "2027-01-10"}).json()
    assert [s["shift_type"] for s in mine] == ["M"]
    with tenant_context(acme.tenant):
        assert Notification.objects.filter(user=people["ann"], kind="workforce.roster_published").count() == 1
        assert Shift.objects.get(user=people["ann"]).status == ShiftStatus.PUBLISHED


def test_clocking_checks_the_ip_allow_list(acme, people):
    with tenant_context(acme.tenant):
        WorkforcePolicy.objects.update(ip_allowlist="10.8.0.0/16")
    refused = post(acme, people["ann"], "clock", {"kind": "in"}, REMOTE_ADDR="192.0.2.7")
    assert refused.status_code == 403 and refused.json()["code"] == "workforce_ip_not_allowed"
    assert post(acme, people["ann"], "clock", {"kind": "in"}, REMOTE_ADDR="10.8.3.4").status_code == 201
    twice = post(acme, people["ann"], "clock", {"kind": "in"}, REMOTE_ADDR="10.8.3.4")
    assert twice.json()["code"] == "workforce_already_clocked_in"
    with tenant_context(acme.tenant):
        assert ClockEvent.objects.filter(user=people["ann"]).count() == 1


def test_clock_out_waits_for_the_signed_handover(acme, people):
    now = timezone.localtime()
    with tenant_context(acme.tenant):
        start = (now - dt.timedelta(hours=7)).time().replace(second=0, microsecond=0)
        end = (now + dt.timedelta(minutes=30)).time().replace(second=0, microsecond=0)
        mine_type = shift_type("X", start.isoformat(), end.isoformat(), 0)
        day = (now - dt.timedelta(hours=7)).date()
        roster(people["ann"], [day.isoformat()], mine_type)
        follow = (now + dt.timedelta(minutes=30)).time().replace(second=0, microsecond=0)
        follow_end = (now + dt.timedelta(hours=8)).time().replace(second=0, microsecond=0)
        roster(
            people["bob"],
            [(now + dt.timedelta(minutes=30)).date().isoformat()],
            shift_type("Z", follow.isoformat(), follow_end.isoformat(), 0),
        )
    assert post(acme, people["ann"], "clock", {"kind": "in"}).status_code == 201
    blocked = post(acme, people["ann"], "clock", {"kind": "out"})
    assert blocked.status_code == 409 and blocked.json()["code"] == "workforce_handover_pending"
    with tenant_context(acme.tenant):
        handover = handover_write(user=people["ann"], items={"situation": "Queue calm", "open_records": "#12"})
    assert handover.incoming_user_id == people["bob"].pk
    assert post(acme, people["cid"], f"handovers/{handover.pk}/sign").status_code == 404
    assert post(acme, people["bob"], f"handovers/{handover.pk}/sign").status_code == 200
    assert post(acme, people["ann"], "clock", {"kind": "out"}).status_code == 201


def test_hr_corrects_a_record_with_a_reason_audited_and_agents_cannot(acme, people):
    body = {"user": people["ann"].pk, "kind": "in", "at": "2026-10-12T08:45:00+08:00", "reason": "Badge reader down"}
    assert post(acme, people["ann"], "clock-events", body).status_code == 403
    assert post(acme, people["other"], "clock-events", body).status_code == 403
    no_reason = post(acme, people["hr"], "clock-events", {**body, "reason": ""})
    assert no_reason.status_code == 400
    made = post(acme, people["hr"], "clock-events", body)
    assert made.status_code == 201 and made.json()["source"] == "correction"
    voided = post(acme, people["lead"], f"clock-events/{made.json()['id']}/void", {"reason": "Wrong day"})
    assert voided.status_code == 200 and voided.json()["voided_at"]
    with tenant_context(acme.tenant):
        assert ClockEvent.objects.filter(pk=made.json()["id"]).exists()  # kept, only voided
        actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"workforce.clock_corrected", "workforce.clock_voided"} <= actions


# --- discipline -----------------------------------------------------------------------------------


def test_third_warning_flags_a_dismissal_review_with_its_evidence(acme, people):
    for n in range(3):
        response = post(acme, people["hr"], "warnings", {"user": people["cid"].pk, "reason": f"Warning {n + 1}"})
        assert response.status_code == 201
    with tenant_context(acme.tenant):
        flag = DismissalReviewFlag.objects.get(user=people["cid"])
    assert flag.rule == "warnings" and len(flag.evidence["warning_ids"]) == 3
    assert post(acme, people["lead"], "warnings", {"user": people["cid"].pk, "reason": "x"}).status_code == 403
    decided = post(acme, people["hr"], f"review-flags/{flag.pk}/decide", {"decision": "keep", "note": "Improving"})
    assert decided.status_code == 200 and decided.json()["decision"] == "keep"


def test_three_consecutive_absences_flag_a_review(acme, people):
    with tenant_context(acme.tenant):
        roster(people["cid"], ["2026-11-05", "2026-11-06", "2026-11-09"], shift_type())
        flags = discipline_check(user=people["cid"], on=dt.date(2026, 11, 10))
        assert [f.rule for f in flags] == ["absence_consecutive", "absence_year"]
        assert flags[0].evidence["dates"] == ["2026-11-05", "2026-11-06", "2026-11-09"]
        assert discipline_check(user=people["cid"], on=dt.date(2026, 11, 10)) == []  # one open flag per rule


def test_policy_versions_by_effective_date(acme, people):
    response = post(acme, people["hr"], "policy", {"effective_from": "2027-01-01", "early_clock_in_minutes": 15})
    assert response.status_code == 201 and response.json()["early_clock_in_minutes"] == 15
    bad = post(acme, people["hr"], "policy", {"effective_from": "2027-02-01", "ip_allowlist": "not-a-network"})
    assert bad.status_code == 400
    assert post(acme, people["lead"], "policy", {"effective_from": "2027-03-01"}).status_code == 403
    with tenant_context(acme.tenant):
        assert WorkforcePolicy.objects.count() == 2
