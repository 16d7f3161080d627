"""API routes of the QA evaluations concern (see apps/qa/api/urls.py)."""

from django.urls import path

from apps.qa.api import evaluations

urlpatterns: list = [
    path("qa/evaluations", evaluations.EvaluationListView.as_view(), name="qa-evaluations"),
    path("qa/evaluations/preview", evaluations.EvaluationPreviewView.as_view(), name="qa-evaluation-preview"),
    path("qa/evaluations/<int:pk>", evaluations.EvaluationDetailView.as_view(), name="qa-evaluation"),
]
