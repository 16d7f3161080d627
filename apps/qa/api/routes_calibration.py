"""API routes of the QA calibration concern (see apps/qa/api/urls.py)."""

urlpatterns: list = []
