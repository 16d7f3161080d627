"""Question banks, questions and exams.

``Question.answer`` holds the indexes of the correct options (``[0]`` for a single choice,
``[0, 2]`` for a multiple choice, ``[0]`` true / ``[1]`` false with options ``["True", "False"]``);
it is empty for a short answer, which a trainer grades. It never leaves the server before the
attempt is submitted (apps/training/selectors/attempts.py builds what the taker sees).

An exam's questions are its fixed ``ExamQuestion`` rows plus, for each ``ExamDraw``, ``count``
questions drawn at random from a bank (optionally only those carrying ``tag``) when an attempt
starts; the draw is seeded and the drawn ids are recorded on the attempt.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.training.choices import QuestionKind


class QuestionBank(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    bank = models.ForeignKey(
        QuestionBank, verbose_name=_("bank"), null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    text = models.TextField(_("text"))
    options = models.JSONField(_("options"), default=list, blank=True)
    answer = models.JSONField(_("correct options"), default=list, blank=True)
    points = models.PositiveSmallIntegerField(_("points"), default=1, validators=[MinValueValidator(1)])
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Shown with the result, after submission: why the right answer is right.
    explanation = models.TextField(_("explanation"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [models.CheckConstraint(condition=Q(points__gte=1), name="question_points_positive")]

    def __str__(self) -> str:
        return self.text[:60]


class Exam(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    course = models.ForeignKey(
        "training.Course",
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exams",
    )
    pass_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"), default=30, validators=[MinValueValidator(1)]
    )
    # None: unlimited.
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), null=True, blank=True, default=3)
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
        ordering = ["title", "id"]
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        constraints = [
            models.CheckConstraint(condition=Q(pass_percent__lte=100), name="exam_pass_percent_range"),
            models.CheckConstraint(condition=Q(time_limit_minutes__gte=1), name="exam_time_limit_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class ExamQuestion(models.Model):
    """A fixed question of an exam, in order."""

    exam = models.ForeignKey(Exam, verbose_name=_("exam"), on_delete=models.CASCADE, related_name="exam_questions")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["exam", "position", "id"]
        verbose_name = _("exam question")
        verbose_name_plural = _("exam questions")
        constraints = [models.UniqueConstraint(fields=["exam", "question"], name="examquestion_exam_question_uniq")]

    def __str__(self) -> str:
        return f"{self.exam_id}:{self.question_id}"


class ExamDraw(models.Model):
    """A draw rule: ``count`` random questions from ``bank`` (those tagged ``tag`` when set)."""

    exam = models.ForeignKey(Exam, verbose_name=_("exam"), on_delete=models.CASCADE, related_name="draws")
    bank = models.ForeignKey(QuestionBank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    tag = models.CharField(_("tag"), max_length=50, blank=True)
    count = models.PositiveSmallIntegerField(_("questions to draw"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["exam", "id"]
        verbose_name = _("draw rule")
        verbose_name_plural = _("draw rules")
        constraints = [models.CheckConstraint(condition=Q(count__gte=1), name="examdraw_count_positive")]

    def __str__(self) -> str:
        return f"{self.exam_id}:{self.bank_id}/{self.tag}x{self.count}"
