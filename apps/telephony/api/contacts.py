"""Contact lists and contacts under /api/v1/: upload, mapping, progress, retry and cancel of an
import, its error report; contacts with their state in the campaign.

Roles: administrators upload and delete lists; supervisors read them and download error
reports; agents see only the contacts they spoke to or owe a callback. Every write goes through
a service; bad input is a 400 ``{"code", "message", "fields"}`` that changes nothing.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.permissions import HasRole
from apps.telephony.api.campaigns import AT_WORK, AdminWritesStaffReads
from apps.telephony.api.imports import JOB_FIELDS, ImportJobActionsMixin, ImportJobSerializer
from apps.telephony.models import Campaign, Contact, ContactList, Disposition
from apps.telephony.selectors.campaigns.dialing import contacts_visible_to
from apps.telephony.services.campaigns import contact_import, dnc
from apps.telephony.services.campaigns import lifecycle as campaign_services


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- contact lists ------------------------------------------------------------------------------------------


class ContactListSerializer(ImportJobSerializer):
    class Meta:
        model = ContactList
        fields = [
            "id",
            "campaign",
            "name",
            "file_format",
            "encoding",
            "columns",
            "sample",
            "mapping",
            "status",
            "error_message",
            "rows_total",
            "rows_processed",
            "rows_imported",
            "rows_invalid",
            "rows_duplicate",
            "rows_dnc",
            "progress_percent",
            *JOB_FIELDS,
        ]
        read_only_fields = fields


class ContactListUploadSerializer(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all())
    file = serializers.FileField(allow_empty_file=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    mapping = serializers.JSONField(
        required=False, help_text='Optional {"column": "phone"|"name"|"time_zone"|"email"|"external_id"|"custom.<key>"}'
    )


class MappingSerializer(serializers.Serializer):
    mapping = serializers.JSONField()


@extend_schema_view(
    retry=extend_schema(request=None, responses={202: ContactListSerializer}),
    cancel=extend_schema(
        request=None,
        responses={200: ContactListSerializer},
        description="Stop a queued, running or stalled import; contacts already imported stay.",
    ),
)
class ContactListViewSet(
    ImportJobActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Upload (multipart: ``campaign``, ``file``, optional ``name`` and ``mapping``), then confirm the
    mapping with ``POST …/import``; poll the list for ``status`` and the counters."""

    permission_classes = [AdminWritesStaffReads]
    serializer_class = ContactListSerializer
    queryset = ContactList.objects.order_by("-created_at", "-id")
    filterset_fields = ["campaign", "status"]
    lookup_value_regex = r"\d+"
    error_report_name = "contact-list"

    @extend_schema(request={"multipart/form-data": ContactListUploadSerializer}, responses={201: ContactListSerializer})
    def create(self, request, *args, **kwargs):
        data = _valid(ContactListUploadSerializer, request)
        contact_list = contact_import.contact_list_upload(
            campaign=data["campaign"],
            upload=data["file"],
            name=data.get("name", ""),
            mapping=data.get("mapping"),
            user=request.user,
        )
        return Response(ContactListSerializer(contact_list).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        contact_import.contact_list_delete(contact_list=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MappingSerializer, responses={202: ContactListSerializer})
    @action(detail=True, methods=["post"], url_path="import")
    def start_import(self, request, pk=None):
        """Confirm the column mapping and queue the import."""
        data = _valid(MappingSerializer, request)
        contact_list = contact_import.contact_list_start(contact_list=self.get_object(), mapping=data["mapping"])
        return Response(ContactListSerializer(contact_list).data, status=status.HTTP_202_ACCEPTED)


# --- contacts ---------------------------------------------------------------------------------------------------


class ContactFilterSet(filters.FilterSet):
    phone = filters.CharFilter(method="filter_phone")

    class Meta:
        model = Contact
        fields = ["campaign", "contact_list", "status", "last_outcome", "owner_agent"]

    def filter_phone(self, queryset, name, value):
        number = dnc.normalize_number(value) if value else None
        return queryset.filter(phone=number or value)


class ContactSerializer(serializers.ModelSerializer):
    last_disposition: serializers.SlugRelatedField[Disposition] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "campaign",
            "contact_list",
            "name",
            "phone",
            "time_zone",
            "email",
            "external_id",
            "data",
            "status",
            "attempts",
            "next_attempt_at",
            "priority",
            "last_attempt_at",
            "last_outcome",
            "last_disposition",
            "owner_agent",
            "created_at",
        ]
        read_only_fields = fields


class ContactDetailSerializer(ContactSerializer):
    script = serializers.SerializerMethodField(help_text="The campaign's agent script filled in for this contact.")

    class Meta(ContactSerializer.Meta):
        fields = [*ContactSerializer.Meta.fields, "script"]
        read_only_fields = fields

    def get_script(self, contact: Contact) -> str:
        return campaign_services.script_render(contact.campaign.script, contact)


class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contacts with their state in the campaign. Agents see the contacts they spoke to or owe a callback."""

    permission_classes = [HasRole.of(*AT_WORK)]
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return contacts_visible_to(self.request.user).order_by("id")

    def get_serializer_class(self):
        return ContactDetailSerializer if self.action == "retrieve" else ContactSerializer


__all__ = [
    "ContactListViewSet",
    "ContactViewSet",
]
