"""Pages of the QA sampling concern (see apps/qa/urls/__init__.py)."""

urlpatterns: list = []
