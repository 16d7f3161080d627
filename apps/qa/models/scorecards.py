"""Scorecards: sections with weights, questions with points, weights and critical flags.

A scorecard is versioned: all versions of one form share a ``family`` and differ by ``version``.
Editing a scorecard that already has evaluations makes a new version (apps/qa/services/scorecards.py)
and an evaluation keeps the version it was scored on; only one version of a family is current.
The scoring contract itself is plain Python in apps/qa/scoring.py.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.qa.choices import Critical, QuestionKind, ScorecardStatus


class Scorecard(models.Model):
    family = models.UUIDField(_("family"), default=uuid.uuid4, db_index=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current version"), default=True)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ScorecardStatus.choices, default=ScorecardStatus.PUBLISHED
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="qa_scorecard_family_version_uniq"),
            models.UniqueConstraint(
                fields=["family"], condition=models.Q(is_current=True), name="qa_scorecard_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Section(models.Model):
    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("scorecard"), on_delete=models.CASCADE, related_name="sections"
    )
    title = models.CharField(_("title"), max_length=150)
    weight = models.DecimalField(
        _("weight"), max_digits=7, decimal_places=2, default=Decimal(1), validators=[MinValueValidator(0)]
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["scorecard", "position", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [models.CheckConstraint(condition=models.Q(weight__gte=0), name="qa_section_weight_gte_0")]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    section = models.ForeignKey(Section, verbose_name=_("section"), on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    guidance = models.TextField(_("guidance"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices, default=QuestionKind.YES_NO)
    points = models.PositiveIntegerField(_("points"), default=1, validators=[MinValueValidator(1)])
    weight = models.DecimalField(
        _("weight"), max_digits=7, decimal_places=2, default=Decimal(1), validators=[MinValueValidator(0)]
    )
    allow_na = models.BooleanField(_("N/A allowed"), default=False)
    critical = models.CharField(_("critical"), max_length=16, choices=Critical.choices, default=Critical.NONE)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["section", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.CheckConstraint(condition=models.Q(points__gte=1), name="qa_question_points_gte_1"),
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="qa_question_weight_gte_0"),
        ]

    def __str__(self) -> str:
        return self.text
