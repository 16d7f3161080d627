"""Staffing pages (/workforce/staffing/): a day's forecast and requirement per interval and queue
against the roster's coverage (gaps highlighted, an ECharts chart per decision 0015), the
staffing calculator (the seeds' people-per-seat formula and one interval by Erlang C), and the
what-if that simulates the roster's day.

Supervisors, HR and administrators. Every page is a GET that computes and writes nothing; bad
input is answered 400 with the form's messages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.telephony.selectors.erlang import required_agents
from apps.workforce import staffing as rules
from apps.workforce.forms.staffing import ErlangForm, PeoplePerSeatForm, StaffingDayForm, WhatIfRosterForm
from apps.workforce.selectors.policy import policy_on, tenant_zone
from apps.workforce.selectors.staffing import (
    day_start,
    scheduled_coverage,
    staffing_plan,
    staffing_settings,
)
from apps.workforce.selectors.staffing_whatif import roster_whatif

STAFFING_ROLES = (Role.SUPERVISOR, Role.HR, Role.TENANT_ADMIN)
INTERVAL_MINUTES = 30


def _today() -> dt.date:
    return dt.datetime.now(tenant_zone()).date()


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def staffing_day_context(day: dt.date) -> dict[str, Any]:
    """Everything the staffing page shows for ``day`` (also used by its tests)."""
    plans = staffing_plan(day, interval_minutes=INTERVAL_MINUTES)
    coverage = scheduled_coverage(day, interval_minutes=INTERVAL_MINUTES)
    published = scheduled_coverage(day, interval_minutes=INTERVAL_MINUTES, published_only=True)
    scheduled = rules.whole_staff(coverage)
    required = rules.total_by_slot((plan.requirement for plan in plans), len(scheduled))
    gaps = {gap.slot: gap for gap in rules.coverage_gaps(required, scheduled)}
    start = day_start(day)
    intervals: list[dict[str, Any]] = []
    for slot in range(len(scheduled)):
        calls = sum(plan.forecast[slot].offered for plan in plans)
        handle = sum(plan.forecast[slot].offered * plan.forecast[slot].aht_seconds for plan in plans)
        intervals.append(
            {
                "slot": slot,
                "label": (start + dt.timedelta(minutes=INTERVAL_MINUTES * slot)).strftime("%H:%M"),
                "calls": round(calls, 1),
                "aht_seconds": round(handle / calls) if calls else None,
                "agents": sum(plan.requirement[slot].agents for plan in plans),
                "required": required[slot],
                "scheduled": scheduled[slot],
                "published": rules.whole_staff([published[slot]])[0],
                "shortfall": gaps[slot].shortfall if slot in gaps else 0,
            }
        )
    queues = [
        {
            "queue_id": plan.queue_id,
            "name": plan.name,
            "sl_target_percent": round(plan.sl_target * 100),
            "sl_threshold_seconds": round(plan.sl_threshold_seconds),
            "calls": round(sum(row.offered for row in plan.forecast), 1),
            "cells": [
                {"calls": round(f.offered, 1), "aht": round(f.aht_seconds), "agents": r.agents, "staff": r.staff}
                for f, r in zip(plan.forecast, plan.requirement, strict=True)
            ],
        }
        for plan in plans
    ]
    chart = {
        "type": "line",
        "title": _("Required and rostered staff"),
        "categories": [row["label"] for row in intervals],
        "series": [
            {"name": _("Required"), "data": required},
            {"name": _("Rostered"), "data": scheduled},
        ],
        "unit": "count",
    }
    config = staffing_settings()
    return {
        "day": day,
        "intervals": intervals,
        "queues": queues,
        "chart": chart,
        "gap_count": len(gaps),
        "shortfall_hours": sum(gap.shortfall for gap in gaps.values()) * INTERVAL_MINUTES / 60,
        "total_calls": round(sum(row["calls"] for row in intervals), 1),
        "shrinkage_percent": round(float(config["shrinkage"]) * 100),
        "max_occupancy_percent": round(float(config["max_occupancy"]) * 100),
        "history_weeks": config["history_weeks"],
    }


@role_required(*STAFFING_ROLES)
def staffing(request: HttpRequest) -> HttpResponse:
    """A day's forecast, requirement and coverage (default: today)."""
    form = StaffingDayForm(request.GET if "day" in request.GET else {"day": _today().isoformat()})
    if not form.is_valid():
        return render(request, "workforce/staffing/day.html", {"form": form}, status=400)
    context = {"form": form, **staffing_day_context(form.cleaned_data["day"])}
    day = form.cleaned_data["day"]
    context["previous_day"] = day - dt.timedelta(days=1)
    context["next_day"] = day + dt.timedelta(days=1)
    return render(request, "workforce/staffing/day.html", context)


def _seat_defaults() -> dict[str, Any]:
    return {
        "seat_hours_per_day": 14,
        "working_days_per_month": 30,
        "monthly_legal_hours": policy_on(_today()).monthly_legal_hours,
    }


@role_required(*STAFFING_ROLES)
def calculator(request: HttpRequest) -> HttpResponse:
    """People per seat (the seeds' formula) and one interval by Erlang C, each its own GET form."""
    config = staffing_settings()
    status = 200
    seat_asked = "seat_hours_per_day" in request.GET
    seat_form = PeoplePerSeatForm(request.GET if seat_asked else None, initial=_seat_defaults())
    erlang_asked = "calls" in request.GET
    erlang_form = ErlangForm(
        request.GET if erlang_asked else None,
        initial={
            "calls": 100,
            "interval_minutes": 30,
            "aht_seconds": 180,
            "sl_target_percent": 80,
            "sl_threshold_seconds": 20,
            "max_occupancy_percent": round(float(config["max_occupancy"]) * 100),
            "shrinkage_percent": round(float(config["shrinkage"]) * 100),
        },
    )
    context: dict[str, Any] = {"seat_form": seat_form, "erlang_form": erlang_form}
    if seat_asked:
        if seat_form.is_valid():
            data = seat_form.cleaned_data
            per_seat = rules.people_per_seat(
                seat_hours_per_day=float(data["seat_hours_per_day"]),
                working_days_per_month=float(data["working_days_per_month"]),
                monthly_legal_hours=float(data["monthly_legal_hours"]),
            )
            context["per_seat"] = round(per_seat, 2)
            if data.get("seats"):
                context["people"] = round(per_seat * data["seats"], 1)
        else:
            status = 400
    if erlang_asked:
        if erlang_form.is_valid():
            data = erlang_form.cleaned_data
            if data["shrinkage_percent"] >= 100 or data["calls"] == 0:
                context["erlang"] = {"agents": 0, "staff": 0}
            else:
                figures = required_agents(
                    calls=float(data["calls"]),
                    interval_seconds=data["interval_minutes"] * 60,
                    aht_seconds=float(data["aht_seconds"]),
                    sl_target=float(data["sl_target_percent"]) / 100,
                    sl_threshold_seconds=data["sl_threshold_seconds"],
                    max_occupancy=float(data["max_occupancy_percent"]) / 100,
                    shrinkage=float(data["shrinkage_percent"]) / 100,
                )
                context["erlang"] = {
                    "traffic": round(figures.traffic, 2),
                    "agents": figures.agents,
                    "staff": figures.staff,
                    "service_level": _percent(figures.service_level),
                    "wait_probability": _percent(figures.wait_probability),
                    "asa_seconds": round(figures.asa_seconds, 1),
                    "occupancy": _percent(figures.occupancy),
                }
        else:
            status = 400
    return render(request, "workforce/staffing/calculator.html", context, status=status)


@role_required(*STAFFING_ROLES)
def whatif(request: HttpRequest) -> HttpResponse:
    """Simulate a day of the roster against the forecast: the service level it would give."""
    asked = "day" in request.GET
    form = WhatIfRosterForm(request.GET if asked else None, initial={"day": _today()})
    context: dict[str, Any] = {"form": form}
    if not asked:
        return render(request, "workforce/staffing/whatif.html", context)
    if not form.is_valid():
        return render(request, "workforce/staffing/whatif.html", context, status=400)
    data = form.cleaned_data
    result = roster_whatif(
        data["day"], patience_seconds=data.get("patience_seconds") or None, published_only=data["published_only"]
    )
    rows = [
        {
            **row,
            "label": row["start"].strftime("%H:%M"),
            "service_level": _percent(row["service_level"]),
            "erlang_service_level": _percent(row["erlang_service_level"]),
        }
        for row in result["rows"]
        if row["calls"] or row["agents"]
    ]
    context.update(
        result={
            **result,
            "rows": rows,
            "service_level": _percent(result["service_level"]),
            "erlang_service_level": _percent(result["erlang_service_level"]),
            "service_level_text": _percent_text(result["service_level"]),
            "erlang_service_level_text": _percent_text(result["erlang_service_level"]),
        },
        chart={
            "type": "line",
            "title": _("Service level by interval"),
            "categories": [row["label"] for row in rows],
            "series": [
                {"name": _("Simulated"), "data": [row["service_level"] for row in rows]},
                {"name": _("Erlang C"), "data": [row["erlang_service_level"] for row in rows]},
            ],
            "unit": "percent",
        },
    )
    return render(request, "workforce/staffing/whatif.html", context)
