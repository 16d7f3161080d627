"""QA benchmark: sampling over a million calls, scoring 10,000 evaluations, and the automatic
analysis of 8 kHz stereo recordings (issue 14 item 11).

Run from the repository root after ``manage.py migrate_schemas`` (``make run`` does it):
``.venv/bin/python bench/qa.py`` — in a database of its own, ``contactcenter_bench_qa`` on the
server of ``make run`` (the embedded one under .data/ unless DATABASE_URL is set), created and
migrated on first use, in its own tenant ``bench-qa``. Options: ``--calls 1000000`` (all in one
month: the period the rule samples), ``--evaluations 10000``, ``--saves 10000`` (evaluations
through ``evaluation_save``), ``--analysis-seconds 3600`` and ``--analysis-calls 1``, ``--reload``
(load the calls again even when the tenant holds exactly ``--calls``).

What it does:

1. The plant: 10 queues, 200 agents (users), 6 dispositions (one is the complaint), a scorecard
   of 5 sections and 12 questions, 5 QA analysts.
2. Loads ``--calls`` answered calls into last month with one ``INSERT … SELECT`` from
   ``generate_series`` (server-side, seeded): talk time exponential around 3 minutes (about 10 %
   under the rule's 30 s), 0.1 % on hold over 5 minutes, 0.1 % transferred out and 0.1 %
   transferred by the agent (a timeline event), 0.2 % rated 1 of 5, 0.2 % the complaint
   disposition, 10 % outbound; three timeline events a call (arrived, answered, ended) so the
   transfer test scans a realistic event table; a recording row for every call; an analysis row
   for 5 % of them (0.2 % flagged dead air); 5,000 calls already evaluated. About 2 % of the
   calls are sampled: what a large center's QA team evaluates in a month.
3. **Sampling** (``sampling_seconds``): one rule — 5 calls per agent and queue or 1 %, the larger;
   always include CSAT ≤ 1, the complaint, transfers, holds over 300 s, dead air; skip evaluated
   calls; recorded calls only; 5 evaluators — run for that month through
   ``apps.qa.services.sampling.sampling_run`` (the draw, the assignment by workload, the inserts),
   from no assignments. Then the same run again (``sampling_rerun_seconds``: nothing new) and a
   dry run (``sampling_dry_run_seconds``). Target: ``sampling_seconds`` ≤ 2.
4. **Scoring**: ``--evaluations`` random answer sets scored by ``apps.qa.scoring.score``
   (``scoring_per_second``, pure Python), then ``--saves`` evaluations written through
   ``apps.qa.services.evaluations.evaluation_save`` one by one, submitted, with a comment
   (``evaluation_save_per_second``: validation, answers, score, audit, the agent's notification).
5. **Analysis** (``analysis_x_realtime``): ``apps.telephony.analysis.bench.analysis_benchmark``
   — simulated stereo 8 kHz calls read from WAV and analysed (webrtcvad per channel), audio
   seconds per wall second on one core.

Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

BENCH_DATABASE = "contactcenter_bench_qa"


def _bench_database() -> None:
    """A database of its own (created on first use), so a million calls never land in the
    development database. ``DATABASE_URL`` set: that server, database ``contactcenter_bench_qa``."""
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

settings.DEBUG = False  # no query log for a million rows
settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the agents' e-mails stay in memory
# Tasks the bench triggers (notification e-mails) run here, eagerly: queued into the development
# broker they would reach `make run`'s worker, which knows nothing of the bench database's tenants.
from config.celery import app as celery_app  # noqa: E402

celery_app.conf.task_always_eager = True
logging.getLogger("apps").setLevel(logging.WARNING)

from django.db import connection, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from apps.accounts.choices import Role  # noqa: E402
from apps.accounts.models import User  # noqa: E402
from apps.qa import scoring  # noqa: E402
from apps.qa.models import Assignment, Evaluation, Question, SamplingRule, Scorecard, Section  # noqa: E402
from apps.qa.sampling import period_bounds  # noqa: E402
from apps.qa.services.evaluations import evaluation_save  # noqa: E402
from apps.qa.services.sampling import sampling_rule_create, sampling_run  # noqa: E402
from apps.qa.services.scorecards import scorecard_create  # noqa: E402
from apps.reports.periods import tenant_zone  # noqa: E402
from apps.telephony.analysis.bench import analysis_benchmark  # noqa: E402
from apps.telephony.models import Agent, Call, Disposition, Queue  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from apps.tenants.services.provisioning import tenant_provision  # noqa: E402

SLUG = "bench-qa"
PASSWORD = "Bench!Qa-2026"
QUEUES, AGENTS, ANALYSTS = 10, 200, 5
UID_PREFIX = "qa-bench-"
SCORECARD = "Bench scorecard"
RULE = "Bench monthly rule"
PRE_EVALUATED = 5000


def tenant() -> Tenant:
    from django.core.management import call_command  # noqa: PLC0415

    print("migrating the bench database (public schema) …", flush=True)
    call_command("migrate_schemas", "--shared", verbosity=0)
    found = Tenant.objects.filter(slug=SLUG).first()
    if found is not None:
        call_command("migrate_schemas", "--tenant", "--schema", found.schema_name, verbosity=0)
        return found
    print(f"provisioning tenant {SLUG!r} …", flush=True)
    return tenant_provision(
        company="Bench QA",
        slug=SLUG,
        admin_email=f"admin@{SLUG}.test",
        admin_password=PASSWORD,
        seats=2,
        plan="standard",
        language="en",
    ).tenant


def _users(prefix: str, count: int, roles: list[str]) -> list[User]:
    existing = set(User.objects.filter(email__startswith=prefix).values_list("email", flat=True))
    User.objects.bulk_create(
        [
            User(email=email, name=f"{prefix}{i:03d}", roles=roles, password="!")
            for i in range(1, count + 1)
            if (email := f"{prefix}{i:03d}@{SLUG}.test") not in existing
        ]
    )
    return list(User.objects.filter(email__startswith=prefix).order_by("email"))


def plant() -> dict:
    """Queues, agents, dispositions, analysts and the scorecard (idempotent)."""
    queues = [
        Queue.objects.get_or_create(code=f"qa-bench-q{i:02d}", defaults={"name": f"QA bench queue {i:02d}"})[0].pk
        for i in range(1, QUEUES + 1)
    ]
    agent_users = _users("qa-bench-agent-", AGENTS, [Role.AGENT])
    have = set(Agent.objects.values_list("user_id", flat=True))
    Agent.objects.bulk_create([Agent(user=user) for user in agent_users if user.pk not in have])
    agents = list(Agent.objects.filter(user__in=agent_users).order_by("pk").values_list("pk", flat=True))
    dispositions = [
        Disposition.objects.get_or_create(code=f"qa-bench-d{i}", defaults={"name": f"Outcome {i}"})[0].pk
        for i in range(5)
    ]
    complaint = Disposition.objects.get_or_create(code="qa-bench-complaint", defaults={"name": "Complaint"})[0].pk
    analysts = _users("qa-bench-analyst-", ANALYSTS, [Role.QA])
    lead = _users("qa-bench-lead-", 1, [Role.QA_LEAD])[0]
    scorecard = Scorecard.objects.filter(name=SCORECARD, is_current=True).first() or scorecard_create(
        actor=lead, name=SCORECARD, sections=scorecard_sections()
    )
    return {
        "queues": queues,
        "agents": agents,
        "dispositions": dispositions,
        "complaint": complaint,
        "analysts": analysts,
        "lead": lead,
        "scorecard": scorecard,
    }


def scorecard_sections() -> list[dict]:
    """5 sections, 12 questions: every kind, N/A, and both kinds of critical question."""
    yes, scale, points = "yes_no", "scale", "points"
    return [
        {"title": "Opening", "weight": 15, "questions": [_q(yes, 1), _q(scale, 3)]},
        {"title": "Understanding", "weight": 25, "questions": [_q(yes, 2, "section", True), _q(yes, 1), _q(scale, 3)]},
        {"title": "Resolution", "weight": 35, "questions": [_q(scale, 5, w=2), _q(yes, 2), _q(points, 10, na=True)]},
        {"title": "Compliance", "weight": 15, "questions": [_q(yes, 1, "form"), _q(yes, 1, "form")]},
        {"title": "Closing", "weight": 10, "questions": [_q(yes, 1), _q(yes, 1)]},
    ]


def _q(kind: str, pts: int, critical: str = "none", na: bool = False, w: int = 1) -> dict:
    return {"text": f"{kind} {pts}", "kind": kind, "points": pts, "weight": w, "critical": critical, "allow_na": na}


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
    zero = {
        "boolean": "FALSE",
        "jsonb": "'{}'::jsonb",
        "text": "''",
        "character varying": "''",
        "ARRAY": "'{}'",
        "timestamp with time zone": "now()",
    }
    return "".join(f", {name}" for name, _kind in missing), "".join(f", {zero.get(kind, '0')}" for _n, kind in missing)


CALLS = """
INSERT INTO telephony_call (uid, direction, status, caller, callee, queue_id, agent_id, priority, arrived_at,
    queued_at, offered_at, answered_at, ended_at, wrapup_ended_at, wait_seconds, talk_seconds, hold_seconds,
    wrapup_seconds, ivr_seconds, offer_count, end_reason, abandoned, short_abandon, blocked,
    reached_agent_request, disposition_id, notes, survey_score, ivr_path, is_simulated {extra_columns})
SELECT %(prefix)s || g.n, CASE WHEN g.n %% 10 = 0 THEN 'outbound' ELSE 'inbound' END, 'ended',
    '138' || lpad((g.n %% 100000000)::text, 8, '0'), '4008800000',
    (%(queues)s::int[])[1 + (g.n / 7 * 31) %% %(n_queues)s], (%(agents)s::int[])[1 + (g.n * 7919) %% %(n_agents)s],
    0, a.arrived, a.arrived, a.arrived, a.arrived + interval '10 seconds',
    a.arrived + interval '10 seconds' + make_interval(secs => g.talk + g.hold),
    a.arrived + interval '40 seconds' + make_interval(secs => g.talk + g.hold),
    10, g.talk, g.hold, 30, 0, 1,
    CASE WHEN g.r3 < 0.001 THEN 'transferred' ELSE 'completed' END, FALSE, FALSE, FALSE, FALSE,
    CASE WHEN g.n %% 500 = 0 THEN %(complaint)s ELSE (%(dispositions)s::int[])[1 + g.n %% 5] END, '',
    CASE WHEN g.r3 >= 0.5 AND g.r3 < 0.502 THEN 1
         WHEN g.r3 >= 0.502 AND g.r3 < 0.8 THEN 2 + LEAST(3, floor((g.r3 - 0.502) / 0.298 * 4))::int END,
    '[]'::jsonb, TRUE {extra_values}
FROM (
    SELECT n, round((20 - ln(1 - random()) * 160)::numeric, 1)::float AS talk,
           CASE WHEN r2 < 0.08 THEN round((r2 * 3800)::numeric, 1)::float ELSE 0 END AS hold, r3
    FROM (SELECT n, random() AS r2, random() AS r3 FROM generate_series(1::bigint, %(count)s::bigint) AS n) s
) g
CROSS JOIN LATERAL (SELECT %(since)s::timestamptz + make_interval(secs => (g.n - 1) * %(step)s) AS arrived) a
"""

EVENTS = """
INSERT INTO telephony_callevent (call_id, at, kind, agent_id, data)
SELECT c.id, v.at, v.kind, c.agent_id, '{}'::jsonb
FROM telephony_call c
CROSS JOIN LATERAL (VALUES (c.arrived_at, 'arrived'), (c.answered_at, 'answered'), (c.ended_at, 'ended'))
    AS v (at, kind)
WHERE c.uid LIKE 'qa-bench-%%'
UNION ALL
SELECT c.id, c.answered_at + interval '60 seconds', 'transferred', c.agent_id, '{}'::jsonb
FROM telephony_call c WHERE c.uid LIKE 'qa-bench-%%' AND c.id %% 1000 = 7
"""

RECORDINGS = """
INSERT INTO telephony_recording (call_id, file, duration_seconds, size_bytes, content_type, created_at {extra_columns})
SELECT c.id, 'bench/' || c.uid || '.wav', c.talk_seconds, 0, 'audio/wav', c.ended_at {extra_values}
FROM telephony_call c WHERE c.uid LIKE 'qa-bench-%%'
"""

ANALYSES = """
INSERT INTO telephony_callanalysis (call_id, status, version, analysed_at, flags {extra_columns})
SELECT c.id, 'done', 'bench', c.ended_at,
       CASE WHEN c.id %% 500 = 3 THEN ARRAY['dead_air']::varchar[] ELSE ARRAY[]::varchar[] END {extra_values}
FROM telephony_call c WHERE c.uid LIKE 'qa-bench-%%' AND c.id %% 20 = 3
"""

EVALUATED = """
INSERT INTO qa_evaluation (call_id, scorecard_id, kind, status, section_scores, critical_failed, summary,
    created_at, updated_at, submitted_at {extra_columns})
SELECT c.id, %(scorecard)s, 'regular', 'submitted', '{{}}'::jsonb, FALSE, '', now(), now(), now() {extra_values}
FROM telephony_call c WHERE c.uid LIKE 'qa-bench-%%' AND c.id %% %(every)s = 11
"""


def empty() -> None:
    """The bench tenant holds nothing else: every row that refers to a call goes with the calls
    (agents too, whose current call is one: :func:`plant` makes them again)."""
    print("emptying the bench's calls …", flush=True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE telephony_call, qa_evaluation, qa_assignment CASCADE")


def load(world: dict, count: int, since: datetime, until: datetime) -> float:
    """Empty the tenant's bench calls and load ``count`` of them (see the module docstring)."""
    started = time.perf_counter()
    call_columns = {
        "uid", "direction", "status", "caller", "callee", "queue_id", "agent_id", "priority", "arrived_at",
        "queued_at", "offered_at", "answered_at", "ended_at", "wrapup_ended_at", "wait_seconds", "talk_seconds",
        "hold_seconds", "wrapup_seconds", "ivr_seconds", "offer_count", "end_reason", "abandoned", "short_abandon",
        "blocked", "reached_agent_request", "disposition_id", "notes", "survey_score", "ivr_path", "is_simulated",
    }  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        columns, values = extra_not_null("telephony_call", call_columns)
        print(f"loading {count:,} calls …", flush=True)
        cursor.execute(
            CALLS.format(extra_columns=columns, extra_values=values),
            {
                "prefix": UID_PREFIX,
                "queues": world["queues"],
                "n_queues": len(world["queues"]),
                "agents": world["agents"],
                "n_agents": len(world["agents"]),
                "complaint": world["complaint"],
                "dispositions": world["dispositions"],
                "count": count,
                "since": since,
                "step": (until - since).total_seconds() / count,
            },
        )
        print("timelines, recordings, analyses, earlier evaluations …", flush=True)
        cursor.execute(EVENTS, {})
        columns, values = extra_not_null(
            "telephony_recording", {"call_id", "file", "duration_seconds", "size_bytes", "content_type", "created_at"}
        )
        cursor.execute(RECORDINGS.format(extra_columns=columns, extra_values=values), {})
        columns, values = extra_not_null(
            "telephony_callanalysis", {"call_id", "status", "version", "analysed_at", "flags"}
        )
        cursor.execute(ANALYSES.format(extra_columns=columns, extra_values=values), {})
        known = {"call_id", "scorecard_id", "kind", "status", "section_scores", "critical_failed", "summary"}
        columns, values = extra_not_null("qa_evaluation", known | {"created_at", "updated_at", "submitted_at"})
        cursor.execute(
            EVALUATED.format(extra_columns=columns, extra_values=values),
            {"scorecard": world["scorecard"].pk, "every": max(1, count // PRE_EVALUATED)},
        )
    with connection.cursor() as cursor:
        for table in ("telephony_call", "telephony_callevent", "telephony_recording", "telephony_callanalysis"):
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("ANALYZE qa_evaluation")
    return time.perf_counter() - started


def the_rule(world: dict) -> SamplingRule:
    SamplingRule.objects.filter(name=RULE).delete()
    return sampling_rule_create(
        data={
            "name": RULE,
            "scorecard": world["scorecard"].pk,
            "period": "month",
            "per_agent": 5,
            "percent": "1",
            "strata": ["queue"],
            "min_talk_seconds": 30,
            "include_csat_at_most": 1,
            "include_dispositions": [world["complaint"]],
            "include_transfers": True,
            "include_hold_seconds_over": 300,
            "include_analysis_flags": ["dead_air"],
            "exclude_evaluated": True,
            "require_recording": True,
            "evaluators": [user.pk for user in world["analysts"]],
            "due_days": 5,
            "seed": 2026,
        }
    )


def bench_sampling(world: dict, month: date) -> dict:
    rule = the_rule(world)
    Assignment.objects.all().delete()
    first = sampling_run(rule=rule, period_start=month)
    again = sampling_run(rule=rule, period_start=month)
    dry = [sampling_run(rule=rule, period_start=month, dry_run=True).seconds for _ in range(3)]
    print(
        f"sampling: {first.eligible:,} eligible calls, {len(first.picks):,} picked {first.by_reason}, "
        f"{first.created:,} assigned in {first.seconds:.3f} s; again {again.seconds:.3f} s "
        f"({again.created} new); dry run {statistics.median(dry):.3f} s",
        flush=True,
    )
    return {
        "sampling_seconds": round(first.seconds, 3),
        "sampling_rerun_seconds": round(again.seconds, 3),
        "sampling_dry_run_seconds": round(statistics.median(dry), 3),
        "sampling_eligible": first.eligible,
        "sampling_picked": len(first.picks),
        "sampling_created": first.created,
        "sampling_rerun_created": again.created,
        "sampling_reasons": first.by_reason,
    }


def random_answers(questions: list[Question], rng: random.Random) -> dict[int, Decimal | None]:
    earned: dict[int, Decimal | None] = {}
    for question in questions:
        if question.allow_na and rng.random() < 0.2:
            earned[question.pk] = None
        elif question.kind == "yes_no":
            earned[question.pk] = Decimal(question.points if rng.random() < 0.9 else 0)
        else:
            earned[question.pk] = Decimal(rng.randint(0, question.points))
    return earned


def bench_scoring(world: dict, evaluations: int, saves: int) -> dict:
    scorecard = world["scorecard"]
    questions = list(Question.objects.filter(section__scorecard=scorecard).order_by("section__position", "position"))
    sections = [scoring.SectionSpec(id=s.pk, weight=s.weight) for s in Section.objects.filter(scorecard=scorecard)]
    specs = [
        scoring.QuestionSpec(
            id=q.pk, section_id=q.section_id, points=Decimal(q.points), weight=q.weight, critical=q.critical
        )
        for q in questions
    ]
    rng = random.Random(7)
    answer_sets = [random_answers(questions, rng) for _ in range(evaluations)]
    started = time.perf_counter()
    for earned in answer_sets:
        scoring.score(sections, specs, earned)
    score_seconds = time.perf_counter() - started

    evaluator = world["analysts"][0]
    # Calls nobody evaluated yet, first by id (the bench tenant holds only bench calls).
    evaluated = set(Evaluation.objects.values_list("call_id", flat=True))
    wanted = [pk for pk in Call.objects.order_by("pk").values_list("pk", flat=True)[: saves + len(evaluated)]]
    wanted = [pk for pk in wanted if pk not in evaluated][:saves]
    calls = list(Call.objects.filter(pk__in=wanted).select_related("agent__user").order_by("pk"))
    bodies = []
    for call, earned in zip(calls, answer_sets, strict=False):
        answers = [
            {"question": qid, "na": True}
            if value is None
            else {"question": qid, "value": bool(value) if q.kind == "yes_no" else int(value)}
            for q in questions
            for qid, value in ((q.pk, earned[q.pk]),)
        ]
        bodies.append((call, answers))
    reverse("qa:home")  # the notices link to the QA pages: load the URL modules before timing
    started = time.perf_counter()
    for call, answers in bodies:
        evaluation_save(
            actor=evaluator,
            call=call,
            scorecard=scorecard,
            answers=answers,
            comments=[{"at_seconds": 12.5, "text": "bench"}],
            submit=True,
        )
    save_seconds = time.perf_counter() - started
    print(
        f"scoring: {evaluations:,} scored in {score_seconds:.3f} s; {len(bodies):,} saved through evaluation_save "
        f"in {save_seconds:.1f} s",
        flush=True,
    )
    return {
        "evaluations_scored": evaluations,
        "scoring_per_second": round(evaluations / score_seconds, 1) if score_seconds else None,
        "evaluations_saved": len(bodies),
        "evaluation_save_per_second": round(len(bodies) / save_seconds, 1) if save_seconds else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--evaluations", type=int, default=10_000, help="answer sets scored by scoring.score")
    parser.add_argument("--saves", type=int, default=10_000, help="evaluations saved through evaluation_save")
    parser.add_argument("--analysis-seconds", type=float, default=3600.0, help="length of each analysed call")
    parser.add_argument("--analysis-calls", type=int, default=1)
    parser.add_argument("--reload", action="store_true", help="load the calls even if the tenant has --calls of them")
    args = parser.parse_args()

    bench_tenant = tenant()
    result: dict = {"calls": args.calls}
    with tenant_context(bench_tenant):
        zone = tenant_zone()
        today = datetime.now(zone).date()
        month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        since, until = period_bounds("month", month, zone)
        loaded = Call.objects.filter(uid__startswith=UID_PREFIX, arrived_at__gte=since, arrived_at__lt=until).count()
        fresh = args.reload or loaded != args.calls or Call.objects.count() != args.calls
        if fresh:
            empty()
        world = plant()
        if fresh:
            result["load_seconds"] = round(load(world, args.calls, since, until), 1)
            print(f"loaded in {result['load_seconds']} s", flush=True)
        else:
            Evaluation.objects.filter(evaluator__isnull=False).delete()  # the last run's saves
            print(f"reusing {loaded:,} calls of {month:%Y-%m}", flush=True)
        result.update(bench_sampling(world, month))
        result.update(bench_scoring(world, args.evaluations, args.saves))
    analysis = analysis_benchmark(seconds=args.analysis_seconds, calls=args.analysis_calls)
    print(f"analysis: {analysis['analysis_x_realtime']}x real time on one core", flush=True)
    result.update(analysis)
    result["sampling_target_met"] = result["sampling_seconds"] <= 2.0
    print(json.dumps(result))


if __name__ == "__main__":
    main()
