"""Exam attempts and their answers.

``deadline`` is set by the server when the attempt starts (started_at + the exam's time limit)
and is the only clock that counts: a submission after it is refused and the attempt expires.
``question_ids`` is the order the taker saw, fixed at the start (with the draw's ``seed``), so
that grading, the result page and item analysis read the same questions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.training.choices import AttemptStatus


class Attempt(models.Model):
    exam = models.ForeignKey("training.Exam", verbose_name=_("exam"), on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="training_attempts"
    )
    number = models.PositiveSmallIntegerField(_("attempt number"), default=1)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )
    score_percent = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    points_awarded = models.DecimalField(_("points awarded"), max_digits=8, decimal_places=2, null=True, blank=True)
    points_possible = models.PositiveIntegerField(_("points possible"), default=0)
    question_ids = models.JSONField(_("questions, in order"), default=list)
    seed = models.BigIntegerField(_("draw seed"), default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("exam attempt")
        verbose_name_plural = _("exam attempts")
        constraints = [
            models.UniqueConstraint(fields=["exam", "user", "number"], name="attempt_exam_user_number_uniq"),
            models.UniqueConstraint(
                fields=["exam", "user"], condition=Q(status="in_progress"), name="attempt_one_open_uniq"
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="attempt_status_deadline_idx")]

    def __str__(self) -> str:
        return f"{self.exam_id}:{self.user_id}#{self.number}"


class AttemptAnswer(models.Model):
    attempt = models.ForeignKey(Attempt, verbose_name=_("attempt"), on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(
        "training.Question", verbose_name=_("question"), on_delete=models.PROTECT, related_name="+"
    )
    choice = models.JSONField(_("chosen options"), default=list, blank=True)
    text = models.TextField(_("answer text"), blank=True)
    # None until graded (a short answer waits for a trainer).
    points_awarded = models.DecimalField(_("points awarded"), max_digits=6, decimal_places=2, null=True, blank=True)
    is_correct = models.BooleanField(_("correct"), null=True, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("graded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    graded_at = models.DateTimeField(_("graded"), null=True, blank=True)
    feedback = models.TextField(_("grader's feedback"), blank=True)

    class Meta:
        ordering = ["attempt", "id"]
        verbose_name = _("attempt answer")
        verbose_name_plural = _("attempt answers")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="attemptanswer_attempt_question_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}:{self.question_id}"
