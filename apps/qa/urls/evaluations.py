"""Pages of the QA evaluations concern (see apps/qa/urls/__init__.py)."""

urlpatterns: list = []
