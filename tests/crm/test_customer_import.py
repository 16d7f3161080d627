"""Customer imports: the header preview and suggested mapping, mapping validation, the background
import with dedupe by phone/e-mail, custom fields and rejected rows, the error report, resume after a
checkpoint, retry and cancel, the API and the pages."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context
from openpyxl import Workbook

from apps.audit.models import AuditEntry
from apps.core.errors import ApplicationError
from apps.crm.choices import CustomerImportStatus
from apps.crm.models import Customer, CustomerImport
from apps.crm.services import customer_create
from apps.crm.services.custom_fields import custom_field_create
from apps.crm.services.customer_import_jobs import (
    customer_import_cancel,
    customer_import_refresh,
    customer_import_retry,
)
from apps.crm.services.customer_imports import customer_import_run, customer_import_start, customer_import_upload
from tests.accounts.helpers import web_login

HEADER = ["姓名", "手机号", "邮箱", "标签", "会员等级", "身份证号"]


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        custom_field_create(actor=None, key="level", label="会员等级", field_type="choice", choices=["金卡", "银卡"])
        custom_field_create(actor=None, key="id_no", label="身份证号", field_type="text", sensitive=True, unique=True)
        yield acme


def csv_upload(rows: list[list[str]], name: str = "customers.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def xlsx_upload(rows: list[list[str]]) -> SimpleUploadedFile:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("customers.xlsx", buffer.getvalue())


ROWS = [
    HEADER,
    ["Li Lei", "138 0013 8000", "li@example.com", "投诉;回访", "金卡", "110101199003071234"],
    ["Han Meimei", "13900139000", "", "", "银卡", ""],
    ["Twin of Li", "+86 138 0013 8000", "", "", "", ""],  # duplicate of row 2 by phone
    ["Bad level", "13700137000", "", "", "铜卡", ""],  # not a choice
    ["", "13600136000", "", "", "", ""],  # no name
    ["Mail twin", "", "LI@example.com", "", "", ""],  # duplicate of row 2 by e-mail
    ["No contact", "", "", "", "", ""],  # neither phone nor e-mail
    ["Old customer", "13500135000", "", "", "", ""],  # already a customer
    ["ID twin", "13400134000", "", "", "", "110101199003071234"],  # unique value of row 2
]


def _report(job: CustomerImport) -> dict[int, str]:
    with job.error_report.open("rb") as stored:
        rows = list(csv.reader(io.StringIO(stored.read().decode("utf-8-sig"))))
    return {int(row[0]): row[2] for row in rows[1:]}


def test_upload_reads_the_header_and_suggests_a_mapping(tenant):
    job = customer_import_upload(upload=csv_upload(ROWS), user=tenant.admin())

    assert job.status == CustomerImportStatus.UPLOADED
    assert job.columns == HEADER
    assert job.sample[0][0] == "Li Lei"
    assert job.mapping == {
        "姓名": "name",
        "手机号": "phone",
        "邮箱": "email",
        "标签": "tags",
        "会员等级": "custom.level",
        "身份证号": "custom.id_no",
    }


@pytest.mark.parametrize(
    "mapping",
    [
        {"手机号": "phone"},  # no name
        {"姓名": "name"},  # no phone nor e-mail
        {"姓名": "name", "手机号": "phone", "Nope": "email"},  # no such column
        {"姓名": "name", "手机号": "custom.colour"},  # no such field
        {"姓名": "name", "手机号": "phone", "邮箱": "name"},  # name twice
    ],
)
def test_a_bad_mapping_is_refused_and_nothing_queued(tenant, mapping):
    job = customer_import_upload(upload=csv_upload(ROWS), user=tenant.admin())

    with pytest.raises(ApplicationError) as error:
        customer_import_start(job=job, mapping=mapping)

    assert "mapping" in error.value.fields
    job.refresh_from_db()
    assert job.status == CustomerImportStatus.UPLOADED


def test_a_file_that_is_not_a_spreadsheet_is_refused(tenant):
    with pytest.raises(ApplicationError) as error:
        customer_import_upload(upload=SimpleUploadedFile("customers.pdf", b"%PDF"), user=None)

    assert "file" in error.value.fields
    assert not CustomerImport.objects.exists()


def test_import_dedupes_validates_and_reports_each_rejected_row(tenant):
    customer_create(name="Old customer", phones=["13500135000"])
    job = customer_import_upload(upload=csv_upload(ROWS), user=tenant.admin())
    customer_import_start(job=job, mapping=job.mapping, user=tenant.admin())

    job = customer_import_run(job.pk)

    assert job.status == CustomerImportStatus.DONE
    assert (job.rows_processed, job.rows_imported, job.rows_duplicate, job.rows_invalid) == (9, 2, 3, 4)
    li = Customer.objects.get(name="Li Lei")
    assert li.phones == ["13800138000"]
    assert li.emails == ["li@example.com"]
    assert li.tags == ["投诉", "回访"]
    assert li.custom == {"level": "金卡", "id_no": "110101199003071234"}
    assert Customer.objects.get(name="Han Meimei").custom == {"level": "银卡"}
    report = _report(job)
    assert sorted(report) == [4, 5, 6, 7, 8, 9, 10]
    assert "Duplicate of row 2" in report[4]
    assert "custom.level" in report[5]
    assert "name" in report[6]
    assert "Duplicate of row 2" in report[7]
    assert "No phone number or e-mail" in report[8]
    assert "Already a customer: Old customer" in report[9]
    assert "身份证号" in report[10]
    assert AuditEntry.objects.filter(action="customer_import.started", target_id=str(job.pk)).exists()


def test_import_reads_xlsx_and_owner_emails(tenant):
    agent = tenant.user("agent")
    rows = [
        ["Name", "Mobile", "Owner"],
        ["Lin Tao", "13300133000", agent.email.upper()],
        ["Gu Yu", "13300133001", "x@y.z"],
    ]
    job = customer_import_upload(
        upload=xlsx_upload(rows), mapping={"Name": "name", "Mobile": "phone", "Owner": "owner"}, user=None
    )

    job = customer_import_run(job.pk)

    assert job.rows_imported == 1
    assert Customer.objects.get(name="Lin Tao").owner_user_id == agent.pk
    assert "x@y.z" in _report(job)[3]


def test_a_second_run_resumes_after_the_checkpoint(tenant):
    rows = [["name", "phone"], ["A", "13100131000"], ["B", "13100131001"]]
    job = customer_import_upload(upload=csv_upload(rows), mapping={"name": "name", "phone": "phone"}, user=None)
    CustomerImport.objects.filter(pk=job.pk).update(rows_checkpoint=2)  # row 2 committed by an earlier run

    job = customer_import_run(job.pk)

    assert list(Customer.objects.values_list("name", flat=True)) == ["B"]
    assert customer_import_run(job.pk).rows_imported == 1  # done: a redelivered task does nothing


def test_a_lost_worker_is_stalled_then_retried_or_cancelled(tenant, settings):
    rows = [["name", "phone"], ["A", "13100131000"]]
    job = customer_import_upload(upload=csv_upload(rows), mapping={"name": "name", "phone": "phone"}, user=None)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALL_SECONDS + 60)
    CustomerImport.objects.filter(pk=job.pk).update(status=CustomerImportStatus.IMPORTING, heartbeat_at=long_ago)

    job = customer_import_refresh(CustomerImport.objects.get(pk=job.pk))
    assert job.status == CustomerImportStatus.STALLED

    job = customer_import_retry(job=job)
    assert job.status == CustomerImportStatus.QUEUED
    assert customer_import_run(job.pk).status == CustomerImportStatus.DONE
    with pytest.raises(ApplicationError) as error:
        customer_import_cancel(job=job)
    assert error.value.code == "invalid_state"


def test_a_cancelled_import_stops_and_keeps_what_it_imported(tenant):
    rows = [["name", "phone"], ["A", "13100131000"]]
    job = customer_import_upload(upload=csv_upload(rows), mapping={"name": "name", "phone": "phone"}, user=None)

    customer_import_cancel(job=job)
    job = customer_import_run(job.pk)

    assert job.status == CustomerImportStatus.CANCELLED
    assert not Customer.objects.exists()


# --- API and pages ---------------------------------------------------------------------------------------


def test_api_upload_start_and_error_report(tenant):
    client = tenant.api(tenant.user("supervisor"))

    uploaded = client.post("/api/v1/customer-imports", {"file": csv_upload(ROWS)}, format="multipart")
    pk = uploaded.json()["id"]
    started = client.post(
        f"/api/v1/customer-imports/{pk}/import", {"mapping": uploaded.json()["mapping"]}, format="json"
    )
    with tenant_context(tenant.tenant):
        customer_import_run(pk)  # the Celery task (on commit, which a test transaction never reaches)
    shown = client.get(f"/api/v1/customer-imports/{pk}").json()
    report = client.get(f"/api/v1/customer-imports/{pk}/errors")

    assert uploaded.status_code == 201
    assert started.status_code == 202
    assert shown["status"] == "done"
    assert shown["rows_imported"] == 3
    assert shown["has_error_report"] is True
    assert report.status_code == 200
    with tenant_context(tenant.tenant):
        assert AuditEntry.objects.filter(action="export.downloaded", extra__kind="import_error_report").exists()


def test_api_refuses_a_bad_mapping_with_400(tenant):
    client = tenant.api(tenant.admin())
    pk = client.post("/api/v1/customer-imports", {"file": csv_upload(ROWS)}, format="multipart").json()["id"]

    response = client.post(f"/api/v1/customer-imports/{pk}/import", {"mapping": {"姓名": "phone"}}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"]["mapping"]


def test_another_tenant_cannot_see_an_import(tenant, globex):
    job = customer_import_upload(upload=csv_upload(ROWS), user=None)

    assert globex.api(globex.admin()).get(f"/api/v1/customer-imports/{job.pk}").status_code == 404


def test_import_pages_upload_and_map(tenant):
    client = web_login(tenant, tenant.admin_email)

    uploaded = client.post("/customers/imports/", {"file": csv_upload(ROWS)})
    with tenant_context(tenant.tenant):
        job = CustomerImport.objects.get()
    page = client.get(f"/customers/imports/{job.pk}/").content.decode()
    mapped = client.post(
        f"/customers/imports/{job.pk}/",
        {"column_0": "name", "column_1": "phone", "column_2": "", "column_3": "", "column_4": "", "column_5": ""},
    )

    assert uploaded.status_code == 302
    assert "Li Lei" in page  # the first rows
    assert mapped.status_code == 302
    with tenant_context(tenant.tenant):
        job.refresh_from_db()
    assert job.status == CustomerImportStatus.QUEUED
    assert job.mapping == {"姓名": "name", "手机号": "phone"}
    assert web_login(tenant, tenant.user("agent").email).get("/customers/imports/").status_code == 403
