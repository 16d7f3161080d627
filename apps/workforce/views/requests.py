"""Requests (/workforce/requests/): my leave, overtime and swaps with their state, leave balances,
new requests (leave with the sick certificate and the bereavement relation, a swap picking a
colleague's shift, overtime), the colleague's answer to a swap, and the approvals inbox
(/workforce/approvals/) where supervisors, HR and administrators decide what waits for them.

The rules (approval chain, entitlements, overlaps, the roster change on a swap's approval) are
the services'; these views check the role and scope, call one service, and say what happened.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.workforce.choices import LeaveKind, RequestStatus, ShiftStatus, SwapStatus
from apps.workforce.forms.requests import CertificateForm, DecisionForm, LeaveForm, OvertimeForm, SwapForm
from apps.workforce.models import LeaveRequest, OvertimeRequest, Shift, SwapRequest
from apps.workforce.selectors.people import APPROVER_ROLES, is_manager, may_decide, may_see, scope_user_ids
from apps.workforce.services.leave import (
    leave_approve,
    leave_balances,
    leave_cancel,
    leave_certificate_attach,
    leave_reject,
    leave_request_create,
    next_step,
)
from apps.workforce.services.overtime import overtime_approve, overtime_cancel, overtime_reject, overtime_request_create
from apps.workforce.services.swaps import swap_answer, swap_cancel, swap_decide, swap_request_create

SWAP_AHEAD_DAYS = 31
OPEN_SWAP = (SwapStatus.PENDING_COUNTERPART, SwapStatus.PENDING_APPROVAL)


@login_required
def my_requests(request):
    user = request.user
    year = timezone.localdate().year
    balances = leave_balances(user, year)
    context = {
        "leave": LeaveRequest.objects.filter(user=user).select_related("decided_by").order_by("-start_date")[:50],
        "overtime": OvertimeRequest.objects.filter(user=user).order_by("-start")[:50],
        "swaps": SwapRequest.objects.filter(requester=user)
        .select_related("counterpart", "requester_shift__shift_type", "counterpart_shift__shift_type")
        .order_by("-created_at")[:50],
        "asked": SwapRequest.objects.filter(counterpart=user, status=SwapStatus.PENDING_COUNTERPART)
        .select_related("requester", "requester_shift__shift_type", "counterpart_shift__shift_type")
        .order_by("created_at"),
        "year": year,
        "annual": balances[LeaveKind.ANNUAL],
        "balances": [(label, balances[kind]) for kind, label in LeaveKind.choices],
        "is_approver": user.has_role(*APPROVER_ROLES),
        "certificate_form": CertificateForm(),
    }
    return render(request, "workforce/requests.html", context)


def _form_page(request, template: str, form, title: str, status: int = 200):
    return render(request, template, {"form": form, "title": title}, status=status)


@login_required
def leave_new(request):
    form = LeaveForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                leave_request_create(
                    user=request.user,
                    kind=data["kind"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    relation=data["relation"],
                    reason=data["reason"],
                    certificate=data["certificate"],
                    actor=request.user,
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Leave requested; your supervisor is notified."))
                return redirect("workforce:requests")
        return _form_page(request, "workforce/request_form.html", form, _("Ask for leave"), status=400)
    return _form_page(request, "workforce/request_form.html", form, _("Ask for leave"))


def _swap_form(request, data=None) -> SwapForm:
    now = timezone.now()
    horizon = timezone.localdate() + dt.timedelta(days=SWAP_AHEAD_DAYS)
    upcoming = Shift.objects.filter(status=ShiftStatus.PUBLISHED, start__gt=now, date__lte=horizon).select_related(
        "shift_type", "user"
    )
    colleagues = User.objects.filter(is_active=True).exclude(pk=request.user.pk).order_by("name", "email")
    return SwapForm(
        data,
        mine=upcoming.filter(user=request.user).order_by("start"),
        theirs=upcoming.exclude(user=request.user).filter(user__is_active=True).order_by("start", "user__name"),
        colleagues=colleagues,
    )


@login_required
def swap_new(request):
    form = _swap_form(request, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                swap_request_create(
                    requester=request.user,
                    counterpart=data["counterpart"],
                    requester_shift=data["requester_shift"],
                    counterpart_shift=data["counterpart_shift"],
                    note=data["note"],
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Swap asked; your colleague answers first, then a supervisor decides."))
                return redirect("workforce:requests")
        return _form_page(request, "workforce/request_form.html", form, _("Ask for a shift swap"), status=400)
    return _form_page(request, "workforce/request_form.html", form, _("Ask for a shift swap"))


@login_required
def overtime_new(request):
    form = OvertimeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                overtime_request_create(
                    user=request.user, start=data["start"], end=data["end"], reason=data["reason"], actor=request.user
                )
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Overtime requested; it counts once approved."))
                return redirect("workforce:requests")
        return _form_page(request, "workforce/request_form.html", form, _("Ask for overtime"), status=400)
    return _form_page(request, "workforce/request_form.html", form, _("Ask for overtime"))


def _done(request, call, success: str, back: str = "workforce:requests"):
    """Run one service call; its refusal becomes the page's error message."""
    try:
        call()
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, success)
    return redirect(back)


@login_required
@require_POST
def leave_cancel_view(request, pk: int):
    leave = get_object_or_404(LeaveRequest, pk=pk, user=request.user)
    return _done(request, lambda: leave_cancel(request=leave, actor=request.user), _("Leave request withdrawn."))


@login_required
@require_POST
def leave_certificate_view(request, pk: int):
    leave = get_object_or_404(LeaveRequest, pk=pk, user=request.user)
    form = CertificateForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("certificate", [])) or _("Choose a file."))
        return redirect("workforce:requests")
    return _done(
        request,
        lambda: leave_certificate_attach(
            request=leave, certificate=form.cleaned_data["certificate"], actor=request.user
        ),
        _("Certificate attached."),
    )


@login_required
def leave_certificate_download(request, pk: int):
    """The certificate, to its owner and to whoever may decide the request (never a public URL)."""
    leave = get_object_or_404(LeaveRequest, pk=pk)
    if not leave.certificate or not (leave.user_id == request.user.pk or may_decide(request.user, leave.user_id)):
        raise Http404
    return FileResponse(
        leave.certificate.open("rb"),
        as_attachment=True,
        filename=(leave.certificate.name or "certificate").rsplit("/", 1)[-1],
    )


@login_required
@require_POST
def overtime_cancel_view(request, pk: int):
    overtime = get_object_or_404(OvertimeRequest, pk=pk, user=request.user)
    return _done(
        request, lambda: overtime_cancel(request=overtime, actor=request.user), _("Overtime request withdrawn.")
    )


@login_required
@require_POST
def swap_cancel_view(request, pk: int):
    swap = get_object_or_404(SwapRequest, pk=pk, requester=request.user)
    return _done(request, lambda: swap_cancel(swap=swap, user=request.user), _("Swap withdrawn."))


@login_required
@require_POST
def swap_answer_view(request, pk: int):
    swap = get_object_or_404(SwapRequest, pk=pk, counterpart=request.user)
    accept = request.POST.get("accept") == "1"
    text = _("Accepted; a supervisor decides now.") if accept else _("Declined.")
    return _done(request, lambda: swap_answer(swap=swap, user=request.user, accept=accept), text)


# --- approvals inbox ---------------------------------------------------------------------------------


def _in_scope(viewer: User, queryset, field: str = "user_id"):
    ids = scope_user_ids(viewer)
    return queryset if ids is None else queryset.filter(**{f"{field}__in": ids})


def pending_leave_for(viewer: User) -> list[LeaveRequest]:
    """Pending leave whose next step ``viewer`` may take (HR's step for HR and administrators)."""
    rows = _in_scope(viewer, LeaveRequest.objects.filter(status=RequestStatus.PENDING).exclude(user=viewer))
    found = []
    for leave in rows.select_related("user").prefetch_related("approvals").order_by("start_date"):
        step = next_step(leave)
        if step == "hr" and not is_manager(viewer):
            continue
        leave.next_step = step  # type: ignore[attr-defined]  # shown on the page
        found.append(leave)
    return found


@role_required(*APPROVER_ROLES)
def approvals(request):
    viewer = request.user
    swaps = _in_scope(
        viewer,
        SwapRequest.objects.filter(status=SwapStatus.PENDING_APPROVAL).exclude(
            Q(requester=viewer) | Q(counterpart=viewer)
        ),
        "requester_id",
    ).select_related("requester", "counterpart", "requester_shift__shift_type", "counterpart_shift__shift_type")
    context = {
        "leave": pending_leave_for(viewer),
        "overtime": _in_scope(
            viewer, OvertimeRequest.objects.filter(status=RequestStatus.PENDING).exclude(user=viewer)
        ).select_related("user"),
        "swaps": [s for s in swaps.order_by("created_at") if may_see(viewer, s.counterpart_id)],
        "decision_form": DecisionForm(),
    }
    return render(request, "workforce/approvals.html", context)


def _decision(request) -> tuple[bool, str] | None:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Approve or reject."))
        return None
    return form.cleaned_data["decision"] == "approve", form.cleaned_data["note"]


@role_required(*APPROVER_ROLES)
@require_POST
def leave_decide(request, pk: int):
    leave = get_object_or_404(LeaveRequest, pk=pk)
    if not may_see(request.user, leave.user_id):
        raise Http404
    decided = _decision(request)
    if decided is None:
        return redirect("workforce:approvals")
    approve, note = decided
    if approve:
        return _done(
            request,
            lambda: leave_approve(request=leave, actor=request.user, note=note),
            _("Approved."),
            "workforce:approvals",
        )
    return _done(
        request,
        lambda: leave_reject(request=leave, actor=request.user, note=note),
        _("Rejected."),
        "workforce:approvals",
    )


@role_required(*APPROVER_ROLES)
@require_POST
def overtime_decide(request, pk: int):
    overtime = get_object_or_404(OvertimeRequest, pk=pk)
    if not may_see(request.user, overtime.user_id):
        raise Http404
    decided = _decision(request)
    if decided is None:
        return redirect("workforce:approvals")
    approve, note = decided
    call = overtime_approve if approve else overtime_reject
    return _done(
        request,
        lambda: call(request=overtime, actor=request.user, note=note),
        _("Approved.") if approve else _("Rejected."),
        "workforce:approvals",
    )


@role_required(*APPROVER_ROLES)
@require_POST
def swap_decide_view(request, pk: int):
    swap = get_object_or_404(SwapRequest, pk=pk)
    if not may_see(request.user, swap.requester_id):
        raise Http404
    decided = _decision(request)
    if decided is None:
        return redirect("workforce:approvals")
    approve, note = decided
    text = _("Approved: the roster is changed.") if approve else _("Rejected.")
    return _done(
        request,
        lambda: swap_decide(swap=swap, actor=request.user, approve=approve, note=note),
        text,
        "workforce:approvals",
    )
