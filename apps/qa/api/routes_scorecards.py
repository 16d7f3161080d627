"""API routes of the QA scorecards concern (see apps/qa/api/urls.py)."""

from django.urls import path

from apps.qa.api import scorecards

urlpatterns: list = [
    path("qa/scorecards", scorecards.ScorecardListView.as_view(), name="qa-scorecards"),
    path("qa/scorecards/<int:pk>", scorecards.ScorecardDetailView.as_view(), name="qa-scorecard"),
    path("qa/scorecards/<int:pk>/versions", scorecards.ScorecardVersionsView.as_view(), name="qa-scorecard-versions"),
    path("qa/scorecards/<int:pk>/publish", scorecards.ScorecardPublishView.as_view(), name="qa-scorecard-publish"),
    path("qa/scorecards/<int:pk>/retire", scorecards.ScorecardRetireView.as_view(), name="qa-scorecard-retire"),
]
