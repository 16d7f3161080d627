"""The campaign pages (/console/campaigns/): who sees them, forms that change nothing when wrong,
the life-cycle buttons, the upload → mapping → import → error report path, do-not-call, consent
and callbacks; and the desk's outbound API (a campaign call's card, preview dial/skip)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.audit.models import AuditEntry
from apps.telephony.choices import CampaignStatus, ContactListStatus, ContactStatus, ScheduledCallbackStatus
from apps.telephony.models import (
    Agent,
    Call,
    CallEvent,
    Campaign,
    CampaignExport,
    CampaignRetryRule,
    Consent,
    Contact,
    ContactList,
    DialAttempt,
    Disposition,
    DoNotCall,
    DoNotCallImport,
    Queue,
    ScheduledCallback,
    Trunk,
)
from apps.telephony.services.campaigns.dnc import consent_record, dnc_add
from apps.telephony.services.campaigns.lifecycle import callback_schedule
from apps.tenants.models import Tenant
from tests.accounts.helpers import web_login
from tests.telephony.agent_helpers import make_agent, make_call
from tests.telephony.campaign_factories import make_campaign, make_contact


@pytest.fixture
def admin(acme):
    return web_login(acme, acme.admin_email)


@pytest.fixture
def supervisor(acme):
    acme.user(Role.SUPERVISOR, email="sup-campaigns@acme.test")
    return web_login(acme, "sup-campaigns@acme.test")


@pytest.fixture
def agent_client(acme):
    acme.user(Role.AGENT, email="agent-campaigns@acme.test")
    return web_login(acme, "agent-campaigns@acme.test")


@pytest.fixture
def campaign(acme) -> Campaign:
    with tenant_context(acme.tenant):
        return make_campaign(
            running=False, name="Spring renewals", script="您好 {{contact.name}}，订单 {{contact.order_no}}"
        )


def campaign_of(acme, pk: int) -> Campaign:
    with tenant_context(acme.tenant):
        return Campaign.objects.get(pk=pk)


def page_urls(campaign: Campaign, contact_list: ContactList) -> list[str]:
    return [
        "/console/campaigns/",
        f"/console/campaigns/{campaign.pk}/",
        f"/console/campaigns/{campaign.pk}/monitor/",
        f"/console/campaigns/{campaign.pk}/monitor/figures/",
        f"/console/campaigns/lists/{contact_list.pk}/",
        f"/console/campaigns/lists/{contact_list.pk}/progress/",
        "/console/campaigns/dnc/",
        "/console/campaigns/dnc/imports/",
        "/console/campaigns/consents/",
        "/console/campaigns/callbacks/",
    ]


def uploaded_list(acme, campaign: Campaign, rows: list[list[str]] | None = None) -> ContactList:
    from apps.telephony.services.campaigns.contact_import import contact_list_upload

    rows = rows or [["姓名", "手机"], ["王伟", "13800138000"]]
    with tenant_context(acme.tenant):
        return contact_list_upload(campaign=campaign, upload=csv_file(rows), name="March")


def csv_file(rows: list[list[str]], name: str = "list.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def campaign_form(acme, **overrides) -> dict:
    with tenant_context(acme.tenant):
        queue = Queue.objects.order_by("id").first()
        dispositions = list(Disposition.objects.filter(is_active=True))
    data = {
        "name": "Autumn survey",
        "description": "",
        "type": "survey",
        "dial_mode": "predictive",
        "power_ratio": "2.0",
        "queue": str(queue.pk),
        "trunk": "",
        "caller_id": "",
        "start_date": "",
        "end_date": "",
        "window_start": "09:00",
        "window_end": "20:00",
        "weekdays": ["1", "2", "3", "4", "5"],
        "skip_holidays": "on",
        "default_time_zone": "Asia/Shanghai",
        "max_abandon_rate": "2.5",
        "abandon_window_days": "30",
        "ring_timeout_seconds": "20",
        "amd_enabled": "on",
        "abandon_message": "This is Acme calling; call us back on 4001234567.",
        "script": "Hello {{contact.name}}",
        "record_calls": "on",
    }
    for outcome, retry, gap, attempts in (
        ("busy", True, 30, 5),
        ("no_answer", True, 120, 3),
        ("machine", False, 240, 2),
        ("failed", True, 60, 2),
        ("abandoned", True, 60, 3),
    ):
        if retry:
            data[f"rules-o_{outcome}_retry"] = "on"
        data[f"rules-o_{outcome}_gap"] = str(gap)
        data[f"rules-o_{outcome}_max"] = str(attempts)
    for disposition in dispositions:
        kind = {"follow_up": "retry", "do_not_call": "dnc"}.get(disposition.code, "final")
        data[f"rules-d_{disposition.pk}_kind"] = kind
        data[f"rules-d_{disposition.pk}_gap"] = "1440"
        data[f"rules-d_{disposition.pk}_max"] = "4"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- who sees what ---------------------------------------------------------------------------------------


def test_every_page_renders_for_administrators_and_supervisors(acme, admin, supervisor, campaign):
    contact_list = uploaded_list(acme, campaign)

    for client in (admin, supervisor):
        for url in page_urls(campaign, contact_list):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)


def test_agents_are_refused_every_page(acme, agent_client, campaign):
    contact_list = uploaded_list(acme, campaign)

    for url in [*page_urls(campaign, contact_list), "/console/campaigns/new/"]:
        assert agent_client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login_page(acme, campaign):
    response = acme.client().get(f"/console/campaigns/{campaign.pk}/monitor/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_another_tenants_administrator_cannot_see_a_campaign(acme, globex, campaign):
    client = web_login(globex, globex.admin_email)

    assert client.get(f"/console/campaigns/{campaign.pk}/").status_code == 404
    assert client.get(f"/console/campaigns/{campaign.pk}/monitor/figures/").status_code == 404
    assert "Spring renewals" not in client.get("/console/campaigns/").content.decode()
    # acme's session is worth nothing on globex's host.
    admin = web_login(acme, acme.admin_email)
    assert admin.get("/console/campaigns/", HTTP_HOST=globex.host).status_code == 302


def test_the_navigation_shows_campaigns_to_staff_only(admin, supervisor, agent_client):
    assert 'href="/console/campaigns/"' in admin.get("/").content.decode()
    assert 'href="/console/campaigns/"' in supervisor.get("/", follow=True).content.decode()
    assert 'href="/console/campaigns/"' not in agent_client.get("/", follow=True).content.decode()


def test_supervisors_cannot_create_edit_upload_or_delete(acme, supervisor, campaign):
    assert supervisor.get("/console/campaigns/new/").status_code == 403
    assert supervisor.post("/console/campaigns/new/", campaign_form(acme)).status_code == 403
    assert supervisor.get(f"/console/campaigns/{campaign.pk}/edit/").status_code == 403
    upload = {"upload-file": csv_file([["phone"], ["13800138000"]])}
    assert supervisor.post(f"/console/campaigns/{campaign.pk}/lists/upload/", upload).status_code == 403
    assert supervisor.post(f"/console/campaigns/{campaign.pk}/delete/").status_code == 403
    with tenant_context(acme.tenant):
        assert Campaign.objects.count() == 1
        assert not ContactList.objects.exists()


# --- create and edit ---------------------------------------------------------------------------------------


def test_saving_a_campaign_that_cannot_start_yet_says_why(acme, admin):
    """The legal message is checked at Start; the administrator hears about it when saving."""
    response = admin.post("/console/campaigns/new/", campaign_form(acme, abandon_message=""), follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Campaign saved." in page
    assert "Before it can start: Set the message played when no agent is free" in page


def test_saving_a_campaign_ready_to_start_warns_of_nothing(acme, admin):
    page = admin.post("/console/campaigns/new/", campaign_form(acme), follow=True).content.decode()

    assert "Campaign saved." in page
    assert "Before it can start" not in page


def test_the_trunk_choice_names_the_default_trunk_once(acme, admin):
    with tenant_context(acme.tenant):
        default = Trunk.objects.filter(is_default=True).first()
    assert default is not None
    page = admin.get("/console/campaigns/new/").content.decode()
    select = re.search(r'<select name="trunk"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert f"Always the default trunk (now {default.name})" in select.group(1)


def test_the_campaign_page_says_when_it_has_no_dates_and_words_its_units(admin, campaign):
    page = admin.get(f"/console/campaigns/{campaign.pk}/").content.decode()

    assert "No start or end date" in page
    assert f"{campaign.ring_timeout_seconds} seconds" in page
    assert "…" not in page.split("Dates", 1)[1][:200]


def test_the_new_campaign_form_shows_every_setting_and_the_default_rules(admin):
    page = admin.get("/console/campaigns/new/").content.decode()

    for name in ("dial_mode", "window_start", "weekdays", "max_abandon_rate", "abandon_message", "script"):
        assert f'name="{name}"' in page
    assert 'name="rules-o_busy_gap" value="30"' in page
    assert 'hx-post="/console/campaigns/script-preview/"' in page


def test_creating_a_campaign_saves_its_settings_and_rules(acme, admin):
    response = admin.post("/console/campaigns/new/", campaign_form(acme))

    with tenant_context(acme.tenant):
        campaign = Campaign.objects.get(name="Autumn survey")
        rules = {
            rule.outcome or rule.disposition.code: rule for rule in CampaignRetryRule.objects.filter(campaign=campaign)
        }
    assert response.status_code == 302
    assert response.url == f"/console/campaigns/{campaign.pk}/"
    assert campaign.status == CampaignStatus.DRAFT
    assert str(campaign.max_abandon_rate) == "0.0250"
    assert campaign.weekdays == [1, 2, 3, 4, 5]
    assert (campaign.window_start.hour, campaign.window_end.hour) == (9, 20)
    assert rules["machine"].retry is False
    assert (rules["busy"].min_gap_minutes, rules["busy"].max_attempts) == (30, 5)
    assert (rules["follow_up"].retry, rules["follow_up"].min_gap_minutes, rules["follow_up"].max_attempts) == (
        True,
        1440,
        4,
    )
    assert rules["do_not_call"].do_not_call is True
    assert "resolved" not in rules  # final: no rule needed


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"window_start": "21:00", "window_end": "08:00"}, "window_end", "The window must end after it starts"),
        ({"max_abandon_rate": "9"}, "max_abandon_rate", "less than or equal to 5"),
        ({"ring_timeout_seconds": "10"}, "ring_timeout_seconds", "greater than or equal to 15"),
        ({"script": "Hello {{name}}"}, "script", "Unknown placeholder"),
        ({"default_time_zone": "Mars/Olympus"}, "default_time_zone", "Unknown time zone"),
        ({"rules-o_busy_max": "0"}, "rules", "greater than or equal to 1"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_bad_input_shows_the_field_error_and_creates_nothing(acme, admin, overrides, field, message):
    response = admin.post("/console/campaigns/new/", campaign_form(acme, **overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(acme.tenant):
        assert not Campaign.objects.exists()
        assert not CampaignRetryRule.objects.exists()


def test_a_failed_edit_changes_neither_the_settings_nor_the_rules(acme, admin, campaign):
    with tenant_context(acme.tenant):
        make_campaign(running=False, name="Taken name")
        before = sorted(CampaignRetryRule.objects.filter(campaign=campaign).values_list("outcome", "min_gap_minutes"))
    # A valid rule change together with a settings error the service finds (a name clash).
    data = campaign_form(acme, name="taken NAME", **{"rules-o_busy_gap": "999"})

    response = admin.post(f"/console/campaigns/{campaign.pk}/edit/", data)

    assert response.status_code == 400
    assert "Another campaign has this name." in response.content.decode()
    with tenant_context(acme.tenant):
        after = sorted(CampaignRetryRule.objects.filter(campaign=campaign).values_list("outcome", "min_gap_minutes"))
        assert Campaign.objects.get(pk=campaign.pk).name == "Spring renewals"
    assert after == before


def test_an_edit_saves_new_settings(acme, admin, campaign):
    response = admin.post(f"/console/campaigns/{campaign.pk}/edit/", campaign_form(acme, name="Spring renewals 2"))

    assert response.status_code == 302
    updated = campaign_of(acme, campaign.pk)
    assert (updated.name, updated.dial_mode, updated.ring_timeout_seconds) == ("Spring renewals 2", "predictive", 20)


def test_the_script_preview_uses_the_first_contact(acme, admin, campaign):
    with tenant_context(acme.tenant):
        make_contact(campaign, phone="+8613900000001", name="李娜", data={"order_no": "A-77"})

    response = admin.post(
        "/console/campaigns/script-preview/",
        {"campaign": campaign.pk, "script": "您好 {{contact.name}}，订单 {{contact.order_no}}"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "您好 李娜，订单 A-77" in page


def test_the_script_preview_without_contacts_uses_a_sample_and_flags_typos(admin):
    response = admin.post("/console/campaigns/script-preview/", {"script": "Hi {{contact.name}} {{ oops }}"})

    page = response.content.decode()
    assert "Hi 张伟" in page
    assert "Unknown placeholder" in page


# --- life cycle ----------------------------------------------------------------------------------------------


def test_start_pause_resume_and_stop_change_the_status(acme, admin, campaign):
    url = f"/console/campaigns/{campaign.pk}"

    assert admin.post(f"{url}/start/").status_code == 302
    assert campaign_of(acme, campaign.pk).status == CampaignStatus.RUNNING
    admin.post(f"{url}/pause/")
    assert campaign_of(acme, campaign.pk).status == CampaignStatus.PAUSED
    admin.post(f"{url}/resume/", {"next": "monitor"})
    assert campaign_of(acme, campaign.pk).status == CampaignStatus.RUNNING
    response = admin.post(f"{url}/stop/")
    assert campaign_of(acme, campaign.pk).status == CampaignStatus.FINISHED
    assert response.url == f"{url}/"


def test_supervisors_start_and_pause_but_cannot_stop(acme, supervisor, campaign):
    url = f"/console/campaigns/{campaign.pk}"

    supervisor.post(f"{url}/start/")
    assert campaign_of(acme, campaign.pk).status == CampaignStatus.RUNNING
    supervisor.post(f"{url}/pause/")
    assert campaign_of(acme, campaign.pk).status == CampaignStatus.PAUSED
    response = supervisor.post(f"{url}/stop/", follow=True)
    assert campaign_of(acme, campaign.pk).status == CampaignStatus.PAUSED
    assert "Only an administrator can stop a campaign." in response.content.decode()


def test_a_campaign_without_an_abandon_message_does_not_start(acme, admin):
    with tenant_context(acme.tenant):
        draft = make_campaign(running=False, abandon_message="")

    response = admin.post(f"/console/campaigns/{draft.pk}/start/", follow=True)

    assert campaign_of(acme, draft.pk).status == CampaignStatus.DRAFT
    assert "the law requires it" in response.content.decode()


def test_the_buttons_follow_the_status(acme, admin, supervisor, campaign):
    page = admin.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert f"/console/campaigns/{campaign.pk}/start/" in page
    assert f"/console/campaigns/{campaign.pk}/pause/" not in page
    assert f"/console/campaigns/{campaign.pk}/stop/" in page
    assert (
        f"/console/campaigns/{campaign.pk}/stop/"
        not in supervisor.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    )


# --- contact lists ----------------------------------------------------------------------------------------------


def test_upload_then_mapping_then_import_shows_progress_and_the_error_report(
    acme, admin, campaign, django_capture_on_commit_callbacks
):
    rows = [
        ["客户姓名", "手机号码", "订单号"],
        ["王伟", "13800138000", "A-1"],
        ["李娜", "not a number", "A-2"],
        ["张敏", "13800138000", "A-3"],  # duplicate of row 2
        ["赵磊", "+86 139 0013 9000", "A-4"],
    ]
    response = admin.post(
        f"/console/campaigns/{campaign.pk}/lists/upload/", {"upload-file": csv_file(rows), "upload-name": "March"}
    )
    with tenant_context(acme.tenant):
        contact_list = ContactList.objects.get(campaign=campaign)
    assert response.status_code == 302
    assert response.url == f"/console/campaigns/lists/{contact_list.pk}/"
    assert contact_list.status == ContactListStatus.UPLOADED

    mapping_page = admin.get(response.url).content.decode()
    assert "手机号码" in mapping_page and "13800138000" in mapping_page
    assert 'name="map-target_1"' in mapping_page

    mapping = {"map-target_0": "name", "map-target_1": "phone", "map-target_2": "custom", "map-key_2": "order_no"}
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
        started = admin.post(response.url, mapping)
    assert started.status_code == 302

    with tenant_context(acme.tenant):
        contact_list.refresh_from_db()
        contacts = {contact.phone: contact for contact in Contact.objects.filter(campaign=campaign)}
    assert contact_list.status == ContactListStatus.DONE
    assert (contact_list.rows_imported, contact_list.rows_invalid, contact_list.rows_duplicate) == (2, 1, 1)
    assert contacts["+8613800138000"].data == {"order_no": "A-1"}
    assert contacts["+8613900139000"].name == "赵磊"

    progress = admin.get(f"/console/campaigns/lists/{contact_list.pk}/progress/").content.decode()
    assert 'value="100"' in progress
    assert 'data-counter="imported">2<' in progress
    assert "hx-trigger" not in progress  # finished: the page stops polling
    assert f"/console/campaigns/lists/{contact_list.pk}/errors/" in progress

    report = admin.get(f"/console/campaigns/lists/{contact_list.pk}/errors/")
    assert report.status_code == 200
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == ["3", "4"]
    with tenant_context(acme.tenant):
        assert AuditEntry.objects.filter(action="export.downloaded", extra__kind="import_error_report").count() == 1


def test_a_running_import_polls_its_progress(acme, admin, campaign):
    contact_list = uploaded_list(acme, campaign)
    with tenant_context(acme.tenant):
        ContactList.objects.filter(pk=contact_list.pk).update(
            status=ContactListStatus.IMPORTING, progress_percent=40, rows_processed=400, rows_imported=390
        )

    page = admin.get(f"/console/campaigns/lists/{contact_list.pk}/progress/").content.decode()

    assert 'hx-trigger="every 1s"' in page
    assert 'value="40"' in page
    assert 'data-counter="imported">390<' in page


def test_a_mapping_without_a_phone_column_is_refused_and_starts_nothing(acme, admin, campaign):
    contact_list = uploaded_list(acme, campaign)

    response = admin.post(f"/console/campaigns/lists/{contact_list.pk}/", {"map-target_0": "name", "map-target_1": ""})

    assert response.status_code == 400
    assert "Map one column to the phone number." in response.content.decode()
    with tenant_context(acme.tenant):
        assert ContactList.objects.get(pk=contact_list.pk).status == ContactListStatus.UPLOADED
        assert not Contact.objects.exists()


def test_supervisors_see_the_list_but_cannot_start_its_import(acme, supervisor, campaign):
    contact_list = uploaded_list(acme, campaign)

    page = supervisor.get(f"/console/campaigns/lists/{contact_list.pk}/").content.decode()
    response = supervisor.post(f"/console/campaigns/lists/{contact_list.pk}/", {"map-target_1": "phone"})

    assert 'name="map-target_1"' not in page
    assert response.status_code == 403
    with tenant_context(acme.tenant):
        assert ContactList.objects.get(pk=contact_list.pk).status == ContactListStatus.UPLOADED


def test_a_file_that_is_not_csv_or_xlsx_is_refused(acme, admin, campaign):
    upload = {"upload-file": SimpleUploadedFile("list.pdf", b"%PDF-1.4")}

    response = admin.post(f"/console/campaigns/{campaign.pk}/lists/upload/", upload, follow=True)

    assert "Upload a CSV or XLSX file." in response.content.decode()
    with tenant_context(acme.tenant):
        assert not ContactList.objects.exists()


def test_results_export_as_csv_is_logged(acme, admin, campaign):
    with tenant_context(acme.tenant):
        make_contact(campaign, phone="+8613900000002", name="李娜")

    response = admin.get(f"/console/campaigns/{campaign.pk}/export/csv/")

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Disposition"] == f'attachment; filename="campaign-{campaign.pk}-results.csv"'
    assert "+8613900000002,李娜" in body
    with tenant_context(acme.tenant):
        assert CampaignExport.objects.filter(campaign=campaign, file_format="csv").count() == 1


def test_results_export_as_xlsx(acme, supervisor, campaign):
    response = supervisor.get(f"/console/campaigns/{campaign.pk}/export/xlsx/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


# --- do-not-call ------------------------------------------------------------------------------------------------


def test_supervisors_add_numbers_to_do_not_call_and_find_them(acme, supervisor, campaign):
    response = supervisor.post(
        "/console/campaigns/dnc/",
        {"add-number": "138 0013 8000", "add-campaign": "", "add-reason": "complaint"},
        follow=True,
    )
    supervisor.post(
        "/console/campaigns/dnc/", {"add-number": "13900139000", "add-campaign": str(campaign.pk)}, follow=True
    )

    assert response.redirect_chain == [("/console/campaigns/dnc/", 302)]
    assert "+8613800138000 added to the do-not-call list." in response.content.decode()
    with tenant_context(acme.tenant):
        assert DoNotCall.objects.get(number="+8613800138000").campaign is None
        assert DoNotCall.objects.get(number="+8613900139000").campaign_id == campaign.pk
    found = supervisor.get("/console/campaigns/dnc/", {"q": "13800138000"}).content.decode()
    assert "+8613800138000" in found and "+8613900139000" not in found
    scoped = supervisor.get("/console/campaigns/dnc/", {"scope": str(campaign.pk)}).content.decode()
    assert "+8613900139000" in scoped and "+8613800138000" not in scoped


def test_a_bad_number_shows_an_error_and_adds_nothing(acme, admin):
    response = admin.post("/console/campaigns/dnc/", {"add-number": "12", "add-campaign": ""})

    assert response.status_code == 400
    assert "Not a valid phone number." in response.content.decode()
    with tenant_context(acme.tenant):
        assert not DoNotCall.objects.exists()


def test_only_administrators_remove_do_not_call_entries(acme, admin, supervisor):
    with tenant_context(acme.tenant):
        entry, _created = dnc_add(number="13800138000")

    assert supervisor.post(f"/console/campaigns/dnc/{entry.pk}/delete/").status_code == 403
    with tenant_context(acme.tenant):
        assert DoNotCall.objects.filter(pk=entry.pk).exists()
    assert admin.post(f"/console/campaigns/dnc/{entry.pk}/delete/").status_code == 302
    with tenant_context(acme.tenant):
        assert not DoNotCall.objects.filter(pk=entry.pk).exists()


def test_a_do_not_call_file_is_imported_in_the_background(acme, admin, django_capture_on_commit_callbacks):
    upload = csv_file([["手机"], ["13800138000"], ["bad"], ["13900139000"]])

    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
        response = admin.post("/console/campaigns/dnc/import/", {"import-file": upload, "import-campaign": ""})

    assert response.status_code == 302
    with tenant_context(acme.tenant):
        dnc_import = DoNotCallImport.objects.get()
        assert set(DoNotCall.objects.values_list("number", flat=True)) == {"+8613800138000", "+8613900139000"}
    assert (dnc_import.status, dnc_import.rows_added, dnc_import.rows_invalid) == ("done", 2, 1)
    table = admin.get("/console/campaigns/dnc/imports/").content.decode()
    assert f"/console/campaigns/dnc/imports/{dnc_import.pk}/errors/" in table
    assert "hx-trigger" not in table


# --- consent and callbacks ----------------------------------------------------------------------------------


def test_administrators_record_consent_and_supervisors_revoke_it(acme, admin, supervisor):
    response = admin.post(
        "/console/campaigns/consents/", {"consent-number": "13800138000", "consent-source": "web form"}
    )
    with tenant_context(acme.tenant):
        consent = Consent.objects.get()
    assert response.status_code == 302
    assert (consent.number, consent.source, consent.revoked_at) == ("+8613800138000", "web form", None)

    assert (
        supervisor.post(
            "/console/campaigns/consents/", {"consent-number": "13900139000", "consent-source": "x"}
        ).status_code
        == 403
    )
    supervisor.post(f"/console/campaigns/consents/{consent.pk}/revoke/", {"revoke-reason": "asked on the phone"})
    with tenant_context(acme.tenant):
        consent.refresh_from_db()
        assert Consent.objects.count() == 1
    assert consent.revoked_at is not None and consent.revoke_reason == "asked on the phone"


def test_consent_without_a_source_is_refused(acme, admin):
    response = admin.post("/console/campaigns/consents/", {"consent-number": "13800138000", "consent-source": ""})

    assert response.status_code == 400
    with tenant_context(acme.tenant):
        assert not Consent.objects.exists()


def test_the_consent_policy_is_switched_by_administrators(acme, admin, supervisor):
    admin.post("/console/campaigns/consents/policy/", {})
    with tenant_context(acme.tenant):
        assert Tenant.objects.get(pk=acme.tenant.pk).marketing_requires_consent is False
    assert (
        supervisor.post("/console/campaigns/consents/policy/", {"policy-marketing_requires_consent": "on"}).status_code
        == 403
    )
    admin.post("/console/campaigns/consents/policy/", {"policy-marketing_requires_consent": "on"})
    with tenant_context(acme.tenant):
        assert Tenant.objects.get(pk=acme.tenant.pk).marketing_requires_consent is True


def test_consent_search_filters_by_number_and_status(acme, admin):
    with tenant_context(acme.tenant):
        consent_record(number="13800138000", source="web")
        revoked = consent_record(number="13900139000", source="shop")
        Consent.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())

    in_force = admin.get("/console/campaigns/consents/", {"active": "1"}).content.decode()
    by_number = admin.get("/console/campaigns/consents/", {"q": "139 0013 9000"}).content.decode()

    assert "+8613800138000" in in_force and "+8613900139000" not in in_force
    assert "+8613900139000" in by_number and "+8613800138000" not in by_number


def test_pending_callbacks_are_listed_and_can_be_cancelled(acme, supervisor, campaign):
    with tenant_context(acme.tenant):
        contact = make_contact(campaign, phone="+8613900000003", name="陈静")
        callback = callback_schedule(contact=contact, due_at=timezone.now() + timedelta(hours=2), note="after lunch")

    page = supervisor.get("/console/campaigns/callbacks/").content.decode()
    assert "陈静" in page and "after lunch" in page
    supervisor.post(f"/console/campaigns/callbacks/{callback.pk}/cancel/")

    with tenant_context(acme.tenant):
        assert ScheduledCallback.objects.get(pk=callback.pk).status == ScheduledCallbackStatus.CANCELLED
    assert "陈静" not in supervisor.get("/console/campaigns/callbacks/").content.decode()


# --- the desk's outbound API ----------------------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, dict]]:
    messages: list[tuple[str, dict]] = []
    monkeypatch.setattr("apps.core.events.publish", lambda schema, topic, message: messages.append((topic, message)))
    return messages


def campaign_call(acme, campaign: Campaign, agent: Agent) -> tuple[Call, Contact]:
    with tenant_context(acme.tenant):
        contact = make_contact(campaign, phone="+8613900000004", name="李娜", data={"order_no": "A-77"})
    call = make_call(acme, status="talking", agent=agent, direction="outbound")
    with tenant_context(acme.tenant):
        CallEvent.objects.create(
            call=call,
            kind="campaign_dial",
            at=timezone.now(),
            data={"campaign_id": campaign.pk, "contact_id": contact.pk, "attempt": 1},
        )
    return call, contact


def test_an_agent_gets_the_card_script_and_dispositions_of_their_campaign_call(acme, campaign):
    desk = make_agent(acme, state="talking")
    call, contact = campaign_call(acme, campaign, desk.agent)

    response = acme.api(desk.user).get(f"/api/v1/calls/{call.uid}/campaign")

    body = response.json()
    assert response.status_code == 200
    assert body["campaign_name"] == "Spring renewals"
    assert body["contact"]["contact_id"] == contact.pk
    assert body["contact"]["fields"]["order_no"] == "A-77"
    assert body["script"] == "您好 李娜，订单 A-77"
    kinds = {row["code"]: row["kind"] for row in body["dispositions"]}
    assert kinds["do_not_call"] == "dnc" and kinds["resolved"] == "final"


def test_another_agent_cannot_read_a_campaign_call(acme, campaign):
    desk = make_agent(acme, state="talking")
    other = make_agent(acme, state="ready")
    call, _contact = campaign_call(acme, campaign, desk.agent)

    response = acme.api(other.user).get(f"/api/v1/calls/{call.uid}/campaign")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_inbound_call_has_no_campaign_part(acme):
    desk = make_agent(acme, state="talking")
    call = make_call(acme, status="talking", agent=desk.agent)

    response = acme.api(desk.user).get(f"/api/v1/calls/{call.uid}/campaign")

    assert response.status_code == 404
    assert response.json()["code"] == "not_campaign_call"


def preview_contact(acme, campaign: Campaign) -> Contact:
    with tenant_context(acme.tenant):
        Campaign.objects.filter(pk=campaign.pk).update(dial_mode="preview", status=CampaignStatus.RUNNING)
        contact = make_contact(campaign, phone="+8613900000005", status=ContactStatus.DIALING, attempts=1)
        DialAttempt.objects.create(
            campaign=campaign, contact=contact, attempt_no=1, number=contact.phone, started_at=timezone.now()
        )
    return contact


def test_preview_dial_and_skip_go_to_the_engine(acme, campaign, published, django_capture_on_commit_callbacks):
    desk = make_agent(acme, state="ready")
    contact = preview_contact(acme, campaign)
    api = acme.api(desk.user)

    with django_capture_on_commit_callbacks(execute=True):
        dialled = api.post("/api/v1/agents/me/preview/dial", {"contact_id": contact.pk}, format="json")
        skipped = api.post("/api/v1/agents/me/preview/skip", {"contact_id": contact.pk}, format="json")
        shown = api.post("/api/v1/agents/me/preview/next", {}, format="json")

    assert (dialled.status_code, skipped.status_code, shown.status_code) == (202, 202, 202)
    assert [(topic, message["type"], message["contact_id"]) for topic, message in published] == [
        ("engine", "campaign.preview_dial", contact.pk),
        ("engine", "campaign.preview_skip", contact.pk),
        ("engine", "campaign.preview_skip", None),
    ]


def test_preview_actions_are_refused_when_they_cannot_apply(
    acme, campaign, published, django_capture_on_commit_callbacks
):
    busy = make_agent(acme, state="not_ready", reason="break")
    ready = make_agent(acme, state="ready")
    with tenant_context(acme.tenant):
        waiting = make_contact(campaign, phone="+8613900000006")  # not being previewed

    with django_capture_on_commit_callbacks(execute=True):
        not_ready = acme.api(busy.user).post("/api/v1/agents/me/preview/next", {}, format="json")
        stale = acme.api(ready.user).post("/api/v1/agents/me/preview/skip", {"contact_id": waiting.pk}, format="json")
        bad = acme.api(ready.user).post("/api/v1/agents/me/preview/skip", {"contact_id": "x"}, format="json")

    assert (not_ready.status_code, not_ready.json()["code"]) == (400, "invalid_state")
    assert (stale.status_code, stale.json()["code"]) == (400, "not_previewed")
    assert (bad.status_code, set(bad.json()["fields"])) == (400, {"contact_id"})
    assert published == []


def test_supervisors_without_the_agent_role_cannot_use_the_desk_api(acme, campaign):
    user = acme.user(Role.SUPERVISOR)

    assert acme.api(user).post("/api/v1/agents/me/preview/next", {}, format="json").status_code == 403
    assert acme.api(user).get("/api/v1/calls/x/campaign").status_code == 403


def test_the_desk_carries_the_outbound_panels_and_script(acme, agent_client):
    # Opening the desk creates no Agent row (the socket or the first action does; a GET writes
    # nothing): the agent has one here as after their first login.
    with tenant_context(acme.tenant):
        agent = Agent.objects.create(user=User.objects.get(email="agent-campaigns@acme.test"))

    page = agent_client.get("/desk/").content.decode()

    assert 'id="outbound-preview"' in page and 'id="outbound-call"' in page
    assert 'id="callback-form"' in page
    assert "js/desk_outbound.js" in page
    assert f'data-agent-id="{agent.pk}"' in page
