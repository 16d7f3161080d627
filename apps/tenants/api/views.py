from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response

from apps.tenants.api.serializers import PlatformTenantSerializer, SignupResultSerializer, SignupSerializer
from apps.tenants.models import Tenant
from apps.tenants.services import tenant_provision, tenant_resume, tenant_suspend
from apps.tenants.services.ratelimit import signup_rate_limit_check


@extend_schema(request=SignupSerializer, responses={201: SignupResultSerializer})
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def signup(request):
    """Create a company's contact center: schema, domain, admin, seats, trunk and number."""
    signup_rate_limit_check(request)
    serializer = SignupSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    result = tenant_provision(
        company=data["company"],
        slug=data["slug"],
        admin_email=data["admin_email"],
        admin_password=data["admin_password"],
        seats=data["seats"],
        plan=data["plan"],
        language=data["language"],
    )
    body = {
        "tenant": result.tenant.slug,
        "domain": result.domain,
        "seats": result.seats,
        "admin_email": result.admin.email,
        "provisioned_ms": result.provisioned_ms,
        "number": result.number,
    }
    return Response(body, status=status.HTTP_201_CREATED)


class PlatformTenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The platform operator's view of every tenant (platform staff only)."""

    serializer_class = PlatformTenantSerializer
    permission_classes = [IsAdminUser]
    lookup_field = "slug"

    def get_queryset(self):
        return Tenant.objects.exclude(schema_name="public").select_related("plan").prefetch_related("domains")

    @action(detail=True, methods=["post"])
    def suspend(self, request, slug=None):
        tenant = tenant_suspend(
            tenant=get_object_or_404(self.get_queryset(), slug=slug), reason=str(request.data.get("reason", ""))
        )
        return Response(self.get_serializer(tenant).data)

    @action(detail=True, methods=["post"])
    def resume(self, request, slug=None):
        tenant = tenant_resume(tenant=get_object_or_404(self.get_queryset(), slug=slug))
        return Response(self.get_serializer(tenant).data)
