"""IVR flows (versioned graphs) and the opening-hours calendars they branch on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.telephony.choices import IvrFlowStatus


def default_weekly_hours() -> dict:
    workday = [["09:00", "18:00"]]
    return {"mon": workday, "tue": workday, "wed": workday, "thu": workday, "fri": workday, "sat": [], "sun": []}


class BusinessHours(models.Model):
    """Opening hours by weekday, optionally following the official Chinese holiday calendar
    (holidays closed, make-up workdays 调休 open with the weekday hours of ``makeup_day_hours``)."""

    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    weekly = models.JSONField(_("weekly hours"), default=default_weekly_hours)
    follow_chinese_holidays = models.BooleanField(_("follow Chinese public holidays"), default=True)
    makeup_day_hours = models.JSONField(_("make-up workday hours"), default=list, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return self.name


class HolidayOverride(models.Model):
    """A tenant's own exception to its hours: a closure or an extra open day."""

    hours = models.ForeignKey(
        BusinessHours, verbose_name=_("business hours"), on_delete=models.CASCADE, related_name="overrides"
    )
    date = models.DateField(_("date"))
    is_open = models.BooleanField(_("open"), default=False)
    open_hours = models.JSONField(_("hours"), default=list, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday override")
        verbose_name_plural = _("holiday overrides")
        constraints = [models.UniqueConstraint(fields=["hours", "date"], name="holidayoverride_hours_date_uniq")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class IvrFlow(models.Model):
    """A named IVR; what calls run is its published version, drafts are edited separately."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("IVR flow")
        verbose_name_plural = _("IVR flows")

    def __str__(self) -> str:
        return self.name

    @property
    def published(self) -> IvrFlowVersion | None:
        return self.versions.filter(status=IvrFlowStatus.PUBLISHED).order_by("-number").first()


class IvrFlowVersion(models.Model):
    """One version of a flow's graph. Published versions are immutable (enforced in services)."""

    flow = models.ForeignKey(IvrFlow, verbose_name=_("flow"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=IvrFlowStatus.choices, default=IvrFlowStatus.DRAFT)
    graph = models.JSONField(_("graph"), default=dict)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["flow", "-number"]
        verbose_name = _("IVR flow version")
        verbose_name_plural = _("IVR flow versions")
        constraints = [models.UniqueConstraint(fields=["flow", "number"], name="ivrflowversion_flow_number_uniq")]

    def __str__(self) -> str:
        return f"{self.flow} v{self.number}"
