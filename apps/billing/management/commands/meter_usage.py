"""Read tenants' usage into the billing meter for a window of days (idempotent: re-run freely)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.billing.management.commands._options import date_option, tenants_option
from apps.billing.periods import billing_today
from apps.billing.services.metering import usage_meter


class Command(BaseCommand):
    help = "Meter seat-days, minutes per trunk and direction, trunk-days, numbers and recording storage per day."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="a tenant's slug, or 'all'")
        parser.add_argument("--since", help="first day, YYYY-MM-DD (default: today)")
        parser.add_argument("--until", help="last day, YYYY-MM-DD (default: today; never past today)")

    def handle(self, *args, **options):
        today = billing_today()
        since = date_option(options["since"], "since") if options["since"] else today
        until = date_option(options["until"], "until") if options["until"] else today
        if since > until:
            raise CommandError("--since is after --until.")
        if since > today:
            raise CommandError("--since is in the future: there is nothing to meter yet.")
        tenants = tenants_option(options["tenant"])
        for result in usage_meter(tenants=tenants, first_day=since, last_day=until):
            self.stdout.write(f"{result.tenant}: {result.days} days, {result.rows} rows")
