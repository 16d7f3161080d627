"""The console's data-retention page (/console/retention/): policy, legal holds, purge reports."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.retention.forms import LegalHoldForm, RetentionPolicyForm
from apps.retention.models import LegalHold, PurgeRun
from apps.retention.services import (
    legal_hold_place,
    legal_hold_release,
    retention_days,
    retention_policy_get,
    retention_policy_update,
)
from apps.retention.services.retention import retention_defaults
from apps.telephony.models import Call


@role_required(Role.TENANT_ADMIN)
def retention(request):
    policy = retention_policy_get()
    initial = {f"{kind}_days": getattr(policy, f"{kind}_days") for kind in ("recordings", "calls", "contacts")}
    policy_form = RetentionPolicyForm(initial=initial, defaults=retention_defaults())
    hold_form = LegalHoldForm()
    if request.method == "POST":
        try:
            if "release" in request.POST:
                call = Call.objects.filter(uid=request.POST["release"]).first()
                if call is not None:
                    legal_hold_release(call=call, actor=request.user)
                    messages.success(request, _("Legal hold released."))
                return redirect("console:retention")
            if "place" in request.POST:
                hold_form = LegalHoldForm(request.POST)
                if hold_form.is_valid():
                    call = Call.objects.filter(uid=hold_form.cleaned_data["call"].strip()).first()
                    if call is None:
                        hold_form.add_error("call", _("No call has this ID."))
                    else:
                        legal_hold_place(call=call, reason=hold_form.cleaned_data["reason"], actor=request.user)
                        messages.success(request, _("The call is under legal hold."))
                        return redirect("console:retention")
            else:
                policy_form = RetentionPolicyForm(request.POST, defaults=retention_defaults())
                if policy_form.is_valid():
                    retention_policy_update(actor=request.user, **policy_form.cleaned_data)
                    messages.success(request, _("Saved."))
                    return redirect("console:retention")
        except ApplicationError as error:
            apply_error(hold_form if "place" in request.POST else policy_form, error)
    context = {
        "policy_form": policy_form,
        "hold_form": hold_form,
        "in_force": retention_days(policy),
        "holds": LegalHold.objects.select_related("call")[:200],
        "runs": PurgeRun.objects.all()[:20],
    }
    return render(request, "retention/retention.html", context)
