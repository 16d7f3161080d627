"""``GET /api/v1/audit/`` (filters, pagination), its export, and the retention setting."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.audit.api.serializers import AuditEntrySerializer, AuditSettingsSerializer
from apps.audit.files import FORMATS, XLSX_MAX_ROWS, export_response
from apps.audit.filtersets import AuditEntryFilterSet
from apps.audit.selectors import audit_entries, audit_retention_configured
from apps.audit.services import audit_retention_days, audit_retention_set
from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError
from apps.core.exports import XLSX_CONTENT_TYPE


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The company's audit log, newest first (tenant administrators only; read-only: entries
    cannot be changed or deleted)."""

    permission_classes = [HasRole.of(Role.TENANT_ADMIN)]
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilterSet
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return audit_entries()

    def filter_queryset(self, queryset):
        """Bad filters answer 400 with field messages instead of being ignored."""
        filterset = AuditEntryFilterSet(self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.qs

    @extend_schema(
        filters=True,
        parameters=[
            OpenApiParameter("file_format", OpenApiTypes.STR, enum=list(FORMATS), description="csv (default) or xlsx")
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
            400: OpenApiResponse(description="Unknown format, bad filters, or too many rows for XLSX."),
        },
    )
    @action(detail=False, methods=["get"], url_path="export", pagination_class=None)
    def export(self, request):
        """The filtered entries as CSV or XLSX (same filters as the list). The export is audited."""
        file_format = request.query_params.get("file_format", "csv")
        if file_format not in FORMATS:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"file_format": [_("Choose csv or xlsx.")]}
            )
        rows = self.filter_queryset(self.get_queryset())
        if file_format == "xlsx" and rows.count() > XLSX_MAX_ROWS:
            raise ApplicationError(
                "too_large", _("Too many entries for one XLSX sheet; narrow the dates or export CSV.")
            )
        filters = {key: value for key, value in request.query_params.items() if key != "file_format"}
        return export_response(request, rows, file_format, filters=filters)


# A function view, not a viewset action: DRF answers OPTIONS on a viewset by checking object
# permissions for PUT through get_object(), which a list-level action has no object for (500).
@extend_schema(methods=["GET"], request=None, responses={200: AuditSettingsSerializer})
@extend_schema(methods=["PUT"], request=AuditSettingsSerializer, responses={200: AuditSettingsSerializer})
@api_view(["GET", "PUT"])
@permission_classes([HasRole.of(Role.TENANT_ADMIN)])
def audit_settings(request):
    """The retention in days (``null``: the platform default); changing it is audited."""
    if request.method == "PUT":
        serializer = AuditSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = audit_retention_set(days=serializer.validated_data["retention_days"], actor=request.user)
        days = row.retention_days
    else:
        days = audit_retention_configured()
    return Response({"retention_days": days, "effective_days": audit_retention_days()})
