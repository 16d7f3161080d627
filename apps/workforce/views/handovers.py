"""Handover (交接班, /workforce/handover/): the outgoing agent writes the five items of their
current shift for the colleague who takes over; that colleague reads and signs; until then the
outgoing agent cannot clock out. A supervisor (or HR, an administrator) may let them go without
the signature, with a reason (audited). The writes are the clocking service's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.workforce.forms.handovers import HandoverForm, OverrideForm
from apps.workforce.models import Handover
from apps.workforce.selectors.people import APPROVER_ROLES, may_decide
from apps.workforce.services.handovers import (
    HANDOVER_ITEMS,
    clock_out_blocked_by,
    handover_for,
    handover_override,
    handover_sign,
    handover_write,
    handovers_to_sign,
    handovers_waiting,
    handovers_written,
    my_open_handover,
)


def _page(request, form: HandoverForm | None = None, status: int = 200):
    shift, handover, successors = my_open_handover(request.user)
    if form is None:
        initial = {name: getattr(handover, name) for name in HANDOVER_ITEMS} if handover else {}
        if handover and handover.incoming_user_id:
            initial["incoming"] = handover.incoming_user_id
        form = HandoverForm(initial=initial, successors=successors)
    context = {
        "shift": shift,
        "handover": handover,
        "form": form,
        "blocked": clock_out_blocked_by(request.user) is not None,
        "to_sign": handovers_to_sign(request.user),
        "written": handovers_written(request.user),
        "waiting": handovers_waiting(request.user) if request.user.has_role(*APPROVER_ROLES) else [],
        "override_form": OverrideForm(),
        "items": HANDOVER_ITEMS,
    }
    return render(request, "workforce/handover.html", context, status=status)


@login_required
def handover(request):
    return _page(request)


@login_required
@require_POST
def handover_write_view(request):
    _shift, _handover, successors = my_open_handover(request.user)
    form = HandoverForm(request.POST, successors=successors)
    if form.is_valid():
        try:
            handover_write(user=request.user, items=form.items(), incoming=form.cleaned_data.get("incoming"))
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Handover saved; your colleague is asked to sign it."))
            return redirect("workforce:handover")
    return _page(request, form, status=400)


def _reachable(request, pk: int) -> Handover:
    found = handover_for(request.user, pk) or next((h for h in handovers_to_sign(request.user) if h.pk == pk), None)
    if found is None:
        raise Http404
    return found


@login_required
@require_POST
def handover_sign_view(request, pk: int):
    try:
        handover_sign(handover=_reachable(request, pk), user=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Signed: your colleague may clock out."))
    return redirect("workforce:handover")


@role_required(*APPROVER_ROLES)
@require_POST
def handover_override_view(request, pk: int):
    handover = _reachable(request, pk)
    form = OverrideForm(request.POST)
    if not may_decide(request.user, handover.outgoing_user_id):
        messages.error(request, _("You may not override this handover."))
    elif not form.is_valid():
        messages.error(request, _("Give a reason."))
    else:
        try:
            handover_override(handover=handover, actor=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request, _("Overridden: %(name)s may clock out.") % {"name": handover.outgoing_user.get_full_name()}
            )
    return redirect("workforce:handover")
