"""Training routes under /api/v1/ (config/api_tenant.py); each concern lists its own in api/routes_<concern>.py."""

from apps.training.api import routes_certifications, routes_exams, routes_typing

urlpatterns: list = [
    *routes_exams.urlpatterns,
    *routes_certifications.urlpatterns,
    *routes_typing.urlpatterns,
]
