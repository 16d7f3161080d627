"""Staffing and adherence pages, included from config/urls_tenant.py under /workforce/staffing/
with the namespace ``workforce_staffing``."""

from django.urls import path

from apps.workforce.views import adherence, staffing

app_name = "workforce_staffing"
urlpatterns: list = [
    path("", staffing.staffing, name="day"),
    path("calculator/", staffing.calculator, name="calculator"),
    path("what-if/", staffing.whatif, name="whatif"),
    path("adherence/", adherence.adherence, name="adherence"),
]
