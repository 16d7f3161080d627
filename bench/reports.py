"""Reports benchmark: ten million CDRs, the KPI rollups, the month's KPI queries, the CSV export
and the PDF of the month's queue report (issue 13 item 9).

Run from the repository root after ``manage.py migrate_schemas`` (``make run`` does it):
``.venv/bin/python bench/reports.py`` in a database of its own, ``contactcenter_bench_kpi`` on the server of ``make run`` (the embedded
one under .data/ unless DATABASE_URL is set), created and migrated on first use, and in its own
tenant ``bench-kpi`` there. Options: ``--cdrs 10000000``, ``--days`` (default: a year —
about 27,000 calls a day, what 100 agents answer; at least 30), ``--runs 20``, ``--reuse`` (keep
the loaded CDRs and rollups when the tenant already holds exactly ``--cdrs``; for repeated query
timings while developing).

What it does:

1. Sets up the tenant's plant: 10 queues, 100 agents (each serving two or three queues), 6
   dispositions (2 resolve the contact), 2 trunks, a number per queue, 2 campaigns, an IVR flow.
2. Empties the tenant's calls and loads ``--cdrs`` synthetic CDRs with COPY: compact rows
   (arrival second, kind, queue, agent, durations, caller, disposition, survey) generated in
   Python go through ``COPY … FROM STDIN`` into an unlogged staging table; one ``INSERT … SELECT``
   turns them into ``telephony_call`` rows (timestamps, the per-call flags apps/telephony/services/cdr.py
   would set). Mix: ~40 % contained in the IVR, ~3 % asked for an agent and hung up in the IVR,
   ~1 % blocked, ~5 % campaign calls, the rest queued (≈85 % answered, the others abandoned —
   a third of them short — or left for a callback); calls follow a day curve (peak 10:00–11:00
   and 14:00–16:00 local); a caller pool of 1.5 M numbers gives realistic repeat calls for FCR.
   Agent states are derived from the handled calls of the last ``--state-days`` (60) days
   (Talking at the answer, Wrap-up at the end, Ready after wrap-up: three per call, ~3 million
   rows; a year's would be ~14 million and only the month is queried); RONA and transfer events
   on a few per cent of calls. Foreign-key triggers are off for the load
   (``session_replication_role``) and secondary indexes are built after it.
3. Builds the rollups for the whole period (``rollups_rebuild_period``), timed.
4. Times ``kpi_table`` for the last 30 whole local days by queue, by agent and by 30-minute
   interval, ``--runs`` times each (p50/p95 in ms).
5. Streams the month's calls export (apps/telephony/selectors/calls_export.py ``calls_csv_chunks``,
   the ``GET /api/v1/calls/export?format=csv`` body) and counts rows per second.
6. Renders the month's ``queue_performance`` report as PDF (apps/reports/registry.render_report).

Ends with one JSON line: ``cdrs``, ``days``, ``month_calls``, ``load_seconds``,
``rollup_seconds``, ``kpi_p50_ms``/``kpi_p95_ms`` per grouping, ``kpi_p95_ms`` (the worst),
``export_rows``, ``export_rows_per_s``, ``pdf_seconds``, ``pdf_bytes``. Targets: ``kpi_p95_ms`` ≤ 1000,
``pdf_seconds`` ≤ 5, ``export_rows_per_s`` ≥ 50,000.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import statistics
import sys
import time
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

BENCH_DATABASE = "contactcenter_bench_kpi"


def _bench_database() -> None:
    """A database of its own (created and migrated on first use), so ten million CDRs never land
    in the development database. ``DATABASE_URL`` set: that server, database ``contactcenter_bench_kpi``."""
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

# Without DEBUG's cursor wrapper: it records every query (ten million rows' worth of COPY) and its
# copy() does not take COPY parameters.
settings.DEBUG = False
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

from django.db import connection, transaction  # noqa: E402
from django.db.models import Min  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.reports import catalog  # noqa: E402, F401  (registers the standard reports)
from apps.reports.registry import ReportParams, get, render_report  # noqa: E402
from apps.reports.selectors.kpis import kpi_table  # noqa: E402
from apps.reports.services.rollups import rollups_rebuild_period  # noqa: E402
from apps.telephony.models import (  # noqa: E402
    Agent,
    Call,
    Campaign,
    Disposition,
    IvrFlow,
    IvrFlowVersion,
    PhoneNumber,
    Queue,
    Trunk,
)
from apps.telephony.selectors.calls_export import calls_csv_chunks  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services.provisioning import tenant_provision  # noqa: E402

SLUG = "bench-kpi"
PASSWORD = "Bench!Kpi-2026"
QUEUES = 10
AGENTS = 100
CALLS_PER_DAY = 27_000
CALLER_POOL = 1_500_000
# local hour -> relative arrival weight (a contact center open 08:00–22:00, two peaks)
HOURS = [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 2.5, 5, 7, 7, 5, 5.5, 6.5, 6.5, 6, 5, 4, 3, 2.5, 2, 1, 0.3]
KIND_IVR, KIND_IVR_AGENT, KIND_BLOCKED, KIND_ANSWERED, KIND_ABANDONED, KIND_CALLBACK, KIND_CAMPAIGN = range(7)


def tenant() -> Tenant:
    from django.core.management import call_command  # noqa: PLC0415

    print("migrating the bench database (public schema) …", flush=True)
    call_command("migrate_schemas", "--shared", verbosity=0)
    found = Tenant.objects.filter(slug=SLUG).first()
    if found is not None:
        call_command("migrate_schemas", "--tenant", "--schema", found.schema_name, verbosity=0)
    if found is not None:
        return found
    print(f"provisioning tenant {SLUG!r} …", flush=True)
    return tenant_provision(
        company="Bench KPI",
        slug=SLUG,
        admin_email=f"admin@{SLUG}.test",
        admin_password=PASSWORD,
        seats=2,
        plan="standard",
        language="en",
    ).tenant


def plant() -> dict:
    """The queues, agents, numbers … the CDRs point at (idempotent)."""
    queues = [
        Queue.objects.get_or_create(code=f"bench-q{i:02d}", defaults={"name": f"Bench queue {i:02d}"})[0]
        for i in range(1, QUEUES + 1)
    ]
    trunks = [Trunk.objects.get_or_create(name=f"bench trunk {i}", defaults={"channels": 120})[0] for i in (1, 2)]
    numbers = [
        PhoneNumber.objects.get_or_create(number=f"+8640088{i:05d}", defaults={"trunk": trunks[i % 2], "queue": queue})[
            0
        ]
        for i, queue in enumerate(queues)
    ]
    existing = set(User.objects.filter(email__startswith="bench-agent-").values_list("email", flat=True))
    User.objects.bulk_create(
        [
            User(email=email, name=f"Agent {i:03d}", roles=["agent"], password="!")
            for i in range(1, AGENTS + 1)
            if (email := f"bench-agent-{i:03d}@{SLUG}.test") not in existing
        ]
    )
    users = list(User.objects.filter(email__startswith="bench-agent-").order_by("email"))
    have = set(Agent.objects.values_list("user_id", flat=True))
    Agent.objects.bulk_create([Agent(user=user) for user in users if user.pk not in have])
    agents = list(Agent.objects.filter(user__in=users).order_by("user__email").values_list("pk", flat=True))
    dispositions = [
        Disposition.objects.get_or_create(
            code=f"bench-d{i}", defaults={"name": f"Bench outcome {i}", "is_resolved": i < 2}
        )[0].pk
        for i in range(6)
    ]
    campaigns = [
        Campaign.objects.get_or_create(name=f"Bench campaign {i}", defaults={"queue": queues[i]})[0].pk for i in (0, 1)
    ]
    flow = IvrFlow.objects.get_or_create(name="Bench flow")[0]
    version = IvrFlowVersion.objects.get_or_create(flow=flow, number=1, defaults={"status": "published", "graph": {}})[
        0
    ]
    rng = random.Random(3)
    serving = {q.pk: [] for q in queues}
    for agent in agents:
        for queue in rng.sample(queues, rng.choice([2, 2, 3])):
            serving[queue.pk].append(agent)
    for queue in queues:
        serving[queue.pk] = serving[queue.pk] or agents[:5]
    return {
        "queues": [q.pk for q in queues],
        "thresholds": {q.pk: (q.sl_threshold_seconds, q.short_abandon_seconds) for q in queues},
        "numbers": {n.queue_id: (n.pk, n.trunk_id) for n in numbers},
        "serving": serving,
        "dispositions": dispositions,
        "campaigns": campaigns,
        "ivr_version": version.pk,
    }


STAGING = """
CREATE UNLOGGED TABLE IF NOT EXISTS bench_call_stage (
    n bigint, arrived bigint, kind smallint, queue_id int, agent_id int, number_id int, trunk_id int,
    campaign_id int, wait real, talk real, hold real, wrapup real, caller bigint, disposition_id int,
    survey smallint, t int, short_limit int, rona boolean, transfer boolean
)
"""

# Timestamps from the staging rows; the flags as apps/telephony/services/cdr.py call_close_compute sets them.
LOAD = """
INSERT INTO telephony_call (
    uid, direction, status, caller, callee, trunk_id, number_id, queue_id, agent_id, campaign_id,
    ivr_version_id, priority, arrived_at, ivr_exited_at, queued_at, offered_at, answered_at, ended_at,
    wrapup_ended_at, wait_seconds, talk_seconds, hold_seconds, wrapup_seconds, ivr_seconds, offer_count,
    end_reason, abandoned, short_abandon, blocked, answered_within_sl, sl_threshold_seconds,
    reached_agent_request, disposition_id, notes, survey_score, ivr_path, is_simulated {extra_columns}
)
SELECT
    'bench-' || s.n,
    CASE WHEN s.kind = 6 THEN 'outbound' ELSE 'inbound' END,
    'ended',
    '1' || lpad(s.caller::text, 10, '0'),
    '4008800000',
    s.trunk_id, CASE WHEN s.kind = 6 THEN NULL ELSE s.number_id END,
    CASE WHEN s.kind IN (3, 4, 5, 6) THEN s.queue_id END,
    CASE WHEN s.kind IN (3, 6) THEN s.agent_id END,
    CASE WHEN s.kind = 6 THEN s.campaign_id END,
    CASE WHEN s.kind IN (0, 1, 3, 4, 5) THEN {ivr_version} END,
    0,
    a.arrived_at,
    CASE WHEN s.kind IN (3, 4, 5) THEN a.queued_at END,
    CASE WHEN s.kind IN (3, 4, 5, 6) THEN a.queued_at END,
    CASE WHEN s.kind IN (3, 6) THEN a.answered_at END,
    CASE WHEN s.kind IN (3, 6) THEN a.answered_at END,
    a.ended_at,
    a.ended_at + CASE WHEN s.kind IN (3, 6) THEN make_interval(secs => s.wrapup) ELSE interval '0' END,
    CASE WHEN s.kind IN (3, 4, 5, 6) THEN s.wait END,
    CASE WHEN s.kind IN (3, 6) THEN s.talk ELSE 0 END,
    CASE WHEN s.kind IN (3, 6) THEN s.hold ELSE 0 END,
    CASE WHEN s.kind IN (3, 6) THEN s.wrapup ELSE 0 END,
    CASE WHEN s.kind = 6 THEN 0 ELSE 8 END,
    CASE WHEN s.kind IN (3, 6) THEN 1 + s.rona::int ELSE 0 END,
    CASE s.kind WHEN 0 THEN 'ivr_end' WHEN 1 THEN 'ivr_hangup' WHEN 2 THEN 'blocked' WHEN 4 THEN 'abandoned'
        WHEN 5 THEN 'callback' ELSE 'completed' END,
    s.kind = 4,
    s.kind = 4 AND s.wait <= s.short_limit,
    s.kind = 2,
    CASE WHEN s.kind IN (3, 4, 5, 6) THEN s.kind IN (3, 6) AND s.wait <= s.t END,
    CASE WHEN s.kind IN (3, 4, 5, 6) THEN s.t END,
    s.kind = 1,
    CASE WHEN s.kind IN (3, 6) THEN s.disposition_id END,
    '',
    CASE WHEN s.kind = 3 AND s.survey > 0 THEN s.survey END,
    '[]'::jsonb,
    FALSE {extra_values}
FROM bench_call_stage s
CROSS JOIN LATERAL (
    SELECT to_timestamp(s.arrived) AS arrived_at,
           to_timestamp(s.arrived + 8) AS queued_at,
           to_timestamp(s.arrived + 8 + s.wait) AS answered_at,
           to_timestamp(s.arrived + CASE WHEN s.kind IN (0, 1) THEN 40 WHEN s.kind = 2 THEN 0
               WHEN s.kind IN (3, 6) THEN 8 + s.wait + s.talk + s.hold ELSE 8 + s.wait END) AS ended_at
) a
"""

EVENTS = """
INSERT INTO telephony_callevent (call_id, at, kind, agent_id, data)
SELECT c.id, c.answered_at, CASE WHEN s.rona THEN 'rona' ELSE 'transferred' END, c.agent_id, '{}'::jsonb
FROM bench_call_stage s JOIN telephony_call c ON c.uid = 'bench-' || s.n
WHERE s.kind = 3 AND (s.rona OR s.transfer)
"""

STATES = """
INSERT INTO telephony_agentstateevent (agent_id, at, from_state, to_state, seconds_in_previous {extra_columns})
SELECT c.agent_id, v.at, v.from_state, v.to_state, 0 {extra_values}
FROM telephony_call c
CROSS JOIN LATERAL (VALUES (c.answered_at, 'ready', 'talking'), (c.ended_at, 'talking', 'wrap_up'),
                           (c.wrapup_ended_at, 'wrap_up', 'ready')) AS v (at, from_state, to_state)
WHERE c.agent_id IS NOT NULL AND c.arrived_at >= %(states_since)s
"""


def extra_not_null(table: str, known: set[str]) -> tuple[str, str]:
    """Columns other migrations added that are NOT NULL without a database default (Django keeps
    defaults in Python): the load gives them the type's zero."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL",
            [table],
        )
        missing = [(name, kind) for name, kind in cursor.fetchall() if name not in known and name != "id"]
    zero = {"boolean": "FALSE", "jsonb": "'{}'::jsonb", "text": "''", "character varying": "''"}
    columns = "".join(f", {name}" for name, _kind in missing)
    values = "".join(f", {zero.get(kind, '0')}" for _name, kind in missing)
    return columns, values


CALL_COLUMNS = {
    "uid",
    "direction",
    "status",
    "caller",
    "callee",
    "trunk_id",
    "number_id",
    "queue_id",
    "agent_id",
    "campaign_id",
    "ivr_version_id",
    "priority",
    "arrived_at",
    "ivr_exited_at",
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
}


def staged_rows(count: int, days: int, first_day: datetime, world: dict, seed: int):
    """Tab-separated staging lines, in chunks of bytes (one ``random()`` per figure: ~10 µs a row)."""
    rng = random.Random(seed)
    rand = rng.random
    queues = world["queues"]
    drawn = tables(world)
    queue_weights = drawn["queue_weights"]
    base = int(first_day.timestamp())
    per_day = count / days
    hour_table, survey_table, kinds = drawn["hours"], drawn["surveys"], drawn["kinds"]
    per_queue = {
        queue: (world["numbers"][queue], world["serving"][queue], world["thresholds"][queue]) for queue in queues
    }
    dispositions = world["dispositions"]
    campaigns = world["campaigns"]
    log = math.log
    lines: list[str] = []
    for start in range(0, count, 50_000):
        size = min(50_000, count - start)
        queue_draws = rng.choices(queues, weights=queue_weights, k=size)
        for offset in range(size):
            n = start + offset
            day = min(int(n / per_day), days - 1)
            arrived = base + day * 86400 + hour_table[int(rand() * len(hour_table))] * 3600 + int(rand() * 3600)
            kind = kinds[int(rand() * 1000)]
            queue = queue_draws[offset]
            (number, trunk), serving, (t, short) = per_queue[queue]
            agent = serving[int(rand() * len(serving))]
            wait = round(-log(1.0 - rand()) * (35 if kind == KIND_ABANDONED else 18), 1)
            talk = round(60 + -log(1.0 - rand()) * 150, 1)
            extra = rand()
            hold = round(extra * 400, 1) if extra < 0.2 else 0.0
            wrapup = round(5 + rand() * 40, 1)
            lines.append(
                f"{n}\t{arrived}\t{kind}\t{queue}\t{agent}\t{number}\t{trunk}\t{campaigns[n % 2]}\t{wait}\t"
                f"{talk}\t{hold}\t{wrapup}\t{int(rand() * CALLER_POOL)}\t{dispositions[n % len(dispositions)]}\t"
                f"{survey_table[int(extra * 100)]}\t{t}\t{short}\t{'t' if extra < 0.03 else 'f'}\t"
                f"{'t' if 0.03 <= extra < 0.05 else 'f'}\n"
            )
        yield "".join(lines).encode()
        lines.clear()


SQL_STAGE = """
INSERT INTO bench_call_stage
SELECT g.n,
    %(base)s + LEAST(floor(g.n / %(per_day)s), %(days)s - 1)::bigint * 86400
        + (%(hours)s::int[])[1 + floor(random() * %(n_hours)s)::int] * 3600 + floor(random() * 3600)::bigint,
    g.kind, q.queue_id, q.agents[1 + floor(random() * array_length(q.agents, 1))::int], q.number_id, q.trunk_id,
    (%(campaigns)s::int[])[1 + g.n %% 2],
    round((-ln(1 - random()) * CASE WHEN g.kind = 4 THEN 35 ELSE 18 END)::numeric, 1),
    round((60 - ln(1 - random()) * 150)::numeric, 1),
    CASE WHEN g.extra < 0.2 THEN round((g.extra * 400)::numeric, 1) ELSE 0 END,
    round((5 + random() * 40)::numeric, 1),
    floor(random() * %(callers)s)::bigint,
    (%(dispositions)s::int[])[1 + g.n %% %(n_dispositions)s],
    (%(surveys)s::int[])[1 + floor(g.extra * 100)::int],
    q.t, q.short_limit, g.extra < 0.03, g.extra >= 0.03 AND g.extra < 0.05
FROM (
    SELECT n, random() AS extra, random() AS rq, (%(kinds)s::int[])[1 + floor(random() * 1000)::int] AS kind
    FROM generate_series(%(first)s, %(last)s) AS n
) g
JOIN bench_queue q ON g.rq >= q.lo AND g.rq < q.hi
"""


def tables(world: dict) -> dict:
    """The draws' lookup tables, shared by both generators (the same distributions)."""
    queues = world["queues"]
    weights = [1.0 / (1 + i * 0.35) for i in range(len(queues))]
    kinds = [KIND_IVR] * 400 + [KIND_IVR_AGENT] * 30 + [KIND_BLOCKED] * 10 + [KIND_CAMPAIGN] * 50
    kinds += [KIND_ANSWERED] * round(510 * 0.85) + [KIND_ABANDONED] * round(510 * 0.12)
    kinds += [KIND_CALLBACK] * (1000 - len(kinds))
    return {
        "queue_weights": weights,
        "hours": [h for h, weight in enumerate(HOURS) for _ in range(round(weight * 10))],
        "surveys": [0] * 70 + [1] * 2 + [2] * 2 + [3] * 4 + [4] * 9 + [5] * 13,
        "kinds": kinds,
    }


def stage_in_sql(count: int, days: int, first_day: datetime, world: dict, seed: int) -> None:
    """The same staging rows drawn by PostgreSQL (``--generator sql``): no Python loop, for a
    full-size run on a busy machine."""
    drawn = tables(world)
    total = sum(drawn["queue_weights"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute(
            "CREATE TEMP TABLE bench_queue (queue_id int, number_id int, trunk_id int, t int, short_limit int, "
            "agents int[], lo float8, hi float8)"
        )
        low = 0.0
        for queue, weight in zip(world["queues"], drawn["queue_weights"], strict=True):
            (number, trunk), (t, short) = world["numbers"][queue], world["thresholds"][queue]
            high = low + weight / total
            cursor.execute(
                "INSERT INTO bench_queue VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    queue,
                    number,
                    trunk,
                    t,
                    short,
                    world["serving"][queue],
                    low,
                    high if queue != world["queues"][-1] else 1.1,
                ],
            )
            low = high
        params = {
            "base": int(first_day.timestamp()),
            "per_day": count / days,
            "days": days,
            "hours": drawn["hours"],
            "n_hours": len(drawn["hours"]),
            "campaigns": world["campaigns"],
            "callers": CALLER_POOL,
            "dispositions": world["dispositions"],
            "n_dispositions": len(world["dispositions"]),
            "surveys": drawn["surveys"],
            "kinds": drawn["kinds"],
        }
        for first in range(0, count, 1_000_000):
            cursor.execute(SQL_STAGE, {**params, "first": first, "last": min(count, first + 1_000_000) - 1})
        cursor.execute("DROP TABLE bench_queue")


def load(
    count: int, days: int, first_day: datetime, world: dict, seed: int, state_days: int, generator: str = "python"
) -> float:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE telephony_agent SET current_call_id = NULL")
        # Only this tenant's schema: the calls and everything hanging on them, and the rollups. The
        # agents' "current call" points at calls too: that constraint is set aside so CASCADE keeps them.
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'telephony_agent'::regclass AND contype = 'f' "
            "AND confrelid = 'telephony_call'::regclass"
        )
        agent_fk = [row[0] for row in cursor.fetchall()]
        for name in agent_fk:
            cursor.execute(f'ALTER TABLE telephony_agent DROP CONSTRAINT "{name}"')
        cursor.execute("TRUNCATE telephony_call, telephony_agentstateevent CASCADE")
        cursor.execute("TRUNCATE reports_callrollup, reports_agentstaterollup")
        for name in agent_fk:
            cursor.execute(
                f'ALTER TABLE telephony_agent ADD CONSTRAINT "{name}" FOREIGN KEY (current_call_id) '
                "REFERENCES telephony_call (id) DEFERRABLE INITIALLY DEFERRED"
            )
        cursor.execute(STAGING)
        cursor.execute("TRUNCATE bench_call_stage")
    if generator == "sql":
        print(f"drawing {count:,} staging rows in PostgreSQL …", flush=True)
        stage_in_sql(count, days, first_day, world, seed)
    else:
        print(f"generating and copying {count:,} staging rows …", flush=True)
        with connection.cursor() as cursor, cursor.copy("COPY bench_call_stage FROM STDIN") as copy:
            for chunk in staged_rows(count, days, first_day, world, seed):
                copy.write(chunk)
    copied = time.monotonic()
    print(f"  staging rows done in {copied - started:.1f} s; inserting CDRs …", flush=True)
    columns, values = extra_not_null("telephony_call", CALL_COLUMNS)
    state_columns, state_values = extra_not_null(
        "telephony_agentstateevent", {"agent_id", "at", "from_state", "to_state", "seconds_in_previous"}
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # The rows are consistent by construction: no foreign-key trigger per row (a superuser
        # setting, as pg_restore uses; the embedded server's user is one).
        cursor.execute("SET LOCAL session_replication_role = replica")
        # Secondary indexes are built once after the load, not maintained row by row.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN ('telephony_call', 'telephony_agentstateevent', 'telephony_callevent') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))"
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(LOAD.format(extra_columns=columns, extra_values=values, ivr_version=int(world["ivr_version"])))
        print(f"  {cursor.rowcount:,} CDRs in {time.monotonic() - copied:.1f} s; events and agent states …", flush=True)
        cursor.execute(EVENTS)
        states_since = first_day + timedelta(days=max(0, days - state_days))
        cursor.execute(
            STATES.format(extra_columns=state_columns, extra_values=state_values), {"states_since": states_since}
        )
        print(f"  events and states done at {time.monotonic() - started:.1f} s; indexes …", flush=True)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_call_stage")
        cursor.execute("ANALYZE telephony_call")
        cursor.execute("ANALYZE telephony_agentstateevent")
    return time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cdrs", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=0, help="days of history (default: cdrs / 27,000, at least 30)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--generator",
        choices=("python", "sql"),
        default="python",
        help="who draws the staging rows: Python, sent with COPY (default), or PostgreSQL (faster on a busy machine)",
    )
    parser.add_argument(
        "--state-days", type=int, default=60, help="days (the last ones) that get agent state changes (default 60)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data when it has exactly --cdrs calls")
    args = parser.parse_args()
    days = args.days or max(30, math.ceil(args.cdrs / CALLS_PER_DAY))
    bench_tenant = tenant()
    zone = zoneinfo.ZoneInfo(bench_tenant.time_zone)
    today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    first_day = today - timedelta(days=days)
    result: dict = {"cdrs": args.cdrs, "days": days, "generator": args.generator}
    with tenant_context(bench_tenant):
        world = plant()
        reuse = args.reuse and Call.objects.count() == args.cdrs
        if reuse:
            first = Call.objects.aggregate(first=Min("arrived_at"))["first"]
            first_day = first.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
            today = first_day + timedelta(days=days)
            result.update(load_seconds=None, rollup_seconds=None)
            print("reusing the loaded CDRs and rollups", flush=True)
        else:
            result["load_seconds"] = round(
                load(args.cdrs, days, first_day, world, args.seed, args.state_days, args.generator), 1
            )
            print(f"loaded in {result['load_seconds']} s; building rollups …", flush=True)
            started = time.monotonic()
            written = rollups_rebuild_period(since=first_day, until=today)
            result["rollup_seconds"] = round(time.monotonic() - started, 1)
            result["rollup_rows"] = written["call_rows"]
            print(f"rollups: {written} in {result['rollup_seconds']} s", flush=True)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE reports_callrollup")
                cursor.execute("ANALYZE reports_agentstaterollup")

        month_since, month_until = today - timedelta(days=30), today
        result["month_calls"] = Call.objects.filter(arrived_at__gte=month_since, arrived_at__lt=month_until).count()
        worst = 0.0
        for group_by in ("queue", "agent", "interval"):
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                table = kpi_table(since=month_since, until=month_until, group_by=group_by, interval_minutes=30)
                timings.append((time.perf_counter() - started) * 1000)
            p50, p95 = statistics.median(timings), percentile(timings, 0.95)
            worst = max(worst, p95)
            result[f"kpi_{group_by}_rows"] = len(table["rows"])
            result[f"kpi_{group_by}_p50_ms"] = round(p50, 1)
            result[f"kpi_{group_by}_p95_ms"] = round(p95, 1)
            print(f"kpi by {group_by}: {len(table['rows'])} rows, p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
        result["kpi_p95_ms"] = round(worst, 1)

        result.update(export(month_since, month_until, zone))
        result.update(pdf(month_since, month_until))
    print(json.dumps(result))


def export(since: datetime, until: datetime, zone) -> dict:
    started = time.monotonic()
    lines = 0
    size = 0
    for chunk in calls_csv_chunks(since=since, until=until, tz=zone):
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.monotonic() - started
    rows = lines - 1  # the header
    print(f"export: {rows:,} rows, {size / 1e6:.1f} MB in {seconds:.1f} s", flush=True)
    return {"export_rows": rows, "export_mb": round(size / 1e6, 1), "export_rows_per_s": round(rows / seconds)}


def pdf(since: datetime, until: datetime) -> dict:
    report = get("queue_performance")
    started = time.monotonic()
    content, _name, _type = render_report(report, ReportParams(since=since, until=until), "pdf")
    seconds = time.monotonic() - started
    size = len(content) if isinstance(content, bytes) else sum(len(c) for c in content)
    print(f"pdf: {size / 1024:.0f} kB in {seconds:.2f} s", flush=True)
    return {"pdf_seconds": round(seconds, 2), "pdf_bytes": size}


if __name__ == "__main__":
    main()
