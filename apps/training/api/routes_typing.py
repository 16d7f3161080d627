"""API routes of the typing-test concern (see apps/training/api/urls.py)."""

from django.urls import path

from apps.training.api import typing_tests as typing

urlpatterns: list = [
    path("training/typing-tests", typing.TypingTestListView.as_view(), name="training-typing-tests"),
    path("training/typing-tests/<int:pk>/attempts", typing.TypingStartView.as_view(), name="training-typing-start"),
    path("training/typing-attempts/<int:pk>/submit", typing.TypingSubmitView.as_view(), name="training-typing-submit"),
]
