"""Training pages under /training/ (config/urls_tenant.py). Each concern keeps its own routes in a
module of this package (the same concern name as its views, services and selectors)."""

from apps.training.urls import certifications, courses, exams, programmes, typing

app_name = "training"
urlpatterns: list = [
    *exams.urlpatterns,
    *certifications.urlpatterns,
    *typing.urlpatterns,
    *courses.urlpatterns,
    *programmes.urlpatterns,
]
