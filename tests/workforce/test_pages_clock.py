"""The clock page (/workforce/clock/) and corrections (/workforce/clock/corrections/): an agent
clocks in late and is told so, the allow-list refuses an address outside it, HR adds and voids
records with a reason (audited); agents and other companies cannot correct."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.workforce.models import ClockEvent
from apps.workforce.services.policy import policy_create
from tests.workforce.pages_helpers import login, person, rostered, started_type


@pytest.fixture
def world(acme):
    ann = person(acme, Role.AGENT, name="Ann Agent")
    hr = person(acme, Role.HR, name="Helen HR")
    kind, day = started_type(acme, minutes_ago=30)
    shift = rostered(acme, ann, kind, day)
    return {"ann": ann, "hr": hr, "shift": shift}


def test_an_agent_clocks_in_late_and_sees_it(acme, world):
    browser = login(acme, world["ann"])
    page = browser.get("/workforce/clock/").content.decode()
    assert 'id="wf-clock-in"' in page and "Clocking is allowed from any address." in page
    clocked = browser.post("/workforce/clock/record/", {"kind": "in"}, follow=True)
    text = clocked.content.decode()
    assert "Clocked in at" in text and "Late: 4" in text  # 30 minutes after the start + 10 early ≈ 40
    assert f'data-shift="{world["shift"].pk}"' in text and "wf-late" in text
    with tenant_context(acme.tenant):
        event = ClockEvent.objects.get(user=world["ann"])
    assert event.kind == "in" and event.shift_id == world["shift"].pk and event.source == "web"
    assert 'id="wf-clock-out"' in browser.get("/workforce/clock/").content.decode()


def test_an_address_outside_the_allow_list_is_refused(acme, world):
    with tenant_context(acme.tenant):
        policy_create(effective_from=dt.date(2000, 1, 1), actor=world["hr"], values={"ip_allowlist": "10.8.0.0/16"})
    browser = login(acme, world["ann"])
    page = browser.get("/workforce/clock/").content.decode()
    assert "wf-ip-refused" in page
    refused = browser.post("/workforce/clock/record/", {"kind": "in"}, follow=True)
    assert "Clocking is not allowed from this address" in refused.content.decode()
    with tenant_context(acme.tenant):
        assert not ClockEvent.objects.exists()


def test_hr_adds_and_voids_a_record_with_a_reason(acme, world):
    browser = login(acme, world["hr"])
    at = timezone.localtime(world["shift"].start) - dt.timedelta(minutes=15)
    missing = browser.post(
        "/workforce/clock/corrections/add/",
        {"user": world["ann"].pk, "kind": "in", "at": at.strftime("%Y-%m-%d %H:%M"), "reason": ""},
    )
    assert missing.status_code == 400
    added = browser.post(
        "/workforce/clock/corrections/add/",
        {"user": world["ann"].pk, "kind": "in", "at": at.strftime("%Y-%m-%d %H:%M"), "reason": "Badge reader down"},
    )
    assert added.status_code == 302
    with tenant_context(acme.tenant):
        event = ClockEvent.objects.get(user=world["ann"])
        assert event.source == "correction" and event.created_by_id == world["hr"].pk
        assert AuditEntry.objects.filter(action="workforce.clock_corrected").count() == 1
    page = browser.get("/workforce/clock/corrections/", {"person": world["ann"].pk}).content.decode()
    assert f'data-record="{event.pk}"' in page and "Badge reader down" in page
    voided = browser.post(f"/workforce/clock/records/{event.pk}/void/", {"reason": "Wrong person"})
    assert voided.status_code == 302
    with tenant_context(acme.tenant):
        event.refresh_from_db()
        assert event.voided_at is not None and event.void_reason == "Wrong person"
        assert AuditEntry.objects.filter(action="workforce.clock_voided").count() == 1


def test_agents_cannot_correct_and_supervisors_not_their_own(acme, world):
    agent = login(acme, world["ann"])
    assert agent.get("/workforce/clock/corrections/").status_code == 403
    assert agent.post("/workforce/clock/corrections/add/", {"user": world["ann"].pk}).status_code == 403
    supervisor = person(acme, Role.SUPERVISOR)
    browser = login(acme, supervisor)
    own = browser.post(
        "/workforce/clock/corrections/add/",
        {"user": supervisor.pk, "kind": "in", "at": "2026-01-05 09:00", "reason": "Me"},
    )
    assert own.status_code == 400  # not among the people they may correct
    with tenant_context(acme.tenant):
        assert not ClockEvent.objects.exists()


def test_another_companys_hr_cannot_void_a_record(acme, globex, world):
    with tenant_context(acme.tenant):
        event = ClockEvent.objects.create(user=world["ann"], kind="in", at=timezone.now())
    stranger = person(globex, Role.HR)
    answer = login(globex, stranger).post(f"/workforce/clock/records/{event.pk}/void/", {"reason": "x"})
    assert answer.status_code == 404
    with tenant_context(acme.tenant):
        event.refresh_from_db()
        assert event.voided_at is None
