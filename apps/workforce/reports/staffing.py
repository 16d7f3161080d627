"""Staffing reports of the report framework: schedule adherence (per person, with team) and
forecast accuracy (per queue). Page, CSV/XLSX, PDF, runs and scheduled e-mails come from the
framework; the figures are the selectors' (apps/workforce/selectors/adherence.py, staffing.py),
so the report and the pages never disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.reports.periods import tenant_zone
from apps.reports.registry import Column, Report, ReportParams, register
from apps.workforce.forecast import accuracy
from apps.workforce.selectors.adherence import adherence_by_agent
from apps.workforce.selectors.staffing import interval_history, staffing_plan

ROLES = (Role.HR, Role.TENANT_ADMIN, Role.SUPERVISOR)
MAX_ACCURACY_DAYS = 62


def _dates(params: ReportParams) -> tuple[dt.date, dt.date]:
    """Local dates ``since`` ≤ day < ``until`` of the period."""
    zone = tenant_zone()
    since = params.since.astimezone(zone).date()
    last = (params.until - dt.timedelta(microseconds=1)).astimezone(zone).date()
    return since, max(since, last) + dt.timedelta(days=1)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


class StaffingReport(Report):
    roles = ROLES
    drills_to_calls = False

    def settings(self, params: ReportParams) -> dict[str, Any]:
        return {"time_zone": tenant_zone().key}


@register
class AdherenceReport(StaffingReport):
    code = "workforce_adherence"
    title = _("Schedule adherence")
    description = _("One row per person with published shifts: adherence and conformance to the schedule.")
    filters = ("since", "until", "team")

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [
            (str(_("Adherence")), str(_("Minutes in the scheduled activity ÷ scheduled minutes (published shifts)."))),
            (
                str(_("Conformance")),
                str(_("Minutes on queue within an hour of the shift ÷ minutes scheduled on queue; may pass 100%.")),
            ),
            (
                str(_("Activities")),
                str(
                    _(
                        "Ready, ringing, talking, hold and wrap-up are on queue; a pause counts as the activity its "
                        "reason maps to (break → break, lunch → meal, training, meeting); offline matches nothing."
                    )
                ),
            ),
            (str(_("Time zone")), tenant_zone().key),
        ]

    def columns(self, params):
        return [
            Column("user", _("Person")),
            Column("email", _("E-mail")),
            Column("team", _("Team")),
            Column("shifts", _("Shifts"), "count"),
            Column("scheduled_minutes", _("Scheduled minutes"), "score"),
            Column("adherent_minutes", _("Adherent minutes"), "score"),
            Column("adherence_percent", _("Adherence"), "percent"),
            Column("conformance_percent", _("Conformance"), "percent"),
        ]

    def rows(self, params):
        since, until = _dates(params)
        teams = params.chosen("team")
        user_ids = set(User.objects.filter(teams__in=teams).values_list("pk", flat=True)) if teams else None
        return [entry.row() for entry in adherence_by_agent(since=since, until=until, user_ids=user_ids)]

    def chart(self, params, rows):
        shown = [row for row in rows if row["adherence_percent"] is not None][:30]
        return {
            "type": "bar",
            "title": str(_("Adherence")),
            "categories": [row["user"] for row in shown],
            "series": [
                {"name": str(_("Adherence")), "data": [row["adherence_percent"] for row in shown]},
                {"name": str(_("Conformance")), "data": [row["conformance_percent"] for row in shown]},
            ],
            "unit": "percent",
        }


def forecast_accuracy_rows(*, since: dt.date, until: dt.date, queue_ids: list[int] | None = None) -> list[dict]:
    """Per queue: the forecast each day would have had (history up to the day before) against
    the calls offered, interval by interval (WAPE and bias). At most the last
    :data:`MAX_ACCURACY_DAYS` days of the period."""
    since = max(since, until - dt.timedelta(days=MAX_ACCURACY_DAYS))
    forecast: dict[int, list[float]] = {}
    actual: dict[int, list[float]] = {}
    names: dict[int, str] = {}
    day = since
    while day < until:
        plans = staffing_plan(day, interval_minutes=30, queue_ids=queue_ids or None, today=day)
        happened = interval_history(
            since=day, until=day + dt.timedelta(days=1), interval_minutes=30, queue_ids=[p.queue_id for p in plans]
        )
        for plan in plans:
            names[plan.queue_id] = plan.name
            offered = [0.0] * len(plan.forecast)
            for row in happened.get(plan.queue_id, []):
                offered[row.slot] += row.offered
            forecast.setdefault(plan.queue_id, []).extend(f.offered for f in plan.forecast)
            actual.setdefault(plan.queue_id, []).extend(offered)
        day += dt.timedelta(days=1)
    rows = []
    for queue_id in sorted(names, key=lambda key: names[key].lower()):
        result = accuracy(forecast[queue_id], actual[queue_id])
        rows.append(
            {
                "queue_id": queue_id,
                "queue": names[queue_id],
                "forecast_calls": round(result.forecast, 1),
                "actual_calls": round(result.actual),
                "wape_percent": _percent(result.wape),
                "bias_percent": _percent(result.bias),
            }
        )
    return rows


@register
class ForecastAccuracyReport(StaffingReport):
    code = "workforce_forecast_accuracy"
    title = _("Forecast accuracy")
    description = _("One row per queue: forecast calls against calls offered, per half-hour (WAPE and bias).")
    filters = ("since", "until", "queue")

    def definitions(self, params: ReportParams) -> list[tuple[str, str]]:
        return [
            (
                str(_("Forecast")),
                str(
                    _(
                        "For each day, the forecast made from the history before it: the same weekday's recent days "
                        "(holidays from holidays, make-up workdays like weekdays), their intraday profile and trend."
                    )
                ),
            ),
            (
                str(_("WAPE")),
                str(_("Σ |offered − forecast| ÷ Σ offered over the half-hours: lower is better.")),
            ),
            (str(_("Bias")), str(_("(Σ forecast − Σ offered) ÷ Σ offered: positive means over-forecast."))),
            (str(_("Period")), str(_("At most the last %(days)s days of the period.") % {"days": MAX_ACCURACY_DAYS})),
            (str(_("Time zone")), tenant_zone().key),
        ]

    def columns(self, params):
        return [
            Column("queue", _("Queue")),
            Column("forecast_calls", _("Forecast calls"), "score"),
            Column("actual_calls", _("Offered"), "count"),
            Column("wape_percent", _("WAPE"), "percent"),
            Column("bias_percent", _("Bias"), "percent"),
        ]

    def rows(self, params):
        since, until = _dates(params)
        return forecast_accuracy_rows(since=since, until=until, queue_ids=params.queue_ids or None)

    def chart(self, params, rows):
        return {
            "type": "bar",
            "title": str(_("Forecast and offered calls")),
            "categories": [row["queue"] for row in rows],
            "series": [
                {"name": str(_("Forecast calls")), "data": [row["forecast_calls"] for row in rows]},
                {"name": str(_("Offered")), "data": [row["actual_calls"] for row in rows]},
            ],
            "unit": "count",
        }
