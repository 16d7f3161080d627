"""The campaigns API: validation (400 with field messages, nothing changed), roles, tenant isolation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.audit.models import AuditEntry
from apps.telephony.models import (
    Agent,
    Campaign,
    CampaignExport,
    CampaignRetryRule,
    Consent,
    Contact,
    ContactList,
    DialAttempt,
    DoNotCall,
    Queue,
    ScheduledCallback,
)
from apps.tenants.models import Tenant
from tests.telephony.campaign_factories import T0, make_campaign, make_contact


@pytest.fixture
def admin_api(acme):
    return acme.api(acme.admin())


@pytest.fixture
def supervisor_api(acme):
    return acme.api(acme.user(Role.SUPERVISOR))


def queue_id(world) -> int:
    with tenant_context(world.tenant):
        return Queue.objects.order_by("id").first().pk


def create_payload(world, **overrides) -> dict:
    payload = {
        "name": "Spring renewals",
        "type": "sales",
        "dial_mode": "predictive",
        "queue": queue_id(world),
        "abandon_message": "This is Acme; call us back on 400 123 4567.",
        "script": "您好 {{contact.name}}，您的订单 {{ contact.order_no }} …",
    }
    payload.update(overrides)
    return payload


def campaign_in(world, **fields) -> Campaign:
    with tenant_context(world.tenant):
        return make_campaign(**fields)


# --- campaigns ---------------------------------------------------------------------------------------


def test_admin_creates_a_draft_campaign_with_defaults_and_retry_rules(acme, admin_api):
    response = admin_api.post("/api/v1/campaigns", create_payload(acme), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert (body["window_start"], body["window_end"]) == ("08:00:00", "21:00:00")
    assert (body["max_abandon_rate"], body["abandon_window_days"], body["ring_timeout_seconds"]) == ("0.0300", 30, 25)
    assert body["skip_holidays"] is True and body["weekdays"] == [1, 2, 3, 4, 5, 6, 7]
    assert body["default_time_zone"] == "Asia/Shanghai"
    rules = admin_api.get(f"/api/v1/campaigns/{body['id']}/retry-rules").json()
    assert {r["outcome"] for r in rules if r["outcome"]} == {"busy", "no_answer", "machine", "failed", "abandoned"}
    assert [r for r in rules if r["disposition"] == "do_not_call"][0]["do_not_call"] is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ring_timeout_seconds": 10}, "ring_timeout_seconds"),
        ({"window_start": "21:00", "window_end": "08:00"}, "window_end"),
        ({"default_time_zone": "Asia/Atlantis"}, "default_time_zone"),
        ({"script": "Hello {{ name }}"}, "script"),
        ({"weekdays": [1, 8]}, "weekdays"),
        ({"weekdays": []}, "weekdays"),
        ({"max_abandon_rate": "0.5"}, "max_abandon_rate"),
        ({"dial_mode": "telepathic"}, "dial_mode"),
        ({"type": "spam"}, "type"),
        ({"queue": 999999}, "queue"),
        ({"trunk": 999999}, "trunk"),
        ({"power_ratio": 9}, "power_ratio"),
        ({"caller_id": "call me"}, "caller_id"),
        ({"start_date": "2026-05-02", "end_date": "2026-05-01"}, "end_date"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_campaign_input_is_a_400_with_the_field_and_nothing_is_created(acme, admin_api, overrides, field):
    response = admin_api.post("/api/v1/campaigns", create_payload(acme, **overrides), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"], body
    with tenant_context(acme.tenant):
        assert not Campaign.objects.exists()


def test_campaign_names_are_unique(acme, admin_api):
    campaign_in(acme, name="Survey")

    response = admin_api.post("/api/v1/campaigns", create_payload(acme, name="survey"), format="json")

    assert response.status_code == 400 and "name" in response.json()["fields"]


def test_patch_changes_only_what_is_sent_and_refuses_bad_values_whole(acme, admin_api):
    campaign = campaign_in(acme, running=False)

    ok = admin_api.patch(f"/api/v1/campaigns/{campaign.pk}", {"power_ratio": 2.5, "dial_mode": "power"}, format="json")
    bad = admin_api.patch(
        f"/api/v1/campaigns/{campaign.pk}", {"dial_mode": "preview", "ring_timeout_seconds": 5}, format="json"
    )

    assert ok.status_code == 200 and ok.json()["dial_mode"] == "power"
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["ring_timeout_seconds"]
    with tenant_context(acme.tenant):
        campaign.refresh_from_db()
        assert (campaign.dial_mode, campaign.power_ratio, campaign.ring_timeout_seconds) == ("power", 2.5, 25)


def test_life_cycle_start_pause_resume_stop(acme, admin_api):
    campaign = campaign_in(acme, running=False)
    url = f"/api/v1/campaigns/{campaign.pk}"

    assert admin_api.post(f"{url}/start").json()["status"] == "running"
    assert admin_api.post(f"{url}/pause").json()["status"] == "paused"
    assert admin_api.post(f"{url}/resume").json()["status"] == "running"
    stopped = admin_api.post(f"{url}/stop").json()
    assert stopped["status"] == "finished" and stopped["finished_at"]

    again = admin_api.post(f"{url}/start")
    assert again.status_code == 400 and again.json()["code"] == "invalid_state"
    edit = admin_api.patch(url, {"name": "Again"}, format="json")
    assert edit.status_code == 400 and edit.json()["code"] == "invalid_state"


def test_a_campaign_without_an_abandon_message_cannot_start(acme, admin_api):
    campaign = campaign_in(acme, running=False, abandon_message="")

    response = admin_api.post(f"/api/v1/campaigns/{campaign.pk}/start")

    assert response.status_code == 400
    assert response.json()["code"] == "not_ready" and "abandon_message" in response.json()["fields"]
    with tenant_context(acme.tenant):
        campaign.refresh_from_db()
        assert campaign.status == "draft"


def test_supervisors_read_start_and_pause_but_neither_edit_nor_stop(acme, supervisor_api):
    campaign = campaign_in(acme, running=False)
    url = f"/api/v1/campaigns/{campaign.pk}"

    assert supervisor_api.get("/api/v1/campaigns").status_code == 200
    assert supervisor_api.post("/api/v1/campaigns", create_payload(acme, name="X"), format="json").status_code == 403
    assert supervisor_api.patch(url, {"name": "Y"}, format="json").status_code == 403
    assert supervisor_api.post(f"{url}/start").status_code == 200
    assert supervisor_api.post(f"{url}/pause").status_code == 200
    assert supervisor_api.post(f"{url}/stop").status_code == 403
    assert supervisor_api.put(f"{url}/retry-rules", {"rules": []}, format="json").status_code == 403


def test_agents_and_other_roles_cannot_see_campaigns(acme):
    campaign = campaign_in(acme)
    for role in (Role.AGENT, Role.QA, Role.HR):
        api = acme.api(acme.user(role))
        assert api.get("/api/v1/campaigns").status_code == 403, role
        assert api.get(f"/api/v1/campaigns/{campaign.pk}").status_code == 403, role
        assert api.get("/api/v1/dial-attempts").status_code == 403, role


def test_only_drafts_are_deleted(acme, admin_api):
    draft, running = campaign_in(acme, running=False), campaign_in(acme)

    assert admin_api.delete(f"/api/v1/campaigns/{draft.pk}").status_code == 204
    refused = admin_api.delete(f"/api/v1/campaigns/{running.pk}")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_state"
    with tenant_context(acme.tenant):
        assert list(Campaign.objects.values_list("pk", flat=True)) == [running.pk]


def test_retry_rules_replace_and_refuse_bad_sets_whole(acme, admin_api):
    campaign = campaign_in(acme)
    url = f"/api/v1/campaigns/{campaign.pk}/retry-rules"
    good = [
        {"outcome": "busy", "retry": True, "min_gap_minutes": 10, "max_attempts": 4},
        {"disposition": "follow_up", "retry": True, "min_gap_minutes": 1440, "max_attempts": 5},
        {"disposition": "complaint", "retry": False, "do_not_call": True},
    ]

    response = admin_api.put(url, {"rules": good}, format="json")
    assert response.status_code == 200
    assert {(r["outcome"], r["disposition"], r["do_not_call"]) for r in response.json()} == {
        ("", "complaint", True),
        ("", "follow_up", False),
        ("busy", None, False),
    }

    bad = [
        {"outcome": "busy", "max_attempts": 0},
        {"outcome": "busy"},
        {"outcome": "answered"},
        {"disposition": "nope"},
        {"outcome": "no_answer", "disposition": "follow_up"},
        {"outcome": "failed", "retry": False, "do_not_call": True},
    ]
    refused = admin_api.put(url, {"rules": bad}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {f"rules[{i}]" for i in range(6)}
    with tenant_context(acme.tenant):
        assert CampaignRetryRule.objects.filter(campaign=campaign).count() == 3


def test_summary_counts_contacts_and_the_abandon_rate(acme, admin_api):
    campaign = campaign_in(acme)
    with tenant_context(acme.tenant):
        done = make_contact(campaign, status="done", attempts=1)
        make_contact(campaign)
        now = timezone.now()
        for number, outcome in enumerate(["answered"] * 3 + ["abandoned"]):
            DialAttempt.objects.create(
                campaign=campaign,
                contact=done,
                attempt_no=number + 1,
                number=done.phone,
                outcome=outcome,
                started_at=now,
            )

    body = admin_api.get(f"/api/v1/campaigns/{campaign.pk}/summary").json()

    assert (body["remaining"], body["attempted"], body["finished"]) == (1, 1, 1)
    assert body["by_status"] == {"done": 1, "new": 1}
    assert (body["live_answers"], body["abandoned"], body["abandon_rate"]) == (4, 1, 0.25)


# --- contact lists, contacts, export ----------------------------------------------------------------------


def _csv(rows) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile("contacts.csv", buffer.getvalue().encode(), content_type="text/csv")


def test_upload_map_import_and_download_the_error_report(acme, admin_api, django_capture_on_commit_callbacks):
    campaign = campaign_in(acme)
    upload = _csv([["客户", "手机"], ["王伟", "13800138000"], ["坏", "123"]])

    created = admin_api.post("/api/v1/contact-lists", {"campaign": campaign.pk, "file": upload}, format="multipart")
    assert created.status_code == 201, created.json()
    list_url = f"/api/v1/contact-lists/{created.json()['id']}"
    assert created.json()["status"] == "uploaded"
    assert created.json()["mapping"] == {"客户": "name", "手机": "phone"}

    with django_capture_on_commit_callbacks(execute=True):
        started = admin_api.post(f"{list_url}/import", {"mapping": {"客户": "name", "手机": "phone"}}, format="json")
    assert started.status_code == 202

    body = admin_api.get(list_url).json()
    assert (body["status"], body["rows_imported"], body["rows_invalid"], body["has_error_report"]) == (
        "done",
        1,
        1,
        True,
    )
    report = admin_api.get(f"{list_url}/errors")
    assert report.status_code == 200
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1] == ["3", "123", "Not a valid phone number."]
    with tenant_context(acme.tenant):
        (audited,) = AuditEntry.objects.filter(action="export.downloaded", extra__kind="import_error_report")
    assert audited.target_type == "telephony.contactlist"
    contacts = admin_api.get("/api/v1/contacts", {"campaign": campaign.pk}).json()
    assert contacts["count"] == 1 and contacts["results"][0]["phone"] == "+8613800138000"


def test_an_upload_with_a_bad_file_or_mapping_is_a_400_and_stores_nothing(acme, admin_api):
    campaign = campaign_in(acme)
    cases = [
        {"campaign": campaign.pk, "file": SimpleUploadedFile("list.pdf", b"%PDF")},
        {"campaign": campaign.pk, "file": SimpleUploadedFile("list.xlsx", b"not a workbook")},
        {"campaign": campaign.pk, "file": _csv([["phone"], ["1"]]), "mapping": '{"phone": "nope"}'},
        {"campaign": campaign.pk, "file": _csv([["phone"], ["1"]]), "mapping": "{not json"},
        {"campaign": 999999, "file": _csv([["phone"], ["1"]])},
        {"campaign": campaign.pk},
    ]
    for data in cases:
        response = admin_api.post("/api/v1/contact-lists", data, format="multipart")
        assert response.status_code == 400, data
        assert response.json()["fields"], data
    with tenant_context(acme.tenant):
        assert not ContactList.objects.exists()


def test_supervisors_read_lists_but_do_not_upload(acme, supervisor_api):
    campaign = campaign_in(acme)

    response = supervisor_api.post(
        "/api/v1/contact-lists",
        {"campaign": campaign.pk, "file": _csv([["phone"], ["13800000001"]])},
        format="multipart",
    )

    assert response.status_code == 403
    assert supervisor_api.get("/api/v1/contact-lists").status_code == 200


def test_contact_detail_renders_the_agent_script(acme, admin_api):
    campaign = campaign_in(acme, script="您好 {{contact.name}}，订单 {{ contact.order_no }}{{contact.missing}}。")
    with tenant_context(acme.tenant):
        contact = make_contact(campaign, name="王伟", data={"order_no": "A-1"})

    body = admin_api.get(f"/api/v1/contacts/{contact.pk}").json()

    assert body["script"] == "您好 王伟，订单 A-1。"


def test_agents_see_only_contacts_they_spoke_to(acme):
    user = acme.user(Role.AGENT)
    api = acme.api(user)
    campaign = campaign_in(acme)
    with tenant_context(acme.tenant):
        agent = Agent.objects.create(user=user)
        mine, other = make_contact(campaign), make_contact(campaign)
        DialAttempt.objects.create(
            campaign=campaign,
            contact=mine,
            attempt_no=1,
            number=mine.phone,
            started_at=T0,
            agent=agent,
            outcome="answered",
        )

    listed = api.get("/api/v1/contacts").json()

    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert api.get(f"/api/v1/contacts/{other.pk}").status_code == 404


def test_export_streams_csv_and_xlsx_and_logs_each_export(acme, supervisor_api):
    campaign = campaign_in(acme)
    with tenant_context(acme.tenant):
        make_contact(campaign, phone="+8613800000001", name="王伟")

    response = supervisor_api.get(f"/api/v1/campaigns/{campaign.pk}/export")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    xlsx = supervisor_api.get(f"/api/v1/campaigns/{campaign.pk}/export", {"file_format": "xlsx"})
    bad = supervisor_api.get(f"/api/v1/campaigns/{campaign.pk}/export", {"file_format": "pdf"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "+8613800000001,王伟" in text
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"
    assert bad.status_code == 400 and "file_format" in bad.json()["fields"]
    with tenant_context(acme.tenant):
        assert list(CampaignExport.objects.order_by("at").values_list("file_format", flat=True)) == ["csv", "xlsx"]


def test_agents_cannot_export(acme):
    campaign = campaign_in(acme)

    assert acme.api(acme.user(Role.AGENT)).get(f"/api/v1/campaigns/{campaign.pk}/export").status_code == 403


# --- do-not-call and consent ---------------------------------------------------------------------------------


def test_dnc_add_is_idempotent_and_validates_the_number(acme, admin_api):
    first = admin_api.post("/api/v1/dnc", {"number": "138 0013 8000", "reason": "complaint"}, format="json")
    again = admin_api.post("/api/v1/dnc", {"number": "+8613800138000"}, format="json")
    bad = admin_api.post("/api/v1/dnc", {"number": "12"}, format="json")

    assert first.status_code == 201 and first.json()["number"] == "+8613800138000"
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert bad.status_code == 400 and "number" in bad.json()["fields"]
    assert admin_api.get("/api/v1/dnc", {"number": "13800138000"}).json()["count"] == 1
    with tenant_context(acme.tenant):
        assert DoNotCall.objects.count() == 1


def test_supervisors_add_dnc_numbers_but_only_admins_remove_them(acme, admin_api, supervisor_api):
    added = supervisor_api.post("/api/v1/dnc", {"number": "13800138000"}, format="json")
    url = f"/api/v1/dnc/{added.json()['id']}"

    assert added.status_code == 201
    assert supervisor_api.delete(url).status_code == 403
    assert admin_api.delete(url).status_code == 204


def test_dnc_import_through_the_api(acme, admin_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            "/api/v1/dnc-imports", {"file": _csv([["phone"], ["13800000001"], ["x"]])}, format="multipart"
        )

    assert response.status_code == 201
    body = admin_api.get(f"/api/v1/dnc-imports/{response.json()['id']}").json()
    assert (body["status"], body["rows_added"], body["rows_invalid"]) == ("done", 1, 1)
    assert admin_api.get(f"/api/v1/dnc-imports/{body['id']}/errors").status_code == 200


def test_consent_record_and_revoke(acme, admin_api, supervisor_api):
    created = admin_api.post("/api/v1/consents", {"number": "13800138000", "source": "web form 2026-03"}, format="json")
    future = admin_api.post(
        "/api/v1/consents",
        {"number": "13800138000", "source": "x", "granted_at": (timezone.now() + timedelta(days=2)).isoformat()},
        format="json",
    )
    no_source = admin_api.post("/api/v1/consents", {"number": "13800138000", "source": " "}, format="json")
    by_supervisor = supervisor_api.post("/api/v1/consents", {"number": "13800138000", "source": "x"}, format="json")

    assert created.status_code == 201 and created.json()["number"] == "+8613800138000"
    assert future.status_code == 400 and "granted_at" in future.json()["fields"]
    assert no_source.status_code == 400 and "source" in no_source.json()["fields"]
    assert by_supervisor.status_code == 403
    url = f"/api/v1/consents/{created.json()['id']}/revoke"
    revoked = supervisor_api.post(url, {"reason": "asked on the phone"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert supervisor_api.post(url, {}, format="json").json()["code"] == "already_revoked"
    with tenant_context(acme.tenant):
        assert Consent.objects.count() == 1


def test_consent_policy_is_a_tenant_setting_only_admins_change(acme, admin_api, supervisor_api):
    assert supervisor_api.get("/api/v1/campaign-policy").json() == {"marketing_requires_consent": True}
    assert (
        supervisor_api.patch(
            "/api/v1/campaign-policy", {"marketing_requires_consent": False}, format="json"
        ).status_code
        == 403
    )
    bad = admin_api.patch("/api/v1/campaign-policy", {"marketing_requires_consent": "maybe"}, format="json")
    assert bad.status_code == 400 and "marketing_requires_consent" in bad.json()["fields"]

    changed = admin_api.patch("/api/v1/campaign-policy", {"marketing_requires_consent": False}, format="json")

    assert changed.json() == {"marketing_requires_consent": False}
    assert Tenant.objects.get(pk=acme.tenant.pk).marketing_requires_consent is False


# --- scheduled callbacks ---------------------------------------------------------------------------------------


def test_an_agent_schedules_callbacks_only_for_their_own_contacts(acme):
    user = acme.user(Role.AGENT)
    api = acme.api(user)
    campaign = campaign_in(acme)
    with tenant_context(acme.tenant):
        agent = Agent.objects.create(user=user)
        colleague = Agent.objects.create(user=acme.user(Role.AGENT))
        mine, stranger = make_contact(campaign), make_contact(campaign)
        DialAttempt.objects.create(
            campaign=campaign,
            contact=mine,
            attempt_no=1,
            number=mine.phone,
            started_at=T0,
            agent=agent,
            outcome="answered",
        )
    due = (timezone.now() + timedelta(hours=3)).isoformat()

    ok = api.post("/api/v1/scheduled-callbacks", {"contact": mine.pk, "due_at": due, "agent": agent.pk}, format="json")
    other = api.post("/api/v1/scheduled-callbacks", {"contact": stranger.pk, "due_at": due}, format="json")
    for_colleague = api.post(
        "/api/v1/scheduled-callbacks", {"contact": mine.pk, "due_at": due, "agent": colleague.pk}, format="json"
    )
    past = api.post(
        "/api/v1/scheduled-callbacks",
        {"contact": mine.pk, "due_at": (timezone.now() - timedelta(hours=1)).isoformat()},
        format="json",
    )

    assert ok.status_code == 201 and ok.json()["agent"] == agent.pk
    assert other.status_code == 403
    assert for_colleague.status_code == 400 and "agent" in for_colleague.json()["fields"]
    assert past.status_code == 400 and "due_at" in past.json()["fields"]
    assert [row["id"] for row in api.get("/api/v1/scheduled-callbacks").json()["results"]] == [ok.json()["id"]]
    with tenant_context(acme.tenant):
        mine.refresh_from_db()
        assert (mine.priority, mine.owner_agent_id) == (10, agent.pk)
        assert ScheduledCallback.objects.count() == 1

    cancelled = api.post(f"/api/v1/scheduled-callbacks/{ok.json()['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    with tenant_context(acme.tenant):
        mine.refresh_from_db()
        assert (mine.priority, mine.owner_agent_id) == (0, None)


def test_dial_attempts_are_listed_for_staff_with_filters(acme, supervisor_api):
    campaign = campaign_in(acme)
    with tenant_context(acme.tenant):
        contact = make_contact(campaign)
        DialAttempt.objects.create(
            campaign=campaign, contact=contact, attempt_no=1, number=contact.phone, started_at=T0, outcome="busy"
        )

    body = supervisor_api.get("/api/v1/dial-attempts", {"campaign": campaign.pk, "outcome": "busy"}).json()

    assert body["count"] == 1 and body["results"][0]["contact"] == contact.pk


# --- tenant isolation ----------------------------------------------------------------------------------------------


def test_another_tenants_admin_sees_none_of_it(acme, globex):
    campaign = campaign_in(acme)
    with tenant_context(acme.tenant):
        contact = make_contact(campaign)
    api = globex.api(globex.admin())

    assert api.get(f"/api/v1/campaigns/{campaign.pk}").status_code == 404
    assert api.get(f"/api/v1/contacts/{contact.pk}").status_code == 404
    assert api.post(f"/api/v1/campaigns/{campaign.pk}/start").status_code == 404
    assert api.get("/api/v1/campaigns").json()["count"] == 0
    with tenant_context(acme.tenant):
        assert Campaign.objects.get(pk=campaign.pk).status == "running"
        assert Contact.objects.filter(pk=contact.pk).exists()
