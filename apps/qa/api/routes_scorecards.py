"""API routes of the QA scorecards concern (see apps/qa/api/urls.py)."""

urlpatterns: list = []
