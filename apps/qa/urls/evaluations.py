"""Pages of the QA evaluations concern (see apps/qa/urls/__init__.py): the QA home, the evaluation
workspace (a new evaluation of a call, or an existing one) and its live score."""

from django.urls import path

from apps.qa.views import evaluations, workspace

urlpatterns: list = [
    path("", evaluations.home, name="home"),
    path("evaluate/<str:uid>/", workspace.evaluate, name="evaluate"),
    path("evaluations/<int:pk>/edit/", workspace.evaluation_edit, name="evaluation_edit"),
    path("evaluations/preview/", workspace.evaluation_preview_json, name="evaluation_preview"),
]
