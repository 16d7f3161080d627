"""Calibration: several evaluators score the same call; each is compared with a benchmark.

The evaluators' answers are ordinary ``Evaluation`` rows of kind ``calibration`` (never shown to
the agent, never in the agent's QA score). The benchmark is the lead's own evaluation
(``benchmark_evaluation``) or, in consensus mode, the median answer per question; alignment per
question = 1 − |e − e_benchmark| ÷ points (apps/qa/calibration.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.qa.choices import BenchmarkMode, CalibrationStatus


class CalibrationSession(models.Model):
    title = models.CharField(_("title"), max_length=150)
    call = models.ForeignKey("telephony.Call", verbose_name=_("call"), on_delete=models.CASCADE, related_name="+")
    scorecard = models.ForeignKey(
        "qa.Scorecard", verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="+"
    )
    benchmark_mode = models.CharField(
        _("benchmark"), max_length=16, choices=BenchmarkMode.choices, default=BenchmarkMode.LEAD
    )
    benchmark_evaluation = models.ForeignKey(
        "qa.Evaluation",
        verbose_name=_("benchmark evaluation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("evaluators"), related_name="qa_calibrations", blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CalibrationStatus.choices, default=CalibrationStatus.OPEN
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("calibration session")
        verbose_name_plural = _("calibration sessions")

    def __str__(self) -> str:
        return self.title
