"""Provisioning benchmark: sign up many tenants in a row and show that it stays fast and flat.

    .venv/bin/python bench/provisioning.py [--tenants 300] [--seats 50] [--spares 5] [--interval 0.5] [--keep]

Provisions ``--tenants`` tenants (plan "standard", ``--seats`` seats each) through
``tenant_provision`` on the configured database (the embedded one under .data/ unless
DATABASE_URL is set), records each result's ``provisioned_ms`` and prints p50/p95/max for the
first 50 tenants, the last 50 and the whole run. Target (issue #2): p95 <= 1000 ms in both
bands and the last band's median at most 1.5x the first's. The last line printed is one JSON
object with the figures.

It also prints the CPU time each sign-up cost (this process plus its PostgreSQL backend, when
that runs on this machine) and the load average. On a busy machine wall time grows with the
neighbours' load while CPU time does not: a later band that is slower in wall time but not in
CPU time was slowed by the machine, not by the tenants already there.

Sign-up normally renames a spare schema built ahead of time (apps/tenants/services/spares.py);
a worker refills the pool after each sign-up. The bench plays that worker with a thread
(``--spares`` is the pool size, 0 measures the cold path where every sign-up builds its schema)
and signs up one tenant every ``--interval`` seconds (0.5 s is 172,800 sign-ups a day); it
reports how many sign-ups found a spare.

Afterwards every bench tenant is removed again (schema dropped, rows deleted, pool numbers
returned to the pool) so the database is as it was; ``--keep`` leaves them, and ``--purge``
removes the tenants of every earlier bench run (slugs starting with "bench-") and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402

from apps.tenants.choices import PoolNumberStatus  # noqa: E402
from apps.tenants.models import PoolNumber, Tenant  # noqa: E402
from apps.tenants.services import provisioning, spares  # noqa: E402
from apps.tenants.services.provisioning import tenant_provision  # noqa: E402

BAND = 50
TARGET_P95_MS = 1000
TARGET_MEDIAN_RATIO = 1.5
SLUG_PREFIX = "bench-"
PASSWORD = "Bench!Provision-2026"


def percentile(values: list[int], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def summary(values: list[int]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 0.50), 1),
        "p95": round(percentile(values, 0.95), 1),
        "max": max(values) if values else 0,
    }


def catalog_size() -> tuple[int, int]:
    """Schemas and relations in the database: what grows as tenants accumulate."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace")
        schemas = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_class")
        relations = cursor.fetchone()[0]
    return schemas, relations


def server_pid() -> int | None:
    """The PostgreSQL backend serving this connection, when it runs on this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        comm = Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return None
    return pid if comm.startswith("postgres") else None


def process_cpu_ms(pid: int | None) -> float:
    """CPU time (user + system) of a local process, from /proc; 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def remove_tenants(tenants: list[Tenant]) -> None:
    """Drop each schema, return its pool numbers, delete its rows (domains, usage, seat-days, SIP
    directory cascade). One short transaction per tenant keeps the lock table small."""
    for tenant in tenants:
        with transaction.atomic():
            quoted = connection.ops.quote_name(tenant.schema_name)
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {quoted} CASCADE")
            PoolNumber.objects.filter(tenant=tenant).update(
                status=PoolNumberStatus.AVAILABLE, tenant=None, assigned_at=None
            )
            Tenant.objects.filter(pk=tenant.pk).delete()


def bench_tenants(prefix: str) -> list[Tenant]:
    return list(Tenant.objects.filter(slug__startswith=prefix).exclude(schema_name="public"))


class SpareRefiller:
    """Plays the Celery worker: refills the spare pool whenever a sign-up commits."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.wanted = threading.Event()
        self.stopping = False
        self.taken = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        original_take = spares.spare_schema_take

        def counting_take(**kwargs) -> bool:
            took = original_take(**kwargs)
            self.taken += int(took)
            return took

        provisioning.spare_schema_take = counting_take
        provisioning.spare_schemas_refill_soon = self.wanted.set

    def start(self) -> None:
        spares.spare_schemas_fill(target=self.target)
        if self.target > 0:
            self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stopping:
                if self.wanted.wait(timeout=0.2):
                    self.wanted.clear()
                    spares.spare_schemas_fill(target=self.target)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopping = True
        if self.thread.is_alive():
            self.thread.join(timeout=30)


def provision_all(
    run_id: str, count: int, seats: int, plan: str, interval: float = 0.0
) -> tuple[list[int], list[float]]:
    """``provisioned_ms`` of each tenant, and the CPU it cost (this process + its PostgreSQL backend).

    CPU time does not grow when other work shares the machine; wall time does. Comparing the two
    tells a slower band caused by neighbours from one caused by accumulated tenants.
    """
    timings: list[int] = []
    cpu: list[float] = []
    started = time.perf_counter()
    for n in range(1, count + 1):
        if interval and n > 1:
            time.sleep(interval)
        slug = f"{SLUG_PREFIX}{run_id}-{n}"
        pid = server_pid()
        cpu_before = time.process_time() * 1000 + process_cpu_ms(pid)
        result = tenant_provision(
            company=f"Bench {run_id} #{n}",
            slug=slug,
            admin_email=f"admin@{slug}.bench",
            admin_password=PASSWORD,
            seats=seats,
            plan=plan,
        )
        timings.append(result.provisioned_ms)
        cpu.append(time.process_time() * 1000 + process_cpu_ms(pid) - cpu_before)
        if n % 25 == 0 or n == count:
            recent = timings[-25:]
            print(
                f"  {n:>4}/{count} tenants  last {len(recent)}: p50 {percentile(recent, 0.5):.0f} ms, "
                f"max {max(recent)} ms, cpu p50 {percentile(cpu[-25:], 0.5):.0f} ms  "
                f"(load {os.getloadavg()[0]:.1f}, {time.perf_counter() - started:.0f} s elapsed)",
                flush=True,
            )
    return timings, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=300, help="tenants to provision (default 300)")
    parser.add_argument("--seats", type=int, default=50, help="seats per tenant (default 50)")
    parser.add_argument("--plan", default="standard", help="plan code (default standard)")
    parser.add_argument("--spares", type=int, default=5, help="spare schema pool size (0: cold path; default 5)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between sign-ups (default 0.5)")
    parser.add_argument("--keep", action="store_true", help="leave the bench tenants in the database")
    parser.add_argument("--purge", action="store_true", help="remove tenants left by earlier bench runs, then exit")
    args = parser.parse_args()

    if args.purge:
        leftovers = bench_tenants(SLUG_PREFIX)
        remove_tenants(leftovers)
        print(f"removed {len(leftovers)} bench tenant(s)")
        return 0
    if args.tenants < 1 or args.seats < 1:
        parser.error("--tenants and --seats must be at least 1")

    run_id = secrets.token_hex(3)
    db = connection.settings_dict
    where = db.get("HOST") or "local socket"
    print(f"provisioning {args.tenants} tenants x {args.seats} seats (plan {args.plan}), run {run_id}")
    print(f"database {db['NAME']} at {where}; settings {os.environ['DJANGO_SETTINGS_MODULE']}")
    schemas_before, relations_before = catalog_size()
    print(f"catalog before: {schemas_before} schemas, {relations_before} relations", flush=True)

    refiller = SpareRefiller(args.spares)
    refiller.start()
    print(f"spare pool {args.spares}, a sign-up every {args.interval} s", flush=True)
    load_before = os.getloadavg()[0]
    wall = time.perf_counter()
    try:
        timings, cpu = provision_all(run_id, args.tenants, args.seats, args.plan, args.interval)
        total_s = time.perf_counter() - wall
        refiller.stop()
        schemas_after, relations_after = catalog_size()
        print(f"catalog after: {schemas_after} schemas, {relations_after} relations")
    finally:
        refiller.stop()
        if not args.keep:
            created = bench_tenants(f"{SLUG_PREFIX}{run_id}-")
            remove_tenants(created)
            print(f"cleaned up {len(created)} bench tenant(s)", flush=True)

    band = min(BAND, len(timings))
    first, last = timings[:band], timings[-band:]
    first_s, last_s, all_s = summary(first), summary(last), summary(timings)
    ratio = round(last_s["p50"] / first_s["p50"], 2) if first_s["p50"] else 0.0
    count = len(timings)

    print()
    print(f"{'tenants':<16}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for label, s in ((f"1-{band}", first_s), (f"{count - band + 1}-{count}", last_s), (f"all {count}", all_s)):
        print(f"{label:<16}{s['p50']:>10.0f}{s['p95']:>10.0f}{s['max']:>10}")
    print(f"first tenant (builds the cached DDL): {timings[0]} ms; wall time {total_s:.1f} s")
    print(f"sign-ups that renamed a spare schema: {refiller.taken} of {count}")
    cpu_first, cpu_last = percentile(cpu[:band], 0.5), percentile(cpu[-band:], 0.5)
    cpu_ratio = round(cpu_last / cpu_first, 2) if cpu_first else 0.0
    print(
        f"CPU per tenant (bench + its PostgreSQL backend), median: first band {cpu_first:.0f} ms, "
        f"last band {cpu_last:.0f} ms (ratio {cpu_ratio}); load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs"
    )
    p95_ok = first_s["p95"] <= TARGET_P95_MS and last_s["p95"] <= TARGET_P95_MS
    ratio_ok = ratio <= TARGET_MEDIAN_RATIO
    print(f"target p95 <= {TARGET_P95_MS} ms in both bands: {'met' if p95_ok else 'MISSED'}")
    print(f"target median ratio <= {TARGET_MEDIAN_RATIO}: {ratio} {'met' if ratio_ok else 'MISSED'}")

    figures = {
        "tenants": count,
        "seats": args.seats,
        "plan": args.plan,
        "first_band_p50_ms": first_s["p50"],
        "first_band_p95_ms": first_s["p95"],
        "first_band_max_ms": first_s["max"],
        "last_band_p50_ms": last_s["p50"],
        "last_band_p95_ms": last_s["p95"],
        "last_band_max_ms": last_s["max"],
        "all_p50_ms": all_s["p50"],
        "all_p95_ms": all_s["p95"],
        "max_ms": all_s["max"],
        "median_ratio": ratio,
        "spares": args.spares,
        "interval_s": args.interval,
        "spare_hits": refiller.taken,
        "target_met": p95_ok and ratio_ok,
        "wall_s": round(total_s, 1),
        "first_band_cpu_p50_ms": round(cpu_first, 1),
        "last_band_cpu_p50_ms": round(cpu_last, 1),
        "cpu_ratio": cpu_ratio,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "relations_before": relations_before,
        "relations_after": relations_after,
        "run_id": run_id,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
