"""The adherence page (/workforce/staffing/adherence/): per person and team, adherence (minutes
in the scheduled activity ÷ scheduled minutes) and conformance (minutes on queue ÷ minutes
scheduled on queue) over a period of published shifts, and who is out of adherence right now.

Supervisors see their teams (apps/workforce/selectors/people.py); HR and administrators see
everyone. The same figures are the ``workforce_adherence`` report (CSV/XLSX/PDF).
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.views import role_required
from apps.workforce.choices import ActivityKind
from apps.workforce.forms.staffing import AdherenceFilterForm
from apps.workforce.selectors.adherence import adherence_by_agent, adherence_by_team, live_adherence
from apps.workforce.selectors.people import scope_user_ids
from apps.workforce.selectors.policy import tenant_zone
from apps.workforce.views.staffing import STAFFING_ROLES


@role_required(*STAFFING_ROLES)
def adherence(request: HttpRequest) -> HttpResponse:
    viewer = cast(User, request.user)  # role_required let only a logged-in user through
    today = dt.datetime.now(tenant_zone()).date()
    asked = "since" in request.GET or "until" in request.GET
    form = AdherenceFilterForm(request.GET if asked else {"since": today.isoformat(), "until": today.isoformat()})
    if not form.is_valid():
        return render(request, "workforce/staffing/adherence.html", {"form": form}, status=400)
    data = form.cleaned_data
    user_ids = None
    if data.get("team"):
        user_ids = set(data["team"].members.values_list("pk", flat=True))
    entries = adherence_by_agent(
        since=data["since"], until=data["until"] + dt.timedelta(days=1), user_ids=user_ids, viewer=viewer
    )
    scope = scope_user_ids(viewer)
    live = [row for row in live_adherence() if scope is None or row["user_id"] in scope]
    names = dict(get_user_model().objects.filter(pk__in=[row["user_id"] for row in live]).values_list("pk", "name"))
    labels = {**{str(value): str(label) for value, label in ActivityKind.choices}, "other": _("Other")}
    context = {
        "form": form,
        "people": [entry.row() for entry in entries],
        "teams": adherence_by_team(entries),
        "live": [
            {
                **row,
                "name": names.get(row["user_id"], ""),
                "scheduled_label": labels.get(row["scheduled"], row["scheduled"]),
                "actual_label": labels.get(row["actual"], row["actual"]),
            }
            for row in live
        ],
    }
    return render(request, "workforce/staffing/adherence.html", context)
