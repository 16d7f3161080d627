"""The roster editor (/workforce/roster/): people × days for a week (from Monday) or a month, the
calendar's holidays and make-up workdays (调休) in the header, a palette of shift types to click
or drag onto cells (static/js/workforce-roster.js posts each cell), copy last week, rotation
patterns, coverage of one day per half-hour against the requirement, and publish.

HR and administrators edit; supervisors read their teams' roster. Every write is a POST through
``services/roster_editing.py`` (which calls the roster services); GET never writes.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.workforce.forms.roster import CellForm, CopyWeekForm, PatternForm, PublishForm, RosterFilterForm, RotationForm
from apps.workforce.models import RotationPattern, Shift, ShiftType
from apps.workforce.selectors.people import MANAGER_ROLES, may_see
from apps.workforce.selectors.roster import (
    calendar_days,
    coverage_day,
    draft_count,
    month_range,
    roster_people,
    roster_rows,
    week_start,
)
from apps.workforce.services.roster import roster_publish
from apps.workforce.services.roster_editing import (
    parse_steps,
    roster_cell_set,
    roster_copy_previous_week,
    rotation_apply_people,
    rotation_pattern_delete,
    rotation_pattern_save,
)

VIEW_ROLES = (*MANAGER_ROLES, Role.SUPERVISOR)


def _period(form: RosterFilterForm) -> tuple[str, dt.date, dt.date]:
    data = form.cleaned_data if form.is_valid() else {}
    view = data.get("view") or "week"
    start = data.get("start") or timezone.localdate()
    if view == "month":
        since, until = month_range(start)
    else:
        since = week_start(start)
        until = since + dt.timedelta(days=6)
    return view, since, until


def _back(request: HttpRequest) -> str:
    """The roster page the form was posted from (its query string), never another host."""
    query = request.POST.get("return", "")
    return reverse("workforce:roster") + (f"?{query}" if query and "://" not in query else "")


@role_required(*VIEW_ROLES)
def roster(request):
    form = RosterFilterForm(request.GET or None)
    view, since, until = _period(form)
    team = form.cleaned_data.get("team") if form.is_valid() else None
    people = roster_people(request.user, since, until, team=team)
    day = (form.cleaned_data.get("day") if form.is_valid() else None) or since
    if not since <= day <= until:
        day = since
    step = dt.timedelta(days=7) if view == "week" else dt.timedelta(days=(until - since).days + 1)
    base = {"view": view, **({"team": team.pk} if team else {})}
    previous_start = since - dt.timedelta(days=7) if view == "week" else month_range(since - dt.timedelta(days=1))[0]
    context = {
        "filter_form": form,
        "view": view,
        "since": since,
        "until": until,
        "days": calendar_days(since, until),
        "rows": roster_rows(people, since, until),
        "people": people,
        "shift_types": list(ShiftType.objects.filter(is_active=True)),
        "patterns": list(RotationPattern.objects.order_by("name")),
        "can_edit": request.user.has_role(*MANAGER_ROLES),
        "drafts": draft_count(since, until, [p.pk for p in people]),
        "coverage": coverage_day(day),
        "coverage_date": day,
        "query": urlencode({**base, "start": since.isoformat(), "day": day.isoformat()}),
        "previous_url": "?" + urlencode({**base, "start": previous_start.isoformat()}),
        "next_url": "?" + urlencode({**base, "start": (since + step).isoformat()}),
        "day_query": urlencode({**base, "start": since.isoformat()}),
        "rotation_form": RotationForm(people=people, initial={"since": since, "until": until}),
        "pattern_form": PatternForm(),
        "is_week": view == "week",
    }
    return render(request, "workforce/roster.html", context)


def _cell_json(shift: Shift | None, user_id: int, day: dt.date) -> dict:
    if shift is None:
        return {"user": user_id, "date": day.isoformat(), "code": "", "status": "", "colour": "", "title": ""}
    kind = shift.shift_type
    return {
        "user": user_id,
        "date": day.isoformat(),
        "code": kind.code,
        "status": shift.status,
        "colour": kind.colour,
        "title": f"{kind.name} {timezone.localtime(shift.start):%H:%M}–{timezone.localtime(shift.end):%H:%M}",
    }


@role_required(*MANAGER_ROLES)
@require_POST
def roster_cell(request):
    """One cell from the grid's script (JSON back), or from a plain form (back to the grid)."""
    form = CellForm(request.POST)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not form.is_valid():
        return JsonResponse(
            {"code": "invalid", "message": _("Check the cell."), "fields": form.errors.get_json_data()}, status=400
        )
    person = User.objects.filter(pk=form.cleaned_data["user"]).first()
    if person is None or not may_see(request.user, person.pk):
        return JsonResponse({"code": "not_found", "message": _("No such person."), "fields": {}}, status=404)
    day = form.cleaned_data["date"]
    try:
        shift = roster_cell_set(actor=request.user, user=person, day=day, shift_type=form.cleaned_data["shift_type"])
    except ApplicationError as error:
        body = {"code": error.code, "message": str(error.message), "fields": error.fields}
        if wants_json:
            return JsonResponse(body, status=error.status)
        messages.error(request, str(error.message))
        return redirect(_back(request))
    if not wants_json:
        return redirect(_back(request))
    return JsonResponse({"cell": _cell_json(shift, person.pk, day), "coverage": coverage_day(day).as_json()})


@role_required(*VIEW_ROLES)
@require_GET
def roster_coverage(request):
    form = CopyWeekForm({"week": request.GET.get("date") or timezone.localdate().isoformat()})
    if not form.is_valid():
        return JsonResponse(
            {"code": "invalid", "message": _("Give a date."), "fields": {"date": [_("Expected YYYY-MM-DD.")]}},
            status=400,
        )
    return JsonResponse({"coverage": coverage_day(form.cleaned_data["week"]).as_json()})


@role_required(*MANAGER_ROLES)
@require_POST
def roster_copy(request):
    form = CopyWeekForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the week to fill."))
        return redirect(_back(request))
    try:
        count = roster_copy_previous_week(actor=request.user, monday=week_start(form.cleaned_data["week"]))
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(count)s shifts copied from last week as drafts.") % {"count": count})
    return redirect(_back(request))


@role_required(*MANAGER_ROLES)
@require_POST
def roster_rotation(request):
    people = roster_people(request.user, dt.date.min, dt.date.min)
    form = RotationForm(request.POST, people=people)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect(_back(request))
    data = form.cleaned_data
    try:
        count = rotation_apply_people(
            actor=request.user,
            pattern=data["pattern"],
            users=list(data["users"]),
            since=data["since"],
            until=data["until"],
            start_step=data["start_step"] - 1,
            stagger=data["stagger"],
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Rotation laid: %(count)s shifts set as drafts.") % {"count": count})
    return redirect(_back(request))


@role_required(*MANAGER_ROLES)
@require_POST
def roster_pattern(request):
    form = PatternForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name the pattern and give its steps."))
        return redirect(_back(request))
    try:
        pattern = rotation_pattern_save(name=form.cleaned_data["name"], steps=parse_steps(form.cleaned_data["steps"]))
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Rotation pattern %(name)s saved.") % {"name": pattern.name})
    return redirect(_back(request))


@role_required(*MANAGER_ROLES)
@require_POST
def roster_pattern_delete(request, pk: int):
    rotation_pattern_delete(pattern=get_object_or_404(RotationPattern, pk=pk))
    messages.success(request, _("Rotation pattern deleted; shifts it laid stay on the roster."))
    return redirect(_back(request))


@role_required(*MANAGER_ROLES)
@require_POST
def roster_publish_view(request):
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the dates to publish."))
        return redirect(_back(request))
    try:
        count = roster_publish(since=form.cleaned_data["since"], until=form.cleaned_data["until"], actor=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        if count:
            messages.success(request, _("%(count)s shifts published; each agent was notified.") % {"count": count})
        else:
            messages.info(request, _("Nothing to publish: there are no drafts in these dates."))
    return redirect(_back(request))
