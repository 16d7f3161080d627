"""Typing tests (the hiring bar: 30 characters a minute at 90% accuracy) and their attempts.

How characters are counted (apps/training/typing_speed.py): every Unicode character the taker typed
counts as one, a CJK ideograph exactly like a Latin letter, so a Chinese and an English result
compare on one scale (the hiring bar is quoted in characters, 字/分钟); a run of whitespace counts as
one character. Accuracy compares the typed text with the passage by edit distance, character by character.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.training.choices import AttemptStatus, TypingLanguage


class TypingTest(models.Model):
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=4, choices=TypingLanguage.choices, default=TypingLanguage.ZH)
    passage = models.TextField(_("passage"))
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), default=120, validators=[MinValueValidator(10)])
    pass_cpm = models.PositiveIntegerField(_("pass: characters per minute"), default=30)
    pass_accuracy = models.PositiveSmallIntegerField(
        _("pass: accuracy (%)"), default=90, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("typing test")
        verbose_name_plural = _("typing tests")

    def __str__(self) -> str:
        return self.title


class TypingAttempt(models.Model):
    test = models.ForeignKey(
        TypingTest, verbose_name=_("typing test"), on_delete=models.CASCADE, related_name="attempts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="typing_attempts"
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )
    typed = models.TextField(_("typed text"), blank=True)
    characters = models.PositiveIntegerField(_("characters typed"), default=0)
    cpm = models.DecimalField(_("characters per minute"), max_digits=7, decimal_places=1, null=True, blank=True)
    accuracy = models.DecimalField(_("accuracy (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("typing attempt")
        verbose_name_plural = _("typing attempts")

    def __str__(self) -> str:
        return f"{self.test_id}:{self.user_id}"
