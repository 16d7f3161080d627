"""Pages of the QA scorecards concern (see apps/qa/urls/__init__.py)."""

from django.urls import path

from apps.qa.views import scorecards

urlpatterns: list = [
    path("scorecards/", scorecards.scorecard_list, name="scorecards"),
    path("scorecards/new/", scorecards.scorecard_new, name="scorecard_new"),
    path("scorecards/<int:pk>/", scorecards.scorecard_detail, name="scorecard_detail"),
    path("scorecards/<int:pk>/edit/", scorecards.scorecard_edit, name="scorecard_edit"),
    path("scorecards/<int:pk>/versions/", scorecards.scorecard_version_list, name="scorecard_versions"),
    path(
        "scorecards/<int:pk>/publish/",
        scorecards.scorecard_set_status,
        {"action": "publish"},
        name="scorecard_publish",
    ),
    path(
        "scorecards/<int:pk>/retire/",
        scorecards.scorecard_set_status,
        {"action": "retire"},
        name="scorecard_retire",
    ),
]
