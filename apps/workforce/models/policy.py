"""The tenant's attendance policy, versioned by effective date, and each employee's HR profile.

Every figure of the handbook (DOMAIN.md §4) is a default here, never a constant in code: the
rules (``apps/workforce/rules.py``) receive the policy in effect on the day they judge.
A new version starts on its ``effective_from`` date; older versions keep judging older days,
so an attendance month already paid is never re-judged by a later change.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def default_sick_bands() -> list:
    """[from day, to day (inclusive, null: no end), share of the daily wage deducted]."""
    return [[1, 3, 0.5], [4, None, 1.0]]


def default_bereavement_days() -> dict:
    return {"parent": 3, "spouse": 3, "child": 3, "grandparent": 1, "sibling": 1, "parent_in_law": 1}


def default_annual_leave_bands() -> list:
    """[from years (inclusive), to years (exclusive, null: no end), days per year]. Under one
    year of total service: no paid annual leave (职工带薪年休假条例 art. 2-3)."""
    return [[1, 10, 5], [10, 20, 10], [20, None, 15]]


class WorkforcePolicy(models.Model):
    """One version of the attendance rules; the version in effect on a date is the latest whose
    ``effective_from`` is on or before it (``selectors.policy.policy_on``)."""

    effective_from = models.DateField(_("effective from"), unique=True)
    early_clock_in_minutes = models.PositiveSmallIntegerField(
        _("clock in minutes before the shift"),
        default=10,
        help_text=_("Clocking in later than the shift start minus these minutes is late."),
    )
    late_grace_minutes = models.PositiveSmallIntegerField(
        _("late grace (minutes)"), default=0, help_text=_("Lateness up to these minutes is not counted.")
    )
    sick_bands = models.JSONField(
        _("sick leave deduction bands"),
        default=default_sick_bands,
        help_text=_("[first day, last day or null, share of the daily wage deducted], counted within one spell."),
    )
    bereavement_days = models.JSONField(_("bereavement days by relation"), default=default_bereavement_days)
    annual_leave_bands = models.JSONField(
        _("annual leave by years of service"),
        default=default_annual_leave_bands,
        help_text=_("[from years, to years (exclusive) or null, days per year]."),
    )
    overtime_rate_workday = models.PositiveSmallIntegerField(_("overtime rate on a working day (%)"), default=150)
    overtime_rate_rest_day = models.PositiveSmallIntegerField(_("overtime rate on a rest day (%)"), default=200)
    overtime_rate_holiday = models.PositiveSmallIntegerField(_("overtime rate on a statutory holiday (%)"), default=300)
    monthly_legal_hours = models.DecimalField(
        _("legal working hours per month"), max_digits=6, decimal_places=2, default=Decimal("174.00")
    )
    warning_threshold = models.PositiveSmallIntegerField(_("warning letters that flag a review"), default=3)
    warning_window_months = models.PositiveSmallIntegerField(_("within months"), default=6)
    absence_consecutive_days = models.PositiveSmallIntegerField(
        _("consecutive scheduled days absent that flag a review"), default=3
    )
    absence_days_per_year = models.PositiveSmallIntegerField(_("days absent in a year that flag a review"), default=3)
    leave_hr_approval_over_days = models.PositiveSmallIntegerField(
        _("HR also approves leave longer than (days)"),
        default=3,
        help_text=_("0: a supervisor's approval is always enough."),
    )
    handover_required = models.BooleanField(
        _("handover before clock-out"),
        default=True,
        help_text=_("An agent followed by a colleague cannot clock out before the handover is signed."),
    )
    ip_allowlist = models.TextField(
        _("clocking allowed from"),
        blank=True,
        help_text=_("Addresses or networks (CIDR), one per line. Empty: from anywhere."),
    )
    auto_clock_from_desk = models.BooleanField(
        _("clock in and out with the agent desktop"),
        default=False,
        help_text=_("Logging in to the desk clocks in; logging out clocks out."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # The default policy starts here so that it judges any day a tenant may import.
    DEFAULT_EFFECTIVE_FROM = dt.date(2000, 1, 1)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("attendance policy")
        verbose_name_plural = _("attendance policies")

    def __str__(self) -> str:
        return f"{self.effective_from}"


class WorkforceProfile(models.Model):
    """What HR knows about an employee beyond the login: dates of hire and of service (annual
    leave counts total years of service, which may predate this employer), and the team the
    roster groups them under. Optional: a user without one is rostered by their account alone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="workforce_profile",
    )
    employee_number = models.CharField(_("employee number"), max_length=32, blank=True)
    hire_date = models.DateField(_("hired"), null=True, blank=True)
    service_start_date = models.DateField(
        _("service counted from"),
        null=True,
        blank=True,
        help_text=_("Start of total working years for annual leave; empty: the hire date."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("roster team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="workforce_profiles",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["user"]
        verbose_name = _("workforce profile")
        verbose_name_plural = _("workforce profiles")
        indexes = [models.Index(fields=["team"], name="wf_profile_team_idx")]

    def __str__(self) -> str:
        return str(self.user_id)

    @property
    def service_from(self) -> dt.date | None:
        return self.service_start_date or self.hire_date
