"""Report schedules (/reports/schedules/): the list with each schedule's last sending and error,
create / edit / delete, and "send now". Supervisors and administrators, like the reports.

The form only collects; apps/reports/services/schedules.py validates and saves, so the page and
any future API refuse the same schedules with the same words."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.reports import registry
from apps.reports.forms_schedules import ScheduleForm
from apps.reports.models.runs import ReportSchedule
from apps.reports.services.schedules import schedule_delete, schedule_save

SCHEDULE_ROLES = (Role.SUPERVISOR, Role.TENANT_ADMIN)


def _title(code: str) -> str:
    try:
        return str(registry.get(code).title)
    except KeyError:
        return code


@role_required(*SCHEDULE_ROLES)
def schedule_list(request):
    schedules = list(ReportSchedule.objects.prefetch_related("recipients").order_by("report_code", "pk"))
    for schedule in schedules:
        schedule.report_title = _title(schedule.report_code)  # type: ignore[attr-defined]
    return render(request, "reports/schedules.html", {"schedules": schedules})


def _initial_from_query(request) -> dict:
    """A schedule started from a report page carries its report and filters (?report=…&queue=…)."""
    query = request.GET
    initial: dict = {}
    if query.get("report"):
        initial["report_code"] = query["report"]
    for key, field in (("queue", "queues"), ("agent", "agents"), ("campaign", "campaigns")):
        ids = [value for value in query.getlist(key) if value.isdigit()]
        if ids:
            initial[field] = ids
    if query.get("interval_minutes", "").isdigit():
        initial["interval_minutes"] = int(query["interval_minutes"])
    initial["recipients"] = [request.user.pk]
    return initial


def _edit(request, schedule: ReportSchedule | None):
    if request.method == "POST":
        form = ScheduleForm(request.POST, instance=schedule)
    else:
        form = ScheduleForm(instance=schedule, initial=None if schedule else _initial_from_query(request))
    if request.method == "POST" and form.is_valid():
        edited = form.schedule()
        if edited.pk is None:
            edited.created_by = request.user
        try:
            schedule_save(edited, recipients=list(form.cleaned_data["recipients"]))
        except ValidationError as error:
            form.add_service_errors(error.message_dict)
        else:
            messages.success(request, _("Schedule saved. Next sending: %(when)s.") % {"when": _when(edited)})
            return redirect("reports:schedules")
    return render(request, "reports/schedule_form.html", {"form": form, "schedule": schedule})


def _when(schedule: ReportSchedule) -> str:
    if schedule.next_run_at is None:
        return _("none (inactive)")
    from apps.reports.services.schedules import zone_of  # noqa: PLC0415 -- small helper

    zone = zone_of(schedule)
    return f"{schedule.next_run_at.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"


@role_required(*SCHEDULE_ROLES)
def schedule_new(request):
    return _edit(request, None)


@role_required(*SCHEDULE_ROLES)
def schedule_edit(request, pk: int):
    return _edit(request, get_object_or_404(ReportSchedule, pk=pk))


@require_POST
@role_required(*SCHEDULE_ROLES)
def schedule_remove(request, pk: int):
    schedule_delete(get_object_or_404(ReportSchedule, pk=pk))
    messages.success(request, _("Schedule deleted."))
    return redirect("reports:schedules")


@require_POST
@role_required(*SCHEDULE_ROLES)
def schedule_send_now(request, pk: int):
    """Send the report for the period that ended now (yesterday, last week, last month) at once;
    the regular sending stays as it is."""
    from apps.reports.tasks_delivery import send_schedule_task  # noqa: PLC0415 -- tasks import services

    schedule = get_object_or_404(ReportSchedule, pk=pk, active=True)
    occurrence = timezone.now().isoformat()
    transaction.on_commit(lambda: send_schedule_task.delay(schedule.pk, occurrence))
    messages.success(request, _("The report is being sent; this page shows the result when it is done."))
    return redirect("reports:schedules")
