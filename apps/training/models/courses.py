"""Courses, their lessons, who is assigned a course and which lessons they have completed.

A golden-call lesson points at a real call by its uid (not a foreign key: a call may be purged by
retention while the lesson's notes stay useful; the player then says the recording is gone) and
plays the clip ``clip_start``–``clip_end`` seconds through the signed-link player.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.training.choices import AssignmentSource, CourseStatus, LessonKind


class Course(models.Model):
    key = models.SlugField(_("key"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CourseStatus.choices, default=CourseStatus.DRAFT)
    prerequisites = models.ManyToManyField(
        "self", verbose_name=_("prerequisites"), symmetrical=False, blank=True, related_name="unlocks"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
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
        ordering = ["position", "title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=LessonKind.choices, default=LessonKind.TEXT)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    call_uid = models.CharField(_("call ID"), max_length=64, blank=True)
    clip_start = models.PositiveIntegerField(_("clip start (s)"), null=True, blank=True)
    clip_end = models.PositiveIntegerField(_("clip end (s)"), null=True, blank=True)
    trainer_notes = models.TextField(_("trainer's notes"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to="training/lessons/%Y/%m/", blank=True)

    class Meta:
        ordering = ["course", "position", "id"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.CheckConstraint(
                condition=Q(clip_start__isnull=True)
                | Q(clip_end__isnull=True)
                | Q(clip_end__gt=models.F("clip_start")),
                name="lesson_clip_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CourseAssignment(models.Model):
    """A course someone must take; at most one open (uncompleted) assignment per user and course."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="training_assignments"
    )
    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=16, choices=AssignmentSource.choices, default=AssignmentSource.MANUAL
    )
    # What caused it when not manual: a coaching session, QA rule or programme assignment id.
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True)
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at"]
        verbose_name = _("course assignment")
        verbose_name_plural = _("course assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], condition=Q(completed_at__isnull=True), name="courseassignment_open_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course_id}:{self.user_id}"


class LessonCompletion(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="lesson_completions"
    )
    lesson = models.ForeignKey(Lesson, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(_("completed"), default=timezone.now)

    class Meta:
        ordering = ["-completed_at"]
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="lessoncompletion_user_lesson_uniq")]

    def __str__(self) -> str:
        return f"{self.lesson_id}:{self.user_id}"
