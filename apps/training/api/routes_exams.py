"""API routes of the exams concern (see apps/training/api/urls.py)."""

from django.urls import path

from apps.training.api import exams

urlpatterns: list = [
    path("training/exams", exams.ExamListView.as_view(), name="training-exams"),
    path("training/exams/<int:pk>", exams.ExamDetailView.as_view(), name="training-exam"),
    path("training/exams/<int:pk>/attempts", exams.AttemptStartView.as_view(), name="training-exam-attempts"),
    path("training/attempts/<int:pk>", exams.AttemptDetailView.as_view(), name="training-attempt"),
    path("training/attempts/<int:pk>/submit", exams.AttemptSubmitView.as_view(), name="training-attempt-submit"),
    path("training/banks", exams.BankListView.as_view(), name="training-banks"),
    path("training/banks/<int:pk>/questions", exams.BankQuestionsView.as_view(), name="training-bank-questions"),
    path("training/grading", exams.GradingQueueView.as_view(), name="training-grading"),
    path("training/answers/<int:pk>/grade", exams.AnswerGradeView.as_view(), name="training-answer-grade"),
]
