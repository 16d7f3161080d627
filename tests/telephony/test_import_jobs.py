"""Import jobs are idempotent and never stay "running": a task that dies mid-import resumes after
its last committed batch (no row imported or reported twice), a duplicate delivery does nothing,
a lost job is marked stalled (beat task, or on read) and can be retried or cancelled from the API
and the page; a file that kills its worker every time fails after IMPORT_MAX_ATTEMPTS."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.choices import Role
from apps.telephony.choices import ContactListStatus
from apps.telephony.models import Contact, ContactList, DoNotCall, DoNotCallImport, ImportRowError
from apps.telephony.services.campaigns import contact_import
from apps.telephony.services.campaigns import dnc_import as dnc_import_service
from apps.telephony.services.campaigns.contact_import import contact_list_import, contact_list_upload
from apps.telephony.services.campaigns.dnc_import import dnc_import_run, dnc_import_upload
from apps.telephony.services.campaigns.import_jobs import import_jobs_mark_stalled
from apps.telephony.tasks import import_jobs_mark_stalled_task
from tests.accounts.helpers import web_login
from tests.telephony.campaign_factories import make_campaign

# 12 data rows: 9 good numbers, a bad one, an empty phone and an in-file duplicate.
ROWS = [["name", "phone"]]
ROWS += [[f"n{i}", f"1380000{i:04d}"] for i in range(1, 10)]
ROWS += [["bad", "12345"], ["empty", ""], ["dup", "13800000003"]]


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing in the import may catch it."""


def csv_file(rows=ROWS) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile("list.csv", buffer.getvalue().encode())


def error_rows(job) -> list[list[str]]:
    with job.error_report.open("rb") as stored:
        return list(csv.reader(io.StringIO(stored.read().decode("utf-8-sig"))))[1:]


def age(model, pk: int, minutes: int = 10) -> None:
    model.objects.filter(pk=pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=minutes))


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(contact_import, "BATCH_SIZE", 3)
    monkeypatch.setattr(dnc_import_service, "BATCH_SIZE", 3)


@pytest.fixture
def killed_after(monkeypatch):
    """Kill the worker when the n-th batch is about to be written (earlier ones are committed)."""

    def arm(batches: int, name: str = "_import_batch_rows", module=contact_import):
        real = getattr(module, name)
        calls = {"n": 0}

        def dying(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] > batches:
                raise WorkerKilled
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, dying)
        return lambda: monkeypatch.setattr(module, name, real)

    return arm


def queued_list(campaign) -> ContactList:
    return contact_list_upload(campaign=campaign, upload=csv_file(), mapping={"name": "name", "phone": "phone"})


def test_an_import_killed_mid_way_resumes_after_its_checkpoint_with_every_row_once(tenant, small_batches, killed_after):
    campaign = make_campaign()
    contact_list = queued_list(campaign)
    revive = killed_after(2)

    with pytest.raises(WorkerKilled):
        contact_list_import(contact_list.pk)

    contact_list.refresh_from_db()
    assert (contact_list.status, contact_list.rows_checkpoint, contact_list.rows_imported) == ("importing", 7, 6)
    revive()
    # The redelivered task while the first worker's heartbeat is fresh: not its job to run.
    assert contact_list_import(contact_list.pk).rows_checkpoint == 7
    age(ContactList, contact_list.pk)

    contact_list = contact_list_import(contact_list.pk)

    assert contact_list.status == ContactListStatus.DONE
    phones = list(Contact.objects.filter(contact_list=contact_list).values_list("phone", flat=True))
    assert sorted(phones) == [f"+861380000{i:04d}" for i in range(1, 10)]
    assert (contact_list.rows_processed, contact_list.rows_imported) == (12, 9)
    assert (contact_list.rows_invalid, contact_list.rows_duplicate, contact_list.attempts) == (2, 1, 2)
    assert error_rows(contact_list) == [
        ["11", "12345", "Not a valid phone number."],
        ["12", "", "No phone number."],
        ["13", "13800000003", "Duplicate of an earlier row."],
    ]
    assert not ImportRowError.objects.exists()  # folded into the report


def test_a_task_delivered_again_after_the_import_finished_does_nothing(tenant):
    contact_list = contact_list_import(queued_list(make_campaign()).pk)

    again = contact_list_import(contact_list.pk)

    assert again.status == ContactListStatus.DONE and again.attempts == 1
    assert Contact.objects.filter(contact_list=contact_list).count() == 9


def test_a_file_that_kills_its_worker_every_time_fails_after_the_attempts(tenant, settings, killed_after):
    settings.IMPORT_MAX_ATTEMPTS = 2
    contact_list = queued_list(make_campaign())
    killed_after(0)
    for _attempt in range(2):
        with pytest.raises(WorkerKilled):
            contact_list_import(contact_list.pk)
        age(ContactList, contact_list.pk)

    contact_list = contact_list_import(contact_list.pk)

    assert contact_list.status == ContactListStatus.FAILED
    assert contact_list.error_message.startswith("The import was started 2 times and never finished")


def test_the_beat_task_marks_lost_jobs_of_every_tenant_stalled(acme, globex):
    with tenant_context(acme.tenant):
        contact_list = queued_list(make_campaign())
        ContactList.objects.filter(pk=contact_list.pk).update(status=ContactListStatus.IMPORTING)
        age(ContactList, contact_list.pk)
        fresh = queued_list(make_campaign(name="fresh"))

    with schema_context("public"):
        assert import_jobs_mark_stalled_task() == 1

    with tenant_context(acme.tenant):
        contact_list.refresh_from_db()
        assert contact_list.status == ContactListStatus.STALLED
        assert contact_list.error_message.startswith("The import's worker stopped answering")
        assert ContactList.objects.get(pk=fresh.pk).status == ContactListStatus.QUEUED


def test_the_stalled_message_is_written_in_the_companys_language(acme):
    acme.tenant.default_language = "zh-hans"  # the request or beat process that notices speaks English
    with tenant_context(acme.tenant):
        contact_list = queued_list(make_campaign())
        ContactList.objects.filter(pk=contact_list.pk).update(status=ContactListStatus.IMPORTING)
        age(ContactList, contact_list.pk)
        import_jobs_mark_stalled()
        contact_list.refresh_from_db()
    assert contact_list.error_message.startswith("执行导入的后台进程")


def test_the_api_shows_a_lost_job_stalled_and_retries_it(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        contact_list = queued_list(make_campaign())
        age(ContactList, contact_list.pk)
    api = acme.api(acme.admin())
    url = f"/api/v1/contact-lists/{contact_list.pk}"

    assert api.get(url).json()["status"] == "stalled"
    assert acme.api(acme.user(Role.SUPERVISOR)).post(f"{url}/retry").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        retried = api.post(f"{url}/retry")

    assert retried.status_code == 202
    body = api.get(url).json()
    assert (body["status"], body["rows_imported"], body["rows_checkpoint"]) == ("done", 9, 13)
    refused = api.post(f"{url}/retry")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_state"


def test_the_api_cancels_a_job_and_its_task_then_does_nothing(acme):
    with tenant_context(acme.tenant):
        contact_list = queued_list(make_campaign())
    api = acme.api(acme.admin())

    response = api.post(f"/api/v1/contact-lists/{contact_list.pk}/cancel")

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    with tenant_context(acme.tenant):
        assert contact_list_import(contact_list.pk).status == ContactListStatus.CANCELLED
        assert not Contact.objects.exists()
    assert api.post(f"/api/v1/contact-lists/{contact_list.pk}/cancel").status_code == 400


def test_a_cancel_stops_a_running_import_at_its_next_batch(tenant, small_batches, monkeypatch):
    contact_list = queued_list(make_campaign())
    real = contact_import._import_batch
    calls = {"n": 0}

    def cancelled_before_the_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the administrator's cancel commits between two batches
            ContactList.objects.filter(pk=contact_list.pk).update(status=ContactListStatus.CANCELLED)
        return real(*args, **kwargs)

    monkeypatch.setattr(contact_import, "_import_batch", cancelled_before_the_second_batch)

    contact_list = contact_list_import(contact_list.pk)

    assert contact_list.status == ContactListStatus.CANCELLED
    assert contact_list.finished_at is not None
    assert (contact_list.rows_checkpoint, contact_list.rows_imported) == (4, 3)
    assert Contact.objects.filter(contact_list=contact_list).count() == 3


def test_another_tenant_cannot_retry_or_cancel(acme, globex):
    with tenant_context(acme.tenant):
        contact_list = queued_list(make_campaign())
    api = globex.api(globex.admin())
    for action in ("retry", "cancel"):
        assert api.post(f"/api/v1/contact-lists/{contact_list.pk}/{action}").status_code == 404


def test_the_page_offers_retry_and_cancel_for_a_stalled_import(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        contact_list = queued_list(make_campaign())
        age(ContactList, contact_list.pk)
    admin = web_login(acme, acme.admin_email)

    progress = admin.get(f"/console/campaigns/lists/{contact_list.pk}/progress/").content.decode()

    assert 'data-status="stalled"' in progress
    assert f"/console/campaigns/lists/{contact_list.pk}/retry/" in progress
    assert f"/console/campaigns/lists/{contact_list.pk}/cancel/" in progress
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/console/campaigns/lists/{contact_list.pk}/retry/")
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        contact_list.refresh_from_db()
        assert (contact_list.status, contact_list.rows_imported) == (ContactListStatus.DONE, 9)


def test_a_dnc_import_killed_mid_way_resumes_with_every_number_once(tenant, small_batches, killed_after):
    rows = [["phone"], *[[f"1390000{i:04d}"] for i in range(1, 8)], ["bad"], ["13900000001"]]
    dnc_import = dnc_import_upload(upload=csv_file(rows))
    revive = killed_after(1, name="dnc_bulk_add", module=dnc_import_service)

    with pytest.raises(WorkerKilled):
        dnc_import_run(dnc_import.pk)

    dnc_import.refresh_from_db()
    assert (dnc_import.rows_checkpoint, dnc_import.rows_added) == (4, 3)
    revive()
    age(DoNotCallImport, dnc_import.pk)

    dnc_import = dnc_import_run(dnc_import.pk)

    assert dnc_import.status == ContactListStatus.DONE
    assert DoNotCall.objects.count() == 7
    assert (dnc_import.rows_processed, dnc_import.rows_added, dnc_import.rows_invalid) == (9, 7, 1)
    assert dnc_import.rows_duplicate == 1
    assert error_rows(dnc_import) == [["9", "bad", "Not a valid phone number."]]


def test_the_dnc_page_offers_retry_for_a_stalled_import(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        dnc_import = dnc_import_upload(upload=csv_file([["phone"], ["13900000001"]]))
        age(DoNotCallImport, dnc_import.pk)
        DoNotCallImport.objects.filter(pk=dnc_import.pk).update(status=ContactListStatus.IMPORTING)
        assert import_jobs_mark_stalled() == 1
    admin = web_login(acme, acme.admin_email)

    table = admin.get("/console/campaigns/dnc/imports/").content.decode()
    assert f"/console/campaigns/dnc/imports/{dnc_import.pk}/retry/" in table
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(f"/console/campaigns/dnc/imports/{dnc_import.pk}/retry/").status_code == 302

    with tenant_context(acme.tenant):
        assert DoNotCallImport.objects.get(pk=dnc_import.pk).status == ContactListStatus.DONE
        assert DoNotCall.objects.filter(number="+8613900000001").exists()
