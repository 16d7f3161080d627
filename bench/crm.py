"""CRM benchmark: the ticket list with filters over a million tickets, and the customer import rate
(issue 17 item 7).

Run from the repository root after ``manage.py migrate_schemas`` (``make run`` does it):
``.venv/bin/python bench/crm.py`` in a database of its own, ``contactcenter_bench_crm`` on the
server of ``make run`` (the embedded one under .data/ unless DATABASE_URL is set), created and
migrated on first use, and in its own tenant ``bench-crm`` there. Options: ``--tickets 1000000``,
``--runs 20`` (requests per query shape), ``--reuse`` (keep the loaded tickets when the tenant
already holds exactly ``--tickets``). The knowledge-base search has its own benchmark
(bench/crm_kb.py).

What it does:

1. Sets up the tenant: 8 categories with their SLA targets, 20 departments each on a team of 10
   agents (200 agents), 5 supervisors, 50,000 customers.
2. Empties the tenant's tickets and loads ``--tickets`` with ``COPY … FROM STDIN``: received over
   the last two years (day curve of a contact center), a priority mix of 10 % low, 60 % normal,
   22 % high, 8 % urgent, due times and warning points computed by the real business clock of the
   company's hours and holiday calendar (apps/crm/services/ticket_sla.py ``due_times`` rules), and
   statuses by age: older tickets closed (a few still resolved), the last weeks' spread over
   received, assigned, supervised, in progress and resolved; about 12 % missed a target. The
   secondary indexes are dropped for the load and built after it; then ``VACUUM ANALYZE``.
3. Times ``GET /api/v1/tickets`` through the whole HTTP stack (Django's handler, token
   authentication, the tenant, the FilterSet, pagination with its count, serialization) for the
   filter shapes a contact center uses — no filter, ``status``, ``status=open``, ``assignee``,
   ``breached``, ``due=overdue|soon``, ``department`` + ``status``, ``category`` + ``priority``,
   page 5 — as an administrator (every ticket) and as an agent (their own and their department's:
   ``assignee=me``, ``status=open``, none), ``--runs`` times each after a warm-up.

4. Imports a CSV of ``--import-rows`` customers (100,000 by default; 0 skips it) through the
   customer import (apps/crm/services/customer_imports.py): the upload's header preview, then the
   job's body as the Celery worker runs it — reading, validating every row (name, numbers,
   e-mail, tags, a choice field and a unique sensitive 身份证号), dedupe against the tenant's
   customers and the file by phone and e-mail, batches of 2,000 committed with their checkpoint.
   1 % of the rows repeat an earlier row's number and 0.5 % carry a bad value, so the error report
   is written too. The customers of the previous run are deleted first. ``--skip-tickets`` runs
   this step alone.

The list's ``count`` is exact up to 10,000 tickets and PostgreSQL's estimate beyond
(apps/crm/paging.py): the figures include that count query.

Measured (1,000,000 tickets, a shared two-core machine): ``ticket_list_p95_ms`` 62.3 (p50 27.9);
``customer_import_rate`` 2,108.6 rows/s (100,000 rows in 47.4 s beside 50,000 customers).

Ends with one JSON line: ``tickets``, ``load_seconds``, ``ticket_list_p50_ms``,
``ticket_list_p95_ms`` (over every request), ``ticket_list_max_ms``, ``per_query_p95_ms``, and
``customer_import_rows``, ``customer_import_seconds``, ``customer_import_rate`` (rows per second).
Target: ``ticket_list_p95_ms`` ≤ 200.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import logging
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

BENCH_DATABASE = "contactcenter_bench_crm"


def _bench_database() -> None:
    """A database of its own (created and migrated on first use), so a million tickets never land
    in the development database."""
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

# Without DEBUG's cursor wrapper: it records every query and its copy() takes no COPY parameters.
settings.DEBUG = False
logging.getLogger("django.request").setLevel(logging.ERROR)

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from apps.accounts.models import Team, User  # noqa: E402
from apps.accounts.services import token_create  # noqa: E402
from apps.crm.choices import TicketPriority, TicketStatus  # noqa: E402
from apps.crm.models import Customer, CustomField, Department, SlaTarget, Ticket, TicketCategory, TicketCounter  # noqa: E402
from apps.crm.services.custom_fields import custom_field_create  # noqa: E402
from apps.crm.services.customer_imports import customer_import_run, customer_import_upload  # noqa: E402
from apps.crm.services.ticket_sla import WARN_FRACTION, sla_clock  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services.provisioning import tenant_provision  # noqa: E402

SLUG = "bench-crm"
PASSWORD = "Bench!Crm-2026"
CATEGORIES = ["咨询 Enquiry", "投诉 Complaint", "报修 Repair", "账单 Billing", "建议 Suggestion", "退换 Returns"]
CATEGORIES += ["开通 Activation", "其他 Other"]
DEPARTMENTS = 20
AGENTS_PER_DEPARTMENT = 10
CUSTOMERS = 50_000
PRIORITIES = [
    (TicketPriority.LOW, 10),
    (TicketPriority.NORMAL, 60),
    (TicketPriority.HIGH, 22),
    (TicketPriority.URGENT, 8),
]
TARGETS = {"low": (480, 2700), "normal": (240, 1620), "high": (60, 540), "urgent": (30, 240)}
DAYS = 730
# local hour -> relative weight of tickets received (calls peak 10:00–11:00 and 14:00–16:00)
HOURS = [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 2.5, 5, 7, 7, 5, 5.5, 6.5, 6.5, 6, 5, 4, 3, 2.5, 2, 1, 0.3]


def tenant() -> Tenant:
    print("migrating the bench database (public schema) …", flush=True)
    call_command("migrate_schemas", "--shared", verbosity=0)
    found = Tenant.objects.filter(slug=SLUG).first()
    if found is not None:
        call_command("migrate_schemas", "--tenant", "--schema", found.schema_name, verbosity=0)
        return found
    print(f"provisioning tenant {SLUG!r} …", flush=True)
    return tenant_provision(
        company="Bench CRM",
        slug=SLUG,
        admin_email=f"admin@{SLUG}.test",
        admin_password=PASSWORD,
        seats=2,
        plan="standard",
        language="en",
    ).tenant


def setup() -> dict:
    """Categories, departments on teams, agents, supervisors, customers (idempotent)."""
    categories = []
    for name in CATEGORIES:
        category, _created = TicketCategory.objects.get_or_create(name=name)
        for priority, (first, resolution) in TARGETS.items():
            SlaTarget.objects.update_or_create(
                category=category,
                priority=priority,
                defaults={"first_response_minutes": first, "resolution_minutes": resolution},
            )
        categories.append(category.pk)
    existing = set(User.objects.filter(email__startswith="bench-").values_list("email", flat=True))
    people = [
        User(email=f"bench-agent-{i:03d}@{SLUG}.test", name=f"Agent {i:03d}", roles=["agent"], password="!")
        for i in range(DEPARTMENTS * AGENTS_PER_DEPARTMENT)
    ] + [
        User(email=f"bench-sup-{i}@{SLUG}.test", name=f"Supervisor {i}", roles=["supervisor"], password="!")
        for i in range(5)
    ]
    User.objects.bulk_create([user for user in people if user.email not in existing])
    agents = list(User.objects.filter(email__startswith="bench-agent-").order_by("email"))
    supervisors = list(User.objects.filter(email__startswith="bench-sup-").order_by("email"))
    departments = []
    for index in range(DEPARTMENTS):
        team, created = Team.objects.get_or_create(name=f"Bench team {index:02d}")
        members = agents[index * AGENTS_PER_DEPARTMENT : (index + 1) * AGENTS_PER_DEPARTMENT]
        if created:
            team.members.add(*members)
            team.supervisors.add(supervisors[index % len(supervisors)])
        department, _created = Department.objects.get_or_create(
            name=f"Bench department {index:02d}", defaults={"team": team}
        )
        departments.append((department.pk, [user.pk for user in members]))
    have = Customer.objects.filter(name__startswith="Bench customer").count()
    if have < CUSTOMERS:
        Customer.objects.bulk_create(
            [Customer(name=f"Bench customer {i:05d}", phones=[f"+86139{i:08d}"]) for i in range(have, CUSTOMERS)],
            batch_size=5000,
        )
    customers = list(Customer.objects.filter(name__startswith="Bench customer").values_list("pk", flat=True))
    return {
        "categories": categories,
        "departments": departments,
        "agents": [user.pk for user in agents],
        "supervisors": [user.pk for user in supervisors],
        "customers": customers,
    }


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


COLUMNS = [
    "number",
    "title",
    "description",
    "customer_id",
    "category_id",
    "priority",
    "status",
    "assignee_id",
    "department_id",
    "created_by_id",
    "resolution",
    "received_at",
    "created_at",
    "updated_at",
    "first_response_minutes",
    "resolution_minutes",
    "first_response_due",
    "first_response_warn_at",
    "first_response_at",
    "resolution_due",
    "resolution_warn_at",
    "resolved_at",
    "closed_at",
    "first_response_warned",
    "resolution_warned",
    "first_response_breached",
    "resolution_breached",
    "breached",
    "supervision_count",
    "supervised_at",
    "escalation_level",
    "escalated_at",
    "escalation_due",
    "reopen_count",
]
RECENT_STATES, RECENT_WEIGHTS = zip(
    *[
        (TicketStatus.CLOSED, 60),
        (TicketStatus.RESOLVED, 20),
        (TicketStatus.IN_PROGRESS, 15),
        (TicketStatus.SUPERVISED, 5),
    ],
    strict=True,
)
OPEN_MIX = [
    (TicketStatus.RECEIVED, 15),
    (TicketStatus.ASSIGNED, 25),
    (TicketStatus.SUPERVISED, 10),
    (TicketStatus.IN_PROGRESS, 35),
    (TicketStatus.RESOLVED, 15),
]


def _rows(count: int, plan: dict, now: dt.datetime, sequence: dict[int, int], clock):
    """One list of column values per ticket, oldest first; ``sequence`` counts numbers per year.
    ``clock`` is built before the COPY starts: the generator runs inside it, where the connection
    can run no other query."""
    rng = random.Random(17)
    zone = clock.clock.zone
    start = (now - dt.timedelta(days=DAYS)).astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    hour_weights = list(HOURS)
    priorities, weights = zip(*PRIORITIES, strict=True)
    open_states, open_weights = zip(*OPEN_MIX, strict=True)
    day_of: list[int] = sorted(rng.randrange(DAYS) for _ in range(count))
    for index in range(count):
        received = start + dt.timedelta(
            days=day_of[index], hours=rng.choices(range(24), hour_weights)[0], minutes=rng.randrange(60)
        )
        received = received.astimezone(dt.UTC)
        if received > now:
            received = now - dt.timedelta(minutes=rng.randrange(1, 600))
        priority = rng.choices(priorities, weights)[0]
        first, resolution = TARGETS[priority]
        first_due, resolution_due = clock.add(received, first), clock.add(received, resolution)
        first_warn = clock.add(received, first * WARN_FRACTION)
        resolution_warn = clock.add(received, resolution * WARN_FRACTION)
        department, members = plan["departments"][rng.randrange(len(plan["departments"]))]
        age_days = (now - received).total_seconds() / 86400
        if age_days > 30:
            status = TicketStatus.RESOLVED if rng.random() < 0.03 else TicketStatus.CLOSED
        elif age_days > 2:
            status = rng.choices(RECENT_STATES, RECENT_WEIGHTS)[0]
        else:
            status = rng.choices(open_states, open_weights)[0]
        late = rng.random() < 0.12
        assignee = None if status == TicketStatus.RECEIVED else rng.choice(members)
        first_at = resolved_at = closed_at = None
        if status not in (TicketStatus.RECEIVED, TicketStatus.ASSIGNED):
            if late:
                first_at = first_due + dt.timedelta(minutes=rng.randrange(5, 300))
            else:
                first_at = received + (first_due - received) * rng.random()
            first_at = min(first_at, now)
        if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            if late:
                resolved_at = resolution_due + dt.timedelta(hours=rng.randrange(1, 48))
            else:
                resolved_at = received + (resolution_due - received) * rng.random()
            resolved_at = min(max(resolved_at, first_at), now)
        if status == TicketStatus.CLOSED:
            closed_at = min(resolved_at + dt.timedelta(hours=rng.randrange(1, 72)), now)
        first_breached = first_at > first_due if first_at is not None else now > first_due
        resolution_breached = resolved_at > resolution_due if resolved_at is not None else now > resolution_due
        breached = first_breached or resolution_breached
        year = received.astimezone(zone).year
        sequence[year] = sequence.get(year, 0) + 1
        yield [
            f"T-{year}-{sequence[year]:06d}",
            f"Bench ticket {index}",
            "",
            plan["customers"][rng.randrange(len(plan["customers"]))],
            plan["categories"][rng.randrange(len(plan["categories"]))],
            priority,
            status,
            assignee,
            department,
            rng.choice(plan["agents"]),
            "",
            received,
            received,
            closed_at or resolved_at or first_at or received,
            first,
            resolution,
            first_due,
            first_warn,
            first_at,
            resolution_due,
            resolution_warn,
            resolved_at,
            closed_at,
            first_warn <= now,
            resolution_warn <= now,
            first_breached,
            resolution_breached,
            breached,
            1 if breached and status != TicketStatus.CLOSED else 0,
            None,
            1 if breached else 0,
            None,
            None,
            0,
        ]


def load(count: int, plan: dict) -> float:
    """Empty the tickets and COPY ``count`` new ones; returns the seconds it took."""
    began = time.perf_counter()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE crm_ticket, crm_ticketcounter RESTART IDENTITY CASCADE")
        # Every secondary index that backs no constraint: dropped for the load, built after it from
        # the model (so an interrupted run heals on the next one).
        cursor.execute(
            "SELECT i.relname FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = 'crm_ticket' AND t.relnamespace = current_schema()::regnamespace "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
    clock = sla_clock(None)
    clock.add(now - dt.timedelta(days=DAYS + 1), 60)  # reads the hours and the calendar now
    batch = io.StringIO()
    written = 0
    sequence: dict[int, int] = {}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        sql = f"COPY crm_ticket ({', '.join(COLUMNS)}) FROM STDIN"
        with raw.copy(sql) as copy:
            for row in _rows(count, plan, now, sequence, clock):
                batch.write("\t".join(_copy_text(value) for value in row) + "\n")
                written += 1
                if written % 50_000 == 0:
                    copy.write(batch.getvalue())
                    batch = io.StringIO()
                    print(f"  {written:,} tickets", flush=True)
            copy.write(batch.getvalue())
    with connection.schema_editor() as editor:
        statements = [str(statement) for statement in editor._model_indexes_sql(Ticket)]
    print(f"building {len(statements)} indexes …", flush=True)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    TicketCounter.objects.bulk_create([TicketCounter(year=year, last=last) for year, last in sequence.items()])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE crm_ticket")
    return time.perf_counter() - began


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure(host: str, token_admin: str, token_agent: str, plan: dict, runs: int) -> dict[str, list[float]]:
    department, members = plan["departments"][3]
    assignee = members[0]
    category = plan["categories"][2]
    shapes = {
        "admin: none": (token_admin, ""),
        "admin: status=in_progress": (token_admin, "status=in_progress"),
        "admin: status=open": (token_admin, "status=open"),
        "admin: status=closed": (token_admin, "status=closed"),
        "admin: assignee": (token_admin, f"assignee={assignee}"),
        "admin: assignee+status=open": (token_admin, f"assignee={assignee}&status=open"),
        "admin: breached=true": (token_admin, "breached=true"),
        "admin: due=overdue": (token_admin, "due=overdue"),
        "admin: due=soon": (token_admin, "due=soon"),
        "admin: department+status": (token_admin, f"department={department}&status=in_progress"),
        "admin: category+priority": (token_admin, f"category={category}&priority=urgent"),
        "admin: page 5": (token_admin, "status=closed&page=5"),
        "agent: none": (token_agent, ""),
        "agent: assignee=me": (token_agent, "assignee=me"),
        "agent: status=open": (token_agent, "status=open"),
    }
    client = Client(HTTP_HOST=host)
    timings: dict[str, list[float]] = {}
    for name, (token, query) in shapes.items():
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
        for _ in range(3):  # warm-up
            response = client.get(f"/api/v1/tickets?{query}", **headers)
            assert response.status_code == 200, (name, response.status_code, response.content[:300])
        samples = []
        for _ in range(runs):
            began = time.perf_counter()
            response = client.get(f"/api/v1/tickets?{query}", **headers)
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        timings[name] = samples
        print(
            f"  {name:32s} p50 {statistics.median(samples):7.1f} ms  p95 {percentile(samples, 0.95):7.1f} ms  count {response.json()['count']:,}",
            flush=True,
        )
    return timings


IMPORT_PREFIX = "Imported customer"


def _import_file(rows: int) -> bytes:
    """A CSV of ``rows`` customers: 1 % repeat an earlier row's number, 0.5 % have a bad level."""
    buffer = io.StringIO()
    buffer.write("姓名,手机号,邮箱,标签,会员等级,身份证号\n")
    randomness = random.Random(17)
    for index in range(rows):
        number = index - 1 if index and randomness.random() < 0.01 else index
        level = "铜卡" if randomness.random() < 0.005 else ("金卡", "银卡", "普通")[index % 3]
        buffer.write(
            f"{IMPORT_PREFIX} {index:06d},+86137{number:08d},c{index}@example.com,导入;2026,{level},"
            f"110101{19600101 + index % 9000:08d}{index:04d}\n"[:200]
        )
    return buffer.getvalue().encode("utf-8")


def measure_import(rows: int) -> dict:
    """The customer import's rate: upload (header preview) and the job as the worker runs it."""
    for key, label, kind, extra in (
        ("level", "会员等级", "choice", {"choices": ["金卡", "银卡", "普通"]}),
        ("id_no", "身份证号", "text", {"sensitive": True, "unique": True}),
    ):
        if not CustomField.objects.filter(key=key).exists():
            custom_field_create(actor=None, key=key, label=label, field_type=kind, **extra)
    with connection.cursor() as cursor:  # the previous run's customers (nothing refers to them)
        cursor.execute(f"DELETE FROM {Customer._meta.db_table} WHERE name LIKE %s", [IMPORT_PREFIX + "%"])  # noqa: S608 -- the table is the model's
    content = _import_file(rows)
    started = time.perf_counter()
    job = customer_import_upload(upload=SimpleUploadedFile("customers.csv", content, content_type="text/csv"))
    mapping = {"姓名": "name", "手机号": "phone", "邮箱": "email", "标签": "tags", "会员等级": "custom.level"}
    job.mapping = {**mapping, "身份证号": "custom.id_no"}
    job.status = "queued"
    job.save(update_fields=["mapping", "status"])
    job = customer_import_run(job.pk)
    seconds = time.perf_counter() - started
    print(
        f"  {job.rows_processed:,} rows in {seconds:.1f} s: {job.rows_imported:,} imported, "
        f"{job.rows_duplicate:,} duplicates, {job.rows_invalid:,} invalid ({job.status})",
        flush=True,
    )
    return {
        "customer_import_rows": job.rows_processed,
        "customer_import_seconds": round(seconds, 1),
        "customer_import_rate": round(job.rows_processed / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--skip-tickets", action="store_true", help="only the customer import")
    args = parser.parse_args()
    if args.skip_tickets:
        with tenant_context(tenant()):
            print(f"importing {args.import_rows:,} customers …", flush=True)
            print(json.dumps(measure_import(args.import_rows), ensure_ascii=False))
        return

    bench_tenant = tenant()
    host = f"{bench_tenant.slug}.{settings.PLATFORM_DOMAIN}"
    with tenant_context(bench_tenant):
        print("setting up categories, departments, agents, customers …", flush=True)
        plan = setup()
        load_seconds = 0.0
        if args.reuse and Ticket.objects.count() == args.tickets:
            print(f"reusing {args.tickets:,} tickets", flush=True)
        else:
            print(f"loading {args.tickets:,} tickets …", flush=True)
            load_seconds = load(args.tickets, plan)
            print(f"loaded in {load_seconds:.1f} s", flush=True)
        admin = User.objects.get(email=f"admin@{SLUG}.test")
        agent = User.objects.get(pk=plan["departments"][3][1][0])
        token_admin, token_agent = token_create(user=admin).raw, token_create(user=agent).raw
        imported = {}
        if args.import_rows:
            print(f"importing {args.import_rows:,} customers …", flush=True)
            imported = measure_import(args.import_rows)
    connection.set_schema_to_public()
    print("timing GET /api/v1/tickets …", flush=True)
    timings = measure(host, token_admin, token_agent, plan, args.runs)
    every = [value for samples in timings.values() for value in samples]
    result = {
        "tickets": args.tickets,
        "load_seconds": round(load_seconds, 1),
        "requests": len(every),
        "ticket_list_p50_ms": round(statistics.median(every), 1),
        "ticket_list_p95_ms": round(percentile(every, 0.95), 1),
        "ticket_list_max_ms": round(max(every), 1),
        "per_query_p95_ms": {name: round(percentile(samples, 0.95), 1) for name, samples in timings.items()},
        **imported,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
