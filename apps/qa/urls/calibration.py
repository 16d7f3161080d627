"""Pages of the QA calibration concern (see apps/qa/urls/__init__.py)."""

from django.urls import path

from apps.qa.views import calibration

urlpatterns: list = [
    path("calibration/", calibration.calibration_list, name="calibration_list"),
    path("calibration/new/", calibration.calibration_new, name="calibration_new"),
    path("calibration/<int:pk>/", calibration.calibration_detail, name="calibration_detail"),
    path("calibration/<int:pk>/close/", calibration.calibration_close_view, name="calibration_close"),
]
