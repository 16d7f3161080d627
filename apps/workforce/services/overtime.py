"""Overtime requests: asked ahead, counted only once approved, classified by the calendar.

The kind of day (working day, rest day, statutory holiday; Labour Law art. 44) is decided from
the day the overtime starts (``rules.overtime_day_kind`` over ``apps.calendar``: the platform
calendar with the company's exceptions; make-up workdays are working days, in-lieu days rest
days) when it is asked for, and kept, so what was approved is what is paid.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.calendar.selectors import calendar_for
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.core.tenancy import current_tenant
from apps.notifications.services import notify
from apps.workforce import rules
from apps.workforce.choices import RequestStatus
from apps.workforce.models import OvertimeRequest
from apps.workforce.selectors.people import is_manager, may_decide, supervisors_of
from apps.workforce.selectors.policy import tenant_zone

MAX_OVERTIME = dt.timedelta(hours=12)
KIND_OVERTIME_REQUESTED = "workforce.overtime_requested"
KIND_OVERTIME_DECIDED = "workforce.overtime_decided"


def overtime_day_kind_on(day: dt.date) -> str:
    """The calendar's classification of ``day`` for overtime pay (this company's calendar)."""
    info = calendar_for(current_tenant()).day_info(day)
    return rules.overtime_day_kind(kind=info.kind, platform_kind=info.platform_kind, is_working_day=info.is_working_day)


@transaction.atomic
def overtime_request_create(
    *, user: User, start: dt.datetime, end: dt.datetime, reason: str, actor: User
) -> OvertimeRequest:
    """Refusals: ``invalid`` (order, length, no reason), ``workforce_overtime_overlaps``."""
    if end <= start:
        raise ApplicationError(
            "invalid", _("The overtime ends before it starts."), fields={"end": [_("Before the start.")]}
        )
    if end - start > MAX_OVERTIME:
        raise ApplicationError("invalid", _("At most 12 hours at once."), fields={"end": [_("Too long.")]})
    if not (reason or "").strip():
        raise ApplicationError("invalid", _("Give a reason."), fields={"reason": [_("Required.")]})
    User.objects.select_for_update().filter(pk=user.pk).first()
    if OvertimeRequest.objects.filter(
        user=user, status__in=(RequestStatus.PENDING, RequestStatus.APPROVED), start__lt=end, end__gt=start
    ).exists():
        raise ApplicationError(
            "workforce_overtime_overlaps",
            _("You already asked for overtime at this time."),
            fields={"start": [_("Overlaps.")]},
        )
    day = start.astimezone(tenant_zone()).date()
    request = OvertimeRequest.objects.create(
        user=user,
        start=start,
        end=end,
        reason=reason.strip(),
        day_kind=overtime_day_kind_on(day),
        created_by=actor,
    )
    notify(
        users=[p for p in supervisors_of(user) if p.pk != user.pk],
        kind=KIND_OVERTIME_REQUESTED,
        title=_("%(name)s asks for overtime on %(date)s (%(hours)s h)"),
        params={"name": user.get_full_name(), "date": day.isoformat(), "hours": str(rules.overtime_hours(start, end))},
        url="/workforce/requests/",
    )
    return request


def _decide(request: OvertimeRequest, *, actor: User, status: str, note: str) -> OvertimeRequest:
    locked = OvertimeRequest.objects.select_for_update().select_related("user").get(pk=request.pk)
    if not may_decide(actor, locked.user_id):
        raise PermissionDeniedError("forbidden", _("You may not decide this request."))
    if locked.status != RequestStatus.PENDING:
        raise ApplicationError("workforce_not_pending", _("This request is already decided."))
    locked.status = status
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note or ""
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        action="workforce.overtime_decided",
        actor=actor,
        target=locked,
        before={"status": RequestStatus.PENDING},
        after={
            "status": status,
            "user": locked.user.email,
            "start": locked.start.isoformat(),
            "end": locked.end.isoformat(),
            "day_kind": locked.day_kind,
            "note": locked.decision_note,
        },
    )
    notify(
        users=[locked.user],
        kind=KIND_OVERTIME_DECIDED,
        title=(
            _("Your overtime on %(date)s is approved")
            if status == RequestStatus.APPROVED
            else _("Your overtime on %(date)s was not approved")
        ),
        body=_("Note: %(note)s") if locked.decision_note else "",
        params={"date": locked.start.astimezone(tenant_zone()).date().isoformat(), "note": locked.decision_note},
        url="/workforce/requests/",
    )
    return locked


@transaction.atomic
def overtime_approve(*, request: OvertimeRequest, actor: User, note: str = "") -> OvertimeRequest:
    return _decide(request, actor=actor, status=RequestStatus.APPROVED, note=note)


@transaction.atomic
def overtime_reject(*, request: OvertimeRequest, actor: User, note: str = "") -> OvertimeRequest:
    return _decide(request, actor=actor, status=RequestStatus.REJECTED, note=note)


@transaction.atomic
def overtime_cancel(*, request: OvertimeRequest, actor: User) -> OvertimeRequest:
    locked = OvertimeRequest.objects.select_for_update().get(pk=request.pk)
    if actor.pk != locked.user_id and not is_manager(actor):
        raise PermissionDeniedError("forbidden", _("Only the employee or HR cancels this request."))
    if locked.status != RequestStatus.PENDING:
        raise ApplicationError("workforce_not_pending", _("This request is already decided."))
    locked.status = RequestStatus.CANCELLED
    locked.save(update_fields=["status"])
    return locked
