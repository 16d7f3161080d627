"""Contact list imports (CSV, XLSX, bad rows, bad files), DNC imports and result exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from openpyxl import Workbook, load_workbook

from apps.core.errors import ApplicationError
from apps.telephony.choices import ContactListStatus
from apps.telephony.models import CampaignExport, Contact, ContactList, DoNotCall
from apps.telephony.services.campaigns import contact_import
from apps.telephony.services.campaigns.contact_import import (
    contact_list_import,
    contact_list_start,
    contact_list_upload,
    mapping_suggest,
)
from apps.telephony.services.campaigns.dnc import dnc_add
from apps.telephony.services.campaigns.dnc_import import dnc_import_upload
from apps.telephony.services.campaigns.results_export import export_csv_chunks, export_rows, export_xlsx_file
from tests.telephony.campaign_factories import make_campaign, make_contact


@pytest.fixture
def tenant(acme):
    with tenant_context(acme.tenant):
        yield acme


def csv_upload(rows: list[list[str]], name: str = "list.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(rows: list[list[object]], name: str = "list.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def error_rows(contact_list: ContactList) -> list[list[str]]:
    with contact_list.error_report.open("rb") as stored:
        text = stored.read().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))[1:]


MAPPING = {"姓名": "name", "手机": "phone", "订单号": "custom.order_no", "时区": "time_zone"}


def test_upload_reads_the_header_and_suggests_a_mapping(tenant):
    campaign = make_campaign()
    upload = csv_upload([["姓名", "手机", "订单号"], ["王伟", "13800138000", "A-1"]])

    contact_list = contact_list_upload(campaign=campaign, upload=upload, name="March")

    assert contact_list.status == ContactListStatus.UPLOADED
    assert contact_list.columns == ["姓名", "手机", "订单号"]
    assert contact_list.sample == [["王伟", "13800138000", "A-1"]]
    assert contact_list.mapping == {"姓名": "name", "手机": "phone", "订单号": "custom.订单号"}
    assert contact_list.file.name.startswith(f"tenants/{tenant.tenant.schema_name}/campaigns/")
    assert not Contact.objects.exists()


def test_import_normalises_numbers_and_reports_every_bad_row(tenant):
    campaign = make_campaign()
    make_contact(campaign, phone="+8613900000009")  # already in the campaign
    dnc_add(number="13700000007")  # tenant-wide do-not-call
    rows = [
        ["姓名", "手机", "订单号", "时区"],
        ["王伟", "138 0013 8000", "A-1", ""],  # 2: ok, Shanghai from the number
        ["Li", "+1 212-555-0123", "A-2", "America/New_York"],  # 3: ok
        ["Zhao", "12345", "A-3", ""],  # 4: invalid number
        ["Qian", "", "A-4", ""],  # 5: no number
        ["Sun", "+86 138-0013-8000", "A-5", ""],  # 6: duplicate of row 2
        ["Zhou", "13900000009", "A-6", ""],  # 7: already in the campaign
        ["Wu", "13700000007", "A-7", ""],  # 8: do-not-call
        ["Zheng", "13600000006", "A-8", "Mars/Olympus"],  # 9: bad time zone
        ["", "", "", ""],  # blank line: skipped silently
        ["Feng", "008613500000005", "A-9", "Asia/Urumqi"],  # 11: ok, 00 prefix
    ]
    contact_list = contact_list_upload(campaign=campaign, upload=csv_upload(rows), mapping=MAPPING)
    assert contact_list.status == ContactListStatus.QUEUED

    contact_list = contact_list_import(contact_list.pk)

    assert contact_list.status == ContactListStatus.DONE
    assert (contact_list.rows_processed, contact_list.rows_imported) == (9, 3)
    assert (contact_list.rows_invalid, contact_list.rows_duplicate, contact_list.rows_dnc) == (3, 2, 1)
    assert contact_list.progress_percent == 100
    imported = {c.phone: c for c in Contact.objects.filter(contact_list=contact_list)}
    assert set(imported) == {"+8613800138000", "+12125550123", "+8613500000005"}
    assert imported["+8613800138000"].name == "王伟"
    assert imported["+8613800138000"].data == {"order_no": "A-1"}
    assert imported["+8613800138000"].time_zone == "Asia/Shanghai"
    assert imported["+12125550123"].time_zone == "America/New_York"
    assert imported["+8613500000005"].time_zone == "Asia/Urumqi"
    assert error_rows(contact_list) == [
        ["4", "12345", "Not a valid phone number."],
        ["5", "", "No phone number."],
        ["6", "'+86 138-0013-8000", "Duplicate of row 2."],  # neutralised: a spreadsheet would compute it
        ["7", "13900000009", "Already in this campaign."],
        ["8", "13700000007", "On the do-not-call list."],
        ["9", "Mars/Olympus", "Unknown time zone."],
    ]


def test_duplicates_across_batches_are_caught_by_the_database(tenant, monkeypatch):
    monkeypatch.setattr(contact_import, "BATCH_SIZE", 2)
    campaign = make_campaign()
    rows = [["phone"], ["13800000001"], ["13800000002"], ["13800000003"], ["13800000001"], ["13800000002"]]
    contact_list = contact_list_upload(campaign=campaign, upload=csv_upload(rows), mapping={"phone": "phone"})

    contact_list = contact_list_import(contact_list.pk)

    assert (contact_list.rows_imported, contact_list.rows_duplicate) == (3, 2)
    assert [row[2] for row in error_rows(contact_list)] == ["Duplicate of an earlier row."] * 2


def test_a_gb18030_csv_from_chinese_excel_imports(tenant):
    campaign = make_campaign()
    upload = csv_upload([["姓名", "手机"], ["张三", "13800000001"]], encoding="gb18030")

    contact_list = contact_list_upload(campaign=campaign, upload=upload, mapping={"姓名": "name", "手机": "phone"})
    contact_list = contact_list_import(contact_list.pk)

    assert contact_list.encoding == "gb18030"
    assert Contact.objects.get(contact_list=contact_list).name == "张三"


def test_xlsx_import_reads_numeric_cells_as_numbers(tenant):
    campaign = make_campaign()
    upload = xlsx_upload([["name", "mobile", "vip"], ["Ann", 13800000001, True], ["Bob", "not a number", None]])

    contact_list = contact_list_upload(campaign=campaign, upload=upload)
    assert contact_list.mapping == {"name": "name", "mobile": "phone", "vip": "custom.vip"}
    contact_list = contact_list_start(contact_list=contact_list, mapping=contact_list.mapping)
    contact_list = contact_list_import(contact_list.pk)

    contact = Contact.objects.get(contact_list=contact_list)
    assert (contact.name, contact.phone, contact.data) == ("Ann", "+8613800000001", {"vip": "True"})
    assert (contact_list.rows_imported, contact_list.rows_invalid, contact_list.rows_total) == (1, 1, 2)


def test_a_damaged_xlsx_is_refused_at_upload_and_nothing_is_stored(tenant):
    campaign = make_campaign()
    upload = SimpleUploadedFile("list.xlsx", b"PK\x03\x04 this is not a workbook")

    with pytest.raises(ApplicationError) as refused:
        contact_list_upload(campaign=campaign, upload=upload)

    assert refused.value.code == "invalid" and "file" in refused.value.fields
    assert not ContactList.objects.exists()


def test_a_file_that_breaks_during_the_import_fails_with_a_message(tenant):
    campaign = make_campaign()
    contact_list = contact_list_upload(
        campaign=campaign, upload=csv_upload([["phone"], ["13800000001"]]), mapping={"phone": "phone"}
    )
    contact_list.file.save("broken.xlsx", io.BytesIO(b"not a zip"), save=False)
    ContactList.objects.filter(pk=contact_list.pk).update(file=contact_list.file.name, file_format="xlsx")

    contact_list = contact_list_import(contact_list.pk)

    assert contact_list.status == ContactListStatus.FAILED
    assert contact_list.error_message == "This is not a readable XLSX file."
    assert not Contact.objects.filter(contact_list=contact_list).exists()


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"name": "name"}, "Map one column to the phone number."),
        ({"phone": "phone", "name": "phone"}, "Columns phone and name both map to phone."),
        ({"phone": "phone", "nope": "name"}, "The file has no column nope."),
        ({"phone": "phone", "name": "salary"}, "salary is not a contact field."),
        ({"phone": "phone", "name": "custom.a b"}, "custom.a b: a custom field is custom.<letters, digits, _>."),
    ],
)
def test_bad_mappings_are_refused_with_a_message(tenant, mapping, message):
    campaign = make_campaign()
    contact_list = contact_list_upload(campaign=campaign, upload=csv_upload([["name", "phone"], ["A", "13800000001"]]))

    with pytest.raises(ApplicationError) as refused:
        contact_list_start(contact_list=contact_list, mapping=mapping)

    assert message in refused.value.fields["mapping"]
    contact_list.refresh_from_db()
    assert contact_list.status == ContactListStatus.UPLOADED


def test_the_import_task_runs_after_commit(tenant, django_capture_on_commit_callbacks):
    campaign = make_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        contact_list = contact_list_upload(
            campaign=campaign, upload=csv_upload([["phone"], ["13800000001"]]), mapping={"phone": "phone"}
        )

    contact_list.refresh_from_db()
    assert contact_list.status == ContactListStatus.DONE
    assert contact_list.rows_imported == 1


def test_mapping_suggestions_know_chinese_and_english_headers():
    assert mapping_suggest(["客户姓名", "联系电话", "Time Zone", "E-mail", "客户编号", "备注"]) == {
        "客户姓名": "name",
        "联系电话": "phone",
        "Time Zone": "time_zone",
        "E-mail": "email",
        "客户编号": "external_id",
        "备注": "custom.备注",
    }


def test_dnc_import_adds_numbers_and_closes_open_contacts(tenant, django_capture_on_commit_callbacks):
    campaign = make_campaign()
    open_contact = make_contact(campaign, phone="+8613800000001")
    dnc_add(number="13800000002")
    upload = csv_upload([["号码", "备注"], ["13800000001", "x"], ["13800000002", ""], ["bad", ""], ["13800000001", ""]])

    with django_capture_on_commit_callbacks(execute=True):
        dnc_import = dnc_import_upload(upload=upload, reason="complaints 2026")

    dnc_import.refresh_from_db()
    assert dnc_import.status == "done" and dnc_import.column == "号码"
    assert (dnc_import.rows_processed, dnc_import.rows_added, dnc_import.rows_invalid, dnc_import.rows_duplicate) == (
        4,
        1,
        1,
        2,
    )
    assert DoNotCall.objects.get(number="+8613800000001").source == "import"
    open_contact.refresh_from_db()
    assert open_contact.status == "dnc"


def test_export_streams_results_as_csv_and_xlsx(tenant):
    campaign = make_campaign()
    make_contact(campaign, phone="+8613800000001", name="王伟", attempts=2, last_outcome="busy", status="retry")
    make_contact(campaign, phone="+8613800000002", name="Li")

    text = "".join(export_csv_chunks(export_rows(campaign)))
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][:6] == ["phone", "name", "external_id", "list", "status", "attempts"]
    assert rows[1][:8] == ["+8613800000001", "王伟", "", "", "retry", "2", "", "busy"]

    workbook = load_workbook(export_xlsx_file(export_rows(campaign)), read_only=True)
    values = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(values) == 3 and values[2][:2] == ("+8613800000002", "Li")
    assert not CampaignExport.objects.exists()  # logging is the API's job, tested there
