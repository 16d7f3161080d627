"""The roster editor (see apps/workforce/urls/__init__.py)."""

from django.urls import path

from apps.workforce.views import roster

urlpatterns: list = [
    path("roster/", roster.roster, name="roster"),
    path("roster/cell/", roster.roster_cell, name="roster_cell"),
    path("roster/coverage/", roster.roster_coverage, name="roster_coverage"),
    path("roster/copy-week/", roster.roster_copy, name="roster_copy"),
    path("roster/rotation/", roster.roster_rotation, name="roster_rotation"),
    path("roster/patterns/", roster.roster_pattern, name="roster_pattern"),
    path("roster/patterns/<int:pk>/delete/", roster.roster_pattern_delete, name="roster_pattern_delete"),
    path("roster/publish/", roster.roster_publish_view, name="roster_publish"),
]
