"""Pages of the QA scorecards concern (see apps/qa/urls/__init__.py)."""

urlpatterns: list = []
