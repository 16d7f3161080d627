"""The attendance policy page (see apps/workforce/urls/__init__.py)."""

from django.urls import path

from apps.workforce.views import policy

urlpatterns: list = [
    path("policy/", policy.policy, name="policy"),
]
