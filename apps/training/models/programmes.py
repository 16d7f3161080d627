"""Onboarding programmes: ordered courses, exams and on-the-job milestones with due dates.

A programme assigned to a new hire (``ProgrammeAssignment``) dates each step ``due_days`` after
the assignment starts; course steps become course assignments, exam steps are done when an
attempt passes, and milestones are done when a trainer or supervisor signs them off.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.training.choices import ProgrammeStepKind


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class ProgrammeStep(models.Model):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=ProgrammeStepKind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    course = models.ForeignKey(
        "training.Course", verbose_name=_("course"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exam = models.ForeignKey(
        "training.Exam", verbose_name=_("exam"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_days = models.PositiveSmallIntegerField(_("due after (days)"), default=7)

    class Meta:
        ordering = ["programme", "position", "id"]
        verbose_name = _("programme step")
        verbose_name_plural = _("programme steps")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="course", course__isnull=False) | Q(kind="exam", exam__isnull=False) | Q(kind="milestone")
                ),
                name="programmestep_kind_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.programme_id}#{self.position}"


class ProgrammeAssignment(models.Model):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="training_programmes"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_on = models.DateField(_("start date"), default=timezone.localdate)
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at"]
        verbose_name = _("programme assignment")
        verbose_name_plural = _("programme assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "user"],
                condition=Q(completed_at__isnull=True),
                name="programmeassignment_open_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}:{self.user_id}"


class MilestoneSignoff(models.Model):
    assignment = models.ForeignKey(
        ProgrammeAssignment, verbose_name=_("programme assignment"), on_delete=models.CASCADE, related_name="signoffs"
    )
    step = models.ForeignKey(ProgrammeStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="signoffs")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed off"), default=timezone.now)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-signed_at"]
        verbose_name = _("milestone sign-off")
        verbose_name_plural = _("milestone sign-offs")
        constraints = [models.UniqueConstraint(fields=["assignment", "step"], name="milestonesignoff_uniq")]

    def __str__(self) -> str:
        return f"{self.assignment_id}:{self.step_id}"
