"""QA rules that assign training: a scorecard question missed in N evaluations within a month.

The question is named by its text (QA keeps every version of a scorecard; the same text across
versions is the same question to a trainer), so a new version of the form keeps the rule working.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class QaTrainingRule(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    question_text = models.CharField(_("scorecard question"), max_length=500)
    misses = models.PositiveSmallIntegerField(
        _("misses in a month"), default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    course = models.ForeignKey("training.Course", verbose_name=_("course"), on_delete=models.CASCADE, related_name="+")
    due_days = models.PositiveSmallIntegerField(_("due after (days)"), default=14)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("QA training rule")
        verbose_name_plural = _("QA training rules")

    def __str__(self) -> str:
        return self.name
