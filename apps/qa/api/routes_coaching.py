"""API routes of the QA coaching concern (see apps/qa/api/urls.py)."""

from django.urls import path

from apps.qa.api import coaching

urlpatterns: list = [
    path("qa/coaching", coaching.CoachingListView.as_view(), name="qa-coaching"),
    path("qa/coaching/<int:pk>", coaching.CoachingDetailView.as_view(), name="qa-coaching-session"),
    path(
        "qa/coaching/<int:pk>/acknowledge",
        coaching.CoachingAcknowledgeView.as_view(),
        name="qa-coaching-acknowledge",
    ),
]
