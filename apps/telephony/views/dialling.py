"""Console page of the tenant's dialling policy (toll fraud): /console/dialling/."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.telephony.dialer import dialling
from apps.telephony.forms.dialling import DiallingPolicyForm
from apps.telephony.services.dialling import caller_id_unrestricted, dialling_policy_get, dialling_policy_update


@role_required(Role.TENANT_ADMIN)
def dialling_policy(request):
    policy = dialling_policy_get()
    initial = {
        "allow_international": policy.allow_international,
        "allowed_prefixes": "\n".join(policy.allowed_prefixes),
        "blocked_prefixes": "\n".join(policy.blocked_prefixes),
        "rate_per_minute": policy.rate_per_minute,
        "rate_per_hour": policy.rate_per_hour,
    }
    form = DiallingPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dialling_policy_update(
                user=request.user,
                allow_international=data["allow_international"],
                allowed_prefixes=data["allowed_prefixes"],
                blocked_prefixes=data["blocked_prefixes"],
                rate_per_minute=data["rate_per_minute"],
                rate_per_hour=data["rate_per_hour"],
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Dialling policy saved."))
            return redirect("console:dialling")
    context = {
        "form": form,
        "policy": policy,
        "platform_blocked": [(prefix, _(label)) for prefix, label in dialling.PLATFORM_BLOCKED],
        "caller_id_unrestricted": caller_id_unrestricted(),
    }
    return render(request, "telephony/dialling_policy.html", context)
