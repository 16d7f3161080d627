"""Contact-list and do-not-call uploads cannot take a process down: the request reads a bounded
prefix and answers a clear 400 (API) or a form error (page); the worker parses with limits; the
CSV importer keeps doubled quotes; rejected values are neutralised in the error report."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from apps.telephony.choices import ContactListStatus
from apps.telephony.models import Contact, ContactList, DoNotCallImport
from apps.telephony.services.campaigns.contact_import import (
    contact_list_import,
    contact_list_start,
    contact_list_upload,
)
from tests.accounts.helpers import web_login
from tests.telephony.campaign_factories import make_campaign
from tests.telephony.upload_bombs import csv_without_newline, shared_strings_bomb_xlsx, zip_bomb_xlsx

TOO_LARGE = "At most 1 MB: split the list, or ask your operator about a larger limit."


@pytest.fixture
def small_limits(settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024 * 1024
    settings.IMPORT_PREVIEW_BYTES = 64 * 1024
    settings.IMPORT_MAX_LINE_CHARS = 64 * 1024
    return settings


@pytest.fixture
def admin_api(acme):
    return acme.api(acme.admin())


def campaign_in(world):
    with tenant_context(world.tenant):
        return make_campaign(running=False)


def error_rows(contact_list: ContactList) -> list[list[str]]:
    with contact_list.error_report.open("rb") as stored:
        return list(csv.reader(io.StringIO(stored.read().decode("utf-8-sig"))))[1:]


def test_doubled_quotes_survive_the_import(acme):
    with tenant_context(acme.tenant):
        campaign = make_campaign()
        data = b'name,phone\r\n"=HYPERLINK(""http://x"",""y"")",13800138000\r\n"Li ""Lee""",bad\r\n'
        contact_list = contact_list_upload(
            campaign=campaign, upload=SimpleUploadedFile("l.csv", data), mapping={"name": "name", "phone": "phone"}
        )
        contact_list = contact_list_import(contact_list.pk)

        assert Contact.objects.get(contact_list=contact_list).name == '=HYPERLINK("http://x","y")'
        assert error_rows(contact_list) == [["3", "bad", "Not a valid phone number."]]


def test_the_error_report_neutralises_what_the_uploader_typed(acme):
    with tenant_context(acme.tenant):
        campaign = make_campaign()
        data = b'phone\r\n=cmd|" /C calc"!A0\r\n@SUM(1)\r\n'
        contact_list = contact_list_upload(
            campaign=campaign, upload=SimpleUploadedFile("l.csv", data), mapping={"phone": "phone"}
        )
        contact_list = contact_list_import(contact_list.pk)

        assert [row[1] for row in error_rows(contact_list)] == ['\'=cmd|" /C calc"!A0', "'@SUM(1)"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("big.csv", b"phone\n" + b"13800138000\n" * 100_000, TOO_LARGE),
        (
            "nonl.csv",
            csv_without_newline(0) + b"a" * (200 * 1024),
            "The first line of the file is longer than 65536 bytes.",
        ),
        (
            "bomb.xlsx",
            zip_bomb_xlsx(expanded_mb=30),
            "The XLSX file expands to too much data; split it or save it as CSV.",
        ),
        ("empty.csv", b"", "empty"),
    ],
)
def test_the_api_answers_a_400_with_the_file_field(acme, admin_api, small_limits, name, data, message):
    campaign = campaign_in(acme)

    response = admin_api.post(
        "/api/v1/contact-lists", {"campaign": campaign.pk, "file": SimpleUploadedFile(name, data)}, format="multipart"
    )
    dnc = admin_api.post("/api/v1/dnc-imports", {"file": SimpleUploadedFile(name, data)}, format="multipart")

    for answer in (response, dnc):
        assert answer.status_code == 400
        body = answer.json()
        assert body["code"] in ("invalid", "invalid_file") and message in str(body["fields"]["file"])
    with tenant_context(acme.tenant):
        assert not ContactList.objects.exists() and not DoNotCallImport.objects.exists()


def test_the_page_shows_a_form_error_and_stores_nothing(acme, small_limits):
    campaign = campaign_in(acme)
    admin = web_login(acme, acme.admin_email)
    upload = SimpleUploadedFile("big.csv", b"phone\n" + b"13800138000\n" * 100_000)

    response = admin.post(f"/console/campaigns/{campaign.pk}/lists/upload/", {"upload-file": upload})

    assert response.status_code == 400
    assert TOO_LARGE in response.content.decode()
    dnc = admin.post(
        "/console/campaigns/dnc/import/",
        {"import-file": SimpleUploadedFile("n.csv", csv_without_newline(0) + b"a" * (200 * 1024))},
    )
    assert dnc.status_code == 400
    assert "The first line of the file is longer than 65536 bytes." in dnc.content.decode()
    with tenant_context(acme.tenant):
        assert not ContactList.objects.exists() and not DoNotCallImport.objects.exists()


def test_the_worker_refuses_a_shared_strings_bomb_that_passed_the_preview(acme, settings):
    settings.IMPORT_MAX_SHARED_STRINGS = 1000
    with tenant_context(acme.tenant):
        campaign = make_campaign()
        upload = SimpleUploadedFile("bomb.xlsx", shared_strings_bomb_xlsx(5000))
        contact_list = contact_list_upload(campaign=campaign, upload=upload)  # the header needs one string
        assert contact_list.columns == ["phone"]
        contact_list_start(contact_list=contact_list, mapping={"phone": "phone"})

        contact_list = contact_list_import(contact_list.pk)

        assert contact_list.status == ContactListStatus.FAILED
        assert contact_list.error_message == "The XLSX file has too many distinct texts; split it or save it as CSV."
        assert not Contact.objects.filter(contact_list=contact_list).exists()


def test_the_worker_refuses_a_csv_whose_later_line_has_no_end(acme, small_limits):
    with tenant_context(acme.tenant):
        campaign = make_campaign()
        data = b"phone\n13800138000\n" + b"1" * (100 * 1024)
        contact_list = contact_list_upload(
            campaign=campaign, upload=SimpleUploadedFile("l.csv", data), mapping={"phone": "phone"}
        )

        contact_list = contact_list_import(contact_list.pk)

        assert contact_list.status == ContactListStatus.FAILED
        assert contact_list.error_message == "A line of the file is longer than 65536 characters."
