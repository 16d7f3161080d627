"""``/api/v1/training/certifications`` and ``…/certificates``.

``POST training/certifications {"name", "exam", "valid_months", "skill", "level"}`` (trainers and
administrators); ``GET training/certificates`` lists one's own certificates with their expiry and
state (``?user=`` for trainers, administrators, supervisors and HR); ``POST training/certificates``
issues one by hand ``{"user", "certification"}``; ``POST training/certificates/{id}/revoke
{"reason"}`` revokes (the skill stops routing at once).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.api.permissions import HasRole, has_role
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.training.api.common import AUTHOR_ROLES, CERTIFICATE_READ_ROLES, TAKER_ROLES, body, get_or_404
from apps.training.models import Certificate, Certification
from apps.training.selectors.certifications import certificate_data, certificates_all, certification_data
from apps.training.services import certifications as services


class CertificationListView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=TAKER_ROLES)]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"results": [certification_data(c) for c in Certification.objects.order_by("name")]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        certification = services.certification_create(actor=request.user, data=body(request))
        return Response(certification_data(certification), status=status.HTTP_201_CREATED)


class CertificateListView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES, read=TAKER_ROLES)]

    @extend_schema(
        parameters=[OpenApiParameter("user", OpenApiTypes.INT, description="another person's (readers of all)")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        rows = certificates_all()
        raw = request.query_params.get("user")
        if raw is None or raw == str(request.user.pk):
            rows = rows.filter(user=request.user)
        elif not has_role(request.user, *CERTIFICATE_READ_ROLES):
            raise PermissionDeniedError("forbidden", _("You may read only your own certificates."))
        elif not raw.isdigit() or not User.objects.filter(pk=int(raw)).exists():
            raise ApplicationError("invalid", _("No such user."), fields={"user": [_("No such user.")]})
        else:
            rows = rows.filter(user_id=int(raw))
        return Response({"results": [certificate_data(c) for c in rows]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = body(request)
        errors: dict[str, list[str]] = {}
        user_id, certification_id = data.get("user"), data.get("certification")
        user = User.objects.filter(pk=user_id).first() if isinstance(user_id, int) else None
        certification = (
            Certification.objects.filter(pk=certification_id).first() if isinstance(certification_id, int) else None
        )
        if user is None:
            errors["user"] = [_("No such user.")]
        if certification is None:
            errors["certification"] = [_("No such certification.")]
        if errors:
            raise ApplicationError("invalid", _("The certificate is not valid."), fields=errors)
        certificate = services.certificate_issue(user=user, certification=certification, actor=request.user)
        return Response(certificate_data(certificate), status=status.HTTP_201_CREATED)


class CertificateRevokeView(APIView):
    permission_classes = [HasRole.of(*AUTHOR_ROLES)]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        certificate = get_or_404(Certificate.objects, pk, _("No such certificate."))
        revoked = services.certificate_revoke(
            actor=request.user, certificate=certificate, reason=body(request).get("reason")
        )
        return Response(certificate_data(revoked))
