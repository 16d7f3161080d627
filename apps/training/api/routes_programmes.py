"""API routes of the programmes concern (see apps/training/api/urls.py)."""

from django.urls import path

from apps.training.api import programmes

urlpatterns: list = [
    path("training/programmes", programmes.ProgrammeListView.as_view(), name="training-programmes"),
    path("training/programmes/<int:pk>", programmes.ProgrammeDetailView.as_view(), name="training-programme"),
    path(
        "training/programmes/<int:pk>/assignments",
        programmes.ProgrammeAssignView.as_view(),
        name="training-programme-assign",
    ),
    path("training/programme-runs", programmes.RunListView.as_view(), name="training-programme-runs"),
    path("training/programme-runs/<int:pk>", programmes.RunDetailView.as_view(), name="training-programme-run"),
    path(
        "training/programme-runs/<int:pk>/signoffs", programmes.SignoffView.as_view(), name="training-programme-signoff"
    ),
    path("training/career-levels", programmes.CareerLevelListView.as_view(), name="training-career-levels"),
    path("training/career-levels/<int:pk>", programmes.CareerLevelDetailView.as_view(), name="training-career-level"),
    path("training/career", programmes.CareerStandingView.as_view(), name="training-career"),
]
