"""Training routes under /api/v1/ (config/api_tenant.py); each concern lists its own in api/routes_<concern>.py."""

from apps.training.api import (
    routes_certifications,
    routes_courses,
    routes_exams,
    routes_programmes,
    routes_typing,
)

urlpatterns: list = [
    *routes_exams.urlpatterns,
    *routes_certifications.urlpatterns,
    *routes_typing.urlpatterns,
    *routes_courses.urlpatterns,
    *routes_programmes.urlpatterns,
]
