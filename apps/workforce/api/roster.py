"""Shift types and the roster under /api/v1/workforce/.

- ``GET/POST workforce/shift-types`` (``code, name, start, end, break_minutes``, ``colour``),
  ``GET/PATCH workforce/shift-types/{id}`` — everyone in the workforce reads; HR and
  administrators write.
- ``GET workforce/shifts?since=&until=&user=`` — published shifts (HR and administrators also
  drafts); an agent sees their own, a supervisor their teams'. ``POST workforce/shifts``
  (``user, date, shift_type``: an id or a code) assigns (replaces that day's shift);
  ``DELETE workforce/shifts/{id}`` removes — HR and administrators.
- ``POST workforce/shifts/publish`` (``since, until``, optional ``users``) publishes the drafts and
  notifies the agents — HR and administrators.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError
from apps.workforce.api.common import MANAGE_ROLES, WORKFORCE_ROLES, UserField, body, moment, scoped
from apps.workforce.choices import ShiftStatus
from apps.workforce.models import Shift, ShiftType
from apps.workforce.selectors.people import is_manager
from apps.workforce.services.roster import (
    roster_publish,
    shift_assign,
    shift_remove,
    shift_type_create,
    shift_type_update,
)

MAX_LIST_DAYS = 62


def shift_type_data(shift_type: ShiftType) -> dict:
    return {
        "id": shift_type.pk,
        "code": shift_type.code,
        "name": shift_type.name,
        "start": shift_type.start.strftime("%H:%M"),
        "end": shift_type.end.strftime("%H:%M"),
        "break_minutes": shift_type.break_minutes,
        "colour": shift_type.colour,
        "overnight": shift_type.is_overnight,
        "is_active": shift_type.is_active,
    }


def shift_data(shift: Shift) -> dict:
    return {
        "id": shift.pk,
        "user": shift.user_id,
        "date": shift.date.isoformat(),
        "shift_type": shift.shift_type.code,
        "start": moment(shift.start),
        "end": moment(shift.end),
        "break_minutes": shift.break_minutes,
        "status": shift.status,
        "published_at": moment(shift.published_at),
    }


class ShiftTypeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    start = serializers.TimeField()
    end = serializers.TimeField()
    break_minutes = serializers.IntegerField(min_value=0, max_value=600, required=False, default=0)
    colour = serializers.CharField(max_length=7, required=False, default="#4f7cff")
    is_active = serializers.BooleanField(required=False)


class ShiftTypeListView(APIView):
    permission_classes = [HasRole.of(*MANAGE_ROLES, read=WORKFORCE_ROLES)]

    def get(self, request):
        return Response([shift_type_data(t) for t in ShiftType.objects.all()])

    def post(self, request):
        serializer = ShiftTypeSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        values.pop("is_active", None)
        return Response(shift_type_data(shift_type_create(**values)), status=status.HTTP_201_CREATED)


class ShiftTypeDetailView(APIView):
    permission_classes = [HasRole.of(*MANAGE_ROLES, read=WORKFORCE_ROLES)]

    def get(self, request, pk: int):
        return Response(shift_type_data(get_object_or_404(ShiftType, pk=pk)))

    def patch(self, request, pk: int):
        shift_type = get_object_or_404(ShiftType, pk=pk)
        serializer = ShiftTypeSerializer(data=body(request), partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(shift_type_data(shift_type_update(shift_type=shift_type, **serializer.validated_data)))


class ShiftTypeRefField(serializers.Field):
    """A shift type by id or by code."""

    def to_internal_value(self, data):
        query = Q(code=str(data))
        if str(data).isdigit():
            query |= Q(pk=int(data))
        found = ShiftType.objects.filter(query).first()
        if found is None:
            raise serializers.ValidationError(_("No such shift type."))
        return found

    def to_representation(self, value):
        return value.code


class ShiftSerializer(serializers.Serializer):
    user = UserField()
    date = serializers.DateField()
    shift_type = ShiftTypeRefField()


def _period(request) -> tuple[dt.date, dt.date]:
    serializer = PeriodSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    since = serializer.validated_data.get("since")
    until = serializer.validated_data.get("until")
    if since is None:
        today = timezone.localdate()
        since = today - dt.timedelta(days=today.weekday())
    until = until or since + dt.timedelta(days=6)
    if until < since or (until - since).days >= MAX_LIST_DAYS:
        raise ApplicationError(
            "invalid",
            _("The request has invalid fields."),
            fields={"until": [_("At most %(days)s days after since.") % {"days": MAX_LIST_DAYS}]},
        )
    return since, until


class PeriodSerializer(serializers.Serializer):
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)
    user = serializers.IntegerField(required=False)


class ShiftListView(APIView):
    permission_classes = [HasRole.of(*MANAGE_ROLES, read=WORKFORCE_ROLES)]

    def get(self, request):
        since, until = _period(request)
        shifts = scoped(request, Shift.objects.filter(date__range=(since, until))).select_related("shift_type")
        if not is_manager(request.user):
            shifts = shifts.filter(status=ShiftStatus.PUBLISHED)
        if request.query_params.get("user", "").isdigit():
            shifts = shifts.filter(user_id=int(request.query_params["user"]))
        return Response([shift_data(s) for s in shifts.order_by("date", "start", "user_id")])

    def post(self, request):
        serializer = ShiftSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        shift = shift_assign(user=data["user"], day=data["date"], shift_type=data["shift_type"], actor=request.user)
        return Response(shift_data(shift), status=status.HTTP_201_CREATED)


class ShiftDetailView(APIView):
    permission_classes = [HasRole.of(*MANAGE_ROLES)]

    def delete(self, request, pk: int):
        shift_remove(shift=get_object_or_404(Shift.objects.select_related("user"), pk=pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PublishSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    users = serializers.ListField(child=serializers.IntegerField(), required=False)


class ShiftPublishView(APIView):
    permission_classes = [HasRole.of(*MANAGE_ROLES)]

    def post(self, request):
        serializer = PublishSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        count = roster_publish(since=data["since"], until=data["until"], actor=request.user, user_ids=data.get("users"))
        return Response({"published": count})
