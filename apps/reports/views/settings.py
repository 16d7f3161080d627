"""The tenant's KPI settings page (/reports/settings/): how first-call resolution and short
abandons are counted, and the targets the dashboard colours its figures by. The model and its
meaning are apps/reports/models/settings.py; changing the FCR window needs the rollups rebuilt
for the past (docs/reports.md), which the page says."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.choices import Role
from apps.accounts.views import role_required
from apps.reports.forms import KpiSettingsForm
from apps.reports.selectors.kpis import kpi_settings


@role_required(Role.TENANT_ADMIN)
def kpi_settings_page(request):
    current = kpi_settings()
    form = KpiSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.updated_at = timezone.now()
        saved.save()
        messages.success(request, _("KPI settings saved. Reports from now on use them."))
        return redirect("reports:settings")
    return render(request, "reports/settings.html", {"form": form})
