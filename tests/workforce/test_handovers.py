"""Handover (交接班): the outgoing agent cannot clock out before the incoming colleague signs the
five items; the colleague signs on the handover page; a supervisor may override (audited); the
clock page points the agent to the handover; outsiders cannot sign or override."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.workforce.models import ClockEvent, Handover
from apps.workforce.services.clocking import clock_record
from apps.workforce.services.handovers import clock_out_blocked_by, handovers_to_sign
from apps.workforce.services.roster import roster_publish, shift_assign, shift_type_create
from tests.workforce.pages_helpers import login, person, rostered, started_type

ITEMS = {
    "situation": "Queue calm, two callbacks due",
    "equipment": "Headset 4 crackles",
    "tools": "CRM slow after 17:00",
    "quality": "Customer 138… complained",
    "open_records": "Ticket 42 waits for billing",
}


@pytest.fixture
def world(acme):
    ann = person(acme, Role.AGENT, name="Ann Outgoing")
    ben = person(acme, Role.AGENT, name="Ben Incoming")
    kind, day = started_type(acme, minutes_ago=8 * 60 - 10, hours=8)  # ends in 10 minutes
    shift = rostered(acme, ann, kind, day)
    with tenant_context(acme.tenant):
        follow = shift_type_create(
            code="NEXT",
            name="Next",
            start=timezone.localtime(shift.end).time(),
            end=timezone.localtime(shift.start).time(),
        )
        incoming = shift_assign(user=ben, day=timezone.localtime(shift.end).date(), shift_type=follow)
        roster_publish(since=incoming.date, until=incoming.date, actor=None)
        clock_record(user=ann, kind="in", at=shift.start)
    return {"ann": ann, "ben": ben, "shift": shift}


def test_clock_out_waits_for_the_signature_then_goes_through(acme, world):
    ann, ben = world["ann"], world["ben"]
    out = login(acme, ann)
    blocked = out.post("/workforce/clock/record/", {"kind": "out"})
    assert blocked.status_code == 302 and blocked["Location"] == "/workforce/handover/"
    with tenant_context(acme.tenant):
        assert not ClockEvent.objects.filter(user=ann, kind="out").exists()
        assert clock_out_blocked_by(ann) is not None

    written = out.post("/workforce/handover/write/", ITEMS)
    assert written.status_code == 302
    with tenant_context(acme.tenant):
        handover = Handover.objects.get(outgoing_user=ann)
    assert handover.incoming_user_id == ben.pk and handover.equipment == "Headset 4 crackles"

    incoming = login(acme, ben)
    page = incoming.get("/workforce/handover/").content.decode()
    assert f'data-handover="{handover.pk}"' in page and "Ticket 42 waits for billing" in page
    assert out.post(f"/workforce/handover/{handover.pk}/sign/").status_code == 302  # the writer cannot sign
    with tenant_context(acme.tenant):
        handover.refresh_from_db()
        assert handover.signed_at is None
    incoming.post(f"/workforce/handover/{handover.pk}/sign/")
    with tenant_context(acme.tenant):
        handover.refresh_from_db()
        assert handover.signed_by_id == ben.pk and clock_out_blocked_by(ann) is None
    out.post("/workforce/clock/record/", {"kind": "out"})
    with tenant_context(acme.tenant):
        assert ClockEvent.objects.filter(user=ann, kind="out").exists()


def test_an_empty_handover_is_refused(acme, world):
    refused = login(acme, world["ann"]).post("/workforce/handover/write/", {k: "" for k in ITEMS})
    assert refused.status_code == 400
    with tenant_context(acme.tenant):
        assert not Handover.objects.exists()


def test_a_supervisor_overrides_with_a_reason_audited(acme, world):
    login(acme, world["ann"]).post("/workforce/handover/write/", ITEMS)
    with tenant_context(acme.tenant):
        handover = Handover.objects.get()
    supervisor = login(acme, person(acme, Role.SUPERVISOR))
    assert f'data-handover="{handover.pk}"' in supervisor.get("/workforce/handover/").content.decode()
    supervisor.post(f"/workforce/handover/{handover.pk}/override/", {"reason": ""})
    with tenant_context(acme.tenant):
        handover.refresh_from_db()
        assert handover.override_at is None
    supervisor.post(f"/workforce/handover/{handover.pk}/override/", {"reason": "Ben is sick; Ann must go home"})
    with tenant_context(acme.tenant):
        handover.refresh_from_db()
        assert handover.override_at is not None and handover.is_released
        assert AuditEntry.objects.filter(action="workforce.handover_overridden").count() == 1
        assert clock_out_blocked_by(world["ann"]) is None


def test_agents_cannot_override_and_strangers_cannot_sign(acme, globex, world):
    login(acme, world["ann"]).post("/workforce/handover/write/", ITEMS)
    with tenant_context(acme.tenant):
        handover = Handover.objects.get()
    other = login(acme, person(acme, Role.AGENT))
    assert other.post(f"/workforce/handover/{handover.pk}/override/", {"reason": "x"}).status_code == 403
    assert other.post(f"/workforce/handover/{handover.pk}/sign/").status_code == 404
    stranger = login(globex, person(globex, Role.SUPERVISOR))
    assert stranger.post(f"/workforce/handover/{handover.pk}/override/", {"reason": "x"}).status_code == 404
    with tenant_context(acme.tenant):
        handover.refresh_from_db()
        assert not handover.is_released
        assert handovers_to_sign(world["ben"]) == [handover]
