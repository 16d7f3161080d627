"""API routes of the QA disputes concern (see apps/qa/api/urls.py)."""

from django.urls import path

from apps.qa.api import disputes

urlpatterns: list = [
    path(
        "qa/evaluations/<int:pk>/acknowledge",
        disputes.EvaluationAcknowledgeView.as_view(),
        name="qa-evaluation-acknowledge",
    ),
    path("qa/evaluations/<int:pk>/dispute", disputes.EvaluationDisputeView.as_view(), name="qa-evaluation-dispute"),
    path("qa/disputes", disputes.DisputeListView.as_view(), name="qa-disputes"),
    path("qa/disputes/<int:pk>", disputes.DisputeDetailView.as_view(), name="qa-dispute"),
    path("qa/disputes/<int:pk>/accept", disputes.DisputeAcceptView.as_view(), name="qa-dispute-accept"),
    path("qa/disputes/<int:pk>/reject", disputes.DisputeRejectView.as_view(), name="qa-dispute-reject"),
]
