"""Console page of the tenant's dialling policy (toll fraud): /console/dialling/."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.telephony import dialling
from apps.telephony.services.dialling import caller_id_unrestricted, dialling_policy_get, dialling_policy_update


class DiallingPolicyForm(forms.Form):
    allow_international = forms.BooleanField(label=gettext_lazy("Allow international numbers"), required=False)
    allowed_prefixes = forms.CharField(
        label=gettext_lazy("Allowed prefixes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line, + and the country code: +86 for Chinese numbers, +852 for Hong Kong."),
    )
    blocked_prefixes = forms.CharField(
        label=gettext_lazy("Blocked prefixes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=gettext_lazy(
            "One per line. +<digits> blocks numbers by their international form; digits alone (95, 96) "
            "block short numbers dialled as such."
        ),
    )
    rate_per_minute = forms.IntegerField(
        label=gettext_lazy("Manual calls per agent per minute"), min_value=1, max_value=dialling.RATE_PER_MINUTE_MAX
    )
    rate_per_hour = forms.IntegerField(
        label=gettext_lazy("Manual calls per agent per hour"), min_value=1, max_value=dialling.RATE_PER_HOUR_MAX
    )


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
