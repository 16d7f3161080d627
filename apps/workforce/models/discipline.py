"""Warning letters and dismissal-review flags. The system flags by the policy's thresholds and
keeps the evidence as it stood; a person reviews and decides (DOMAIN.md §4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.workforce.choices import DismissalRule, ReviewDecision
from apps.workforce.models.requests import warning_evidence_path


class DisciplineWarning(models.Model):
    """A warning letter (警告) with its evidence."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("employee"), on_delete=models.CASCADE, related_name="warnings"
    )
    reason = models.CharField(_("reason"), max_length=200)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to=warning_evidence_path, max_length=300, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("warning letter")
        verbose_name_plural = _("warning letters")
        indexes = [models.Index(fields=["user", "issued_at"], name="wf_warning_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.issued_at:%Y-%m-%d}"


class DismissalReviewFlag(models.Model):
    """An employee reached a threshold (``rule``). ``evidence`` keeps what was counted (warning
    ids and dates, absent dates) so the review sees the case as flagged. One open flag per rule
    and employee."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="dismissal_review_flags",
    )
    rule = models.CharField(_("rule"), max_length=24, choices=DismissalRule.choices)
    evidence = models.JSONField(_("evidence"), default=dict)
    created_at = models.DateTimeField(_("flagged"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    decision = models.CharField(
        _("decision"), max_length=16, choices=ReviewDecision.choices, default=ReviewDecision.PENDING, blank=True
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dismissal review flag")
        verbose_name_plural = _("dismissal review flags")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "rule"], condition=models.Q(reviewed_at__isnull=True), name="wf_flag_one_open_per_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.rule}"
