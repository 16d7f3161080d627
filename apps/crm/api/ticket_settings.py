"""Ticket categories with their SLA targets, and departments (docs/api.md "Tickets").

Read by everyone who works tickets (the new-ticket form needs them); written by administrators.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from apps.core.api.permissions import HasRole
from apps.crm.api.tickets import body
from apps.crm.choices import TicketPriority
from apps.crm.models import Department, TicketCategory
from apps.crm.roles import TICKET_ADMIN_ROLES, TICKET_READ_ROLES
from apps.crm.selectors.tickets import category_list, department_list
from apps.crm.services import department_create, department_update, ticket_category_create, ticket_category_update

PRIORITY_ORDER = {value: index for index, value in enumerate(TicketPriority.values)}


class SlaTargetSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=TicketPriority.choices)
    first_response_minutes = serializers.IntegerField()
    resolution_minutes = serializers.IntegerField()


class TicketCategorySerializer(serializers.ModelSerializer):
    targets = serializers.SerializerMethodField()

    class Meta:
        model = TicketCategory
        fields = ["id", "name", "active", "business_hours", "targets"]
        read_only_fields = fields

    def get_targets(self, category: TicketCategory) -> list[dict]:
        rows = sorted(category.targets.all(), key=lambda row: PRIORITY_ORDER.get(row.priority, 99))
        return [
            {
                "priority": row.priority,
                "first_response_minutes": row.first_response_minutes,
                "resolution_minutes": row.resolution_minutes,
            }
            for row in rows
        ]


CATEGORY_IN = inline_serializer(
    "TicketCategoryIn",
    {
        "name": serializers.CharField(),
        "active": serializers.BooleanField(required=False),
        "business_hours": serializers.IntegerField(required=False, allow_null=True),
        "targets": SlaTargetSerializer(many=True, required=False),
    },
)
CATEGORY_FIELDS = ("name", "active", "business_hours", "targets")


class TicketCategoryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    lookup_value_regex = r"\d+"
    permission_classes = [HasRole.of(*TICKET_ADMIN_ROLES, read=TICKET_READ_ROLES)]
    serializer_class = TicketCategorySerializer
    pagination_class = None
    filterset_class = None
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return category_list()

    def _answer(self, category: TicketCategory, code: int = status.HTTP_200_OK) -> Response:
        return Response(TicketCategorySerializer(self.get_queryset().get(pk=category.pk)).data, status=code)

    @extend_schema(request=CATEGORY_IN, responses={201: TicketCategorySerializer})
    def create(self, request, *args, **kwargs):
        """A category; priorities without a target get the defaults (docs/tickets.md)."""
        values = {name: body(request)[name] for name in CATEGORY_FIELDS if name in body(request)}
        category = ticket_category_create(actor=request.user, **values)
        return self._answer(category, status.HTTP_201_CREATED)

    @extend_schema(request=CATEGORY_IN, responses={200: TicketCategorySerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change what is given; targets are replaced per priority given."""
        values = {name: body(request)[name] for name in CATEGORY_FIELDS if name in body(request)}
        category = ticket_category_update(category=self.get_object(), actor=request.user, **values)
        return self._answer(category)


class DepartmentSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True, default=None)

    class Meta:
        model = Department
        fields = ["id", "name", "team", "team_name", "active"]
        read_only_fields = fields


DEPARTMENT_IN = inline_serializer(
    "DepartmentIn",
    {
        "name": serializers.CharField(),
        "team": serializers.IntegerField(required=False, allow_null=True),
        "active": serializers.BooleanField(required=False),
    },
)
DEPARTMENT_FIELDS = ("name", "team", "active")


class DepartmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    lookup_value_regex = r"\d+"
    permission_classes = [HasRole.of(*TICKET_ADMIN_ROLES, read=TICKET_READ_ROLES)]
    serializer_class = DepartmentSerializer
    pagination_class = None
    filterset_class = None
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return department_list()

    @extend_schema(request=DEPARTMENT_IN, responses={201: DepartmentSerializer})
    def create(self, request, *args, **kwargs):
        values = {name: body(request)[name] for name in DEPARTMENT_FIELDS if name in body(request)}
        department = department_create(actor=request.user, **values)
        return Response(DepartmentSerializer(department).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DEPARTMENT_IN, responses={200: DepartmentSerializer})
    def partial_update(self, request, *args, **kwargs):
        values = {name: body(request)[name] for name in DEPARTMENT_FIELDS if name in body(request)}
        department = department_update(department=self.get_object(), actor=request.user, **values)
        return Response(DepartmentSerializer(department).data)
