"""Do-not-call and consent under /api/v1/: do-not-call entries (tenant-wide or per campaign),
files of numbers imported into them, and marketing consent records.

Roles: administrators manage everything; supervisors add numbers to do-not-call (a complaint
cannot wait) and revoke consent; only administrators remove a number. Searches by number use the
lists' pages' rule (selectors/campaigns/dnc.py). Every write goes through a service; bad input is
a 400 ``{"code", "message", "fields"}`` that changes nothing.
"""

from __future__ import annotations

from typing import Any

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.permissions import HasRole
from apps.telephony.api.campaigns import STAFF, AdminWritesStaffReads, IsAdmin, IsStaff
from apps.telephony.api.imports import JOB_FIELDS, ImportJobActionsMixin, ImportJobSerializer
from apps.telephony.models import Campaign, Consent, DoNotCall, DoNotCallImport
from apps.telephony.selectors.campaigns.dnc import consent_search, dnc_search
from apps.telephony.services.campaigns import dnc
from apps.telephony.services.campaigns.dnc_import import dnc_import_upload


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- do-not-call --------------------------------------------------------------------------------------------------


class DoNotCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = DoNotCall
        fields = ["id", "number", "campaign", "reason", "source", "added_by", "created_at"]
        read_only_fields = ["id", "source", "added_by", "created_at"]
        extra_kwargs: dict[str, dict[str, Any]] = {"number": {"validators": []}}


class DoNotCallFilterSet(filters.FilterSet):
    number = filters.CharFilter(method="filter_number")
    tenant_wide = filters.BooleanFilter(field_name="campaign", lookup_expr="isnull")

    class Meta:
        model = DoNotCall
        fields = ["campaign", "source"]

    def filter_number(self, queryset, name, value):
        """The lists' page search (selectors/campaigns/dnc.py): a whole number exactly, else digits."""
        return dnc_search(value, queryset)


class DoNotCallViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Do-not-call entries: tenant-wide (no ``campaign``) or per campaign. Supervisors may add a
    number (a complaint cannot wait); only administrators remove one."""

    permission_classes = [HasRole.of(*STAFF)]
    serializer_class = DoNotCallSerializer
    queryset = DoNotCall.objects.order_by("-created_at", "-id")
    filterset_class = DoNotCallFilterSet
    lookup_value_regex = r"\d+"

    def get_permissions(self):
        if self.action == "destroy":
            return [IsAdmin()]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        data = _valid(DoNotCallSerializer, request)
        entry, created = dnc.dnc_add(
            number=data["number"],
            campaign=data.get("campaign"),
            reason=data.get("reason", ""),
            source="api" if request.auth else "manual",
            user=request.user,
        )
        return Response(
            DoNotCallSerializer(entry).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def destroy(self, request, *args, **kwargs):
        dnc.dnc_remove(entry=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class DoNotCallImportSerializer(ImportJobSerializer):
    class Meta:
        model = DoNotCallImport
        fields = [
            "id",
            "campaign",
            "file_format",
            "column",
            "reason",
            "status",
            "error_message",
            "rows_processed",
            "rows_added",
            "rows_invalid",
            "rows_duplicate",
            *JOB_FIELDS,
        ]
        read_only_fields = fields


class DoNotCallUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all(), required=False, allow_null=True)
    column = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


@extend_schema_view(
    retry=extend_schema(request=None, responses={202: DoNotCallImportSerializer}),
    cancel=extend_schema(
        request=None,
        responses={200: DoNotCallImportSerializer},
        description="Stop a queued, running or stalled import; numbers already added stay.",
    ),
)
class DoNotCallImportViewSet(
    ImportJobActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Files of numbers for a do-not-call list, imported in the background."""

    permission_classes = [AdminWritesStaffReads]
    serializer_class = DoNotCallImportSerializer
    queryset = DoNotCallImport.objects.order_by("-created_at", "-id")
    lookup_value_regex = r"\d+"
    error_report_name = "dnc-import"

    @extend_schema(
        request={"multipart/form-data": DoNotCallUploadSerializer}, responses={201: DoNotCallImportSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = _valid(DoNotCallUploadSerializer, request)
        dnc_import = dnc_import_upload(
            upload=data["file"],
            campaign=data.get("campaign"),
            column=data.get("column", ""),
            reason=data.get("reason", ""),
            user=request.user,
        )
        return Response(DoNotCallImportSerializer(dnc_import).data, status=status.HTTP_201_CREATED)


# --- consent ------------------------------------------------------------------------------------------------------


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["id", "number", "source", "granted_at", "revoked_at", "revoke_reason", "added_by", "created_at"]
        read_only_fields = ["id", "revoked_at", "revoke_reason", "added_by", "created_at"]
        extra_kwargs = {"granted_at": {"required": False}}


class ConsentFilterSet(filters.FilterSet):
    number = filters.CharFilter(method="filter_number")
    active = filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull")

    class Meta:
        model = Consent
        fields = ["number"]

    def filter_number(self, queryset, name, value):
        """The consents page's search (selectors/campaigns/dnc.py): a whole number exactly, else digits."""
        return consent_search(value, queryset)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ConsentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Marketing consent records. Administrators record consent; supervisors may also revoke it."""

    permission_classes = [AdminWritesStaffReads]
    serializer_class = ConsentSerializer
    queryset = Consent.objects.order_by("-granted_at", "-id")
    filterset_class = ConsentFilterSet
    lookup_value_regex = r"\d+"

    def create(self, request, *args, **kwargs):
        data = _valid(ConsentSerializer, request)
        consent = dnc.consent_record(
            number=data["number"], source=data["source"], granted_at=data.get("granted_at"), user=request.user
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RevokeSerializer, responses={200: ConsentSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def revoke(self, request, pk=None):
        data = _valid(RevokeSerializer, request)
        consent = dnc.consent_revoke(consent=self.get_object(), reason=data["reason"])
        return Response(ConsentSerializer(consent).data)


__all__ = [
    "ConsentViewSet",
    "DoNotCallImportViewSet",
    "DoNotCallViewSet",
]
