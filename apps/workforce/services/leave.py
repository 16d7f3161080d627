"""Leave requests: counting, balances, the approval chain and notifications.

- ``days`` is counted when the request is made (and again on approval): the published shifts the
  leave covers, or the calendar's working days when none is rostered yet.
- Sick leave needs a hospital certificate before it can be approved (it may be uploaded after
  the request). Bereavement leave names the relation and may not exceed its days; annual leave
  may not exceed the year's balance (entitlement by total years of service, minus approved and
  pending annual leave of that year).
- The chain: a supervisor of the person's team approves; when the leave is longer than the
  policy's ``leave_hr_approval_over_days``, HR approves too. An HR or administrator approval
  completes every remaining step. A rejection at any step ends the request.
- Approved leave excuses the shifts it covers (attendance: not absent, counted as leave days).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.calendar.selectors import calendar_for
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.core.tenancy import current_tenant
from apps.notifications.services import notify
from apps.workforce import rules
from apps.workforce.choices import ApprovalDecision, ApprovalStep, LeaveKind, Relation, RequestStatus, ShiftStatus
from apps.workforce.models import LeaveApproval, LeaveRequest, Shift, WorkforceProfile
from apps.workforce.selectors.people import hr_people, is_manager, may_decide, supervisors_of
from apps.workforce.selectors.policy import policy_on

MAX_LEAVE_DAYS = 366
KIND_LEAVE_REQUESTED = "workforce.leave_requested"
KIND_LEAVE_DECIDED = "workforce.leave_decided"
OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.APPROVED)


def leave_days_count(user: User, start: dt.date, end: dt.date) -> Decimal:
    """Published shifts in the range, else the calendar's working days."""
    shifts = Shift.objects.filter(user=user, status=ShiftStatus.PUBLISHED, date__range=(start, end)).count()
    if shifts:
        return Decimal(shifts)
    calendar = calendar_for(current_tenant())
    days = 0
    day = start
    while day <= end:
        days += calendar.is_working_day(day)
        day += dt.timedelta(days=1)
    return Decimal(days)


def annual_entitlement(user: User, year: int) -> float:
    """Annual leave days for ``year``: by total years of service on 1 January."""
    profile = WorkforceProfile.objects.filter(user=user).first()
    service_from = profile.service_from if profile else None
    first = dt.date(year, 1, 1)
    return rules.annual_leave_entitlement(service_from, first, policy=rules.Policy.of(policy_on(first)))


def leave_balances(user: User, year: int) -> dict[str, Any]:
    """Per kind: days approved and pending in ``year``; annual leave also its entitlement and
    what remains."""
    rows = (
        LeaveRequest.objects.filter(user=user, start_date__year=year, status__in=OPEN_STATUSES)
        .values("kind", "status")
        .annotate(days=Sum("days"))
    )
    result: dict[str, Any] = {kind: {"approved": 0.0, "pending": 0.0} for kind, _label in LeaveKind.choices}
    for row in rows:
        result[row["kind"]][row["status"]] = float(row["days"] or 0)
    entitled = annual_entitlement(user, year)
    annual = result[LeaveKind.ANNUAL]
    annual["entitled"] = entitled
    annual["remaining"] = max(0.0, entitled - annual["approved"] - annual["pending"])
    return result


def _invalid(message, **fields) -> ApplicationError:
    return ApplicationError("invalid", message, fields={k: [v] for k, v in fields.items()})


@transaction.atomic
def leave_request_create(
    *,
    user: User,
    kind: str,
    start_date: dt.date,
    end_date: dt.date,
    actor: User,
    relation: str = "",
    reason: str = "",
    certificate=None,
) -> LeaveRequest:
    """Ask for leave (for oneself, or HR on someone's behalf). Refusals: ``invalid``,
    ``workforce_leave_overlaps``, ``workforce_leave_exceeds_entitlement``."""
    if kind not in LeaveKind.values:
        raise _invalid(_("Choose a kind of leave."), kind=_("Unknown kind."))
    if end_date < start_date:
        raise _invalid(_("The leave ends before it starts."), end_date=_("Before the start."))
    if (end_date - start_date).days >= MAX_LEAVE_DAYS:
        raise _invalid(_("At most a year at once."), end_date=_("Too long."))
    if kind == LeaveKind.BEREAVEMENT and relation not in Relation.values:
        raise _invalid(_("Bereavement leave names the relation."), relation=_("Required."))
    if kind != LeaveKind.BEREAVEMENT:
        relation = ""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one person's requests in turn
    if LeaveRequest.objects.filter(
        user=user, status__in=OPEN_STATUSES, start_date__lte=end_date, end_date__gte=start_date
    ).exists():
        raise ApplicationError(
            "workforce_leave_overlaps",
            _("You already asked for leave on some of these days."),
            fields={"start_date": [_("Overlaps.")]},
        )
    days = leave_days_count(user, start_date, end_date)
    policy = policy_on(start_date)
    rules_policy = rules.Policy.of(policy)
    if kind == LeaveKind.BEREAVEMENT:
        allowed = rules.bereavement_days(relation, policy=rules_policy)
        if days > allowed:
            raise ApplicationError(
                "workforce_leave_exceeds_entitlement",
                _("Bereavement leave for this relation is %(days)s days.") % {"days": allowed},
                fields={"end_date": [_("Too long.")]},
            )
    if kind == LeaveKind.ANNUAL:
        remaining = leave_balances(user, start_date.year)[LeaveKind.ANNUAL]["remaining"]
        if float(days) > remaining:
            raise ApplicationError(
                "workforce_leave_exceeds_entitlement",
                _("Only %(days)s days of annual leave remain this year.") % {"days": remaining},
                fields={"end_date": [_("Too long.")]},
            )
    steps = [ApprovalStep.SUPERVISOR.value]
    if policy.leave_hr_approval_over_days and days > policy.leave_hr_approval_over_days:
        steps.append(ApprovalStep.HR.value)
    request = LeaveRequest(
        user=user,
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        days=days,
        relation=relation,
        reason=(reason or "").strip(),
        required_steps=steps,
        created_by=actor,
    )
    if certificate is not None:
        request.certificate = certificate
    request.save()
    notify(
        users=[p for p in supervisors_of(user) if p.pk != user.pk],
        kind=KIND_LEAVE_REQUESTED,
        title=_("%(name)s asks for leave: %(kind)s, %(start)s to %(end)s"),
        params={
            "name": user.get_full_name(),
            "kind": request.get_kind_display(),
            "start": start_date.isoformat(),
            "end": end_date.isoformat(),
        },
        url="/workforce/requests/",
    )
    return request


@transaction.atomic
def leave_certificate_attach(*, request: LeaveRequest, certificate, actor: User) -> LeaveRequest:
    locked = LeaveRequest.objects.select_for_update().get(pk=request.pk)
    if actor.pk != locked.user_id and not is_manager(actor):
        raise PermissionDeniedError("forbidden", _("Only the employee or HR attaches a certificate."))
    locked.certificate = certificate
    locked.save(update_fields=["certificate"])
    return locked


def next_step(request: LeaveRequest) -> str | None:
    done = set(request.approvals.values_list("step", flat=True))
    for step in request.required_steps or [ApprovalStep.SUPERVISOR.value]:
        if step not in done:
            return step
    return None


def _may_take(actor: User, request: LeaveRequest, step: str) -> bool:
    if not may_decide(actor, request.user_id):
        return False
    if step == ApprovalStep.HR:
        return is_manager(actor)
    return True


def _locked_pending(request: LeaveRequest) -> LeaveRequest:
    locked = LeaveRequest.objects.select_for_update().select_related("user").get(pk=request.pk)
    if locked.status != RequestStatus.PENDING:
        raise ApplicationError("workforce_not_pending", _("This request is already decided."))
    return locked


@transaction.atomic
def leave_approve(*, request: LeaveRequest, actor: User, note: str = "") -> LeaveRequest:
    """Approve the current step (an HR or administrator approval completes all). Refusals:
    ``forbidden`` (403), ``workforce_not_pending``, ``workforce_certificate_required``."""
    locked = _locked_pending(request)
    step = next_step(locked)
    if step is None or not _may_take(actor, locked, step):
        raise PermissionDeniedError("forbidden", _("You may not approve this request."))
    if locked.kind == LeaveKind.SICK and not locked.certificate:
        raise ApplicationError(
            "workforce_certificate_required",
            _("Sick leave needs the hospital certificate before approval."),
            fields={"certificate": [_("Required.")]},
        )
    now = timezone.now()
    steps = [step]
    if is_manager(actor):
        done = set(locked.approvals.values_list("step", flat=True))
        steps = [s for s in locked.required_steps or [step] if s not in done]
    for taken in steps:
        LeaveApproval.objects.create(
            request=locked, step=taken, decision=ApprovalDecision.APPROVED, decided_by=actor, decided_at=now, note=note
        )
    remaining = next_step(locked)
    if remaining is None:
        locked.days = leave_days_count(locked.user, locked.start_date, locked.end_date)
        _decide(locked, RequestStatus.APPROVED, actor, note)
    else:
        notify(
            users=hr_people(),
            kind=KIND_LEAVE_REQUESTED,
            title=_("Leave of %(name)s waits for HR: %(kind)s, %(start)s to %(end)s"),
            params={
                "name": locked.user.get_full_name(),
                "kind": locked.get_kind_display(),
                "start": locked.start_date.isoformat(),
                "end": locked.end_date.isoformat(),
            },
            url="/workforce/requests/",
        )
    return locked


@transaction.atomic
def leave_reject(*, request: LeaveRequest, actor: User, note: str = "") -> LeaveRequest:
    locked = _locked_pending(request)
    step = next_step(locked) or ApprovalStep.SUPERVISOR
    if not _may_take(actor, locked, step):
        raise PermissionDeniedError("forbidden", _("You may not reject this request."))
    LeaveApproval.objects.create(
        request=locked, step=step, decision=ApprovalDecision.REJECTED, decided_by=actor, note=note
    )
    _decide(locked, RequestStatus.REJECTED, actor, note)
    return locked


@transaction.atomic
def leave_cancel(*, request: LeaveRequest, actor: User) -> LeaveRequest:
    """The employee withdraws a pending request, or approved leave that has not begun."""
    locked = LeaveRequest.objects.select_for_update().get(pk=request.pk)
    if actor.pk != locked.user_id and not is_manager(actor):
        raise PermissionDeniedError("forbidden", _("Only the employee or HR cancels this request."))
    started = locked.start_date <= timezone.localdate()
    if locked.status == RequestStatus.PENDING or (locked.status == RequestStatus.APPROVED and not started):
        locked.status = RequestStatus.CANCELLED
        locked.save(update_fields=["status"])
        return locked
    raise ApplicationError("workforce_not_pending", _("This request can no longer be cancelled."))


def _decide(request: LeaveRequest, status: str, actor: User, note: str) -> None:
    before = {"status": request.status}
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note or ""
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "days"])
    audit_record(
        action="workforce.leave_decided",
        actor=actor,
        target=request,
        before=before,
        after={
            "status": status,
            "user": request.user.email,
            "kind": request.kind,
            "start_date": request.start_date.isoformat(),
            "end_date": request.end_date.isoformat(),
            "days": str(request.days),
            "note": request.decision_note,
        },
    )
    approved = status == RequestStatus.APPROVED
    notify(
        users=[request.user],
        kind=KIND_LEAVE_DECIDED,
        title=(
            _("Your leave %(start)s to %(end)s is approved")
            if approved
            else _("Your leave %(start)s to %(end)s was not approved")
        ),
        body=_("Note: %(note)s") if request.decision_note else "",
        params={
            "start": request.start_date.isoformat(),
            "end": request.end_date.isoformat(),
            "note": request.decision_note,
        },
        url="/workforce/requests/",
    )
