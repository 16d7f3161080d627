"""Pages of the certifications concern (see apps/training/urls/__init__.py)."""

from django.urls import path

from apps.training.views import certifications

urlpatterns: list = [
    path("certifications/", certifications.certifications, name="certifications"),
    path("certificates/", certifications.my_certificates, name="my_certificates"),
    path("people/<int:user_id>/certificates/", certifications.person_certificates, name="person_certificates"),
    path("certificates/<int:pk>/revoke/", certifications.certificate_revoke, name="certificate_revoke"),
]
