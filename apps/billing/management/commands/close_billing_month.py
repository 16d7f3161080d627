"""Close a month: write (or rebuild) each tenant's draft invoice. Issued invoices are never changed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.billing.management.commands._options import month_option, tenants_option
from apps.billing.services.invoices import billing_close_month
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Meter the month's missing days, rate them and write each tenant's draft invoice (re-runnable)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM, a month that is over")
        parser.add_argument("--tenant", default="all", help="a tenant's slug (default: all)")

    def handle(self, *args, **options):
        month = month_option(options["month"])
        refused = 0
        for tenant in tenants_option(options["tenant"]):
            try:
                invoice = billing_close_month(tenant=tenant, month=month)
            except ApplicationError as error:
                if error.code == "billing_month_open":
                    raise CommandError(str(error.message)) from None
                refused += 1
                self.stderr.write(f"{tenant.slug}: {error.message}")
                continue
            self.stdout.write(f"{tenant.slug}: {invoice.number} {invoice.status} {invoice.total} {invoice.currency}")
        if refused and options["tenant"] != "all":
            raise CommandError("The invoice is issued: nothing was changed.")
