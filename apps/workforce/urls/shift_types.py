"""Shift types (see apps/workforce/urls/__init__.py)."""

from django.urls import path

from apps.workforce.views import shift_types

urlpatterns: list = [
    path("shift-types/", shift_types.shift_types, name="shift_types"),
    path("shift-types/<int:pk>/", shift_types.shift_type_edit, name="shift_type_edit"),
]
