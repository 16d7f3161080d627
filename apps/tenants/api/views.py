from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response

from apps.core.errors import ApplicationError
from apps.tenants.api.serializers import PlatformTenantSerializer, SignupResultSerializer, SignupSerializer
from apps.tenants.models import Tenant
from apps.tenants.services.deletion import tenant_deletion_cancel, tenant_deletion_schedule
from apps.tenants.services.platform import tenant_resume, tenant_suspend
from apps.tenants.services.provisioning import tenant_provision
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

    @action(detail=True, methods=["post"], url_path="schedule-deletion")
    def schedule_deletion(self, request, slug=None):
        """Suspend now, delete the schema and files after ``TENANT_DELETION_GRACE_DAYS``.
        ``{"confirm": "<slug>", "reason"?}``: the slug must be repeated."""
        tenant = get_object_or_404(self.get_queryset(), slug=slug)
        if str(request.data.get("confirm", "")).strip() != tenant.slug:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"confirm": [_("Repeat the tenant's slug.")]}
            )
        tenant = tenant_deletion_schedule(tenant=tenant, reason=str(request.data.get("reason", "")))
        return Response(self.get_serializer(tenant).data)

    @action(detail=True, methods=["post"], url_path="cancel-deletion")
    def cancel_deletion(self, request, slug=None):
        """Take a scheduled deletion back; the tenant stays suspended."""
        tenant = tenant_deletion_cancel(tenant=get_object_or_404(self.get_queryset(), slug=slug))
        return Response(self.get_serializer(tenant).data)

    @action(detail=True, methods=["post"])
    def resume(self, request, slug=None):
        tenant = tenant_resume(tenant=get_object_or_404(self.get_queryset(), slug=slug))
        return Response(self.get_serializer(tenant).data)
