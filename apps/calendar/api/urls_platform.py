"""/api/v1/platform/calendar/… on the public host (platform staff)."""

from django.urls import path

from apps.calendar.api import views

urlpatterns = [
    path("platform/calendar", views.platform_year, name="api-platform-calendar"),
    path("platform/calendar/days", views.platform_day_set, name="api-platform-calendar-day"),
    path("platform/calendar/days/<str:date>", views.platform_day_delete, name="api-platform-calendar-day-delete"),
    path("platform/calendar/years/<int:year>", views.platform_year_official, name="api-platform-calendar-year"),
    path("platform/calendar/import", views.platform_import, name="api-platform-calendar-import"),
    path("platform/calendar/coverage", views.platform_coverage, name="api-platform-calendar-coverage"),
]
