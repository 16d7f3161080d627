"""The workforce home (/workforce/): where each role's pages are, and the person's own warning
letters (the notification of a warning links here)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.workforce.models import DisciplineWarning
from apps.workforce.selectors.people import APPROVER_ROLES, MANAGER_ROLES


@login_required
def home(request):
    context = {
        "is_manager": request.user.has_role(*MANAGER_ROLES),
        "is_approver": request.user.has_role(*APPROVER_ROLES),
        "warnings": DisciplineWarning.objects.filter(user=request.user).order_by("-issued_at")[:20],
    }
    return render(request, "workforce/home.html", context)
