"""API routes of the QA coaching concern (see apps/qa/api/urls.py)."""

urlpatterns: list = []
