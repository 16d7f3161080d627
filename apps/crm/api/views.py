"""Customers API: read by every tenant role, written by administrators and supervisors."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.permissions import HasRole
from apps.crm.api.serializers import CustomerSerializer
from apps.crm.filtersets import CustomerFilterSet
from apps.crm.models import Customer
from apps.crm.roles import READ_ROLES, WRITE_ROLES
from apps.crm.selectors import customer_history
from apps.crm.services import customer_create, customer_delete, customer_update
from apps.telephony.api.calls import CallSerializer


class CustomerViewSet(viewsets.ModelViewSet):
    permission_classes = [HasRole.of(*WRITE_ROLES, read=READ_ROLES)]
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    queryset = Customer.objects.order_by("name", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = customer_create(**serializer.validated_data)
        return Response(self.get_serializer(customer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        customer = self.get_object()
        serializer = self.get_serializer(customer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        customer = customer_update(customer=customer, **serializer.validated_data)
        return Response(self.get_serializer(customer).data)

    def destroy(self, request, *args, **kwargs):
        customer_delete(customer=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: CallSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def calls(self, request, pk=None):
        """The customer's calls, newest first (by customer link or caller number)."""
        calls = customer_history(customer=self.get_object()).select_related("customer", "recording")
        page = self.paginate_queryset(calls)
        return self.get_paginated_response(CallSerializer(page, many=True).data)
