"""Certifications and the certificates issued to people.

A certification is earned by passing ``exam`` or completing ``course``; it lasts ``valid_months``
(None: no expiry). When it names a ``skill``, issuing a certificate grants the agent that routing
skill at ``level``, and the skill is *effective for the ACD only while the agent holds a valid
certificate* of a certification that grants it (apps/training/gating.py fills the telephony seam
apps/telephony/skill_gates.py). ``expiry_warned_at`` / ``expiry_applied_at`` make the daily beat
task idempotent: each certificate is warned once and its expiry applied once.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Certification(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    exam = models.ForeignKey(
        "training.Exam",
        verbose_name=_("exam"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certifications",
    )
    course = models.ForeignKey(
        "training.Course",
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certifications",
    )
    valid_months = models.PositiveSmallIntegerField(_("valid for (months)"), null=True, blank=True, default=12)
    renewal_notice_days = models.PositiveSmallIntegerField(_("renewal notice (days)"), default=30)
    skill = models.ForeignKey(
        "telephony.Skill",
        verbose_name=_("grants skill"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certifications",
    )
    level = models.PositiveSmallIntegerField(
        _("skill level"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=10), name="certification_level_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Certificate(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.CASCADE, related_name="certificates"
    )
    certification = models.ForeignKey(
        Certification, verbose_name=_("certification"), on_delete=models.CASCADE, related_name="certificates"
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_attempt = models.ForeignKey(
        "training.Attempt",
        verbose_name=_("exam attempt"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)
    expiry_warned_at = models.DateTimeField(_("expiry warning sent"), null=True, blank=True)
    expiry_applied_at = models.DateTimeField(_("expiry applied"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        indexes = [
            models.Index(fields=["user", "certification"], name="certificate_user_cert_idx"),
            models.Index(fields=["expires_at"], condition=Q(revoked_at__isnull=True), name="certificate_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.certification_id}:{self.user_id}"

    def is_valid_at(self, when: datetime) -> bool:
        """Valid: issued, not revoked, and not yet expired at ``when``."""
        return (
            self.revoked_at is None and self.issued_at <= when and (self.expires_at is None or self.expires_at > when)
        )
