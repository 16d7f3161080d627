"""A tenant's past: N days of calls, timelines and agent states, made by the real engine on the virtual clock.

    python manage.py generate_history --tenant demo --days 30 --calls-per-day 500 --agents 9 --seed 1 --json

runs the controller and ACD against the tenant's queues, skills, numbers, IVR flows, pause
reasons, dispositions and campaigns, with virtual agents bound to the tenant's ``Agent`` rows
(generated agents are added when it has fewer than ``--agents``), for the N whole days before
today in the tenant's time zone, and writes what live traffic would have written. A re-run
over the same days replaces the generated rows of those days. ``--json`` prints one object:
``calls, agent_state_events, days, wall_seconds`` and more (docs/simulation.md#generate_history).
The work is apps/telephony/services/history.py's; this command parses and prints.
"""

from __future__ import annotations

import argparse
import json

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.core.errors import ApplicationError
from apps.telephony.services.history import (
    MAX_AGENTS,
    MAX_CALLS_PER_DAY,
    MAX_DAYS,
    history_generate,
    history_validate,
)
from apps.tenants.models import Tenant

MAX_RECORDINGS = 10_000  # about 60 GB of stereo audio at the usual talk time: plenty

# dest -> (option, lowest, highest)
OPTIONS = {
    "days": ("--days", 1, MAX_DAYS),
    "calls_per_day": ("--calls-per-day", 1, MAX_CALLS_PER_DAY),
    "agents": ("--agents", 1, MAX_AGENTS),
    "seed": ("--seed", 0, 2**31 - 1),
}


def _whole(flag: str, low: int, high: int):
    def parse(raw):
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"must be a whole number, not {raw!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {value}")
        return value

    return parse


class Command(BaseCommand):
    help = (
        "Generate a tenant's past (CDRs, timelines, agent states) for the N days before today, with the "
        "real engine on the virtual clock; a re-run replaces the generated history of those days."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        helps = {
            "days": "whole days before today (in the tenant's time zone)",
            "calls_per_day": "mean inbound calls per day (more 9-12 and 14-17, few at night)",
            "agents": "agents to staff (the tenant's own first; generated ones are added if it has fewer)",
            "seed": "random seed: the same options and seed give the same history",
        }
        for dest, (flag, low, high) in OPTIONS.items():
            parser.add_argument(flag, dest=dest, required=True, type=_whole(flag, low, high), help=helps[dest])
        parser.add_argument(
            "--recordings",
            type=_whole("--recordings", 0, MAX_RECORDINGS),
            default=0,
            help="how many answered calls, spread over the range, also get a stereo recording and its analysis",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        for dest, (flag, low, high) in OPTIONS.items():
            # call_command() keyword arguments skip argparse: parse them here too.
            try:
                options[dest] = _whole(flag, low, high)(options.get(dest))
            except argparse.ArgumentTypeError as error:
                raise CommandError(f"{flag} {error}.") from None
        with schema_context("public"):
            tenant = Tenant.objects.exclude(schema_name="public").filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"There is no tenant {options['tenant']!r}.")
        if not tenant.is_active:
            raise CommandError(f"Tenant {tenant.slug!r} is suspended.")
        values = {dest: options[dest] for dest in OPTIONS}
        try:
            recordings = _whole("--recordings", 0, MAX_RECORDINGS)(options.get("recordings") or 0)
        except argparse.ArgumentTypeError as error:
            raise CommandError(f"--recordings {error}.") from None
        try:
            history_validate(**values)
            result = history_generate(tenant=tenant, recordings=recordings, **values)
        except ApplicationError as error:
            details = " ".join(
                f"{OPTIONS[name][0] if name in OPTIONS else name}: {' '.join(str(m) for m in messages)}"
                for name, messages in error.fields.items()
            )
            raise CommandError(f"{error.message} {details}".strip()) from None
        data = result.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data))
            return
        self.stdout.write(
            "\n".join(
                [
                    f"tenant             {tenant.slug}",
                    f"days               {data['days']} ({data['since']} – {data['until']})",
                    f"calls              {data['calls']}",
                    f"call events        {data['call_events']}",
                    f"agent state events {data['agent_state_events']}",
                    f"voicemails         {data['voicemails']}",
                    f"callback requests  {data['callbacks']}",
                    f"agents             {data['agents']} ({data['agents_created']} generated)",
                    f"replaced calls     {data['replaced_calls']}",
                    f"recordings         {data['recordings']} (recorded and analysed)",
                    f"wall time          {data['wall_seconds']:.2f} s "
                    f"(engine {data['simulate_seconds']:.2f} s, writing {data['write_seconds']:.2f} s)",
                    f"speed              {data['calls_per_minute']:,.0f} calls/minute",
                ]
            )
        )
