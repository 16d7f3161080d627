"""Report routes under /api/v1/ (config/api_tenant.py)."""

from django.urls import path

from apps.reports.api import kpis

urlpatterns: list = [
    path("reports/kpis", kpis.ReportKpiView.as_view(), name="report-kpis"),
]
