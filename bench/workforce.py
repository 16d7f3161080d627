"""Workforce benchmark: the attendance export of 2,000 agents' month (issue 15 item 12), and the
staffing figure of ``bench/workforce_staffing.py``.

Run from the repository root after ``manage.py migrate_schemas`` (``make run`` does it):
``.venv/bin/python bench/workforce.py`` — in a database of its own, ``contactcenter_bench_wf``
on the server of ``make run`` (the embedded one under .data/ unless DATABASE_URL is set),
created and migrated on first use, in its own tenant ``bench-wf``. Options: ``--agents 2000``,
``--reload`` (build the month again even when it is there), ``--no-staffing``.

What it does:

1. Last month's roster for ``--agents`` agents: three shift types (day 09–18, evening 14–22,
   night 22–06 across midnight, and the month's last night across the month's end), five days on
   and two off with a per-agent offset — about 22 published shifts per agent — bulk-inserted.
2. Clock records for every shift (seeded): clock-in 0–20 minutes before the start (about half
   late by the 10-minute rule), clock-out −15…+10 minutes around the end, 2 % of shifts absent,
   1 % without a clock-out; 1 % of agents on a sick spell of 4 scheduled days; 500 approved
   overtime requests spread over the month's kinds of day.
3. **The export** (``attendance_export_seconds``, target ≤ 10): ``GET /api/v1/workforce/attendance
   ?month=…&format=csv`` through the whole Django stack (tenant middleware, HR's session, the
   DRF CSV renderer), timed from the request to the last byte; then JSON and XLSX, and the
   selector alone (``attendance_selector_seconds``).
4. **Staffing** (``staffing_seconds``, target ≤ 2): ``bench/workforce_staffing.py`` (the forecast and
   staffing helper's module) run as its own process on the same bench database and tenant (it
   rolls back what it writes); its JSON line is merged in (skipped with ``--no-staffing``).

Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

BENCH_DATABASE = "contactcenter_bench_wf"


def _bench_database() -> None:
    """A database of its own (created on first use), so 100,000 clock records never land in the
    development database. ``DATABASE_URL`` set: that server, database ``contactcenter_bench_wf``."""
    import psycopg  # noqa: PLC0415

    if "DATABASE_URL" in os.environ:
        base = os.environ["DATABASE_URL"]
    else:
        from config.embedded import database_url  # noqa: PLC0415 -- starts the embedded server

        base = database_url()
    head, _, tail = base.partition("?")
    admin = head.rsplit("/", 1)[0] + "/postgres" + (f"?{tail}" if tail else "")
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    os.environ["DATABASE_URL"] = head.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}" + (f"?{tail}" if tail else "")


_bench_database()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False
settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
logging.getLogger("apps").setLevel(logging.WARNING)

from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from apps.accounts.choices import Role  # noqa: E402
from apps.accounts.models import User  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services.provisioning import tenant_provision  # noqa: E402
from apps.workforce import rules  # noqa: E402
from apps.workforce.choices import ClockKind, ClockSource, LeaveKind, RequestStatus, ShiftStatus  # noqa: E402
from apps.workforce.models import ClockEvent, LeaveRequest, OvertimeRequest, Shift, ShiftType  # noqa: E402
from apps.workforce.selectors.attendance import attendance_month  # noqa: E402
from apps.workforce.selectors.policy import tenant_zone  # noqa: E402
from apps.workforce.services.overtime import overtime_day_kind_on  # noqa: E402

SLUG = "bench-wf"
PASSWORD = "Bench!Wf-2026"
PREFIX = "wf-agent-"
TYPES = [("D", "09:00", "18:00", 60), ("E", "14:00", "22:00", 30), ("N", "22:00", "06:00", 30)]
BATCH = 20_000


def tenant() -> Tenant:
    from django.core.management import call_command  # noqa: PLC0415

    print("migrating the bench database …", flush=True)
    call_command("migrate_schemas", "--shared", verbosity=0)
    found = Tenant.objects.filter(slug=SLUG).first()
    if found is not None:
        call_command("migrate_schemas", "--tenant", "--schema", found.schema_name, verbosity=0)
        return found
    print(f"provisioning tenant {SLUG!r} …", flush=True)
    return tenant_provision(
        company="Bench Workforce",
        slug=SLUG,
        admin_email=f"admin@{SLUG}.test",
        admin_password=PASSWORD,
        seats=2,
        plan="standard",
        language="en",
    ).tenant


def agents(count: int) -> list[User]:
    existing = set(User.objects.filter(email__startswith=PREFIX).values_list("email", flat=True))
    User.objects.bulk_create(
        [
            User(email=email, name=f"Agent {i:05d}", roles=[Role.AGENT], password="!")
            for i in range(1, count + 1)
            if (email := f"{PREFIX}{i:05d}@{SLUG}.test") not in existing
        ],
        batch_size=BATCH,
    )
    return list(User.objects.filter(email__startswith=PREFIX).order_by("email")[:count])


def shift_types() -> list[ShiftType]:
    made = []
    for code, start, end, break_minutes in TYPES:
        shift_type, _created = ShiftType.objects.get_or_create(
            code=code,
            defaults={
                "name": code,
                "start": dt.time.fromisoformat(start),
                "end": dt.time.fromisoformat(end),
                "break_minutes": break_minutes,
            },
        )
        made.append(shift_type)
    return made


def empty(since: dt.date, until: dt.date) -> None:
    ClockEvent.objects.all().delete()
    Shift.objects.all().delete()
    LeaveRequest.objects.all().delete()
    OvertimeRequest.objects.all().delete()


@transaction.atomic
def build(people: list[User], since: dt.date, until: dt.date) -> dict[str, int]:
    """The month: shifts, clock records, sick spells and overtime (seeded)."""
    rng = random.Random(15)
    zone = tenant_zone()
    types = shift_types()
    published_at = dt.datetime.combine(since, dt.time(), tzinfo=zone) - dt.timedelta(days=7)
    days = [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]
    shifts: list[Shift] = []
    for index, person in enumerate(people):
        shift_type = types[index % len(types)]
        for number, day in enumerate(days):
            if (number + index) % 7 in (5, 6):
                continue
            start, end = rules.shift_instants(day, shift_type.start, shift_type.end, zone)
            shifts.append(
                Shift(
                    user=person,
                    date=day,
                    shift_type=shift_type,
                    start=start,
                    end=end,
                    break_minutes=shift_type.break_minutes,
                    status=ShiftStatus.PUBLISHED,
                    published_at=published_at,
                )
            )
    Shift.objects.bulk_create(shifts, batch_size=BATCH)
    sick_people = set(rng.sample(range(len(people)), max(1, len(people) // 100)))
    sick_spells: dict[int, list[dt.date]] = {}
    events: list[ClockEvent] = []
    by_user: dict[int, list[Shift]] = {}
    for shift in shifts:
        by_user.setdefault(shift.user_id, []).append(shift)
    for index, person in enumerate(people):
        mine = by_user.get(person.pk, [])
        if index in sick_people and len(mine) > 8:
            first = rng.randrange(0, len(mine) - 4)
            sick_spells[person.pk] = [s.date for s in mine[first : first + 4]]
        for shift in mine:
            if shift.date in sick_spells.get(person.pk, []):
                continue
            roll = rng.random()
            if roll < 0.02:
                continue  # absent
            clock_in = shift.start - dt.timedelta(minutes=rng.uniform(0, 20))
            events.append(ClockEvent(user=person, kind=ClockKind.IN, at=clock_in, source=ClockSource.WEB))
            if roll < 0.03:
                continue  # no clock-out
            clock_out = shift.end + dt.timedelta(minutes=rng.uniform(-15, 10))
            events.append(ClockEvent(user=person, kind=ClockKind.OUT, at=clock_out, source=ClockSource.WEB))
    ClockEvent.objects.bulk_create(events, batch_size=BATCH)
    LeaveRequest.objects.bulk_create(
        [
            LeaveRequest(
                user_id=user_id,
                kind=LeaveKind.SICK,
                start_date=dates[0],
                end_date=dates[-1],
                days=len(dates),
                status=RequestStatus.APPROVED,
            )
            for user_id, dates in sick_spells.items()
        ]
    )
    overtime = []
    for _ in range(500):
        person = rng.choice(people)
        day = rng.choice(days)
        start = dt.datetime.combine(day, dt.time(6, 0), tzinfo=zone)
        overtime.append(
            OvertimeRequest(
                user=person,
                start=start,
                end=start + dt.timedelta(hours=rng.choice((1, 2, 3))),
                reason="bench",
                day_kind=overtime_day_kind_on(day),
                status=RequestStatus.APPROVED,
            )
        )
    OvertimeRequest.objects.bulk_create(overtime)
    return {"shifts": len(shifts), "clock_events": len(events), "sick_spells": len(sick_spells)}


def _timed_get(client: Client, host: str, month: str, file_format: str) -> tuple[float, int, int]:
    began = time.perf_counter()
    response = client.get("/api/v1/workforce/attendance", {"month": month, "format": file_format}, HTTP_HOST=host)
    body = b"".join(getattr(response, "streaming_content", [])) if response.streaming else response.content
    return time.perf_counter() - began, response.status_code, len(body)


def staffing() -> dict:
    """The forecast/staffing helper's benchmark (``bench/workforce_staffing.py``), in its own
    process against the ``make run`` database; its JSON line, or an ``error``."""
    script = ROOT / "bench" / "workforce_staffing.py"
    if not script.exists():
        return {"staffing_seconds": None, "staffing_error": "bench/workforce_staffing.py is missing"}
    # The bench database and tenant (DATABASE_URL points at it now): the module rolls back what it writes.
    done = subprocess.run(  # noqa: S603 -- our own script, fixed arguments
        [sys.executable, str(script), "--tenant", SLUG],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=ROOT,
        timeout=1800,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"staffing_seconds": None, "staffing_error": (done.stderr or done.stdout)[-500:]}
    print(done.stdout.rstrip(), flush=True)
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--no-staffing", action="store_true")
    args = parser.parse_args()

    bench_tenant = tenant()
    host = f"{SLUG}.{settings.PLATFORM_DOMAIN}".split(":")[0]
    result: dict = {"agents": args.agents}
    with tenant_context(bench_tenant):
        zone = tenant_zone()
        today = dt.datetime.now(zone).date()
        since = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        until = today.replace(day=1) - dt.timedelta(days=1)
        month = f"{since:%Y-%m}"
        people = agents(args.agents)
        have = Shift.objects.filter(date__range=(since, until)).values("user_id").distinct().count()
        if args.reload or have != args.agents or Shift.objects.exclude(date__range=(since, until)).exists():
            empty(since, until)
            began = time.perf_counter()
            result.update(build(people, since, until))
            result["load_seconds"] = round(time.perf_counter() - began, 1)
            print(f"built {month}: {result['shifts']:,} shifts, {result['clock_events']:,} clock records", flush=True)
        else:
            result["shifts"] = Shift.objects.count()
            result["clock_events"] = ClockEvent.objects.count()
            print(f"reusing {month}: {result['shifts']:,} shifts, {result['clock_events']:,} clock records", flush=True)
        hr, _created = User.objects.get_or_create(
            email=f"hr@{SLUG}.test", defaults={"name": "HR", "roles": [Role.HR], "password": "!"}
        )
        began = time.perf_counter()
        rows = attendance_month(month)
        result["attendance_selector_seconds"] = round(time.perf_counter() - began, 2)
        result["rows"] = len(rows)
        result["late_shifts"] = sum(row["late_count"] for row in rows)
        result["absent_days"] = sum(row["absent_days"] for row in rows)
        result["sick_deduction_days"] = round(sum(row["sick_deduction_days"] for row in rows), 1)
        client = Client()
        client.force_login(hr)  # the session lives in the tenant's schema
    _timed_get(client, host, month, "json")  # warm: URL modules, the calendar snapshot
    for file_format in ("csv", "json", "xlsx"):
        seconds, status, size = _timed_get(client, host, month, file_format)
        if status != 200:
            raise SystemExit(f"{file_format}: HTTP {status}")
        result[f"attendance_{file_format}_seconds"] = round(seconds, 2)
        result[f"attendance_{file_format}_bytes"] = size
        print(f"attendance export {file_format}: {seconds:.2f} s, {size:,} bytes", flush=True)
    result["attendance_export_seconds"] = result["attendance_csv_seconds"]
    print(
        f"selector alone {result['attendance_selector_seconds']} s for {result['rows']:,} people; "
        f"{result['late_shifts']:,} late shifts, {result['absent_days']:,} absences",
        flush=True,
    )

    # --- staffing: the forecast/staffing helper's module (bench/workforce_staffing.py) ---------
    if not args.no_staffing:
        figures = staffing()
        result["staffing_seconds"] = figures.get("staffing_seconds")
        result["staffing"] = {k: v for k, v in figures.items() if k != "staffing_seconds"}
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
