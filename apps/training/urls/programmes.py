"""Pages of the programmes concern (see apps/training/urls/__init__.py)."""

from django.urls import path

from apps.training.views import programmes

urlpatterns: list = [
    path("programmes/", programmes.programmes, name="programmes"),
    path("programmes/<int:pk>/", programmes.programme, name="programme"),
    path("programmes/<int:pk>/assign/", programmes.programme_assign, name="programme_assign"),
    path("programme-runs/<int:pk>/", programmes.programme_run, name="programme_run"),
    path("programme-runs/<int:pk>/steps/<int:step_id>/sign/", programmes.milestone_sign, name="milestone_sign"),
    path("careers/", programmes.careers, name="careers"),
]
