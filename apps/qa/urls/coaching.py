"""Pages of the QA coaching concern (see apps/qa/urls/__init__.py)."""

urlpatterns: list = []
