"""API routes of the QA calibration concern (see apps/qa/api/urls.py)."""

from django.urls import path

from apps.qa.api.calibration import CalibrationCloseView, CalibrationsView, CalibrationView

urlpatterns: list = [
    path("qa/calibrations", CalibrationsView.as_view(), name="qa-calibrations"),
    path("qa/calibrations/<int:pk>", CalibrationView.as_view(), name="qa-calibration"),
    path("qa/calibrations/<int:pk>/close", CalibrationCloseView.as_view(), name="qa-calibration-close"),
]
