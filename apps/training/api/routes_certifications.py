"""API routes of the certifications concern (see apps/training/api/urls.py)."""

from django.urls import path

from apps.training.api import certifications

urlpatterns: list = [
    path("training/certifications", certifications.CertificationListView.as_view(), name="training-certifications"),
    path("training/certificates", certifications.CertificateListView.as_view(), name="training-certificates"),
    path(
        "training/certificates/<int:pk>/revoke",
        certifications.CertificateRevokeView.as_view(),
        name="training-certificate-revoke",
    ),
]
