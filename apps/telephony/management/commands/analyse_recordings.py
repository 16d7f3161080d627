"""Analyse call recordings that have no analysis yet (a backfill), or again.

    python manage.py analyse_recordings --tenant demo                 # recordings never analysed
    python manage.py analyse_recordings --tenant demo --since 2026-11-01
    python manage.py analyse_recordings --tenant demo --all           # every recording, again
    python manage.py analyse_recordings --all-tenants --stale         # also failed or older analyser versions

Runs in this process, one recording at a time (each its own transaction: an interrupted run
keeps what it finished). The work is apps/telephony/services/analysis.py's.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from django_tenants.utils import schema_context, tenant_context

from apps.telephony.analysis import ANALYSER_VERSION
from apps.telephony.choices import CallAnalysisStatus
from apps.telephony.models import Call
from apps.telephony.services.analysis import call_analyse
from apps.tenants.models import Tenant


def _since(raw: str | None, zone: str) -> datetime | None:
    if not raw:
        return None
    moment = parse_datetime(raw)
    if moment is None:
        day = parse_date(raw)
        if day is None:
            raise CommandError(f"--since {raw!r}: give a date (2026-11-01) or a date and time.")
        moment = datetime.combine(day, dtime.min)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


class Command(BaseCommand):
    help = "Analyse call recordings (talk, silence, overtalk, hold music, loudness): those not analysed yet, or all."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--tenant", help="the tenant's slug")
        which.add_argument("--all-tenants", action="store_true", help="every active tenant")
        parser.add_argument("--since", help="only calls that arrived from this date (the tenant's time zone)")
        parser.add_argument("--all", action="store_true", help="analyse again even what is analysed already")
        parser.add_argument("--stale", action="store_true", help="also failed analyses and older analyser versions")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        with schema_context("public"):
            tenants = Tenant.objects.exclude(schema_name="public")
            if options.get("tenant"):
                tenants = tenants.filter(slug=options["tenant"])
                if not tenants.exists():
                    raise CommandError(f"There is no tenant {options['tenant']!r}.")
            tenants = [tenant for tenant in tenants.order_by("slug") if tenant.is_active]
        started = time.perf_counter()
        counts = {"analysed": 0, "failed": 0, "tenants": len(tenants)}
        for tenant in tenants:
            with tenant_context(tenant):
                calls = Call.objects.filter(recording__isnull=False)
                since = _since(options.get("since"), tenant.time_zone)
                if since is not None:
                    calls = calls.filter(arrived_at__gte=since)
                if not options.get("all"):
                    wanted = Q(analysis__isnull=True)
                    if options.get("stale"):
                        wanted |= Q(analysis__status=CallAnalysisStatus.FAILED)
                        wanted |= ~Q(analysis__version__startswith=ANALYSER_VERSION)
                    calls = calls.filter(wanted)
                for call in calls.order_by("arrived_at", "id").iterator(chunk_size=200):
                    status = call_analyse(call=call).status
                    counts["analysed" if status == CallAnalysisStatus.DONE else "failed"] += 1
        counts["wall_seconds"] = round(time.perf_counter() - started, 3)
        if options.get("json"):
            self.stdout.write(json.dumps(counts))
        else:
            self.stdout.write(
                f"{counts['analysed']} recording(s) analysed, {counts['failed']} failed, "
                f"in {counts['tenants']} tenant(s), {counts['wall_seconds']} s"
            )
