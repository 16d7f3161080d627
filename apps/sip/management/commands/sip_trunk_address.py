"""List, add or remove the source addresses a tenant's trunk calls from (platform operators)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ApplicationError
from apps.sip.models import TrunkAddress
from apps.sip.services import trunk_address_add, trunk_address_remove
from apps.tenants.models import Tenant


class Command(BaseCommand):
    help = "Trust (or stop trusting) a carrier address for a tenant's trunk: sip_trunk_address acme 1 --add 203.0.113.5 --outbound"

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="the tenant's slug")
        parser.add_argument("trunk", type=int, nargs="?", help="the trunk's id (console: Telephony)")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--add", metavar="ADDRESS")
        action.add_argument("--remove", metavar="ADDRESS")
        parser.add_argument("--port", type=int, default=5060, help="the carrier's SIP port (default 5060)")
        parser.add_argument(
            "--outbound", action="store_true", help="also send this trunk's outbound calls to ADDRESS:PORT"
        )

    def handle(
        self,
        *args,
        tenant: str,
        trunk: int | None,
        add: str | None,
        remove: str | None,
        port: int = 5060,
        outbound: bool = False,
        **options,
    ):
        target = Tenant.objects.filter(slug=tenant).first()
        if target is None:
            raise CommandError(f"No tenant {tenant!r}.")
        if add or remove:
            if trunk is None:
                raise CommandError("Name the trunk (its id) to add or remove an address.")
            try:
                if add:
                    trunk_address_add(tenant=target, trunk_id=trunk, address=add, port=port, outbound=outbound)
                else:
                    trunk_address_remove(tenant=target, trunk_id=trunk, address=remove or "")
            except ApplicationError as error:
                details = "; ".join(
                    f"{field}: {' '.join(map(str, messages))}" for field, messages in error.fields.items()
                )
                raise CommandError(f"{error.message} {details}".strip()) from error
        rows = TrunkAddress.objects.filter(tenant=target)
        if trunk is not None:
            rows = rows.filter(trunk_id=trunk)
        for row in rows:
            direction = "in+out" if row.outbound else "in"
            self.stdout.write(f"trunk {row.trunk_id}\t{row.address}:{row.port}\t{direction}")
