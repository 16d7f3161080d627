"""Where a tenant's trunk calls from: the SIP plane trusts INVITEs from these addresses only."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TrunkAddress(models.Model):
    """A signalling address of one tenant trunk (a carrier's IP): trusted as the source of its
    inbound calls and, when ``outbound`` is set, the destination of its outbound calls.

    Public schema, so that Kamailio can read every tenant's addresses through one view
    (``kamailio.trusted``). ``Trunk`` lives in the tenant's schema, hence ``trunk_id`` is a plain
    number checked by the service rather than a foreign key. One carrier address may serve
    trunks of several tenants: the called number decides which one a call belongs to.
    """

    tenant = models.ForeignKey(
        "tenants.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="trunk_addresses"
    )
    trunk_id = models.PositiveIntegerField(_("trunk"))
    address = models.GenericIPAddressField(_("source address"), unpack_ipv4=True)
    # Outbound calls (click-to-dial, callbacks, the dialer) leave for the trunk's first outbound
    # address. A carrier usually sends and receives on one address, hence one table for both.
    port = models.PositiveIntegerField(_("SIP port"), default=5060)
    outbound = models.BooleanField(_("send outbound calls here"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["tenant", "trunk_id", "address"]
        verbose_name = _("trunk address")
        verbose_name_plural = _("trunk addresses")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "trunk_id", "address"], name="trunkaddress_trunk_address_uniq")
        ]
        indexes = [models.Index(fields=["address"], name="trunkaddress_address_idx")]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.trunk_id} {self.address}"
