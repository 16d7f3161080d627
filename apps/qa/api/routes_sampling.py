"""API routes of the QA sampling concern (see apps/qa/api/urls.py)."""

urlpatterns: list = []
