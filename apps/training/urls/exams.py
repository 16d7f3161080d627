"""Pages of the exams concern (see apps/training/urls/__init__.py)."""

from django.urls import path

from apps.training.views import exams

urlpatterns: list = [
    path("exams/", exams.exams, name="exams"),
    path("exams/new/", exams.exam_new, name="exam_new"),
    path("exams/<int:pk>/edit/", exams.exam_edit, name="exam_edit"),
    path("exams/<int:pk>/start/", exams.exam_start, name="exam_start"),
    path("attempts/<int:pk>/", exams.attempt, name="attempt"),
    path("attempts/<int:pk>/submit/", exams.attempt_submit, name="attempt_submit"),
    path("banks/", exams.banks, name="banks"),
    path("banks/<int:pk>/", exams.bank, name="bank"),
    path("grading/", exams.grading, name="grading"),
    path("grading/<int:pk>/", exams.grade, name="grade"),
]
