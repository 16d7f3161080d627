"""Pages of the typing-test concern (see apps/training/urls/__init__.py)."""

from django.urls import path

from apps.training.views import typing

urlpatterns: list = [
    path("typing/", typing.typing_tests, name="typing_tests"),
    path("typing/<int:pk>/start/", typing.typing_start, name="typing_start"),
    path("typing/attempts/<int:pk>/", typing.typing_attempt, name="typing_attempt"),
    path("typing/attempts/<int:pk>/submit/", typing.typing_submit, name="typing_submit"),
]
