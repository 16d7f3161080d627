"""Rebuild a tenant's KPI rollups for a period:

    python manage.py rebuild_rollups --tenant acme --since 2025-03-01 --until 2025-04-01 [--json]

Dates without a time are local midnights of the tenant's time zone; ``--until`` is exclusive and
defaults to now; ``--since`` defaults to the first call. Idempotent: the period's rows are replaced
(apps/reports/services/rollups.py), chunk by chunk of a week, each chunk in its own transaction.
Needed after changing the FCR window, and for history loaded outside ``generate_history``.
"""

from __future__ import annotations

import json
import time
import zoneinfo
from datetime import datetime
from datetime import time as dtime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Min
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_tenants.utils import schema_context, tenant_context

from apps.reports.services.rollups import rollups_rebuild_period
from apps.telephony.models import Call
from apps.tenants.models import Tenant


def _moment(raw: str, flag: str, zone: zoneinfo.ZoneInfo) -> datetime:
    try:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            value = datetime.combine(day, dtime.min) if day else None
    except ValueError:
        value = None
    if value is None:
        raise CommandError(f"{flag}: give an ISO 8601 date or date-time, e.g. 2025-03-01 or 2025-03-01T08:00+08:00.")
    return value.replace(tzinfo=zone) if timezone.is_naive(value) else value


class Command(BaseCommand):
    help = "Rebuild a tenant's KPI rollups for a period (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        parser.add_argument("--since", help="start (date or ISO date-time; default: the first call)")
        parser.add_argument("--until", help="end, exclusive (default: now)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        with schema_context("public"):
            tenant = Tenant.objects.exclude(schema_name="public").filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"There is no tenant {options['tenant']!r}.")
        try:
            zone = zoneinfo.ZoneInfo(tenant.time_zone)
        except zoneinfo.ZoneInfoNotFoundError:
            zone = zoneinfo.ZoneInfo("Asia/Shanghai")
        until = _moment(options["until"], "--until", zone) if options.get("until") else timezone.now()
        with tenant_context(tenant):
            if options.get("since"):
                since = _moment(options["since"], "--since", zone)
            else:
                since = Call.objects.aggregate(first=Min("arrived_at"))["first"] or until
            if until <= since:
                raise CommandError("--until must be after --since.")
            started = time.monotonic()
            written = rollups_rebuild_period(since=since, until=until)
        result = {
            "tenant": tenant.slug,
            "since": since.isoformat(),
            "until": until.isoformat(),
            **written,
            "wall_seconds": round(time.monotonic() - started, 3),
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"Rebuilt {tenant.slug}'s KPI rollups {result['since']} – {result['until']}: "
                f"{result['call_rows']} call rows, {result['state_rows']} state rows in {result['wall_seconds']} s."
            )
