"""API routes of the QA evaluations concern (see apps/qa/api/urls.py)."""

urlpatterns: list = []
