from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.core.api.permissions import HasRole
from apps.telephony.api.serializers import (
    PhoneNumberSerializer,
    RenameSerializer,
    SeatAddSerializer,
    SeatSecretSerializer,
    SeatSerializer,
    SeatUpdateSerializer,
    TrunkSerializer,
)
from apps.telephony.models import PhoneNumber, Seat, Trunk
from apps.telephony.services import phone_number_update, seat_delete, seat_reset_secret, seats_add, trunk_update
from apps.telephony.services.seat_credentials import seat_set_registration_mode


class SeatViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Seats (SIP extensions). Adding and removing seats is metered in seat-days.

    ``PATCH {"registration_mode": "browser"|"desk_phone"}`` switches how the seat registers
    (docs/sip.md): a per-login credential for the browser softphone, or the seat's own secret
    (``reset-secret``) for a desk phone.
    """

    permission_classes = [HasRole.of(Role.TENANT_ADMIN, read=(Role.SUPERVISOR,))]
    serializer_class = SeatSerializer
    queryset = Seat.objects.all().order_by("extension")

    @extend_schema(request=SeatAddSerializer, responses={201: SeatSerializer(many=True)})
    def create(self, request):
        serializer = SeatAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        seats = seats_add(tenant=request.tenant, count=serializer.validated_data["count"])
        return Response(SeatSerializer(seats, many=True).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        seat_delete(tenant=request.tenant, seat=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=SeatUpdateSerializer, responses={200: SeatSerializer})
    def partial_update(self, request, *args, **kwargs):
        serializer = SeatUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        seat = seat_set_registration_mode(seat=self.get_object(), mode=serializer.validated_data["registration_mode"])
        return Response(SeatSerializer(seat).data)

    @extend_schema(request=None, responses={200: SeatSecretSerializer})
    @action(detail=True, methods=["post"], url_path="reset-secret")
    def reset_secret(self, request, pk=None):
        issued = seat_reset_secret(tenant=request.tenant, seat=self.get_object())
        seat = issued.seat
        return Response(
            {"id": seat.pk, "extension": seat.extension, "sip_username": seat.sip_username, "secret": issued.secret}
        )


class _RenameMixin:
    update_service = None

    @extend_schema(request=RenameSerializer)
    def partial_update(self, request, *args, **kwargs):
        serializer = RenameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = type(self).update_service(self.get_object(), **serializer.validated_data)
        return Response(self.get_serializer(obj).data)


class TrunkViewSet(_RenameMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Trunks: read by supervisors; administrators may rename them and set the caller ID."""

    permission_classes = [HasRole.of(Role.TENANT_ADMIN, read=(Role.SUPERVISOR,))]
    serializer_class = TrunkSerializer
    queryset = Trunk.objects.all()
    http_method_names = ["get", "patch", "head", "options"]

    @staticmethod
    def update_service(obj, **fields):
        return trunk_update(trunk=obj, **fields)


class PhoneNumberViewSet(_RenameMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [HasRole.of(Role.TENANT_ADMIN, read=(Role.SUPERVISOR,))]
    serializer_class = PhoneNumberSerializer
    queryset = PhoneNumber.objects.all()
    http_method_names = ["get", "patch", "head", "options"]

    @staticmethod
    def update_service(obj, **fields):
        return phone_number_update(number=obj, **fields)
