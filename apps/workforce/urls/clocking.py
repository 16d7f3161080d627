"""Clocking and corrections (see apps/workforce/urls/__init__.py)."""

from django.urls import path

from apps.workforce.views import clocking

urlpatterns: list = [
    path("clock/", clocking.clock, name="clock"),
    path("clock/record/", clocking.clock_post, name="clock_post"),
    path("clock/corrections/", clocking.corrections, name="corrections"),
    path("clock/corrections/add/", clocking.correction_add, name="correction_add"),
    path("clock/records/<int:pk>/void/", clocking.record_void, name="record_void"),
]
