"""Workforce staffing benchmark: forecast + Erlang C staffing for 50 queues × 96 intervals
(issue 15 item 12, the staffing half; the integrator merges it into bench/workforce.py).

Run from the repository root after ``manage.py migrate_schemas`` (``make run`` does it):
``.venv/bin/python bench/workforce_staffing.py`` — against the database of ``make run``, in the
first active tenant (the demo), inside one transaction that is **rolled back** at the end, so
nothing it writes stays. Options: ``--queues 50``, ``--weeks 8`` (history), ``--tenant <slug>``.

What it does:

1. Creates ``--queues`` queues and ``--weeks`` weeks of KPI rollup history for them (``q15``
   rows, one per queue and 15-minute bucket, with one ``INSERT … SELECT`` from
   ``generate_series``: a daily curve peaking mid-morning and mid-afternoon, weekends at 40 %,
   a small upward trend, AHT around 200 s).
2. **Staffing** (``staffing_seconds``, target ≤ 2): ``apps.workforce.selectors.staffing.staffing_plan``
   for the next day at 15-minute intervals (96 per day) for those queues — the history read from
   the rollups, the day classes from the holiday calendar, one forecaster per queue, Erlang C at
   each queue's SL target with the occupancy cap, shrinkage — timed from the call to the answer.
3. The same in pure Python (``staffing_python_seconds``: the forecast and Erlang C alone, no
   database) and ``required_staff`` for the roster editor (48 half-hours, all queues).

Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


class _Rollback(Exception):
    """Raised to leave the benchmark's transaction without keeping anything."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--tenant", default="")
    args = parser.parse_args()

    import django  # noqa: PLC0415 -- after the settings module is chosen

    django.setup()
    from django.db import connection, transaction  # noqa: PLC0415
    from django.test.utils import override_settings  # noqa: PLC0415
    from django_tenants.utils import tenant_context  # noqa: PLC0415

    from apps.reports.models import CallRollup  # noqa: PLC0415
    from apps.telephony.models import Queue  # noqa: PLC0415
    from apps.tenants.choices import TenantStatus  # noqa: PLC0415
    from apps.tenants.models import Tenant  # noqa: PLC0415
    from apps.workforce import staffing as rules  # noqa: PLC0415
    from apps.workforce.forecast import Forecaster  # noqa: PLC0415
    from apps.workforce.selectors.policy import tenant_zone  # noqa: PLC0415
    from apps.workforce.selectors.staffing import (  # noqa: PLC0415
        classifier,
        interval_history,
        required_staff,
        staffed_queues,
        staffing_plan,
    )

    tenants = Tenant.objects.exclude(schema_name="public").filter(status=TenantStatus.ACTIVE)
    tenant = tenants.filter(slug=args.tenant).first() if args.tenant else tenants.order_by("pk").first()
    if tenant is None:
        sys.exit("No active tenant: run `make run` (or manage.py ensure_demo) first.")

    figures: dict[str, float | int | str] = {"tenant": tenant.slug, "queues": args.queues, "intervals": 96}
    try:
        with (
            tenant_context(tenant),
            transaction.atomic(),
            override_settings(WORKFORCE_STAFFING={"history_weeks": args.weeks}),
        ):
            zone = tenant_zone()
            today = dt.datetime.now(zone).date()
            target = today + dt.timedelta(days=1)
            queues = Queue.objects.bulk_create(
                Queue(
                    code=f"bench-staffing-{index}", name=f"Bench {index}", sl_target_percent=80, sl_threshold_seconds=20
                )
                for index in range(args.queues)
            )
            ids = [queue.pk for queue in queues]
            started = time.perf_counter()
            since = dt.datetime.combine(today - dt.timedelta(weeks=args.weeks), dt.time.min, tzinfo=zone)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO {CallRollup._meta.db_table} (grain, bucket_start, queue_id, direction,
                        {", ".join(name for name in _MEASURES)})
                    SELECT 'q15', b.at, q.id, 'inbound', {", ".join(_value(name) for name in _MEASURES)}
                    FROM unnest(%(ids)s::int[]) AS q(id)
                    CROSS JOIN LATERAL (
                        SELECT at, EXTRACT(HOUR FROM at AT TIME ZONE %(tz)s) * 60
                                   + EXTRACT(MINUTE FROM at AT TIME ZONE %(tz)s) AS minute,
                               EXTRACT(ISODOW FROM at AT TIME ZONE %(tz)s) AS dow,
                               EXTRACT(EPOCH FROM at - %(since)s) / 86400.0 AS age
                        FROM generate_series(%(since)s::timestamptz, %(until)s::timestamptz - interval '15 minutes',
                                             interval '15 minutes') AS at
                    ) AS b
                    """,  # noqa: S608 -- the table and expressions are ours; values are parameters
                    {
                        "ids": ids,
                        "tz": str(zone),
                        "since": since,
                        "until": dt.datetime.combine(today, dt.time.min, tzinfo=zone),
                    },
                )
                figures["history_rows"] = cursor.rowcount
                cursor.execute(f"ANALYZE {CallRollup._meta.db_table}")  # as autovacuum would after a real load
            figures["history_load_seconds"] = round(time.perf_counter() - started, 2)

            started = time.perf_counter()
            plans = staffing_plan(target, interval_minutes=15, queue_ids=ids, today=today)
            figures["staffing_seconds"] = round(time.perf_counter() - started, 3)
            assert len(plans) == args.queues and all(len(plan.requirement) == 96 for plan in plans)
            figures["forecast_calls"] = round(sum(f.offered for plan in plans for f in plan.forecast))
            figures["peak_staff"] = max(rules.total_by_slot((plan.requirement for plan in plans), 96))

            # The history read alone, then the pure-Python part on the same history in memory.
            started = time.perf_counter()
            history = interval_history(
                since=today - dt.timedelta(weeks=args.weeks), until=today, interval_minutes=15, queue_ids=ids
            )
            figures["history_read_seconds"] = round(time.perf_counter() - started, 3)
            classify = classifier()
            targets = staffed_queues(ids)
            started = time.perf_counter()
            for queue_target in targets:
                forecast = Forecaster(history.get(queue_target.queue_id, []), classify=classify, slots=96).day(target)
                for row in forecast:
                    rules.interval_requirement(
                        slot=row.slot,
                        calls=row.offered,
                        aht_seconds=row.aht_seconds,
                        interval_seconds=900,
                        target=queue_target,
                        max_occupancy=0.85,
                        shrinkage=0.3,
                    )
            figures["staffing_python_seconds"] = round(time.perf_counter() - started, 3)

            started = time.perf_counter()
            required_staff(target)
            figures["required_staff_seconds"] = round(time.perf_counter() - started, 3)
            raise _Rollback
    except _Rollback:
        pass

    for name, value in figures.items():
        print(f"{name:>26}: {value}")
    print(json.dumps(figures))


# Additive measures of a rollup row: a day curve with two peaks, weekends at 40 %, +0.3 % a day.
_FILLED = ("calls", "offered", "answered", "answered_in_sl", "handled", "handle_sum")
_MEASURES = (
    *_FILLED,
    "abandoned",
    "abandoned_after_sl",
    "short_abandons",
    "short_abandons_after_sl",
    "wait_sum",
    "waited",
    "talk_sum",
    "hold_sum",
    "wrapup_sum",
    "fcr_handled",
    "fcr_no_repeat",
    "fcr_resolved_repeat",
    "csat_count",
    "csat_sum",
    "csat_top2",
    "ivr_entered",
    "ivr_contained",
    "blocked",
    "transfers",
    "ronas",
    "callbacks",
    "voicemails",
)
_CURVE = (
    "GREATEST(0, ROUND((6 * EXP(-POWER((b.minute - 600) / 120.0, 2)) + 5 * EXP(-POWER((b.minute - 900) / 150.0, 2))"
    " + 0.3) * (CASE WHEN b.dow >= 6 THEN 0.4 ELSE 1 END) * (1 + 0.003 * b.age)"
    " * (0.5 + q.id %% 7 / 6.0)))"
)


def _value(name: str) -> str:
    if name not in _FILLED:
        return "0"
    if name == "handle_sum":
        return f"{_CURVE} * (180 + q.id %% 5 * 10)"
    if name == "answered_in_sl":
        return f"FLOOR({_CURVE} * 0.8)"
    return _CURVE


if __name__ == "__main__":
    main()
