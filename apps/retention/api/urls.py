from django.urls import path

from apps.retention.api import views

urlpatterns = [
    path("retention/policy", views.retention_policy, name="retention-policy"),
    path("retention/runs", views.purge_runs, name="retention-runs"),
    path("retention/holds", views.legal_holds, name="retention-holds"),
    path("retention/holds/<str:uid>", views.legal_hold_detail, name="retention-hold"),
]
