"""API routes of the QA disputes concern (see apps/qa/api/urls.py)."""

urlpatterns: list = []
