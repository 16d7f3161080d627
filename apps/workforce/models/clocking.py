"""Clock records and shift handovers (交接班).

Clock records are never deleted or edited: a correction by HR or a supervisor voids a record
(who, when, why) and/or adds one with source ``correction`` and a reason, and both are written
to the audit log. Attendance reads only records that are not voided.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.workforce.choices import ClockKind, ClockSource


class ClockEvent(models.Model):
    """One clock-in or clock-out. ``shift`` is the shift it was matched to when recorded (a hint
    for pages; attendance matches by time)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="clock_events"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ClockKind.choices)
    at = models.DateTimeField(_("at"))
    source = models.CharField(_("source"), max_length=16, choices=ClockSource.choices, default=ClockSource.WEB)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    shift = models.ForeignKey(
        "workforce.Shift",
        verbose_name=_("shift"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clock_events",
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    void_reason = models.TextField(_("why voided"), blank=True)

    class Meta:
        ordering = ["user", "at"]
        verbose_name = _("clock record")
        verbose_name_plural = _("clock records")
        indexes = [
            models.Index(fields=["user", "at"], name="wf_clock_user_at_idx"),
            models.Index(fields=["at"], name="wf_clock_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class Handover(models.Model):
    """The outgoing agent's five items for the incoming one. Signed by the incoming agent; until
    then the outgoing agent cannot clock out, unless a supervisor overrides (audited)."""

    outgoing_shift = models.ForeignKey(
        "workforce.Shift",
        verbose_name=_("outgoing shift"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handovers",
    )
    outgoing_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("outgoing"), on_delete=models.CASCADE, related_name="handovers_given"
    )
    incoming_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("incoming"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handovers_received",
    )
    situation = models.TextField(_("situation"), blank=True)
    equipment = models.TextField(_("equipment"), blank=True)
    tools = models.TextField(_("tools"), blank=True)
    quality = models.TextField(_("quality"), blank=True)
    open_records = models.TextField(_("open records"), blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    override_at = models.DateTimeField(_("overridden"), null=True, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    override_reason = models.TextField(_("why overridden"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        indexes = [
            models.Index(fields=["outgoing_user", "created_at"], name="wf_handover_out_idx"),
            models.Index(fields=["incoming_user", "signed_at"], name="wf_handover_in_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.outgoing_user_id}→{self.incoming_user_id} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_released(self) -> bool:
        """The outgoing agent may clock out: signed, or a supervisor overrode."""
        return self.signed_at is not None or self.override_at is not None
