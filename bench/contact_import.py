"""Contact-list import benchmark: a generated 1,000,000-row CSV through the real import service.

Run from the repository root after ``manage.py migrate_schemas`` (``make run`` does it):
``.venv/bin/python bench/contact_import.py`` (the database of ``make run``: the embedded servers
under .data/ unless DATABASE_URL is set). Options: ``--rows 1000000``, ``--format csv|xlsx``,
``--keep`` (leave the campaign and its contacts for a look in the UI). It raises the upload caps
(``IMPORT_MAX_ROWS``, ``IMPORT_MAX_UPLOAD_BYTES``) for itself unless they are set.

What it does:

1. Provisions the tenant ``bench-imp`` if it is missing; deletes the campaigns earlier runs left
   (raw DELETEs: an ORM cascade would load a million rows); puts 1,000 numbers of the file on the
   tenant's do-not-call list.
2. Writes the file to a temporary directory, streaming: name, phone, order number and, on every
   tenth row, a time zone (Asia/Urumqi). One row in 100 is an invalid number, one in 100 repeats
   an earlier number, and the 1,000 do-not-call numbers are spread through the file.
3. Uploads it through ``contact_list_upload`` (as the API does) and runs the import in this
   process with ``contact_list_import`` — the Celery task's body — timing it.
4. Prints the counters, rows/s and peak RSS of this process (``ru_maxrss``) next to the RSS
   before the import, and ends with one JSON line: ``rows``, ``seconds``, ``rows_per_s``,
   ``imported``, ``invalid``, ``duplicate``, ``dnc``, ``peak_rss_mb``, ``baseline_rss_mb``,
   ``rss_growth_mb``. The point of the figure: memory stays flat whatever the file's size.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
# A real list is capped at IMPORT_MAX_ROWS / IMPORT_MAX_UPLOAD_BYTES (200,000 rows, 20 MB by
# default); the benchmark measures the reader beyond that, so it raises the caps for itself.
os.environ.setdefault("IMPORT_MAX_ROWS", "5000000")
os.environ.setdefault("IMPORT_MAX_UPLOAD_BYTES", str(1024 * 1024 * 1024))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import connection  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from apps.telephony.models import Campaign, DoNotCall, Queue  # noqa: E402
from apps.telephony.services.campaigns.contact_import import contact_list_import, contact_list_upload  # noqa: E402
from apps.telephony.services.campaigns.lifecycle import campaign_create  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services.provisioning import tenant_provision  # noqa: E402

SLUG = "bench-imp"
PASSWORD = "Bench!Import-2026"
DNC_NUMBERS = 1000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def tenant() -> Tenant:
    found = Tenant.objects.filter(slug=SLUG).first()
    if found is not None:
        return found
    print(f"provisioning tenant {SLUG!r} …", flush=True)
    return tenant_provision(
        company="Bench Import",
        slug=SLUG,
        admin_email=f"admin@{SLUG}.test",
        admin_password=PASSWORD,
        seats=2,
        plan="standard",
        language="en",
    ).tenant


def purge_campaigns() -> None:
    ids = list(Campaign.objects.values_list("pk", flat=True))
    if not ids:
        return
    with connection.cursor() as cursor:
        for table in (
            "telephony_scheduledcallback",
            "telephony_dialattempt",
            "telephony_contact",
            "telephony_contactlist",
            "telephony_campaignretryrule",
            "telephony_campaignexport",
            "telephony_donotcall",
            "telephony_donotcallimport",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE campaign_id = ANY(%s)", [ids])  # noqa: S608 - fixed names
        cursor.execute("DELETE FROM telephony_campaign WHERE id = ANY(%s)", [ids])


def phone(index: int) -> str:
    return f"13{index:09d}"  # 13000000000 …: valid Chinese mobile numbers


def rows(count: int):
    yield ["姓名", "手机", "订单号", "时区"]
    for index in range(count):
        if index % 100 == 37:
            number = "12345"  # invalid
        elif index % 100 == 71 and index > 100:
            number = phone(index - 50)  # a duplicate of an earlier row
        else:
            number = phone(index)
        zone = "Asia/Urumqi" if index % 10 == 3 else ""
        yield [f"客户{index}", number, f"ORD-{index:07d}", zone]


def dnc_numbers(count: int) -> list[str]:
    step = max(1, count // DNC_NUMBERS)
    return [f"+86{phone(index)}" for index in range(1, count, step) if index % 100 not in (37, 71)][:DNC_NUMBERS]


def write_file(path: Path, count: int, file_format: str) -> None:
    if file_format == "csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            for row in rows(count):
                writer.writerow(row)
        return
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows(count):
        sheet.append(row)
    workbook.save(path)


def main() -> int:
    # config.settings.dev runs with DEBUG on, which keeps every SQL statement in memory
    # (connection.queries): a million-row import would measure that, not the import.
    settings.DEBUG = False
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()

    bench_tenant = tenant()
    with tenant_context(bench_tenant), tempfile.TemporaryDirectory() as directory:
        purge_campaigns()
        campaign = campaign_create(
            name=f"Import bench {time.strftime('%Y-%m-%d %H:%M:%S')}",
            queue=Queue.objects.order_by("id").first().pk,
            abandon_message="Bench",
        )
        DoNotCall.objects.bulk_create(
            [DoNotCall(number=number, campaign=campaign) for number in dnc_numbers(options.rows)],
            ignore_conflicts=True,
        )
        path = Path(directory) / f"contacts.{options.format}"
        started = time.perf_counter()
        write_file(path, options.rows, options.format)
        print(
            f"generated {options.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        with path.open("rb") as handle:
            upload = File(handle, name=path.name)
            contact_list = contact_list_upload(
                campaign=campaign,
                upload=upload,
                mapping={"姓名": "name", "手机": "phone", "订单号": "custom.order_no", "时区": "time_zone"},
            )
        baseline = current_rss_mb()
        started = time.perf_counter()
        contact_list = contact_list_import(contact_list.pk)
        seconds = time.perf_counter() - started
        peak = rss_mb()
        result = {
            "rows": options.rows,
            "format": options.format,
            "status": contact_list.status,
            "seconds": round(seconds, 1),
            "rows_per_s": round(options.rows / seconds),
            "imported": contact_list.rows_imported,
            "invalid": contact_list.rows_invalid,
            "duplicate": contact_list.rows_duplicate,
            "dnc": contact_list.rows_dnc,
            "peak_rss_mb": round(peak, 1),
            "baseline_rss_mb": round(baseline, 1),
            "rss_growth_mb": round(peak - baseline, 1),
        }
        print(
            f"{result['status']}: {result['imported']:,} imported, {result['invalid']:,} invalid, "
            f"{result['duplicate']:,} duplicates, {result['dnc']:,} on do-not-call; "
            f"{seconds:.1f} s = {result['rows_per_s']:,} rows/s; "
            f"peak RSS {peak:.0f} MB (before the import {baseline:.0f} MB)"
        )
        contact_list.file.delete(save=False)
        if contact_list.error_report:
            contact_list.error_report.delete(save=False)
        if not options.keep:
            purge_campaigns()
    print(json.dumps(result))
    return 0 if result["status"] == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
