"""Coaching sessions that follow an evaluation or a trend.

``course_key`` is the seam to training: until apps/training assigns courses, a coaching session
may name a course by key and apps/qa/services/coaching.py asks the training hook (a plain
callable that apps.training registers) to assign it; with no hook registered nothing is assigned.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.qa.choices import CoachingStatus


class CoachingSession(models.Model):
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="qa_coaching_received"
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coach"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="qa_coaching_given",
    )
    evaluation = models.ForeignKey(
        "qa.Evaluation",
        verbose_name=_("evaluation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coaching_sessions",
    )
    topic = models.CharField(_("topic"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    follow_up_on = models.DateField(_("follow-up date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CoachingStatus.choices, default=CoachingStatus.PLANNED
    )
    course_key = models.CharField(_("course"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("coaching session")
        verbose_name_plural = _("coaching sessions")

    def __str__(self) -> str:
        return self.topic
