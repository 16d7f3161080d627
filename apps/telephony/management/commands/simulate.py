"""Capacity planning on the virtual clock: the real controller and ACD, virtual agents, Poisson callers.

    python manage.py simulate --tenant acme --agents 14 --arrivals-per-hour 200 --aht 180 \\
        --talk-dist exp --wrapup 0 --patience none --sl-threshold 20 --hours 8 --seed 1 --json

prints one JSON object (the contract of issue 3, documented in docs/simulation.md):
``offered, answered, abandoned, blocked, service_level, asa_seconds, aht_seconds, occupancy,
wall_seconds`` — ``service_level`` is a fraction from 0 to 1 (apps/telephony/kpis.py computes it, as
it does for the wallboard and the API; percentages only in the table).

Routing: ``--agent-levels 10:4,6:4,3:4`` gives the agents skill levels (level:count, counts adding
up to ``--agents``) in one skill the queue requires, ``--strategy`` picks the queue's strategy and
``--rings 9:0,5:10,1:20`` the bullseye rings (level:seconds); the JSON then adds
``answered_by_level``, ``top_level_share`` and, for bullseye, ``answered_by_ring``.

The run happens in the tenant's scratch queue (``Queue.is_scratch``, created on first use and
reused; wallboards and reports leave it out) and writes nothing else to the database, unless
``--record-sample N`` asks for N sample CDRs with recordings.
"""

from __future__ import annotations

import argparse
import json
import math

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context, tenant_context

from apps.telephony import kpis
from apps.telephony.engine.config import QueueSettings
from apps.telephony.engine.drivers.sim import TALK_DISTRIBUTIONS
from apps.telephony.engine.simulation.inbound import SimulationOptions, run_simulation
from apps.telephony.services.routing import check_rings
from apps.telephony.services.simulation_results import scratch_queue, simulation_samples_write
from apps.tenants.models import Tenant

MAX_AGENTS = 20_000
MAX_HOURS = 24 * 366
MAX_RECORD_SAMPLE = 100
MAX_CALLS = 5_000_000  # expected arrivals (rate × hours); beyond that a run takes too long to be useful


def _number(*, minimum: float = 0.0, strict: bool = False, integer: bool = False):
    """An argparse type: a finite number ≥ (or, ``strict``, >) ``minimum``."""

    def parse(raw):
        try:
            value = int(raw) if integer else float(raw)
        except (TypeError, ValueError):
            kind = "a whole number" if integer else "a number"
            raise argparse.ArgumentTypeError(f"must be {kind}, not {raw!r}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            relation = "greater than" if strict else "at least"
            raise argparse.ArgumentTypeError(f"must be {relation} {minimum:g}, not {raw}")
        return value

    return parse


def _pairs(raw) -> list[tuple[int, int]]:
    """``10:4,6:4`` as [(10, 4), (6, 4)] (pairs given already parsed stay as they are)."""
    if isinstance(raw, (list, tuple)):
        return [tuple(pair) for pair in raw]
    pairs = []
    for part in str(raw).split(","):
        if not part.strip():
            continue
        left, sep, right = part.partition(":")
        try:
            if not sep:
                raise ValueError
            pairs.append((int(left), int(right)))
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be number:number pairs separated by commas, not {raw!r}") from None
    return pairs


def _patience(raw) -> float | None:
    if raw is None or str(raw).strip().lower() == "none":
        return None
    return _number(minimum=0, strict=True)(raw)


# dest -> (option, type). Options given to call_command() as keyword arguments skip argparse,
# so handle() runs these parsers again on any string it receives.
OPTIONS = {
    "agents": ("--agents", _number(minimum=1, integer=True)),
    "arrivals": ("--arrivals-per-hour", _number(strict=True)),
    "aht": ("--aht", _number(strict=True)),
    "wrapup": ("--wrapup", _number()),
    "patience": ("--patience", _patience),
    "sl_threshold": ("--sl-threshold", _number()),
    "hours": ("--hours", _number(strict=True)),
    "seed": ("--seed", _number(integer=True)),
    "channels": ("--channels", _number(integer=True)),
    "answer_delay": ("--answer-delay", _number()),
    "record_sample": ("--record-sample", _number(integer=True)),
    "agent_levels": ("--agent-levels", _pairs),
    "rings": ("--rings", _pairs),
}
STRATEGIES = ("longest_idle", "most_skilled", "round_robin", "ring_all", "bullseye")


class Command(BaseCommand):
    help = (
        "Simulate a queue on the virtual clock (real engine and ACD, virtual agents) and print "
        "offered, answered, abandoned, blocked, service level (0-1), ASA, AHT and occupancy."
    )

    def add_arguments(self, parser):
        def option(dest, *, help_text, **kwargs):
            flag, parse = OPTIONS[dest]
            parser.add_argument(flag, dest=dest, type=parse, help=help_text, **kwargs)

        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        option("agents", required=True, help_text="virtual agents, all Ready from the start")
        option("arrivals", required=True, help_text="Poisson arrival rate (calls per hour)")
        option("aht", required=True, help_text="mean talk time in seconds")
        parser.add_argument("--talk-dist", default="exp", choices=TALK_DISTRIBUTIONS, help="talk time distribution")
        option("wrapup", default=0.0, help_text="wrap-up seconds after each call (default 0)")
        option("patience", default=None, help_text="callers' mean patience in seconds (exponential), or 'none'")
        option("sl_threshold", default=15.0, help_text="service level threshold T in seconds (default 15)")
        option("hours", default=1.0, help_text="hours of arrivals; the run then drains (default 1)")
        option("seed", default=0, help_text="random seed (default 0)")
        option("channels", default=None, help_text="trunk channels; calls beyond are blocked (default: no cap)")
        option("answer_delay", default=0.0, help_text="seconds a virtual agent takes to answer (default 0)")
        option("record_sample", default=0, help_text="write this many answered calls as CDRs with recordings")
        parser.add_argument("--strategy", default=None, choices=STRATEGIES, help="the queue's routing strategy")
        option("agent_levels", default=None, help_text="skill levels, level:count,... (counts add up to --agents)")
        option("rings", default=None, help_text="bullseye rings, level:seconds,... (e.g. 9:0,5:10,1:20)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        for dest, (flag, parse) in OPTIONS.items():
            value = options.get(dest)
            if value is not None:  # parsing twice is harmless; kwargs were not parsed at all
                try:
                    options[dest] = parse(value)
                except argparse.ArgumentTypeError as error:
                    raise CommandError(f"{flag} {error}.") from None
        if options["talk_dist"] not in TALK_DISTRIBUTIONS:
            raise CommandError(f"--talk-dist must be one of {', '.join(TALK_DISTRIBUTIONS)}.")

        if options["agents"] > MAX_AGENTS:
            raise CommandError(f"--agents must be at most {MAX_AGENTS}.")
        if options["hours"] > MAX_HOURS:
            raise CommandError(f"--hours must be at most {MAX_HOURS}.")
        if options["arrivals"] * options["hours"] > MAX_CALLS:
            raise CommandError(f"--arrivals-per-hour × --hours must be at most {MAX_CALLS:,} calls.")
        if options["record_sample"] > MAX_RECORD_SAMPLE:
            raise CommandError(f"--record-sample must be at most {MAX_RECORD_SAMPLE}.")
        levels, rings = self._routing(options)
        with schema_context("public"):
            tenant = Tenant.objects.exclude(schema_name="public").filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"There is no tenant {options['tenant']!r}.")
        if not tenant.is_active:
            raise CommandError(f"Tenant {tenant.slug!r} is suspended.")

        with tenant_context(tenant):
            queue = scratch_queue()
        run = run_simulation(
            SimulationOptions(
                agents=options["agents"],
                arrivals_per_hour=options["arrivals"],
                aht_seconds=options["aht"],
                talk_dist=options["talk_dist"],
                wrapup_seconds=options["wrapup"],
                patience_seconds=options["patience"],
                sl_threshold_seconds=options["sl_threshold"],
                hours=options["hours"],
                seed=options["seed"],
                channels=options["channels"],
                answer_delay_seconds=options["answer_delay"],
                queue=QueueSettings.from_model(queue, {}),
                keep_calls=options["record_sample"],
                agent_levels=levels,
                strategy=options.get("strategy"),
                rings=tuple((level, float(after)) for level, after in rings),
            )
        )
        result = run.as_dict()
        if options["record_sample"]:
            with tenant_context(tenant):
                simulation_samples_write(queue=queue, calls=run.store.kept, clock=run.clock)
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(self._table(result))

    @staticmethod
    def _routing(options) -> tuple[tuple[int, ...], list[tuple[int, int]]]:
        """The agents' levels (one per agent) and the bullseye rings, checked as the console checks them."""
        strategy = options.get("strategy")
        if strategy is not None and strategy not in STRATEGIES:
            raise CommandError(f"--strategy must be one of {', '.join(STRATEGIES)}.")
        levels: list[int] = []
        for level, count in options.get("agent_levels") or ():
            if not 1 <= level <= 10 or count < 0:
                raise CommandError("--agent-levels: levels go from 1 to 10, counts from 0.")
            levels += [level] * count
        if levels and len(levels) != options["agents"]:
            raise CommandError(f"--agent-levels name {len(levels)} agents; --agents says {options['agents']}.")
        rings = options.get("rings") or []
        if strategy == "bullseye":
            if not levels:
                raise CommandError("--strategy bullseye needs --agent-levels (the rings go by skill level).")
            errors: dict[str, list[str]] = {}
            check_rings(rings, errors)
            if not rings or errors:
                problems = errors.get("bullseye_rings") or ["give them, e.g. 9:0,5:10,1:20"]
                raise CommandError("--rings: " + " ".join(str(problem) for problem in problems))
        elif rings:
            raise CommandError("--rings needs --strategy bullseye.")
        return tuple(levels), rings

    @staticmethod
    def _table(result: dict) -> str:
        def show(value, fmt):
            return "-" if value is None else format(value, fmt)

        lines = [
            f"offered        {result['offered']}",
            f"answered       {result['answered']}",
            f"abandoned      {result['abandoned']}",
            f"blocked        {result['blocked']}",
            f"service level  {show(kpis.as_percent(result['service_level'], 1), '.1f')} %",
            f"ASA            {show(result['asa_seconds'], '.1f')} s",
            f"AHT            {show(result['aht_seconds'], '.1f')} s",
            f"occupancy      {show(kpis.as_percent(result['occupancy'], 1), '.1f')} %",
            f"wall time      {result['wall_seconds']:.2f} s",
        ]
        if "answered_by_level" in result:
            by_level = ", ".join(f"L{level}: {count}" for level, count in result["answered_by_level"].items())
            lines.insert(-1, f"by level       {by_level}")
            lines.insert(-1, f"top level      {show(kpis.as_percent(result['top_level_share'], 1), '.1f')} %")
        if "answered_by_ring" in result:
            by_ring = ", ".join(f"ring {ring}: {count}" for ring, count in result["answered_by_ring"].items())
            lines.insert(-1, f"by ring        {by_ring}")
        return "\n".join(lines)
