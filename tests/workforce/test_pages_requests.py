"""The requests pages: an agent asks for sick leave with the hospital certificate (and bereavement
leave names the relation), a swap with a colleague's shift that the colleague accepts and a
supervisor approves (the roster changes only then), overtime; the approvals inbox; refusals by
role and company; bad input comes back on the form and saves nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.workforce.models import LeaveRequest, OvertimeRequest, Shift, SwapRequest
from tests.workforce.pages_helpers import login, person, rostered, shift_types


@pytest.fixture
def world(acme):
    ann = person(acme, Role.AGENT, name="Ann Agent")
    ben = person(acme, Role.AGENT, name="Ben Agent")
    supervisor = person(acme, Role.SUPERVISOR, name="Sue Supervisor")
    types = shift_types(acme)
    day = timezone.localdate() + dt.timedelta(days=5)
    return {
        "ann": ann,
        "ben": ben,
        "supervisor": supervisor,
        "ann_shift": rostered(acme, ann, types["D"], day),
        "ben_shift": rostered(acme, ben, types["N"], day + dt.timedelta(days=1)),
        "day": day,
    }


def test_sick_leave_with_a_certificate_is_approved_in_the_inbox(acme, world):
    agent = login(acme, world["ann"])
    form = agent.get("/workforce/requests/leave/new/").content.decode()
    assert "Hospital certificate" in form and "Relation (bereavement)" in form
    certificate = SimpleUploadedFile("cert.pdf", b"%PDF-1.4 hospital", content_type="application/pdf")
    sent = agent.post(
        "/workforce/requests/leave/new/",
        {
            "kind": "sick",
            "start_date": world["day"].isoformat(),
            "end_date": world["day"].isoformat(),
            "certificate": certificate,
        },
    )
    assert sent.status_code == 302
    with tenant_context(acme.tenant):
        leave = LeaveRequest.objects.get(user=world["ann"])
    assert leave.kind == "sick" and leave.certificate and leave.status == "pending"
    assert f'data-leave="{leave.pk}"' in agent.get("/workforce/requests/").content.decode()

    lead = login(acme, world["supervisor"])
    inbox = lead.get("/workforce/approvals/").content.decode()
    assert f'data-leave="{leave.pk}"' in inbox
    download = lead.get(f"/workforce/requests/leave/{leave.pk}/certificate/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 hospital"
    lead.post(f"/workforce/approvals/leave/{leave.pk}/", {"decision": "approve", "note": "Get well"})
    with tenant_context(acme.tenant):
        leave.refresh_from_db()
    assert leave.status == "approved"


def test_bereavement_without_a_relation_is_refused_and_saves_nothing(acme, world):
    refused = login(acme, world["ann"]).post(
        "/workforce/requests/leave/new/",
        {"kind": "bereavement", "start_date": world["day"].isoformat(), "end_date": world["day"].isoformat()},
    )
    assert refused.status_code == 400 and "Required." in refused.content.decode()
    with tenant_context(acme.tenant):
        assert not LeaveRequest.objects.exists()


def test_a_swap_needs_the_colleague_then_a_supervisor(acme, world):
    ann, ben = world["ann"], world["ben"]
    agent = login(acme, ann)
    form = agent.get("/workforce/requests/swap/new/").content.decode()
    assert f'value="{world["ann_shift"].pk}"' in form and f'value="{world["ben_shift"].pk}"' in form
    sent = agent.post(
        "/workforce/requests/swap/new/",
        {"requester_shift": world["ann_shift"].pk, "counterpart_shift": world["ben_shift"].pk, "note": "Wedding"},
    )
    assert sent.status_code == 302
    with tenant_context(acme.tenant):
        swap = SwapRequest.objects.get()
    assert swap.counterpart_id == ben.pk and swap.status == "pending_counterpart"

    lead = login(acme, world["supervisor"])
    assert f'data-swap="{swap.pk}"' not in lead.get("/workforce/approvals/").content.decode()  # colleague first
    colleague = login(acme, ben)
    assert f'data-swap="{swap.pk}"' in colleague.get("/workforce/requests/").content.decode()
    colleague.post(f"/workforce/requests/swap/{swap.pk}/answer/", {"accept": "1"})
    with tenant_context(acme.tenant):
        swap.refresh_from_db()
        assert swap.status == "pending_approval"
        assert Shift.objects.get(pk=world["ann_shift"].pk).user_id == ann.pk  # not yet
    lead.post(f"/workforce/approvals/swap/{swap.pk}/", {"decision": "approve"})
    with tenant_context(acme.tenant):
        swap.refresh_from_db()
        assert swap.status == "approved"
        assert Shift.objects.get(pk=world["ann_shift"].pk).user_id == ben.pk
        assert Shift.objects.get(pk=world["ben_shift"].pk).user_id == ann.pk


def test_a_swap_without_a_colleague_is_refused(acme, world):
    refused = login(acme, world["ann"]).post(
        "/workforce/requests/swap/new/", {"requester_shift": world["ann_shift"].pk}
    )
    assert refused.status_code == 400
    with tenant_context(acme.tenant):
        assert not SwapRequest.objects.exists()


def test_overtime_is_asked_and_rejected(acme, world):
    agent = login(acme, world["ann"])
    start = world["day"].isoformat() + " 19:00"
    end = world["day"].isoformat() + " 21:00"
    assert (
        agent.post("/workforce/requests/overtime/new/", {"start": end, "end": start, "reason": "x"}).status_code == 400
    )
    assert (
        agent.post("/workforce/requests/overtime/new/", {"start": start, "end": end, "reason": "Backlog"}).status_code
        == 302
    )
    with tenant_context(acme.tenant):
        overtime = OvertimeRequest.objects.get()
    assert overtime.status == "pending" and overtime.day_kind in ("workday", "rest_day", "holiday")
    lead = login(acme, world["supervisor"])
    lead.post(f"/workforce/approvals/overtime/{overtime.pk}/", {"decision": "reject", "note": "Not needed"})
    with tenant_context(acme.tenant):
        overtime.refresh_from_db()
    assert overtime.status == "rejected" and overtime.decision_note == "Not needed"


def test_agents_have_no_inbox_and_cannot_decide(acme, world):
    with tenant_context(acme.tenant):
        overtime = OvertimeRequest.objects.create(
            user=world["ben"],
            start=timezone.now() + dt.timedelta(days=1),
            end=timezone.now() + dt.timedelta(days=1, hours=2),
            day_kind="workday",
        )
    agent = login(acme, world["ann"])
    assert agent.get("/workforce/approvals/").status_code == 403
    assert agent.post(f"/workforce/approvals/overtime/{overtime.pk}/", {"decision": "approve"}).status_code == 403
    with tenant_context(acme.tenant):
        overtime.refresh_from_db()
    assert overtime.status == "pending"


def test_another_companys_supervisor_cannot_decide(acme, globex, world):
    with tenant_context(acme.tenant):
        leave = LeaveRequest.objects.create(
            user=world["ann"],
            kind="personal",
            start_date=world["day"],
            end_date=world["day"],
            required_steps=["supervisor"],
        )
    stranger = login(globex, person(globex, Role.SUPERVISOR))
    assert stranger.post(f"/workforce/approvals/leave/{leave.pk}/", {"decision": "approve"}).status_code == 404
    assert stranger.get(f"/workforce/requests/leave/{leave.pk}/certificate/file/").status_code == 404
    with tenant_context(acme.tenant):
        leave.refresh_from_db()
    assert leave.status == "pending"


@pytest.mark.parametrize(
    "path", ["/workforce/requests/", "/workforce/requests/leave/new/", "/workforce/requests/swap/new/", "/workforce/"]
)
def test_request_pages_get_and_write_nothing(acme, world, path):
    assert login(acme, world["ann"]).get(path).status_code == 200
    with tenant_context(acme.tenant):
        assert not LeaveRequest.objects.exists() and not SwapRequest.objects.exists()
