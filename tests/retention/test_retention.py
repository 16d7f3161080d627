"""Retention: the purge removes what is past each kind's days, keeps held calls, reports what it did."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.retention.models import LegalHold, PurgeRun
from apps.retention.services import legal_hold_place, retention_policy_update, retention_purge
from apps.telephony.choices import AgentState, CampaignStatus, ContactStatus
from apps.telephony.models import AgentStateEvent, Call, CallEvent, Campaign, Contact, Recording
from tests.accounts.helpers import web_login
from tests.telephony.agent_helpers import make_agent
from tests.telephony.campaign_factories import make_campaign, make_contact

pytestmark = pytest.mark.django_db


def _call(uid: str, days_ago: int, *, recording: bool = True) -> Call:
    arrived = timezone.now() - timedelta(days=days_ago)
    call = Call.objects.create(uid=uid, caller="13800138000", callee="4001234567", arrived_at=arrived)
    CallEvent.objects.create(call=call, at=arrived, kind="arrived")
    if recording:
        name = default_storage.save(f"tenants/t/recordings/{uid}.wav", ContentFile(b"RIFF...."))
        Recording.objects.create(call=call, file=name, duration_seconds=1.0, created_at=arrived)
    return call


def test_purge_removes_old_recordings_calls_and_keeps_recent_and_held(acme):
    admin = acme.admin()
    with tenant_context(acme.tenant):
        recent = _call("r-recent", 10)
        old_recording = _call("r-old-recording", 200)  # past recordings (180), within calls (1095)
        ancient = _call("r-ancient", 1200)
        held = _call("r-held", 1200)
        legal_hold_place(call=held, reason="complaint #42", actor=admin)
        old_file = old_recording.recording.file.name
        ancient_file = ancient.recording.file.name

        run = retention_purge()

        assert run.error == ""
        assert run.recordings_deleted == 2  # old_recording's, then ancient's with its call
        assert run.calls_deleted == 1
        assert run.held_skipped == 1
        assert set(Call.objects.values_list("uid", flat=True)) == {"r-recent", "r-old-recording", "r-held"}
        assert not Recording.objects.filter(call=old_recording).exists()
        assert Recording.objects.filter(call=recent).exists()
        assert Recording.objects.filter(call=held).exists()
        assert not CallEvent.objects.filter(call_id=ancient.pk).exists()
        assert not default_storage.exists(old_file)
        assert not default_storage.exists(ancient_file)
        assert default_storage.exists(held.recording.file.name)
        assert PurgeRun.objects.count() == 1
        assert AuditEntry.objects.filter(action="retention.purged").count() == 1


def test_tenant_policy_shortens_retention_and_missing_files_are_counted(acme):
    admin = acme.admin()
    with tenant_context(acme.tenant):
        call = _call("r-30", 30)
        default_storage.delete(call.recording.file.name)
        retention_policy_update(actor=admin, recordings_days=20, calls_days=None, contacts_days=None)
        run = retention_purge()
        assert run.recordings_deleted == 1
        assert run.files_missing == 1
        assert Call.objects.filter(uid="r-30").exists()


def test_agent_state_events_follow_call_retention(acme):
    agent = make_agent(acme, seat=False).agent
    with tenant_context(acme.tenant):
        AgentStateEvent.objects.create(
            agent=agent,
            at=timezone.now() - timedelta(days=2000),
            from_state=AgentState.OFFLINE,
            to_state=AgentState.READY,
        )
        AgentStateEvent.objects.create(
            agent=agent, at=timezone.now(), from_state=AgentState.READY, to_state=AgentState.OFFLINE
        )
        before = AgentStateEvent.objects.count()
        run = retention_purge()
        assert run.agent_events_deleted == 1
        assert AgentStateEvent.objects.count() == before - 1


def test_contacts_purged_only_when_final_or_campaign_finished(acme):
    with tenant_context(acme.tenant):
        long_ago = timezone.now() - timedelta(days=400)
        running = make_campaign()
        finished = make_campaign()
        Campaign.objects.filter(pk=finished.pk).update(status=CampaignStatus.FINISHED)
        done = make_contact(running, status=ContactStatus.DONE, created_at=long_ago)
        pending = make_contact(running, status=ContactStatus.NEW, created_at=long_ago)
        pending_finished = make_contact(finished, status=ContactStatus.NEW, created_at=long_ago)
        recent_done = make_contact(running, status=ContactStatus.DONE)
        run = retention_purge()
        assert run.contacts_deleted == 2
        assert set(Contact.objects.values_list("pk", flat=True)) == {pending.pk, recent_done.pk}
        assert not Contact.objects.filter(pk__in=[done.pk, pending_finished.pk]).exists()


def test_policy_out_of_bounds_is_refused_and_changes_nothing(acme):
    api = acme.api(acme.admin())
    response = api.put("/api/v1/retention/policy", {"recordings_days": 1, "calls_days": 400}, format="json")
    assert response.status_code == 400
    assert "recordings_days" in response.json()["fields"]
    assert api.get("/api/v1/retention/policy").json()["calls_days"] is None
    response = api.put(
        "/api/v1/retention/policy", {"recordings_days": 90, "calls_days": None, "contacts_days": 30}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["in_force"] == {"recordings": 90, "calls": 1095, "contacts": 30}
    with tenant_context(acme.tenant):
        assert AuditEntry.objects.filter(action="retention.changed").count() == 1


def test_legal_hold_api_place_list_release(acme):
    with tenant_context(acme.tenant):
        _call("r-api", 5, recording=False)
    api = acme.api(acme.admin())
    assert api.post("/api/v1/retention/holds", {"call": "r-api", "reason": ""}, format="json").status_code == 400
    assert api.post("/api/v1/retention/holds", {"call": "nope", "reason": "x"}, format="json").status_code == 404
    created = api.post("/api/v1/retention/holds", {"call": "r-api", "reason": "court order"}, format="json")
    assert created.status_code == 201
    assert created.json()["call"] == "r-api"
    assert api.post("/api/v1/retention/holds", {"call": "r-api", "reason": "again"}, format="json").status_code == 409
    assert [h["call"] for h in api.get("/api/v1/retention/holds").json()] == ["r-api"]
    assert api.delete("/api/v1/retention/holds/r-api").status_code == 204
    with tenant_context(acme.tenant):
        assert not LegalHold.objects.exists()


def test_only_administrators_and_only_their_tenant(acme, globex):
    supervisor = acme.user(Role.SUPERVISOR)
    assert acme.api(supervisor).get("/api/v1/retention/policy").status_code == 403
    globex_admin = globex.api(globex.admin())
    globex_admin.credentials(HTTP_AUTHORIZATION=f"Token {acme.token(acme.admin())}")
    assert globex_admin.get("/api/v1/retention/policy").status_code in (401, 403)


def test_console_page_saves_policy_and_places_hold(acme):
    client = web_login(acme, acme.admin_email)
    with tenant_context(acme.tenant):
        _call("r-page", 5, recording=False)
    page = client.get("/console/retention/")
    assert page.status_code == 200
    assert "180" in page.content.decode()
    response = client.post(
        "/console/retention/", {"policy": "1", "recordings_days": "3", "calls_days": "", "contacts_days": ""}
    )
    assert response.status_code == 200
    assert "7" in response.content.decode()  # the bound is named in the error
    response = client.post("/console/retention/", {"place": "1", "call": "r-page", "reason": "dispute"})
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert LegalHold.objects.filter(call__uid="r-page", reason="dispute").exists()


def test_call_page_shows_the_hold(acme):
    with tenant_context(acme.tenant):
        call = _call("r-badge", 1, recording=False)
        legal_hold_place(call=call, reason="regulator", actor=acme.admin())
    page = web_login(acme, acme.admin_email).get("/calls/r-badge/")
    assert page.status_code == 200
    assert "Legal hold" in page.content.decode()
