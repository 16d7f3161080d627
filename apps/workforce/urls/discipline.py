"""Discipline and the workforce home (see apps/workforce/urls/__init__.py)."""

from django.urls import path

from apps.workforce.views import discipline, home

urlpatterns: list = [
    path("", home.home, name="home"),
    path("discipline/", discipline.discipline, name="discipline"),
    path("discipline/warnings/new/", discipline.warning_new, name="warning_new"),
    path("discipline/warnings/<int:pk>/file/", discipline.warning_file, name="warning_file"),
    path("discipline/flags/<int:pk>/", discipline.flag_detail, name="flag"),
    path("discipline/flags/<int:pk>/decide/", discipline.flag_decide, name="flag_decide"),
]
