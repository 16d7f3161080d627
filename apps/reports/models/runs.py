"""Report files made on request (``ReportRun``) and sent on a schedule (``ReportSchedule``).

A run is rendered in a Celery task, not in the request: a month of a big center's PDF takes
seconds, and an API client polls ``GET /api/v1/reports/runs/{id}`` until it is done. The file
lives in the default storage under the tenant's prefix; the download link is signed and expires
(apps/reports/services/runs.py).

A schedule stores only the filters that do not move (queues, agents, campaigns, interval); the
period is the one that just ended when it is sent — yesterday, last week, last month — in the
schedule's own time zone (apps/reports/services/schedules.py).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import current_schema


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class DeliveryStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")


def report_file_path(instance: models.Model, filename: str) -> str:
    """Report files live under the tenant's prefix (ARCHITECTURE §8), one folder per day."""
    return f"tenants/{current_schema()}/reports/{timezone.now():%Y/%m/%d}/{instance.pk or 'new'}-{filename}"


class ReportRun(models.Model):
    """One rendering of a report to a file, requested through the API or by a schedule."""

    report_code = models.CharField(_("report"), max_length=64)
    format = models.CharField(_("format"), max_length=8, choices=ReportFormat.choices)
    params = models.JSONField(_("filters"), default=dict, blank=True)  # ReportParams.as_query()
    status = models.CharField(_("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    error = models.TextField(_("error"), blank=True)
    file = models.FileField(_("file"), upload_to=report_file_path, max_length=300, blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    schedule = models.ForeignKey(
        "reports.ReportSchedule",
        verbose_name=_("schedule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="reports_run_by_user")]

    def __str__(self) -> str:
        return f"{self.report_code}.{self.format} #{self.pk}"


class ReportSchedule(models.Model):
    """A report e-mailed to users of the tenant every day, week or month."""

    report_code = models.CharField(_("report"), max_length=64)
    params = models.JSONField(
        _("filters"), default=dict, blank=True, help_text=_("Queues, agents, campaigns and interval; not the period.")
    )
    format = models.CharField(_("format"), max_length=8, choices=ReportFormat.choices, default=ReportFormat.PDF)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=Weekday.choices, null=True, blank=True, help_text=_("For weekly schedules.")
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        null=True,
        blank=True,
        help_text=_("For monthly schedules; 29–31 mean the month's last day in shorter months."),
    )
    time_of_day = models.TimeField(_("time of day"), default=datetime.time(7, 0))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("recipients"), related_name="+")
    active = models.BooleanField(_("active"), default=True)
    last_run_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    last_status = models.CharField(_("last status"), max_length=16, choices=DeliveryStatus.choices, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    next_run_at = models.DateTimeField(_("next sending"), null=True, blank=True, db_index=True)
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
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        ordering = ["report_code", "pk"]

    def __str__(self) -> str:
        return f"{self.report_code} {self.frequency} #{self.pk}"
