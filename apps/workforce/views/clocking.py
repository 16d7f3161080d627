"""Clocking on the web (/workforce/clock/) and corrections (/workforce/clock/corrections/).

The clock page shows where the person stands (clocked in or not, the shift now, whether this
address may clock under the policy's allow-list) and the judgement of their recent shifts (late,
early leave, worked) as attendance reads it; its two buttons post to ``clock_record``, which
refuses an address outside the allow-list and a clock-out before the handover is signed.
HR, administrators and supervisors (for the people in their scope, never themselves) add or
void records with a reason; both are audited by the service.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.accounts.views import role_required
from apps.core.clientip import client_ip
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.workforce.choices import ClockKind
from apps.workforce.forms.clocking import CorrectionFilterForm, CorrectionForm, VoidForm
from apps.workforce.models import ClockEvent
from apps.workforce.selectors.attendance import ShiftDay, attendance_people
from apps.workforce.selectors.people import APPROVER_ROLES, may_decide, scope_user_ids
from apps.workforce.selectors.policy import policy_on
from apps.workforce.services.clocking import (
    clock_correct,
    clock_record,
    clock_void,
    current_shift,
    handover_blocking,
    ip_allowed,
    last_clock,
)

RECENT_DAYS = 7
MAX_DAYS = 62


def recent_days(user: User, *, days: int = RECENT_DAYS) -> list[ShiftDay]:
    """The person's published shifts of the last ``days`` days and tomorrow, judged, newest first."""
    today = timezone.localdate()
    found = attendance_people(today - dt.timedelta(days=days), today + dt.timedelta(days=1), user_ids=[user.pk])
    person = found.get(user.pk)
    return sorted(person.days, key=lambda day: day.start, reverse=True) if person else []


def _result_message(user: User, event: ClockEvent) -> str:
    """What the clocking meant for the shift it belongs to: on time, late, early leave."""
    at = timezone.localtime(event.at)
    day = next((d for d in recent_days(user, days=2) if d.shift_id == event.shift_id), None)
    if event.kind == ClockKind.IN:
        text = _("Clocked in at %(time)s.") % {"time": f"{at:%H:%M}"}
        if day is not None and day.judgement.late:
            text += " " + _(
                "Late: %(minutes)s minutes after %(deadline)s (clock in by then for a %(start)s shift)."
            ) % {
                "minutes": day.judgement.late_minutes,
                "deadline": f"{timezone.localtime(day.start) - _early(day):%H:%M}",
                "start": f"{timezone.localtime(day.start):%H:%M}",
            }
        return text
    text = _("Clocked out at %(time)s.") % {"time": f"{at:%H:%M}"}
    if day is not None and day.judgement.early_leave_minutes:
        text += " " + _("Early leave: %(minutes)s minutes before the shift ends at %(end)s.") % {
            "minutes": day.judgement.early_leave_minutes,
            "end": f"{timezone.localtime(day.end):%H:%M}",
        }
    return text


def _early(day: ShiftDay) -> dt.timedelta:
    return dt.timedelta(minutes=policy_on(day.date).early_clock_in_minutes)


@login_required
def clock(request):
    now = timezone.now()
    ip = client_ip(request)
    policy = policy_on(timezone.localdate(now))
    last = last_clock(request.user)
    context = {
        "ip": ip,
        "ip_ok": ip_allowed(ip, policy.ip_allowlist),
        "restricted": bool(policy.ip_allowlist.strip()),
        "early_minutes": policy.early_clock_in_minutes,
        "clocked_in": last is not None and last.kind == ClockKind.IN,
        "last": last,
        "shift": current_shift(request.user, now),
        "handover_shift": handover_blocking(request.user, now)
        if last is not None and last.kind == ClockKind.IN
        else None,
        "days": recent_days(request.user),
    }
    return render(request, "workforce/clock.html", context)


@login_required
@require_POST
def clock_post(request):
    kind = request.POST.get("kind", "")
    try:
        event = clock_record(user=request.user, kind=kind, ip=client_ip(request))
    except ApplicationError as error:
        messages.error(request, str(error.message))
        if error.code == "workforce_handover_pending":
            return redirect("workforce:handover")
        return redirect("workforce:clock")
    messages.success(request, _result_message(request.user, event))
    return redirect("workforce:clock")


def _people(viewer: User):
    ids = scope_user_ids(viewer)
    people = User.objects.filter(is_active=True).exclude(pk=viewer.pk).order_by("name", "email")
    return people if ids is None else people.filter(pk__in=ids)


@role_required(*APPROVER_ROLES)
def corrections(request):
    people = _people(request.user)
    filters = CorrectionFilterForm(request.GET or None, people=people)
    data = filters.cleaned_data if filters.is_valid() else {}
    until = data.get("until") or timezone.localdate()
    since = data.get("since") or until - dt.timedelta(days=RECENT_DAYS)
    if until < since or (until - since).days > MAX_DAYS:
        since = until - dt.timedelta(days=RECENT_DAYS)
    zone = timezone.get_current_timezone()
    records = ClockEvent.objects.filter(
        user__in=people,
        at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone),
        at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    ).select_related("user", "created_by", "voided_by")
    if data.get("person"):
        records = records.filter(user=data["person"])
    form = CorrectionForm(people=people, initial={"user": data.get("person")})
    return _corrections_page(request, filters, records, form, since, until)


def _corrections_page(request, filters, records, form, since, until, status: int = 200):
    context = {
        "filter_form": filters,
        "records": records.order_by("-at", "-pk")[:500],
        "form": form,
        "since": since,
        "until": until,
        "void_form": VoidForm(),
    }
    return render(request, "workforce/corrections.html", context, status=status)


@role_required(*APPROVER_ROLES)
@require_POST
def correction_add(request):
    people = _people(request.user)
    form = CorrectionForm(request.POST, people=people)
    if form.is_valid():
        person = form.cleaned_data["user"]
        if not may_decide(request.user, person.pk):
            form.add_error("user", _("You may not correct this person's records."))
        else:
            try:
                clock_correct(
                    user=person,
                    kind=form.cleaned_data["kind"],
                    at=form.cleaned_data["at"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Record added for %(name)s.") % {"name": person.get_full_name()})
                return redirect(reverse("workforce:corrections") + f"?person={person.pk}")
    today = timezone.localdate()
    filters = CorrectionFilterForm(people=people)
    records = ClockEvent.objects.none()
    return _corrections_page(request, filters, records, form, today - dt.timedelta(days=RECENT_DAYS), today, 400)


@role_required(*APPROVER_ROLES)
@require_POST
def record_void(request, pk: int):
    event = get_object_or_404(ClockEvent, pk=pk)
    if event.user_id == request.user.pk or not may_decide(request.user, event.user_id):
        messages.error(request, _("You may not correct this person's records."))
        return redirect("workforce:corrections")
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
    else:
        try:
            clock_void(event=event, reason=form.cleaned_data["reason"], actor=request.user)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Record voided; it stays in the list, struck through."))
    return redirect(reverse("workforce:corrections") + f"?person={event.user_id}")
