"""Holiday calendar pages: the platform operator's year view (/platform/calendar/) and a tenant
administrator's exceptions (/console/calendar/). Thin: validate, call one service, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.calendar import selectors, services
from apps.calendar.choices import DayKind, DaySource
from apps.calendar.forms import ImportForm, PlatformDayForm, TenantDayForm
from apps.calendar.models import CalendarDay, TenantCalendarDay
from apps.core.errors import ApplicationError
from apps.tenants.views.platform import staff_required


def _error_text(error: ApplicationError) -> str:
    detail = "; ".join(str(m) for found in (error.fields or {}).values() for m in found)
    return f"{error.message} {detail}".strip()


def _year(request) -> int:
    raw = request.GET.get("year") or request.POST.get("year") or ""
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return selectors.today().year


def _year_url(name: str, year: int) -> str:
    return f"{reverse(name)}?year={year}"


@staff_required
def platform_calendar(request):
    year = _year(request)
    snapshot = selectors.calendar_for(None)
    initial = {}
    edit = request.GET.get("edit")
    if edit:
        try:
            info = snapshot.platform_day(dt.date.fromisoformat(edit))
        except ValueError:
            info = None
        if info is not None:  # a stored day, or a provisional one to confirm (saved as the operator's)
            initial = {"date": info.date, "name_zh": info.name_zh, "name_en": info.name_en}
            if info.kind in DayKind.values:
                initial["kind"] = info.kind
            if info.source in (DaySource.OFFICIAL, DaySource.MANUAL):
                initial["source"] = info.source
    context = {
        "year": year,
        "years": [year - 1, year, year + 1],
        "official": snapshot.is_official_year(year),
        "days": snapshot.year_days(year),
        "stored": set(CalendarDay.objects.filter(year=year).values_list("date", flat=True)),
        "form": PlatformDayForm(initial=initial, prefix="day"),
        "import_form": ImportForm(initial={"year": year}),
    }
    return render(request, "calendar/platform_calendar.html", context)


@require_POST
@staff_required
def platform_day_save(request):
    form = PlatformDayForm(request.POST, prefix="day")
    year = _year(request)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{form[k].label}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect(_year_url("platform:calendar", year))
    try:
        day = services.calendar_day_set(**form.cleaned_data, user=request.user)
    except ApplicationError as error:
        messages.error(request, _error_text(error))
        return redirect(_year_url("platform:calendar", year))
    messages.success(request, _("%(date)s saved.") % {"date": day.date})
    return redirect(_year_url("platform:calendar", day.date.year))


@require_POST
@staff_required
def platform_day_delete(request, date: str):
    day = get_object_or_404(CalendarDay, date=date)
    services.calendar_day_delete(date=day.date)
    messages.success(request, _("%(date)s removed.") % {"date": day.date})
    return redirect(_year_url("platform:calendar", day.date.year))


@require_POST
@staff_required
def platform_year_official(request, year: int):
    official = request.POST.get("official") == "1"
    try:
        services.calendar_year_set_official(year=year, official=official)
    except ApplicationError as error:
        messages.error(request, _error_text(error))
    else:
        if official:
            messages.success(request, _("%(year)s is marked officially covered.") % {"year": year})
        else:
            messages.success(request, _("%(year)s is no longer marked officially covered.") % {"year": year})
    return redirect(_year_url("platform:calendar", year))


@require_POST
@staff_required
def platform_import(request):
    form = ImportForm(request.POST, request.FILES)
    year = _year(request)
    if not form.is_valid():
        messages.error(request, "; ".join(" ".join(v) for v in form.errors.values()))
        return redirect(_year_url("platform:calendar", year))
    upload = form.cleaned_data["file"]
    try:
        if upload.size > services.MAX_IMPORT_BYTES:
            raise ApplicationError("invalid_file", _("The file is too large (at most 256 KB)."))
        result = services.calendar_import(
            content=upload.read(), filename=upload.name or "", year=form.cleaned_data.get("year"), user=request.user
        )
    except ApplicationError as error:
        messages.error(request, _error_text(error))
        return redirect(_year_url("platform:calendar", year))
    messages.success(
        request,
        _("%(days)s days imported; %(year)s is officially covered.") % {"days": result.days, "year": result.year},
    )
    return redirect(_year_url("platform:calendar", result.year))


# --- tenant console ---------------------------------------------------------------------------------


@role_required(Role.TENANT_ADMIN)
def tenant_calendar(request):
    year = _year(request)
    form = TenantDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.tenant_day_set(tenant=request.tenant, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("%(date)s saved.") % {"date": row.date})
            return redirect(_year_url("console:calendar", row.date.year))
    snapshot = selectors.calendar_for(request.tenant)
    context = {
        "year": year,
        "years": [year - 1, year, year + 1],
        "official": snapshot.is_official_year(year),
        "days": snapshot.year_days(year),
        "overrides": TenantCalendarDay.objects.filter(tenant=request.tenant, date__year=year),
        "form": form,
    }
    return render(request, "calendar/tenant_calendar.html", context)


@require_POST
@role_required(Role.TENANT_ADMIN)
def tenant_day_delete(request, pk: int):
    row = get_object_or_404(TenantCalendarDay, tenant=request.tenant, pk=pk)
    services.tenant_day_delete(row=row)
    messages.success(request, _("%(date)s removed.") % {"date": row.date})
    return redirect(_year_url("console:calendar", row.date.year))
