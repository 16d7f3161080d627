"""Report pages under /reports/ (config/urls_tenant.py): the dashboard, the standard reports,
the KPI settings (and the schedules, apps/reports/views/schedules.py)."""

from django.urls import path

from apps.reports.views import dashboard, reports, schedules, settings

app_name = "reports"
urlpatterns: list = [
    path("", dashboard.dashboard, name="dashboard"),
    path("list/", reports.report_list, name="list"),
    path("r/<slug:code>/", reports.report_page, name="report"),
    path("r/<slug:code>/export/<slug:fmt>/", reports.report_export, name="export"),
    path("settings/", settings.kpi_settings_page, name="settings"),
    path("schedules/", schedules.schedule_list, name="schedules"),
    path("schedules/new/", schedules.schedule_new, name="schedule_new"),
    path("schedules/<int:pk>/", schedules.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/delete/", schedules.schedule_remove, name="schedule_delete"),
    path("schedules/<int:pk>/send/", schedules.schedule_send_now, name="schedule_send"),
]
