"""The platform's holiday calendar (public schema) and each tenant's own exceptions to it.

Only special dates are stored: statutory holidays, rest days moved by 调休 and make-up
workdays. Every other date is an ordinary weekday or weekend. A year counts as officially
covered only when :class:`CalendarYear` says so (seeded from ``chinesecalendar``, or set by the
operator's import of the State Council schedule); for any other year the selectors add the
holidays computed by rule (``holidays`` package) as *provisional* days.

Tenant exceptions live here too, keyed by tenant, rather than in each tenant schema: the
calendar selectors load the platform days and one tenant's exceptions in one query each from any
schema, and the platform operator can see them. Rows go with their tenant (``CASCADE``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.calendar.choices import DayKind, DaySource, TenantDayKind


class CalendarYear(models.Model):
    """Whether a year's official schedule (holidays and make-up workdays) is in the calendar."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    official = models.BooleanField(_("officially covered"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return f"{self.year} ({'official' if self.official else 'not official'})"


class CalendarDay(models.Model):
    """One special date of the platform calendar."""

    date = models.DateField(_("date"), unique=True)
    year = models.PositiveSmallIntegerField(_("year"), db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=DaySource.choices, default=DaySource.MANUAL)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.name_en}"

    def save(self, *args, **kwargs):
        self.year = self.date.year
        super().save(*args, **kwargs)


class TenantCalendarDay(models.Model):
    """A tenant's exception: an extra closed day, or a holiday it works."""

    tenant = models.ForeignKey(
        "tenants.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="calendar_days"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=TenantDayKind.choices)
    name = models.CharField(_("name"), max_length=80, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("tenant calendar day")
        verbose_name_plural = _("tenant calendar days")
        constraints = [models.UniqueConstraint(fields=["tenant", "date"], name="calendar_tenant_day_unique")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.date} {self.kind}"
