"""Report routes under /api/v1/ (config/api_tenant.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
