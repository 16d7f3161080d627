"""The audit page (/console/audit/) and API (/api/v1/audit): filters, paging, exports, the
retention setting — for tenant administrators of this tenant only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context
from openpyxl import load_workbook

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.audit.choices import ActorKind, AuditAction
from apps.audit.models import AuditEntry
from apps.audit.services import AuditTarget, audit_record
from tests.accounts.helpers import web_login
from tests.audit.conftest import last_id, only_row
from tests.conftest import PASSWORD


@pytest.fixture
def log(acme):
    """A small, known history in acme: three actors, several actions, one old row."""
    bob = acme.user(Role.SUPERVISOR, email="bob@acme.test")
    carol = acme.user(Role.AGENT, email="carol@acme.test")
    with tenant_context(acme.tenant):
        admin = acme.admin()
        entries = {
            "role": audit_record(
                action=AuditAction.USER_ROLE_CHANGED,
                actor=admin,
                target=carol,
                before={"roles": ["agent"]},
                after={"roles": ["supervisor"]},
                ip="192.0.2.1",
            ),
            "export": audit_record(
                action=AuditAction.EXPORT_DOWNLOADED, actor=bob, target=AuditTarget("telephony.campaign", 7, "Spring")
            ),
            "play": audit_record(
                action=AuditAction.RECORDING_PLAYED, actor=carol, target=AuditTarget("telephony.recording", 3, "r3")
            ),
            # A name that a spreadsheet would run as a formula, in an attacker-controlled field.
            "evil": audit_record(
                action=AuditAction.TOKEN_CREATED, actor=bob, target=AuditTarget("accounts.apitoken", 9, "=HYPERLINK(1)")
            ),
        }
        old = AuditEntry(
            action=AuditAction.DNC_DELETED,
            actor_kind=ActorKind.USER,
            actor_id=admin.pk,
            actor_email=admin.email,
            created_at=timezone.now() - timedelta(days=40),
        )
        old.save()
        entries["old"] = old
    return {"admin": admin, "bob": bob, "carol": carol, **entries}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_newest_first_with_actor_object_and_changes(acme, log):
    response = acme.api(log["admin"]).get("/api/v1/audit")

    rows = {row["id"]: row for row in response.json()["results"]}
    role = rows[log["role"].pk]
    assert _ids(response).index(log["evil"].pk) < _ids(response).index(log["role"].pk)
    assert role["action"] == "user.role_changed"
    assert role["action_label"] == "Roles changed"
    assert role["actor"] == {
        "kind": "user",
        "id": log["admin"].pk,
        "email": "admin@acme.test",
        "name": log["admin"].name,
    }
    assert role["object"] == {"type": "accounts.user", "id": str(log["carol"].pk), "repr": "carol@acme.test"}
    assert role["before"] == {"roles": ["agent"]} and role["after"] == {"roles": ["supervisor"]}
    assert role["ip_address"] == "192.0.2.1"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "bob@"}, ["evil", "export"]),
        ({"action": "recording.played"}, ["play"]),
        ({"action": ["recording.played", "user.role_changed"]}, ["play", "role"]),
        ({"object_type": "telephony.campaign", "object_id": "7"}, ["export"]),
    ],
)
def test_api_filters(acme, log, query, expected):
    response = acme.api(log["admin"]).get("/api/v1/audit", query)

    assert set(_ids(response)) == {log[name].pk for name in expected}


def test_api_filters_by_actor_id(acme, log):
    response = acme.api(log["admin"]).get("/api/v1/audit", {"actor": str(log["carol"].pk)})

    assert log["play"].pk in _ids(response)
    assert log["export"].pk not in _ids(response)


def test_api_filters_by_date_range(acme, log):
    today = timezone.localdate()
    api = acme.api(log["admin"])

    recent = _ids(api.get("/api/v1/audit", {"since": str(today - timedelta(days=1))}))
    older = _ids(api.get("/api/v1/audit", {"until": str(today - timedelta(days=30))}))

    assert log["old"].pk not in recent and log["role"].pk in recent
    assert log["old"].pk in older and log["role"].pk not in older


@pytest.mark.parametrize("query", [{"since": "yesterday"}, {"action": "user.teleported"}])
def test_api_bad_filters_answer_400_with_the_field(acme, log, query):
    response = acme.api(log["admin"]).get("/api/v1/audit", query)

    assert response.status_code == 400
    assert set(query) <= set(response.json()["fields"])


def test_api_pages(acme, log):
    response = acme.api(log["admin"]).get("/api/v1/audit", {"page_size": 2})

    body = response.json()
    assert len(body["results"]) == 2
    assert body["count"] >= 5 and body["next"]


def test_api_has_no_write_methods(acme, log):
    api = acme.api(log["admin"])

    assert api.delete(f"/api/v1/audit/{log['role'].pk}").status_code == 405
    assert api.patch(f"/api/v1/audit/{log['role'].pk}", {"action": "x"}, format="json").status_code == 405
    assert api.post("/api/v1/audit", {}, format="json").status_code == 405
    assert api.get(f"/api/v1/audit/{log['role'].pk}").json()["action"] == "user.role_changed"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.QA, Role.HR, Role.BILLING])
def test_api_refuses_everyone_but_administrators(acme, log, role):
    api = acme.api(acme.user(role))

    assert api.get("/api/v1/audit").status_code == 403
    assert api.get("/api/v1/audit/export").status_code == 403
    assert api.get("/api/v1/audit/settings").status_code == 403


def test_api_of_another_tenant_never_shows_these_rows(acme, globex, log):
    response = globex.api(globex.admin()).get("/api/v1/audit", {"page_size": 500})

    emails = {row["actor"]["email"] for row in response.json()["results"]}
    assert "bob@acme.test" not in emails and "carol@acme.test" not in emails
    assert b"HYPERLINK" not in globex.api(globex.admin()).get(f"/api/v1/audit/{log['evil'].pk}").content
    assert (
        acme.api().get("/api/v1/audit", HTTP_AUTHORIZATION=f"Token {globex.token(globex.admin())}").status_code == 401
    )


def test_api_export_csv_is_filtered_safe_and_audited(acme, log):
    start = last_id(acme)

    response = acme.api(log["admin"]).get("/api/v1/audit/export", {"actor": "bob@", "file_format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["id", "time", "action", "action_label"]
    assert {row[0] for row in body} == {str(log["evil"].pk), str(log["export"].pk)}
    objects = {row[header.index("object")] for row in body}
    assert "'=HYPERLINK(1)" in objects and "=HYPERLINK(1)" not in objects
    entry = only_row(acme, AuditAction.EXPORT_DOWNLOADED, start)
    assert entry.extra == {"kind": "audit_log", "format": "csv", "filters": {"actor": "bob@"}}
    assert entry.actor_id == log["admin"].pk


def test_api_export_xlsx_writes_text_never_formulas(acme, log):
    response = acme.api(log["admin"]).get("/api/v1/audit/export", {"file_format": "xlsx", "actor": "bob@"})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][2] == "action"
    assert len(values) == 3
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert "'=HYPERLINK(1)" in [cell.value for cell in cells]


def test_api_export_refuses_an_unknown_format(acme, log):
    api = acme.api(log["admin"])
    start = last_id(acme)

    response = api.get("/api/v1/audit/export", {"file_format": "pdf"})

    assert response.status_code == 400 and "file_format" in response.json()["fields"]
    assert last_id(acme) == start


def test_api_retention_setting_reads_and_changes(acme, log):
    api = acme.api(log["admin"])

    before = api.get("/api/v1/audit/settings").json()
    changed = api.put("/api/v1/audit/settings", {"retention_days": 730}, format="json")
    refused = api.put("/api/v1/audit/settings", {"retention_days": 5}, format="json")

    assert before == {"retention_days": None, "effective_days": 365}
    assert changed.status_code == 200 and changed.json() == {"retention_days": 730, "effective_days": 730}
    assert refused.status_code == 400 and "retention_days" in refused.json()["fields"]
    assert api.get("/api/v1/audit/settings").json()["retention_days"] == 730


# --- page ------------------------------------------------------------------------------------------


def test_page_shows_the_log_to_administrators(acme, log):
    client = web_login(acme, acme.admin_email)

    response = client.get("/console/audit/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "Roles changed" in text and "carol@acme.test" in text
    assert 'href="/console/audit/"' in text  # the console navigation link
    assert "365" in text  # the retention in force
    assert "<code>{&quot;roles&quot;: [&quot;supervisor&quot;]}</code>" in text  # before/after as JSON


def test_page_filters_and_answers_htmx_with_the_table_only(acme, log):
    client = web_login(acme, acme.admin_email)

    full = client.get("/console/audit/", {"action": "recording.played"})
    partial = client.get("/console/audit/", {"action": "recording.played"}, HTTP_HX_REQUEST="true")

    assert 'data-action="recording.played"' in full.content.decode()
    assert 'data-action="user.role_changed"' not in full.content.decode()
    assert partial.content.decode().lstrip().startswith('<section class="card" id="audit-entries">')
    assert "<html" not in partial.content.decode()
    assert 'data-action="recording.played"' in partial.content.decode()


def test_page_with_a_bad_date_shows_the_error_and_no_rows(acme, log):
    client = web_login(acme, acme.admin_email)

    response = client.get("/console/audit/", {"since": "not-a-date"})

    assert response.status_code == 200
    assert "data-action=" not in response.content.decode()
    assert "Enter a valid date" in response.content.decode()


def test_page_export_links_carry_the_filters(acme, log):
    client = web_login(acme, acme.admin_email)

    page = client.get("/console/audit/", {"actor": "bob@"}).content.decode()
    response = client.get("/console/audit/export/csv/", {"actor": "bob@"})

    assert 'href="/console/audit/export/csv/?actor=bob%40"' in page
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "bob@acme.test" in body and "carol@acme.test" not in body


def test_page_export_of_an_unknown_format_redirects_back(acme, log):
    client = web_login(acme, acme.admin_email)

    response = client.get("/console/audit/export/pdf/")

    assert response.status_code == 302 and response["Location"] == "/console/audit/"


def test_page_retention_form_saves_and_refuses(acme, log):
    client = web_login(acme, acme.admin_email)

    saved = client.post("/console/audit/settings/", {"retention_days": "400"})
    refused = client.post("/console/audit/settings/", {"retention_days": "3"})

    assert saved.status_code == 302
    assert refused.status_code == 400 and "Between 90 and 3650 days." in refused.content.decode()
    assert client.get("/api/v1/audit/settings").json()["retention_days"] == 400


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_page_refuses_non_administrators_and_hides_the_link(acme, log, role):
    person = acme.user(role)
    client = web_login(acme, person.email)

    assert client.get("/console/audit/").status_code == 403
    assert client.get("/console/audit/export/csv/").status_code == 403
    assert client.post("/console/audit/settings/", {"retention_days": "400"}).status_code == 403
    assert 'href="/console/audit/"' not in client.get("/", follow=True).content.decode()


def test_page_refuses_another_tenants_administrator(acme, globex, log):
    client = web_login(globex, globex.admin_email)

    response = client.get("/console/audit/", HTTP_HOST=acme.host)
    anonymous = acme.client().get("/console/audit/")

    assert response.status_code in (302, 403)
    assert b"carol@acme.test" not in response.content
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


# --- platform staff, read-only ---------------------------------------------------------------------


@pytest.fixture
def staff_console(db):
    with schema_context("public"):
        staff = User.objects.create_superuser("ops@platform.test", PASSWORD)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    with schema_context("public"):
        client.force_login(staff)
    client.staff = staff
    return client


def test_platform_staff_read_a_tenants_log_and_the_visit_is_logged(acme, globex, log, staff_console):
    start = last_id(acme)

    page = staff_console.get("/platform/tenants/acme/audit/", {"actor": "bob@"})
    partial = staff_console.get("/platform/tenants/acme/audit/", {"page": "1"}, HTTP_HX_REQUEST="true")

    text = page.content.decode()
    assert page.status_code == 200
    assert f'data-action="{AuditAction.EXPORT_DOWNLOADED}"' in text and "carol@acme.test" not in text
    assert "/console/audit/export/" not in text and 'name="retention_days"' not in text  # read-only
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    visit = only_row(acme, AuditAction.PLATFORM_AUDIT_VIEWED, start)
    assert visit.actor_kind == ActorKind.PLATFORM and visit.actor_email == "ops@platform.test"
    assert visit.extra == {"filters": {"actor": "bob@"}}
    assert b"acme.test" not in staff_console.get("/platform/tenants/globex/audit/").content


def test_platform_audit_page_refuses_non_staff(acme, log):
    response = Client(HTTP_HOST=settings.PLATFORM_DOMAIN).get("/platform/tenants/acme/audit/")
    tenant_host = web_login(acme, acme.admin_email).get("/platform/tenants/acme/audit/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert tenant_host.status_code == 404
