"""Report routes under /api/v1/ (config/api_tenant.py)."""

from django.urls import path

from apps.reports.api import kpis, runs

urlpatterns: list = [
    path("reports/kpis", kpis.ReportKpiView.as_view(), name="report-kpis"),
    path("reports/runs", runs.ReportRunsView.as_view(), name="report-runs"),
    path("reports/runs/<int:pk>", runs.ReportRunView.as_view(), name="report-run"),
    path("reports/runs/<int:pk>/download", runs.ReportRunDownloadView.as_view(), name="report-run-download"),
]
