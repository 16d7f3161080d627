"""Run call control for every active tenant: ``python manage.py run_engine --driver sim|sip``.

An asyncio service on the real clock (apps/telephony/engine/runner.py). Ctrl-C or SIGTERM
stops it cleanly: arrivals stop, the inbox closes and pending database writes are flushed.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import logging
import signal
import sys

from django.core.management.base import BaseCommand, CommandError

from apps.telephony.engine.lease import parse_shard
from apps.telephony.engine.runner import EngineService, SimLogFile, active_tenants

DRIVERS = ("sim", "sip")


class Command(BaseCommand):
    help = "Run the call-control engine (IVR, ACD, CDRs) for every active tenant over a switch driver."

    def add_arguments(self, parser):
        parser.add_argument("--driver", default="sim", choices=DRIVERS, help="switch driver (default: sim)")
        parser.add_argument("--no-record", action="store_true", help="do not write a recording for every answered call")
        parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
        parser.add_argument(
            "--tenant", action="append", dest="tenants", default=None, help="only this tenant (slug; repeatable)"
        )
        parser.add_argument(
            "--shard",
            default=None,
            help="i/n: take tenants with id %% n == i first, others only when their engine is gone (default 0/1)",
        )
        parser.add_argument(
            "--sim-log", default=None, help="append the simulated switch's events to this file (JSON lines)"
        )
        parser.add_argument(
            "--sim-scale",
            type=float,
            default=1.0,
            help="multiply the simulated callers' and virtual agents' durations (e.g. 0.05 for fast tests)",
        )

    def handle(self, *args, **options):
        if options["duration"] is not None and options["duration"] <= 0:
            raise CommandError("--duration must be a positive number of seconds.")
        if options["sim_scale"] <= 0:
            raise CommandError("--sim-scale must be a positive number.")

        try:
            shard = parse_shard(options["shard"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1 <pid> prints every thread's stack

        tenants = None
        if options["tenants"]:
            slugs = set(options["tenants"])

            def tenants():
                return [tenant for tenant in active_tenants() if tenant.slug in slugs]

        service = EngineService(
            record=not options["no_record"],
            tenants=tenants,
            driver=options["driver"],
            shard=shard,
            sim_log=SimLogFile(options["sim_log"]) if options["sim_log"] else None,
            sim_scale=options["sim_scale"],
        )
        # Django and the apps (most of the heap) live as long as the process: out of the
        # collector's reach, a full collection during a burst of calls no longer walks them and
        # stalls call setup for tens of milliseconds (as for daphne, decisions/0004).
        gc.collect()
        gc.freeze()
        self.stdout.write(
            f"engine: running with the {options['driver']} driver, shard {shard[0]}/{shard[1]} (Ctrl-C to stop)"
        )
        asyncio.run(self._run(service, options["duration"]))
        self.stdout.write("engine: stopped")

    @staticmethod
    async def _run(service, duration):
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, service.stop)
        loop.add_signal_handler(signal.SIGUSR2, _dump_tasks)  # kill -USR2 <pid> prints every asyncio task
        await service.run(duration=duration)


def _dump_tasks() -> None:
    for task in asyncio.all_tasks():
        task.print_stack(file=sys.stderr)
