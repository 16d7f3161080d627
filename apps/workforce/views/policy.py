"""The attendance policy page (/workforce/policy/): the version in effect, every version with who
saved it, and a form that saves a new version from a chosen date (pre-filled from the version in
effect). HR and tenant administrators only. Versions are written by the service
(``policy_create``, audited), never here, so the page and ``POST /api/v1/workforce/policy``
behave alike; a version is never edited in place, so attendance already paid is not re-judged."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.views import role_required
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.workforce.choices import Relation
from apps.workforce.forms.policy import PolicyForm, bands_text
from apps.workforce.models import WorkforcePolicy
from apps.workforce.selectors.people import MANAGER_ROLES
from apps.workforce.selectors.policy import policy_on
from apps.workforce.services.policy import policy_create


@role_required(*MANAGER_ROLES)
def policy(request):
    today = timezone.localdate()
    current = policy_on(today)
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                saved = policy_create(
                    effective_from=form.cleaned_data["effective_from"], actor=request.user, values=form.values()
                )
            except ApplicationError as error:
                apply_error(form, error)
            except ValidationError as error:  # the model's own checks, should a value slip past the form
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request, _("Policy saved; it applies from %(day)s.") % {"day": saved.effective_from.isoformat()}
                )
                return redirect("workforce:policy")
        status = 400
    else:
        initial = PolicyForm.initial_from(current)
        initial["effective_from"] = today + dt.timedelta(days=1)
        form = PolicyForm(initial=initial)
        status = 200
    versions = WorkforcePolicy.objects.select_related("created_by").order_by("-effective_from")
    context = {
        "form": form,
        "current": current,
        "current_sick": bands_text(current.sick_bands, percent=True).splitlines(),
        "current_annual": bands_text(current.annual_leave_bands, percent=False).splitlines(),
        "current_bereavement": [
            (Relation(key).label if key in Relation.values else key, days)
            for key, days in (current.bereavement_days or {}).items()
        ],
        "versions": versions,
        "today": today,
    }
    return render(request, "workforce/policy.html", context, status=status)
