"""Handovers (see apps/workforce/urls/__init__.py)."""

from django.urls import path

from apps.workforce.views import handovers

urlpatterns: list = [
    path("handover/", handovers.handover, name="handover"),
    path("handover/write/", handovers.handover_write_view, name="handover_write"),
    path("handover/<int:pk>/sign/", handovers.handover_sign_view, name="handover_sign"),
    path("handover/<int:pk>/override/", handovers.handover_override_view, name="handover_override"),
]
