"""Report pages under /reports/ (config/urls_tenant.py): the dashboard, the standard reports,
the KPI settings (and the schedules, apps/reports/views/schedules.py)."""

from django.urls import path

from apps.reports.views import dashboard, reports, settings

app_name = "reports"
urlpatterns: list = [
    path("", dashboard.dashboard, name="dashboard"),
    path("list/", reports.report_list, name="list"),
    path("r/<slug:code>/", reports.report_page, name="report"),
    path("r/<slug:code>/export/<slug:fmt>/", reports.report_export, name="export"),
    path("settings/", settings.kpi_settings_page, name="settings"),
]
