"""Shift types, the roster (one shift per user and date) and the activities inside a shift.

A shift stores its start and end as timezone-aware instants, materialised from the shift type
and the date in the tenant's time zone when it is rostered: a night shift 22:00–06:00 on the
31st ends on the 1st of the next month, and attendance judges it by its ``date`` (the day it
starts) while clock events match it by instants. Changing a shift type later does not move
shifts already rostered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.workforce.choices import ActivityKind, ShiftStatus


class ShiftType(models.Model):
    """早/中/晚/夜 and the like. Overnight when ``end`` is not after ``start`` (up to 24 h)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    break_minutes = models.PositiveSmallIntegerField(_("unpaid break (minutes)"), default=0)
    colour = models.CharField(_("colour"), max_length=7, default="#4f7cff", help_text=_("#RRGGBB"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["start", "code"]
        verbose_name = _("shift type")
        verbose_name_plural = _("shift types")
        constraints = [
            models.CheckConstraint(condition=models.Q(colour__regex=r"^#[0-9A-Fa-f]{6}$"), name="wf_shifttype_colour")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_overnight(self) -> bool:
        return self.end <= self.start


class Shift(models.Model):
    """One person's shift on one date (the date it starts). Drafts are invisible to agents and
    to attendance; publishing makes them count and notifies the agent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="shifts"
    )
    date = models.DateField(_("date"))
    shift_type = models.ForeignKey(
        ShiftType, verbose_name=_("shift type"), on_delete=models.PROTECT, related_name="shifts"
    )
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))
    break_minutes = models.PositiveSmallIntegerField(_("unpaid break (minutes)"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=ShiftStatus.choices, default=ShiftStatus.DRAFT)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["date", "start", "user"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="wf_shift_user_date_uniq"),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="wf_shift_end_after_start"),
        ]
        indexes = [
            models.Index(fields=["date"], name="wf_shift_date_idx"),
            models.Index(fields=["start"], name="wf_shift_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date} {self.shift_type_id}"


class ShiftActivity(models.Model):
    """A scheduled stretch inside a shift (on queue, break, meal, training, meeting); adherence
    compares the agent's states against these. A shift without activities is on queue throughout
    apart from its break."""

    shift = models.ForeignKey(Shift, verbose_name=_("shift"), on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("activity"), max_length=16, choices=ActivityKind.choices, default=ActivityKind.ON_QUEUE)
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))

    class Meta:
        ordering = ["shift", "start"]
        verbose_name = _("shift activity")
        verbose_name_plural = _("shift activities")
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="wf_activity_end_after_start")
        ]
        indexes = [models.Index(fields=["start"], name="wf_activity_start_idx")]

    def __str__(self) -> str:
        return f"{self.shift_id} {self.kind} {self.start:%H:%M}"


class RotationPattern(models.Model):
    """A repeating sequence of days (轮班): each step a shift-type code, or "" for a day off.
    The roster editor lays it over a date range from a chosen step."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    steps = models.JSONField(_("steps"), default=list, help_text=_('Shift-type codes, "" for a day off.'))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("rotation pattern")
        verbose_name_plural = _("rotation patterns")

    def __str__(self) -> str:
        return self.name
