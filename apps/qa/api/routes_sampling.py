"""API routes of the QA sampling concern (see apps/qa/api/urls.py)."""

from django.urls import path

from apps.qa.api import sampling

urlpatterns: list = [
    path("qa/sampling-rules", sampling.SamplingRuleListView.as_view(), name="qa-sampling-rules"),
    path("qa/sampling-rules/<int:pk>", sampling.SamplingRuleDetailView.as_view(), name="qa-sampling-rule"),
    path("qa/sampling-rules/<int:pk>/run", sampling.SamplingRuleRunView.as_view(), name="qa-sampling-rule-run"),
    path("qa/assignments", sampling.AssignmentListView.as_view(), name="qa-assignments"),
    path(
        "qa/assignments/<int:pk>/reassign",
        sampling.AssignmentReassignView.as_view(),
        name="qa-assignment-reassign",
    ),
    path("qa/assignments/<int:pk>/skip", sampling.AssignmentSkipView.as_view(), name="qa-assignment-skip"),
]
