"""QA routes under /api/v1/ (config/api_tenant.py); each concern lists its own in api/routes_<concern>.py."""

from apps.qa.api import (
    routes_calibration,
    routes_coaching,
    routes_disputes,
    routes_evaluations,
    routes_sampling,
    routes_scorecards,
)

urlpatterns: list = [
    *routes_scorecards.urlpatterns,
    *routes_evaluations.urlpatterns,
    *routes_disputes.urlpatterns,
    *routes_calibration.urlpatterns,
    *routes_coaching.urlpatterns,
    *routes_sampling.urlpatterns,
]
