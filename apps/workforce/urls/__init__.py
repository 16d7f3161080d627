"""Workforce pages under /workforce/ (config/urls_tenant.py). Each concern keeps its routes in a
module of this package, with the same name as its views and forms."""

from apps.workforce.urls import clocking, discipline, handovers, policy, requests, roster, schedule, shift_types

app_name = "workforce"
urlpatterns: list = [
    *discipline.urlpatterns,
    *shift_types.urlpatterns,
    *roster.urlpatterns,
    *schedule.urlpatterns,
    *clocking.urlpatterns,
    *handovers.urlpatterns,
    *requests.urlpatterns,
    *policy.urlpatterns,
]
