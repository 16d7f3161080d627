"""Report pages under /reports/ (config/urls_tenant.py): the dashboard and the standard reports."""

from django.urls import path  # noqa: F401

app_name = "reports"
urlpatterns: list = []
