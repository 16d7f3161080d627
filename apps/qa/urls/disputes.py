"""Pages of the QA disputes concern (see apps/qa/urls/__init__.py)."""

urlpatterns: list = []
