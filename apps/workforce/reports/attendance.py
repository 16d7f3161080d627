"""Workforce reports of the report framework: attendance summary, lateness, absences, leave
balances and overtime. Each reads ``selectors/attendance.py`` (the same rules as the payroll
export), so a figure here and in the export never disagree. Page, CSV/XLSX, PDF, runs and
scheduled e-mails come from the framework.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.accounts.models import Team, User
from apps.reports.periods import tenant_zone
from apps.reports.registry import Column, Report, ReportParams, register, register_filter
from apps.workforce import rules
from apps.workforce.choices import LeaveKind
from apps.workforce.selectors.attendance import LEAVE_KINDS, PersonMonth, attendance_people
from apps.workforce.selectors.policy import PolicyTimeline
from apps.workforce.services.leave import leave_balances

ROLES = (Role.HR, Role.TENANT_ADMIN, Role.SUPERVISOR)

# The same filter QA registers (a registration replaces the previous one): rows of these teams.
register_filter("team", label=_("Team"), choices=lambda: Team.objects.order_by("name"))

DEFINITIONS = [
    (
        _("Late"),
        _(
            "The first clock-in of a shift after the shift start minus the policy's early minutes (10 by "
            "default) plus the grace; minutes counted from that point."
        ),
    ),
    (_("Absent"), _("A published shift that has ended with no clock-in and no approved leave.")),
    (_("Early leave"), _("Minutes between the last clock-out and the end of the shift.")),
    (_("Worked hours"), _("Clock-in to clock-out within the shift, minus its break.")),
    (
        _("Sick deduction"),
        _(
            "Each sick-leave day on a scheduled shift deducts its band's share of a day's wage, counted in "
            "order within one spell (0.5 for days 1–3, 1.0 from day 4 by default)."
        ),
    ),
    (
        _("Overtime"),
        _(
            "Approved overtime by the kind of day it starts on: statutory holiday (300%), rest day or "
            "in-lieu day (200%), working day including make-up workdays (150%)."
        ),
    ),
    (
        _("Month"),
        _("A shift counts on the date it starts; a night shift ending on the 1st belongs to the month before."),
    ),
]


def _dates(params: ReportParams) -> tuple[dt.date, dt.date]:
    zone = tenant_zone()
    since = params.since.astimezone(zone).date()
    until = (params.until - dt.timedelta(microseconds=1)).astimezone(zone).date()
    return since, max(since, until)


def _people(params: ReportParams) -> list[PersonMonth]:
    since, until = _dates(params)
    teams = params.chosen("team")
    user_ids = None
    if teams:
        user_ids = set(User.objects.filter(teams__in=teams).values_list("pk", flat=True))
    people = attendance_people(since, until, user_ids=user_ids)
    return sorted(people.values(), key=lambda p: p.email)


class WorkforceReport(Report):
    filters = ("since", "until", "team")
    roles = ROLES
    drills_to_calls = False

    def settings(self, params: ReportParams) -> dict[str, Any]:
        return {"time_zone": tenant_zone().key}

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [(str(a), str(b)) for a, b in DEFINITIONS] + [(str(_("Time zone")), tenant_zone().key)]


def _person_column() -> list[Column]:
    return [Column("user", _("Person")), Column("email", _("E-mail"))]


@register
class AttendanceSummaryReport(WorkforceReport):
    code = "workforce_attendance"
    title = _("Attendance summary")
    description = _("One row per person: scheduled and worked hours, lateness, absences, leave and overtime.")

    def columns(self, params):
        return [
            *_person_column(),
            Column("scheduled_days", _("Scheduled days"), "count"),
            Column("scheduled_hours", _("Scheduled hours"), "score"),
            Column("worked_hours", _("Worked hours"), "score"),
            Column("late_count", _("Late"), "count"),
            Column("late_minutes", _("Late minutes"), "count"),
            Column("early_leave_minutes", _("Early leave minutes"), "count"),
            Column("absent_days", _("Absent days"), "count"),
            Column("leave_total", _("Leave days"), "count"),
            Column("sick_deduction_days", _("Sick deduction (days)"), "score"),
            Column("overtime_total", _("Overtime hours"), "score"),
        ]

    def rows(self, params):
        rows = []
        for person in _people(params):
            row = person.row()
            row["leave_total"] = sum(row["leave_days"].values())
            row["overtime_total"] = round(sum(row["overtime_hours"].values()), 2)
            rows.append(row)
        return rows

    def chart(self, params, rows):
        top = sorted(rows, key=lambda r: -r["worked_hours"])[:20]
        return {
            "type": "bar",
            "title": str(_("Worked hours")),
            "categories": [r["user"] for r in top],
            "series": [
                {"name": str(_("Scheduled hours")), "data": [r["scheduled_hours"] for r in top]},
                {"name": str(_("Worked hours")), "data": [r["worked_hours"] for r in top]},
            ],
            "unit": "count",
        }


@register
class LatenessReport(WorkforceReport):
    code = "workforce_lateness"
    title = _("Lateness")
    description = _("Every late clock-in and early leave, one row per shift.")

    def columns(self, params):
        return [
            *_person_column(),
            Column("date", _("Date")),
            Column("shift_start", _("Shift start")),
            Column("clock_in", _("Clocked in")),
            Column("late_minutes", _("Late minutes"), "count"),
            Column("clock_out", _("Clocked out")),
            Column("early_leave_minutes", _("Early leave minutes"), "count"),
        ]

    def rows(self, params):
        zone = tenant_zone()
        rows = []
        for person in _people(params):
            for day in person.days:
                judged = day.judgement
                if judged.late_minutes or judged.early_leave_minutes:
                    rows.append(
                        {
                            "user": person.name or person.email,
                            "email": person.email,
                            "date": day.date.isoformat(),
                            "shift_start": day.start.astimezone(zone).strftime("%H:%M"),
                            "clock_in": day.clock_in.astimezone(zone).strftime("%H:%M") if day.clock_in else "",
                            "late_minutes": judged.late_minutes,
                            "clock_out": day.clock_out.astimezone(zone).strftime("%H:%M") if day.clock_out else "",
                            "early_leave_minutes": judged.early_leave_minutes,
                        }
                    )
        return rows


@register
class AbsencesReport(WorkforceReport):
    code = "workforce_absences"
    title = _("Absences")
    description = _("Every scheduled shift missed without approved leave, and shifts without a clock-out.")

    def columns(self, params):
        return [*_person_column(), Column("date", _("Date")), Column("what", _("What")), Column("shift", _("Shift"))]

    def rows(self, params):
        zone = tenant_zone()
        rows = []
        for person in _people(params):
            for day in person.days:
                what = ""
                if day.judgement.absent:
                    what = str(_("Absent"))
                elif day.judgement.missing_clock_out:
                    what = str(_("No clock-out"))
                if what:
                    rows.append(
                        {
                            "user": person.name or person.email,
                            "email": person.email,
                            "date": day.date.isoformat(),
                            "what": what,
                            "shift": f"{day.start.astimezone(zone):%H:%M}–{day.end.astimezone(zone):%H:%M}",
                        }
                    )
        return rows


@register
class LeaveBalancesReport(WorkforceReport):
    code = "workforce_leave_balances"
    title = _("Leave balances")
    description = _(
        "Per person, the year of the period's end: annual leave entitled, taken, pending, remaining; other leave taken."
    )

    def columns(self, params):
        labels = dict(LeaveKind.choices)
        return [
            *_person_column(),
            Column("annual_entitled", _("Annual leave entitled"), "score"),
            Column("annual_approved", _("Annual leave taken"), "score"),
            Column("annual_pending", _("Annual leave pending"), "score"),
            Column("annual_remaining", _("Annual leave remaining"), "score"),
            *[Column(f"{kind}_approved", labels[kind], "score") for kind in LEAVE_KINDS if kind != LeaveKind.ANNUAL],
        ]

    def rows(self, params):
        _since, until = _dates(params)
        teams = params.chosen("team")
        users = User.objects.filter(is_active=True).exclude(roles=[]).order_by("email")
        if teams:
            users = users.filter(teams__in=teams).distinct()
        rows = []
        for user in users:
            balances = leave_balances(user, until.year)
            annual = balances[LeaveKind.ANNUAL]
            row = {
                "user": user.name or user.email,
                "email": user.email,
                "annual_entitled": annual["entitled"],
                "annual_approved": annual["approved"],
                "annual_pending": annual["pending"],
                "annual_remaining": annual["remaining"],
            }
            for kind in LEAVE_KINDS:
                if kind != LeaveKind.ANNUAL:
                    row[f"{kind}_approved"] = balances[kind]["approved"]
            rows.append(row)
        return rows


@register
class OvertimeReport(WorkforceReport):
    code = "workforce_overtime"
    title = _("Overtime")
    description = _("Approved overtime hours per person by kind of day, and the pay-weighted hours.")

    def columns(self, params):
        return [
            *_person_column(),
            Column("workday", _("Working day (150%)"), "score"),
            Column("rest_day", _("Rest day (200%)"), "score"),
            Column("holiday", _("Statutory holiday (300%)"), "score"),
            Column("weighted", _("Pay-weighted hours"), "score"),
        ]

    def rows(self, params):
        since, _until = _dates(params)
        policy = PolicyTimeline().rules_on(since)
        rows = []
        for person in _people(params):
            hours = {kind: float(value) for kind, value in person.overtime_hours.items()}
            if not any(hours.values()):
                continue
            weighted = sum(hours[kind] * float(rules.overtime_pay_factor(kind, policy=policy)) for kind in hours)
            rows.append(
                {"user": person.name or person.email, "email": person.email, **hours, "weighted": round(weighted, 2)}
            )
        return rows

    def chart(self, params, rows):
        return {
            "type": "bar",
            "title": str(_("Overtime")),
            "categories": [r["user"] for r in rows[:20]],
            "series": [
                {"name": str(_("Working day (150%)")), "data": [r["workday"] for r in rows[:20]]},
                {"name": str(_("Rest day (200%)")), "data": [r["rest_day"] for r in rows[:20]]},
                {"name": str(_("Statutory holiday (300%)")), "data": [r["holiday"] for r in rows[:20]]},
            ],
            "unit": "count",
        }
