"""The tenant's telephone plant: trunks, phone numbers and seats."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.telephony.choices import SeatRegistrationMode, TrunkKind


class Trunk(models.Model):
    """A carrier connection; ``channels`` caps concurrent calls (an E1 carries 30)."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=TrunkKind.choices, default=TrunkKind.SIM)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    channels = models.PositiveIntegerField(_("channels"), default=30)
    caller_id = models.CharField(_("caller ID"), max_length=32, blank=True)
    codecs = models.CharField(_("codecs"), max_length=100, default="PCMA,PCMU")
    per_minute_rate = models.DecimalField(
        _("rate per minute (CNY)"), max_digits=8, decimal_places=4, default=Decimal("0.1000")
    )
    monthly_rental = models.DecimalField(
        _("monthly rental (CNY)"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    is_default = models.BooleanField(_("default trunk"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("trunk")
        verbose_name_plural = _("trunks")

    def __str__(self) -> str:
        return self.name


class PhoneNumber(models.Model):
    """A DID or 400 number the tenant answers on."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    trunk = models.ForeignKey(Trunk, verbose_name=_("trunk"), on_delete=models.PROTECT, related_name="numbers")
    caller_id = models.CharField(_("outbound caller ID"), max_length=32, blank=True)
    # Where inbound calls go: an IVR flow (its published version) or straight to a queue.
    ivr_flow = models.ForeignKey(
        "telephony.IvrFlow",
        verbose_name=_("IVR flow"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="numbers",
    )
    queue = models.ForeignKey(
        "telephony.Queue",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="numbers",
    )
    sim_arrivals_per_hour = models.FloatField(
        _("simulated arrivals per hour"), default=0, help_text=_("Used by the simulated carrier only (demo traffic).")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["number"]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")

    def __str__(self) -> str:
        return self.number


class Seat(models.Model):
    """A licensed agent position: one SIP extension. Billed per seat-day.

    ``registration_mode`` says which credential the registrar's directory row holds
    (apps.telephony.services.seat_credentials): a desk phone's seat registers with the seat's own
    long-lived secret (``sip_ha1``, shown to administrators once per reset); a browser seat with a
    credential issued when an agent logs into it and replaced when they leave, so that nobody can
    keep a seat's credential after leaving it.
    """

    extension = models.CharField(_("extension"), max_length=16, unique=True)
    sip_username = models.CharField(_("SIP username"), max_length=128, unique=True)
    sip_ha1 = models.CharField(_("SIP HA1 digest"), max_length=32)
    label = models.CharField(_("label"), max_length=100, blank=True)
    is_remote = models.BooleanField(_("remote seat"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    secret_reset_at = models.DateTimeField(_("secret reset"), null=True, blank=True)
    registration_mode = models.CharField(
        _("registration"),
        max_length=16,
        choices=SeatRegistrationMode.choices,
        default=SeatRegistrationMode.BROWSER,
    )

    class Meta:
        ordering = ["extension"]
        verbose_name = _("seat")
        verbose_name_plural = _("seats")

    def __str__(self) -> str:
        return self.extension
