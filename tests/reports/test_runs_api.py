"""Report runs over the API: POST /api/v1/reports/runs → 202, the Celery task renders it,
GET /api/v1/reports/runs/{id} gives a signed link, the link downloads (and only the link)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django_tenants.utils import tenant_context

from apps.reports.models import ReportRun
from apps.reports.services import runs as run_services
from apps.reports.tasks_delivery import render_run_task
from tests.factories import QueueFactory
from tests.reports import framework_report

RUNS = "/api/v1/reports/runs"


@pytest.fixture(autouse=True)
def report():
    framework_report.install()
    yield
    framework_report.uninstall()


def _request(api, capture, **body):
    payload = {"report": framework_report.CODE, "format": "csv", "since": "2026-11-01", "until": "2026-11-02", **body}
    with capture(execute=True):
        return api.post(RUNS, payload, format="json")


def test_task_is_named():
    assert render_run_task.name == "reports.render_run"


def test_run_is_accepted_rendered_and_downloaded(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        queue = QueueFactory(name="售后")
    supervisor = acme.user("supervisor")
    api = acme.api(supervisor)

    response = _request(api, django_capture_on_commit_callbacks, filters={"queue": [queue.pk]})
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]

    detail = api.get(f"{RUNS}/{run_id}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["status"] == "done", body
    assert body["params"]["queue"] == [queue.pk]
    assert body["size"] > 0

    link = urlsplit(body["download_url"])
    anonymous = acme.client()  # no token: the signature is the authority
    download = anonymous.get(f"{link.path}?{link.query}")
    assert download.status_code == 200
    content = b"".join(download.streaming_content).decode("utf-8")
    assert "售后" in content
    assert download["Content-Disposition"].startswith("attachment")


def test_pdf_run(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        QueueFactory(name="Sales")
    api = acme.api(acme.user("supervisor"))
    response = _request(api, django_capture_on_commit_callbacks, format="pdf")
    assert response.status_code == 202
    with tenant_context(acme.tenant):
        run = ReportRun.objects.get(pk=response.json()["id"])
        assert run.status == "done" and run.file.read(4) == b"%PDF"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"report": "nope"}, "report"),
        ({"report": ""}, "report"),
        ({"format": "docx"}, "format"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "until"),
        ({"since": "2026-11-02T10:00", "until": "2026-11-02T10:00"}, "until"),
        ({"since": "soon"}, "since"),
        ({"filters": {"queue": [987654]}}, "queue"),
        ({"filters": {"queue": ["x"]}}, "queue"),
        ({"filters": "queue=1"}, "filters"),
    ],
)
def test_bad_input_is_400_with_field_messages_and_creates_nothing(
    acme, django_capture_on_commit_callbacks, body, field
):
    api = acme.api(acme.user("supervisor"))
    response = _request(api, django_capture_on_commit_callbacks, **body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    with tenant_context(acme.tenant):
        assert not ReportRun.objects.exists()


def test_roles(acme, django_capture_on_commit_callbacks):
    agent_api = acme.api(acme.user("agent"))
    assert _request(agent_api, django_capture_on_commit_callbacks).status_code == 403
    assert acme.api().post(RUNS, {}, format="json").status_code in (401, 403)


def test_department_roles_run_only_the_reports_they_may_read(acme, django_capture_on_commit_callbacks):
    """The framework report is for supervisors and administrators: HR, trainers and QA analysts
    pass the API's role check but their request names a report they may not read."""
    for role in ("hr", "trainer", "qa"):
        response = _request(acme.api(acme.user(role)), django_capture_on_commit_callbacks)
        assert response.status_code == 400, (role, response.content)
        assert "report" in response.json()["fields"]
    with tenant_context(acme.tenant):
        assert not ReportRun.objects.exists()
    framework_report.FrameworkTestReport.roles = ("hr", "supervisor", "tenant_admin")
    try:
        assert _request(acme.api(acme.user("hr")), django_capture_on_commit_callbacks).status_code == 202
    finally:
        del framework_report.FrameworkTestReport.roles


def test_only_the_requester_or_an_admin_reads_a_run(acme, django_capture_on_commit_callbacks):
    requester = acme.user("supervisor")
    run_id = _request(acme.api(requester), django_capture_on_commit_callbacks).json()["id"]

    other_supervisor = acme.api(acme.user("supervisor"))
    assert other_supervisor.get(f"{RUNS}/{run_id}").status_code == 404
    admin = acme.api(acme.admin())
    assert admin.get(f"{RUNS}/{run_id}").status_code == 200


def test_another_tenants_run_is_not_found(acme, globex, django_capture_on_commit_callbacks):
    run_id = _request(acme.api(acme.admin()), django_capture_on_commit_callbacks).json()["id"]
    globex_admin = globex.api(globex.admin())
    with tenant_context(globex.tenant):
        assert not ReportRun.objects.filter(pk=run_id).exists()
    assert globex_admin.get(f"{RUNS}/{run_id}").status_code == 404


def test_tampered_expired_and_foreign_links_are_refused(acme, globex, django_capture_on_commit_callbacks):
    api = acme.api(acme.admin())
    run_id = _request(api, django_capture_on_commit_callbacks).json()["id"]
    link = urlsplit(api.get(f"{RUNS}/{run_id}").json()["download_url"])
    token = parse_qs(link.query)["token"][0]

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert acme.client().get(f"{link.path}?token={tampered}").status_code == 403
    assert acme.client().get(link.path).status_code == 403
    # The token of run N does not open run N+1.
    other = acme.client().get(f"{RUNS}/{run_id + 1}/download?token={token}")
    assert other.status_code == 403
    # The same link on another tenant's host.
    foreign = globex.client().get(f"{link.path}?{link.query}")
    assert foreign.status_code in (403, 404)
    assert foreign.status_code != 200
    # Expired.
    with tenant_context(acme.tenant):
        with pytest.raises(Exception) as caught:
            run_services.run_for_download(run_id=run_id, token=token, max_age=-1)
        assert getattr(caught.value, "code", "") == "link_expired"
    # A genuine signature with another salt is not a download link.
    forged = signing.TimestampSigner(salt="something-else").sign_object({"s": acme.tenant.schema_name, "r": run_id})
    assert acme.client().get(f"{link.path}?token={forged}").status_code == 403


def test_a_failing_report_is_a_failed_run_with_its_error(acme, django_capture_on_commit_callbacks):
    framework_report.FrameworkTestReport.fail_with = RuntimeError("the warehouse is closed")
    api = acme.api(acme.admin())
    run_id = _request(api, django_capture_on_commit_callbacks).json()["id"]
    body = api.get(f"{RUNS}/{run_id}").json()
    assert body["status"] == "failed"
    assert "the warehouse is closed" in body["error"]
    assert body["download_url"] is None


def test_old_runs_and_their_files_are_purged(acme, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.core.files.storage import default_storage

    from apps.reports.tasks_delivery import runs_purge_task

    api = acme.api(acme.admin())
    old_id = _request(api, django_capture_on_commit_callbacks).json()["id"]
    new_id = _request(api, django_capture_on_commit_callbacks).json()["id"]
    with tenant_context(acme.tenant):
        old = ReportRun.objects.get(pk=old_id)
        ReportRun.objects.filter(pk=old_id).update(created_at=old.created_at - dt.timedelta(days=36))
        assert default_storage.exists(old.file.name)

    assert runs_purge_task.name == "reports.runs_purge"
    runs_purge_task()

    with tenant_context(acme.tenant):
        assert list(ReportRun.objects.values_list("pk", flat=True)) == [new_id]
        assert not default_storage.exists(old.file.name)


def test_a_download_is_audited(acme, django_capture_on_commit_callbacks):
    from apps.audit.models import AuditEntry

    requester = acme.user("supervisor")
    api = acme.api(requester)
    run_id = _request(api, django_capture_on_commit_callbacks).json()["id"]
    link = urlsplit(api.get(f"{RUNS}/{run_id}").json()["download_url"])
    assert acme.client().get(f"{link.path}?{link.query}").status_code == 200
    with tenant_context(acme.tenant):
        entry = AuditEntry.objects.filter(action="export.downloaded").latest("pk")
        assert entry.actor_id == requester.pk
        assert entry.target_id == str(run_id)


def test_an_xlsx_too_big_for_one_sheet_is_refused(acme, monkeypatch):
    from apps.core import exports
    from apps.reports import registry

    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    with tenant_context(acme.tenant):
        QueueFactory(), QueueFactory()
        params = registry.ReportParams.from_query({})
        with pytest.raises(registry.TooLarge):
            registry.render_report(registry.get(framework_report.CODE), params, "xlsx")
        registry.render_report(registry.get(framework_report.CODE), params, "csv")  # CSV has no limit
