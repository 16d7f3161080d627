"""Size an outbound campaign on the virtual clock: the real engine, ACD and dialer, virtual agents.

    python manage.py simulate_campaign --tenant acme --mode predictive --agents 50 --contacts 200000 \\
        --answer-rate 0.25 --machine-rate 0.15 --amd-false-positive 0.02 --aht 120 --wrapup 10 \\
        --hours 8 --max-abandon 0.03 --seed 1 --json

prints one JSON object (the contract of issue 4, documented in docs/dialer.md): ``dials,
live_answers, abandoned, abandon_rate, talk_minutes_per_agent_hour, occupancy,
contacts_finished, wall_seconds`` — ``abandon_rate`` is a fraction of live answers.

Like ``simulate`` it runs in the tenant's scratch queue and writes nothing to the database
unless ``--record-sample N`` asks for N sample CDRs with recordings.
"""

from __future__ import annotations

import argparse
import json
import math

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context, tenant_context

from apps.telephony import kpis
from apps.telephony.dialer.contract import MODE_POWER, MODE_PREDICTIVE, MODE_PROGRESSIVE
from apps.telephony.engine.config import QueueSettings
from apps.telephony.engine.drivers.sim import TALK_DISTRIBUTIONS
from apps.telephony.engine.simulation.campaigns import CampaignSimulationOptions, run_campaign_simulation
from apps.telephony.services.simulation_results import scratch_queue, simulation_samples_write
from apps.tenants.models import Tenant

MODES = (MODE_PROGRESSIVE, MODE_POWER, MODE_PREDICTIVE)
MAX_AGENTS = 5_000
MAX_CONTACTS = 10_000_000
MAX_HOURS = 24 * 31
MAX_RATIO = 10.0
MAX_RECORD_SAMPLE = 100
MAX_AGENT_HOURS = 100_000  # agents × hours; beyond that a run takes too long to be useful


def _number(*, minimum: float = 0.0, maximum: float | None = None, strict: bool = False, integer: bool = False):
    """An argparse type: a finite number ≥ (``strict``: >) ``minimum`` and ≤ ``maximum``."""

    def parse(raw):
        try:
            value = int(raw) if integer else float(raw)
        except (TypeError, ValueError):
            kind = "a whole number" if integer else "a number"
            raise argparse.ArgumentTypeError(f"must be {kind}, not {raw!r}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            relation = "greater than" if strict else "at least"
            raise argparse.ArgumentTypeError(f"must be {relation} {minimum:g}, not {raw}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:g}, not {raw}")
        return value

    return parse


def _rate(raw):
    return _number(minimum=0.0, maximum=1.0)(raw)


# dest -> (option, type). Options given to call_command() as keyword arguments skip argparse,
# so handle() runs these parsers again on any value it receives.
OPTIONS = {
    "agents": ("--agents", _number(minimum=1, maximum=MAX_AGENTS, integer=True)),
    "contacts": ("--contacts", _number(minimum=1, maximum=MAX_CONTACTS, integer=True)),
    "ratio": ("--ratio", _number(minimum=1, maximum=MAX_RATIO)),
    "answer_rate": ("--answer-rate", _rate),
    "machine_rate": ("--machine-rate", _rate),
    "busy_rate": ("--busy-rate", _rate),
    "amd_false_positive": ("--amd-false-positive", _rate),
    "aht": ("--aht", _number(strict=True)),
    "wrapup": ("--wrapup", _number()),
    "hours": ("--hours", _number(strict=True, maximum=MAX_HOURS)),
    "max_abandon": ("--max-abandon", _number(maximum=0.5)),
    "ring_timeout": ("--ring-timeout", _number(minimum=15, maximum=120)),
    "seed": ("--seed", _number(integer=True)),
    "channels": ("--channels", _number(minimum=1, integer=True)),
    "record_sample": ("--record-sample", _number(maximum=MAX_RECORD_SAMPLE, integer=True)),
}


class Command(BaseCommand):
    help = (
        "Simulate an outbound campaign on the virtual clock (real engine, ACD and dialer, virtual "
        "agents) and print dials, live answers, abandons, abandon rate, talk minutes per agent-hour, "
        "occupancy and contacts finished."
    )

    def add_arguments(self, parser):
        def option(dest, *, help_text, **kwargs):
            flag, parse = OPTIONS[dest]
            parser.add_argument(flag, dest=dest, type=parse, help=help_text, **kwargs)

        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        parser.add_argument("--mode", required=True, choices=MODES, help="dial mode")
        option("ratio", default=None, help_text="power mode: lines per Ready agent (required there)")
        option("agents", required=True, help_text="virtual agents, all Ready from the start")
        option("contacts", required=True, help_text="contacts in the list")
        option("answer_rate", required=True, help_text="share of dials a person answers (0-1)")
        option("machine_rate", required=True, help_text="share of dials an answering machine answers (0-1)")
        option("busy_rate", default=0.10, help_text="share of dials that find the line busy (default 0.10)")
        option(
            "amd_false_positive",
            default=0.0,
            help_text="share of live people the machine detector hangs up on (counted as abandoned)",
        )
        option("aht", required=True, help_text="mean talk time in seconds")
        parser.add_argument("--talk-dist", default="exp", choices=TALK_DISTRIBUTIONS, help="talk time distribution")
        option("wrapup", default=0.0, help_text="wrap-up seconds after each call (default 0)")
        option("hours", required=True, help_text="hours of dialling; the run then drains")
        option("max_abandon", default=0.03, help_text="abandon limit, a fraction of live answers (default 0.03)")
        option("ring_timeout", default=25.0, help_text="seconds a line rings before giving up (15-120, default 25)")
        option("seed", default=0, help_text="random seed (default 0)")
        option("channels", default=None, help_text="trunk channels (default: no cap)")
        option("record_sample", default=0, help_text="write this many answered calls as CDRs with recordings")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        for dest, (flag, parse) in OPTIONS.items():
            value = options.get(dest)
            if value is not None:  # parsing twice is harmless; kwargs were not parsed at all
                try:
                    options[dest] = parse(value)
                except argparse.ArgumentTypeError as error:
                    raise CommandError(f"{flag} {error}.") from None
        for dest in ("agents", "contacts", "answer_rate", "machine_rate", "aht", "hours"):
            if options.get(dest) is None:
                raise CommandError(f"{OPTIONS[dest][0]} is required.")
        if options["mode"] not in MODES:
            raise CommandError(f"--mode must be one of {', '.join(MODES)}.")
        if options["talk_dist"] not in TALK_DISTRIBUTIONS:
            raise CommandError(f"--talk-dist must be one of {', '.join(TALK_DISTRIBUTIONS)}.")
        if options["mode"] == MODE_POWER and options["ratio"] is None:
            raise CommandError("--ratio is required in power mode.")
        if options["mode"] != MODE_POWER and options["ratio"] is not None:
            raise CommandError("--ratio applies to power mode only.")
        if options["answer_rate"] + options["machine_rate"] > 1:
            raise CommandError("--answer-rate + --machine-rate must be at most 1.")
        if options["agents"] * options["hours"] > MAX_AGENT_HOURS:
            raise CommandError(f"--agents × --hours must be at most {MAX_AGENT_HOURS:,} agent-hours.")
        with schema_context("public"):
            tenant = Tenant.objects.exclude(schema_name="public").filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"There is no tenant {options['tenant']!r}.")
        if not tenant.is_active:
            raise CommandError(f"Tenant {tenant.slug!r} is suspended.")

        with tenant_context(tenant):
            queue = scratch_queue()
        run = run_campaign_simulation(
            CampaignSimulationOptions(
                mode=options["mode"],
                ratio=options["ratio"] or 1.0,
                agents=options["agents"],
                contacts=options["contacts"],
                answer_rate=options["answer_rate"],
                machine_rate=options["machine_rate"],
                busy_rate=options["busy_rate"],
                amd_false_positive=options["amd_false_positive"],
                aht_seconds=options["aht"],
                talk_dist=options["talk_dist"],
                wrapup_seconds=options["wrapup"],
                hours=options["hours"],
                max_abandon=options["max_abandon"],
                ring_timeout_seconds=options["ring_timeout"],
                channels=options["channels"],
                seed=options["seed"],
                queue=QueueSettings.from_model(queue, {}),
                keep_calls=options["record_sample"],
            )
        )
        result = run.as_dict()
        if options["record_sample"]:
            with tenant_context(tenant):
                simulation_samples_write(queue=queue, calls=run.store.kept, clock=run.clock, direction="outbound")
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(self._table(result))

    @staticmethod
    def _table(result: dict) -> str:
        def show(value, fmt):
            return "-" if value is None else format(value, fmt)

        lines = [
            f"dials                     {result['dials']}",
            f"live answers              {result['live_answers']}",
            f"abandoned                 {result['abandoned']}",
            f"abandon rate              {show(kpis.as_percent(result['abandon_rate']), '.2f')} %",
            f"talk minutes / agent-hour {show(result['talk_minutes_per_agent_hour'], '.1f')}",
            f"occupancy                 {show(kpis.as_percent(result['occupancy'], 1), '.1f')} %",
            f"contacts finished         {result['contacts_finished']}",
            f"wall time                 {result['wall_seconds']:.2f} s",
        ]
        return "\n".join(lines)
