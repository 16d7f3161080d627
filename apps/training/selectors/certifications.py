"""Certifications and certificates as the API and pages show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.training.models import Certificate, Certification


def certificate_state(certificate: Certificate, now: datetime | None = None) -> str:
    """valid | expiring (within the renewal notice) | expired | revoked."""
    moment = now or timezone.now()
    if certificate.revoked_at is not None:
        return "revoked"
    if certificate.expires_at is not None and certificate.expires_at <= moment:
        return "expired"
    notice = certificate.certification.renewal_notice_days
    if certificate.expires_at is not None and (certificate.expires_at - moment).days < notice:
        return "expiring"
    return "valid"


def certification_data(certification: Certification) -> dict[str, Any]:
    return {
        "id": certification.pk,
        "name": certification.name,
        "description": certification.description,
        "exam": certification.exam_id,
        "course": certification.course_id,
        "valid_months": certification.valid_months,
        "renewal_notice_days": certification.renewal_notice_days,
        "skill": certification.skill_id,
        "level": certification.level,
        "is_active": certification.is_active,
    }


def certificate_data(certificate: Certificate, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": certificate.pk,
        "user": certificate.user_id,
        "certification": certificate.certification_id,
        "name": certificate.certification.name,
        "skill": certificate.certification.skill_id,
        "level": certificate.certification.level,
        "issued_at": certificate.issued_at.isoformat(),
        "expires_at": certificate.expires_at.isoformat() if certificate.expires_at else None,
        "revoked_at": certificate.revoked_at.isoformat() if certificate.revoked_at else None,
        "revoke_reason": certificate.revoke_reason,
        "state": certificate_state(certificate, now),
    }


def certificates_of(user: User) -> QuerySet[Certificate]:
    return Certificate.objects.filter(user=user).select_related("certification", "certification__skill")


def certificates_all() -> QuerySet[Certificate]:
    return Certificate.objects.select_related("certification", "user").order_by("expires_at", "id")
