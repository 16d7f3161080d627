"""Customers API: customers with custom values, phones, e-mails and tags; custom-field definitions;
import jobs; merge; export; timeline and notes (docs/api.md "Customers").

Every tenant role reads customers (custom values as the fields allow); administrators and
supervisors change, import, export and merge them; administrators define the custom fields.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError
from apps.core.exports import XLSX_MAX_ROWS, export_response
from apps.crm.api.serializers import (
    CustomerImportSerializer,
    CustomerImportUploadSerializer,
    CustomerMergeSerializer,
    CustomerNoteSerializer,
    CustomerSerializer,
    CustomFieldSerializer,
    MappingSerializer,
    TimelineItemSerializer,
)
from apps.crm.custom_fields import may_see
from apps.crm.filtersets import CustomerFilterSet
from apps.crm.models import Customer, CustomerImport, CustomField
from apps.crm.roles import CUSTOMER_FIELD_ADMIN_ROLES, CUSTOMER_WRITE_ROLES, READ_ROLES
from apps.crm.selectors import customer_history
from apps.crm.selectors.customer_export import customer_export_rows, customers_export_audit
from apps.crm.selectors.customer_timeline import customer_timeline
from apps.crm.services import customer_create, customer_delete, customer_update
from apps.crm.services.custom_fields import custom_field_create, custom_field_delete, custom_field_update
from apps.crm.services.customer_import_jobs import (
    customer_import_cancel,
    customer_import_refresh,
    customer_import_retry,
)
from apps.crm.services.customer_imports import customer_import_start, customer_import_upload
from apps.crm.services.customer_merge import customer_merge
from apps.crm.services.customers import customer_note_add
from apps.telephony.api.calls import CallSerializer
from apps.telephony.api.imports import error_report_response


def _valid(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


class CustomerViewSet(viewsets.ModelViewSet):
    """Customers. Filters: ``q`` (name, number, e-mail or tag), ``phone`` (exact, either national
    form), ``email``, ``tag``, ``vip_level``, ``owner_user``, ``is_vip``."""

    permission_classes = [HasRole.of(*CUSTOMER_WRITE_ROLES, read=READ_ROLES)]
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    queryset = Customer.objects.order_by("name", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = _valid(CustomerSerializer, request)
        data = serializer.writable_data()
        customer = customer_create(name=data.pop("name", ""), **data)
        return Response(self.get_serializer(customer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        customer = self.get_object()
        serializer = CustomerSerializer(customer, data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        customer = customer_update(customer=customer, **serializer.writable_data(customer))
        return Response(self.get_serializer(customer).data)

    def destroy(self, request, *args, **kwargs):
        customer_delete(customer=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: CallSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def calls(self, request, pk=None):
        """The customer's calls, newest first (by customer link or caller number)."""
        calls = customer_history(customer=self.get_object()).select_related("customer", "recording")
        page = self.paginate_queryset(calls)
        return self.get_paginated_response(CallSerializer(page, many=True).data)

    @extend_schema(responses={200: TimelineItemSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def timeline(self, request, pk=None):
        """Calls, tickets, survey answers and notes of the customer that you may see, newest first (50)."""
        items = customer_timeline(customer=self.get_object(), user=request.user)
        return Response([item.as_dict() for item in items])

    @extend_schema(request=CustomerNoteSerializer, responses={201: CustomerNoteSerializer}, filters=False)
    @action(
        detail=True,
        methods=["post"],
        filterset_class=None,
        url_path="notes",
        permission_classes=[HasRole.of(*READ_ROLES)],
    )
    def add_note(self, request, pk=None):
        """Add a note to the customer's timeline (any role that reads the customer)."""
        note = customer_note_add(customer=self.get_object(), body=request.data.get("body", ""), author=request.user)
        return Response(CustomerNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CustomerMergeSerializer, responses={200: CustomerSerializer}, filters=False)
    @action(detail=False, methods=["post"], filterset_class=None)
    def merge(self, request):
        """Merge ``other`` into ``survivor``: its numbers, addresses, tags, missing custom values,
        calls, tickets, notes and survey answers move; ``other`` is deleted. Audited."""
        data = _valid(CustomerMergeSerializer, request).validated_data
        survivor = get_object_or_404(Customer, pk=data["survivor"])
        other = get_object_or_404(Customer, pk=data["other"])
        result = customer_merge(survivor=survivor, other=other, actor=request.user)
        return Response({**self.get_serializer(result["customer"]).data, "moved": result["moved"]})

    @extend_schema(
        parameters=[OpenApiParameter("file_format", str, enum=["csv", "xlsx"], description="csv (default) or xlsx")],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], permission_classes=[HasRole.of(*CUSTOMER_WRITE_ROLES)])
    def export(self, request):
        """The customers matching the filters as CSV or XLSX; sensitive values masked as for you. Audited."""
        file_format = request.query_params.get("file_format", "csv")
        if file_format not in ("csv", "xlsx"):
            raise ApplicationError("invalid", _("csv or xlsx."), fields={"file_format": [_("csv or xlsx.")]})
        customers: QuerySet[Customer] = self.filter_queryset(self.get_queryset())
        count = customers.count()
        if file_format == "xlsx" and count > XLSX_MAX_ROWS:
            raise ApplicationError("too_large", _("Too many rows for XLSX: export CSV."))
        filters = {key: value for key, value in request.query_params.items() if key != "file_format"}
        customers_export_audit(user=request.user, file_format=file_format, filters=filters, count=count)
        rows = customer_export_rows(customers, roles=request.user.roles)
        return export_response(request, rows, file_format=file_format, filename=f"customers.{file_format}")


class CustomFieldViewSet(viewsets.ModelViewSet):
    """The custom fields of customers. Everyone reads the fields shown to their roles; administrators
    define them. ``key`` and ``field_type`` are fixed once created."""

    permission_classes = [HasRole.of(*CUSTOMER_FIELD_ADMIN_ROLES, read=READ_ROLES)]
    serializer_class = CustomFieldSerializer
    pagination_class = None
    filterset_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        fields = CustomField.objects.order_by("position", "id")
        roles = self.request.user.roles
        if self.request.user.has_role(*CUSTOMER_FIELD_ADMIN_ROLES):
            return fields
        return fields.filter(pk__in=[field.pk for field in fields if may_see(field, roles)])

    def create(self, request, *args, **kwargs):
        field = custom_field_create(actor=request.user, **_field_input(request))
        return Response(CustomFieldSerializer(field).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        field = custom_field_update(field=self.get_object(), actor=request.user, **_field_input(request))
        return Response(CustomFieldSerializer(field).data)

    def destroy(self, request, *args, **kwargs):
        custom_field_delete(field=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _field_input(request) -> dict:
    if not hasattr(request.data, "items"):
        raise ApplicationError("invalid", _("A JSON object."))
    allowed = set(CustomFieldSerializer.Meta.fields) - {"id", "created_at"}
    unknown = sorted(set(request.data) - allowed)
    if unknown:
        raise ApplicationError(
            "invalid", _("The request has invalid fields."), fields={name: [_("Unknown field.")] for name in unknown}
        )
    return dict(request.data.items())


@extend_schema_view(
    retry=extend_schema(request=None, responses={202: CustomerImportSerializer}),
    cancel=extend_schema(request=None, responses={200: CustomerImportSerializer}),
)
class CustomerImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Upload (multipart: ``file``, optional ``mapping``), read the suggested ``mapping`` and the
    ``sample``, confirm with ``POST …/import``; poll for ``status`` and the counters; download the
    rejected rows from ``…/errors``; ``retry`` a stalled or failed import, ``cancel`` a running one."""

    permission_classes = [HasRole.of(*CUSTOMER_WRITE_ROLES)]
    serializer_class = CustomerImportSerializer
    queryset = CustomerImport.objects.order_by("-created_at", "-id")
    filterset_fields = ["status"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    lookup_value_regex = r"\d+"

    def get_object(self):
        return customer_import_refresh(super().get_object())

    @extend_schema(
        request={"multipart/form-data": CustomerImportUploadSerializer}, responses={201: CustomerImportSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = _valid(CustomerImportUploadSerializer, request).validated_data
        job = customer_import_upload(upload=data["file"], mapping=data.get("mapping"), user=request.user)
        return Response(CustomerImportSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MappingSerializer, responses={202: CustomerImportSerializer})
    @action(detail=True, methods=["post"], url_path="import")
    def start_import(self, request, pk=None):
        """Confirm the column mapping and queue the import."""
        data = _valid(MappingSerializer, request).validated_data
        job = customer_import_start(job=self.get_object(), mapping=data["mapping"], user=request.user)
        return Response(CustomerImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        """The rows the import rejected: row number, value, reason (CSV). Audited."""
        job = self.get_object()
        return error_report_response(request, job, job.error_report, f"customer-import-{pk}-errors.csv")

    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a stalled or failed import again; it resumes after the last committed row."""
        job = customer_import_retry(job=self.get_object())
        return Response(CustomerImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Stop a queued, running or stalled import; customers already imported stay."""
        job = customer_import_cancel(job=self.get_object())
        return Response(CustomerImportSerializer(job).data)
