from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.tenants.choices import PoolNumberStatus, UsageKind


class PoolNumber(models.Model):
    """A platform-owned service number (400/DID) waiting to be given to a tenant."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PoolNumberStatus.choices, default=PoolNumberStatus.AVAILABLE
    )
    tenant = models.ForeignKey(
        "tenants.Tenant",
        verbose_name=_("tenant"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pool_numbers",
    )
    carrier = models.CharField(_("carrier"), max_length=64, default="sim")
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("pool number")
        verbose_name_plural = _("pool numbers")
        indexes = [models.Index(fields=["status", "number"], name="poolnumber_status_idx")]

    def __str__(self) -> str:
        return self.number


class UsageEvent(models.Model):
    """An append-only record of something billable that happened to a tenant."""

    tenant = models.ForeignKey(
        "tenants.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="usage_events"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=UsageKind.choices)
    quantity = models.IntegerField(_("quantity"), default=0)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("usage event")
        verbose_name_plural = _("usage events")

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.kind} {self.quantity}"


class SeatUsageDay(models.Model):
    """Seat-days for billing: the most seats a tenant held on a calendar day (Asia/Shanghai)."""

    tenant = models.ForeignKey(
        "tenants.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="seat_days"
    )
    day = models.DateField(_("day"))
    seats = models.PositiveIntegerField(_("seats"))

    class Meta:
        ordering = ["-day"]
        verbose_name = _("seat-day")
        verbose_name_plural = _("seat-days")
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="seatusageday_tenant_day_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.day} {self.seats}"


class SipDirectoryEntry(models.Model):
    """The global SIP directory: every seat's SIP username across tenants (the registrar reads it).

    Only the digest hash (HA1 = md5(user:realm:secret)) is kept; the secret itself is shown
    once, when it is reset.
    """

    username = models.CharField(_("SIP username"), max_length=128, unique=True)
    tenant = models.ForeignKey(
        "tenants.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="sip_accounts"
    )
    extension = models.CharField(_("extension"), max_length=16)
    ha1 = models.CharField(_("HA1 digest"), max_length=32)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("SIP directory entry")
        verbose_name_plural = _("SIP directory entries")

    def __str__(self) -> str:
        return self.username


class SpareSchema(models.Model):
    """A tenant schema built ahead of time; sign-up renames one instead of building it.

    ``version`` fingerprints the DDL and migration history it was built from: spares of an
    older version are dropped, never handed out.
    """

    name = models.CharField(_("schema name"), max_length=63, unique=True)
    version = models.CharField(_("version"), max_length=16, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("spare schema")
        verbose_name_plural = _("spare schemas")

    def __str__(self) -> str:
        return self.name
