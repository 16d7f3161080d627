"""Pages of the QA calibration concern (see apps/qa/urls/__init__.py)."""

urlpatterns: list = []
