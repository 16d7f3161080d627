"""How long a tenant keeps its calls, recordings and contact data, and what it must keep.

Invariants:
- One policy row per tenant (pk=1), created on first read; an empty field means the platform
  default (``RETENTION_DEFAULTS``), so a change of the platform default reaches every tenant
  that never chose.
- A call under legal hold keeps its CDR, timeline and recording whatever the policy says; the
  purge skips it and counts it in the run's report.
- Every purge leaves a ``PurgeRun`` row: what the cut-off dates were and what was removed.
  That row is the report the administrators read (and the audit trail of the deletion).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RetentionPolicy(models.Model):
    """The tenant's retention in days per kind of data (empty: the platform default)."""

    recordings_days = models.PositiveIntegerField(_("recordings (days)"), null=True, blank=True)
    calls_days = models.PositiveIntegerField(_("call records (days)"), null=True, blank=True)
    contacts_days = models.PositiveIntegerField(_("campaign contacts (days)"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.CharField(_("updated by"), max_length=254, blank=True)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="retention_policy_singleton")]

    def __str__(self) -> str:
        return "retention policy"


class LegalHold(models.Model):
    """A call that must be kept (a dispute, a complaint, a regulator's request)."""

    call = models.OneToOneField(
        "telephony.Call", verbose_name=_("call"), on_delete=models.CASCADE, related_name="legal_hold"
    )
    reason = models.CharField(_("reason"), max_length=200)
    placed_by = models.CharField(_("placed by"), max_length=254)
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")

    def __str__(self) -> str:
        return f"hold {self.call_id}"


class PurgeRun(models.Model):
    """One run of the retention purge: the cut-offs it used and what it removed."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    recordings_before = models.DateTimeField(_("recordings before"))
    calls_before = models.DateTimeField(_("calls before"))
    contacts_before = models.DateTimeField(_("contacts before"))
    recordings_deleted = models.PositiveIntegerField(_("recordings removed"), default=0)
    calls_deleted = models.PositiveIntegerField(_("calls removed"), default=0)
    contacts_deleted = models.PositiveIntegerField(_("contacts removed"), default=0)
    agent_events_deleted = models.PositiveIntegerField(_("agent state events removed"), default=0)
    files_missing = models.PositiveIntegerField(_("files already missing"), default=0)
    held_skipped = models.PositiveIntegerField(_("held calls kept"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")

    def __str__(self) -> str:
        return f"purge {self.started_at:%Y-%m-%d %H:%M}"
