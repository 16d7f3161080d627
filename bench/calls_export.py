"""Calls export benchmark: rows per second of ``GET /api/v1/calls/export?format=csv``.

Run from the repository root after ``manage.py migrate_schemas`` (``make run`` does it):
``.venv/bin/python bench/calls_export.py`` (the database of ``make run``: the embedded servers
under .data/ unless DATABASE_URL is set). Options: ``--rows 200000``, ``--xlsx-rows 20000``
(0: skip the XLSX figure), ``--keep`` (leave the calls for a look in the UI).

What it does:

1. Provisions the tenant ``bench-export`` if it is missing, with 8 queues, 40 agents, 6
   dispositions, 2 campaigns and 1,000 customers; deletes the calls earlier runs left.
2. Loads ``--rows`` CDRs over the last 30 days with ``COPY … FROM STDIN`` (a realistic mix:
   answered, abandoned, outbound campaign calls, wrap-up, dispositions, notes — some of which
   start with ``=`` so that the cell guard is exercised).
3. Times the CSV export twice: the selector alone (``calls_csv_chunks``, the bytes PostgreSQL's
   COPY writes) and the whole HTTP request through Django's WSGI handler as a supervisor
   (authentication, tenant, audit, streaming response), reading every byte. ``rows_per_s`` is
   the HTTP figure, the one a client sees. Then the XLSX of the first ``--xlsx-rows`` calls.
4. Ends with one JSON line: ``rows``, ``csv_seconds``, ``rows_per_s``, ``selector_rows_per_s``,
   ``csv_mb``, ``xlsx_rows``, ``xlsx_rows_per_s``, ``peak_rss_mb``, ``rss_growth_mb``. The
   target is ``rows_per_s`` ≥ 50,000 (issue 13); memory stays flat whatever the row count.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from apps.accounts.choices import Role  # noqa: E402
from apps.accounts.models import User  # noqa: E402
from apps.accounts.services import token_create  # noqa: E402
from apps.crm.models import Customer  # noqa: E402
from apps.telephony.models import Agent, Call, Campaign, Disposition, Queue  # noqa: E402
from apps.telephony.selectors.calls_export import calls_csv_chunks  # noqa: E402
from apps.telephony.services.campaigns.lifecycle import campaign_create  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services.provisioning import tenant_provision  # noqa: E402

SLUG = "bench-export"
PASSWORD = "Bench!Export-2026"
SEED = 13
QUEUES = 8
AGENTS = 40
CUSTOMERS = 1000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def tenant() -> Tenant:
    found = Tenant.objects.filter(slug=SLUG).first()
    if found is not None:
        return found
    print(f"provisioning tenant {SLUG!r} …", flush=True)
    return tenant_provision(
        company="Bench Export",
        slug=SLUG,
        admin_email=f"admin@{SLUG}.test",
        admin_password=PASSWORD,
        seats=2,
        plan="standard",
        language="en",
    ).tenant


def world() -> dict:
    """Queues, agents, dispositions, campaigns and customers, created once."""
    for index in range(Queue.objects.count(), QUEUES):
        Queue.objects.create(code=f"bench-{index}", name=f"Queue {index} 队列")
    for index in range(Agent.objects.count(), AGENTS):
        user = User.objects.create_user(f"agent{index}@{SLUG}.test", PASSWORD, name=f"坐席 {index}", roles=[Role.AGENT])
        Agent.objects.create(user=user)
    for code, name, resolved in [
        ("sold", "Sold 成交", True),
        ("resolved", "Resolved 已解决", True),
        ("callback", "Call back 回拨", False),
        ("no-interest", "No interest", False),
        ("wrong-number", "=Wrong number", False),
        ("escalated", "Escalated 升级", False),
    ]:
        Disposition.objects.get_or_create(code=code, defaults={"name": name, "is_resolved": resolved})
    queue = Queue.objects.order_by("id").first()
    for index in range(Campaign.objects.count(), 2):
        campaign_create(name=f"Campaign {index} 活动", queue=queue.pk, abandon_message="Bench")
    missing = CUSTOMERS - Customer.objects.count()
    if missing > 0:
        Customer.objects.bulk_create(
            [Customer(name=f"客户 {index}", phones=[f"139{index:08d}"]) for index in range(missing)]
        )
    return {
        "queues": list(Queue.objects.values_list("id", flat=True)),
        "agents": list(Agent.objects.values_list("id", flat=True)),
        "dispositions": list(Disposition.objects.values_list("id", flat=True)),
        "campaigns": list(Campaign.objects.values_list("id", flat=True)),
        "customers": list(Customer.objects.values_list("id", flat=True)),
    }


COLUMNS = [
    "uid",
    "direction",
    "status",
    "caller",
    "callee",
    "queue_id",
    "agent_id",
    "campaign_id",
    "customer_id",
    "priority",
    "arrived_at",
    "queued_at",
    "offered_at",
    "answered_at",
    "ended_at",
    "wrapup_ended_at",
    "wait_seconds",
    "talk_seconds",
    "hold_seconds",
    "wrapup_seconds",
    "ivr_seconds",
    "offer_count",
    "end_reason",
    "abandoned",
    "short_abandon",
    "blocked",
    "answered_within_sl",
    "sl_threshold_seconds",
    "reached_agent_request",
    "disposition_id",
    "notes",
    "survey_score",
    "ivr_path",
    "is_simulated",
]


def _t(value: datetime | None) -> str:
    return value.isoformat() if value else "\\N"


def _v(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def cdr_lines(count: int, ids: dict, start: datetime):
    """Tab-separated COPY text, one CDR a line."""
    rng = random.Random(SEED)
    span = 30 * 86400
    run = uuid.uuid4().hex[:8]
    for index in range(count):
        arrived = start + timedelta(seconds=span * index / count)
        outbound = index % 5 == 0
        queued = arrived + timedelta(seconds=rng.uniform(0, 20))
        answered = rng.random() < 0.85
        wait = rng.uniform(1, 60)
        abandoned = not answered and not outbound
        answered_at = queued + timedelta(seconds=wait) if answered else None
        talk = rng.uniform(30, 600) if answered else 0.0
        hold = rng.choice([0.0, 0.0, rng.uniform(5, 60)]) if answered else 0.0
        ended = (answered_at or queued + timedelta(seconds=wait)) + timedelta(seconds=talk + hold)
        wrapup = rng.uniform(0, 30) if answered else 0.0
        note = rng.choice(["", "", "客户要求回电", "=SUM(A1:A9)", "follow up next week", "-angry"])
        values = [
            f"bench-{run}-{index}",
            "outbound" if outbound else "inbound",
            "ended",
            f"138{rng.randrange(10**8):08d}",
            "4008001000",
            rng.choice(ids["queues"]),
            rng.choice(ids["agents"]) if answered else None,
            rng.choice(ids["campaigns"]) if outbound else None,
            rng.choice(ids["customers"]) if rng.random() < 0.3 else None,
            0,
            _t(arrived),
            _t(None if outbound else queued),
            _t(queued if answered else None),
            _t(answered_at),
            _t(ended),
            _t(ended + timedelta(seconds=wrapup)),
            None if outbound else round(wait, 3),
            round(talk, 3),
            round(hold, 3),
            round(wrapup, 3),
            0.0 if outbound else round((queued - arrived).total_seconds(), 3),
            1 if answered else 0,
            "abandoned" if abandoned else ("completed" if answered else "no_answer"),
            abandoned,
            abandoned and wait <= 5,
            False,
            None if outbound else (answered and wait <= 20),
            None if outbound else 20,
            not outbound,
            rng.choice(ids["dispositions"]) if answered else None,
            note,
            rng.choice([None, None, 3, 4, 5]),
            "[]",
            True,
        ]
        yield "\t".join(_t(v) if isinstance(v, datetime) else (v if isinstance(v, str) else _v(v)) for v in values)


def load(count: int, ids: dict, start: datetime) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Call._meta.db_table}")  # noqa: S608 - a fixed name; the bench tenant's own calls
        statement = f"COPY {Call._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            buffer = io.StringIO()
            for number, line in enumerate(cdr_lines(count, ids, start), 1):
                buffer.write(line)
                buffer.write("\n")
                if number % 20000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        cursor.execute(f"ANALYZE {Call._meta.db_table}")
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (here: the PostgreSQL backend serving this process)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backend_pid() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def main() -> int:
    settings.DEBUG = False  # DEBUG keeps every SQL statement in memory
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--xlsx-rows", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep the calls a --keep run left if they are --rows")
    options = parser.parse_args()

    bench_tenant = tenant()
    host = f"{bench_tenant.slug}.{settings.PLATFORM_DOMAIN}"
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=30)
    with tenant_context(bench_tenant):
        ids = world()
        if options.reuse and Call.objects.count() == options.rows:
            first = Call.objects.order_by("arrived_at").values_list("arrived_at", flat=True).first()
            start, end = first, first + timedelta(days=30)
            print(f"reusing {options.rows:,} CDRs", flush=True)
        else:
            seconds = load(options.rows, ids, start)
            print(f"loaded {options.rows:,} CDRs with COPY in {seconds:.1f} s", flush=True)
        supervisor, _created = User.objects.get_or_create(
            email=f"supervisor@{SLUG}.test", defaults={"name": "Bench", "roles": [Role.SUPERVISOR]}
        )
        token = token_create(user=supervisor).raw

        pid = backend_pid()
        cpu_before = cpu_seconds(pid) + own_cpu_seconds()
        started = time.perf_counter()
        size = sum(len(chunk) for chunk in calls_csv_chunks(since=start, until=end, tz=UTC))
        selector_seconds = time.perf_counter() - started
        selector_cpu = cpu_seconds(pid) + own_cpu_seconds() - cpu_before
    connection.set_schema_to_public()

    baseline = rss_mb()
    client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {token}")
    query = {"since": start.isoformat(), "until": end.isoformat()}
    # The test client would close this process's connection at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    pid = backend_pid()
    cpu_before = cpu_seconds(pid) + own_cpu_seconds()
    started = time.perf_counter()
    response = client.get("/api/v1/calls/export", {**query, "format": "csv"})
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    csv_seconds = time.perf_counter() - started
    csv_cpu = cpu_seconds(pid) + own_cpu_seconds() - cpu_before
    assert response.status_code == 200, response.status_code
    assert lines == options.rows + 1, (lines, options.rows)

    xlsx_rows = min(options.xlsx_rows, options.rows)
    xlsx_rate = None
    if xlsx_rows:
        until = start + timedelta(seconds=30 * 86400 * xlsx_rows / options.rows)
        started = time.perf_counter()
        response = client.get(
            "/api/v1/calls/export", {"since": start.isoformat(), "until": until.isoformat(), "format": "xlsx"}
        )
        size_xlsx = sum(len(chunk) for chunk in response.streaming_content)
        assert response.status_code == 200 and size_xlsx > 0
        xlsx_rate = round(xlsx_rows / (time.perf_counter() - started))
    peak = rss_mb()

    if not (options.keep or options.reuse):
        with tenant_context(bench_tenant), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {Call._meta.db_table}")  # noqa: S608 - a fixed name
    result = {
        "rows": options.rows,
        "csv_seconds": round(csv_seconds, 2),
        "rows_per_s": round(options.rows / csv_seconds),
        "selector_rows_per_s": round(options.rows / selector_seconds),
        # CPU time of this process and its PostgreSQL backend: the rate on an idle machine.
        "cpu_rows_per_s": round(options.rows / csv_cpu),
        "selector_cpu_rows_per_s": round(options.rows / selector_cpu),
        "load_average": round(os.getloadavg()[0], 1),
        "csv_mb": round(size / 1e6, 1),
        "xlsx_rows": xlsx_rows,
        "xlsx_rows_per_s": xlsx_rate,
        "peak_rss_mb": round(peak, 1),
        "rss_growth_mb": round(peak - baseline, 1),
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
