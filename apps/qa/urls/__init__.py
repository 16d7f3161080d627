"""QA pages under /qa/ (config/urls_tenant.py). Each concern keeps its own routes in a module of
this package (the same concern name as its views, services and selectors)."""

from apps.qa.urls import calibration, coaching, disputes, evaluations, mine, sampling, scorecards

app_name = "qa"
urlpatterns: list = [
    *evaluations.urlpatterns,
    *scorecards.urlpatterns,
    *mine.urlpatterns,
    *disputes.urlpatterns,
    *calibration.urlpatterns,
    *coaching.urlpatterns,
    *sampling.urlpatterns,
]
