"""Clock records and handovers under /api/v1/workforce/.

- ``POST workforce/clock`` (``kind``: in|out) — the caller clocks themselves, from an address the
  policy allows (the API twin of the clock page).
- ``GET workforce/clock-events?since=&until=&user=`` — records in scope (agents: their own).
- ``POST workforce/clock-events`` (``user, kind: in|out, at, reason``) — a correction by HR, an
  administrator or a supervisor (their teams), audited; ``POST workforce/clock-events/{id}/void``
  (``reason``) voids one, audited.
- ``POST workforce/handovers`` (``situation, equipment, tools, quality, open_records``,
  ``incoming``?) — the outgoing agent; ``POST workforce/handovers/{id}/sign`` — the incoming agent;
  ``POST workforce/handovers/{id}/override`` (``reason``) — a supervisor, HR or administrator.
"""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.permissions import HasRole
from apps.core.clientip import client_ip
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.workforce.api.common import (
    CORRECT_ROLES,
    WORKFORCE_ROLES,
    UserField,
    body,
    check_visible,
    moment,
    person,
    scoped,
)
from apps.workforce.choices import ClockKind
from apps.workforce.models import ClockEvent, Handover
from apps.workforce.selectors.people import may_decide, may_see
from apps.workforce.services.clocking import (
    HANDOVER_ITEMS,
    clock_correct,
    clock_record,
    clock_void,
    handover_override,
    handover_sign,
    handover_write,
)


def clock_data(event: ClockEvent) -> dict:
    return {
        "id": event.pk,
        "user": event.user_id,
        "kind": event.kind,
        "at": moment(event.at),
        "source": event.source,
        "ip": event.ip,
        "shift": event.shift_id,
        "reason": event.reason,
        "created_by": event.created_by_id,
        "voided_at": moment(event.voided_at),
        "void_reason": event.void_reason,
    }


def handover_data(handover: Handover) -> dict:
    return {
        "id": handover.pk,
        "outgoing_shift": handover.outgoing_shift_id,
        "outgoing": person(handover.outgoing_user),
        "incoming": person(handover.incoming_user),
        **{name: getattr(handover, name) for name in HANDOVER_ITEMS},
        "created_at": moment(handover.created_at),
        "signed_at": moment(handover.signed_at),
        "override_at": moment(handover.override_at),
        "override_reason": handover.override_reason,
        "released": handover.is_released,
    }


class KindSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ClockKind.choices)


class ClockView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]

    def post(self, request):
        serializer = KindSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        event = clock_record(user=request.user, kind=serializer.validated_data["kind"], ip=client_ip(request))
        return Response(clock_data(event), status=status.HTTP_201_CREATED)


class CorrectionSerializer(serializers.Serializer):
    user = UserField()
    kind = serializers.ChoiceField(choices=ClockKind.choices)
    at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=1000)


class ClockEventListView(APIView):
    permission_classes = [HasRole.of(*CORRECT_ROLES, read=WORKFORCE_ROLES)]

    def get(self, request):
        events = scoped(request, ClockEvent.objects.all())
        params = request.query_params
        try:
            since = dt.date.fromisoformat(params["since"]) if params.get("since") else timezone.localdate()
            until = dt.date.fromisoformat(params["until"]) if params.get("until") else since
        except ValueError:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"since": [_("Expected YYYY-MM-DD.")]}
            ) from None
        if until < since or (until - since).days > 62:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"until": [_("At most 62 days after since.")]}
            )
        events = events.filter(at__date__gte=since, at__date__lte=until)
        if params.get("user", "").isdigit():
            events = events.filter(user_id=int(params["user"]))
        return Response([clock_data(e) for e in events.order_by("at", "pk")[:5000]])

    def post(self, request):
        serializer = CorrectionSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not may_decide(request.user, data["user"].pk) or data["user"].pk == request.user.pk:
            raise PermissionDeniedError("forbidden", _("You may not correct this person's records."))
        event = clock_correct(
            user=data["user"], kind=data["kind"], at=data["at"], reason=data["reason"], actor=request.user
        )
        return Response(clock_data(event), status=status.HTTP_201_CREATED)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class ClockEventVoidView(APIView):
    permission_classes = [HasRole.of(*CORRECT_ROLES)]

    def post(self, request, pk: int):
        event = get_object_or_404(ClockEvent.objects.select_related("user"), pk=pk)
        check_visible(request, event.user_id, _("clock record"))
        if not may_decide(request.user, event.user_id) or event.user_id == request.user.pk:
            raise PermissionDeniedError("forbidden", _("You may not correct this person's records."))
        serializer = ReasonSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        return Response(
            clock_data(clock_void(event=event, reason=serializer.validated_data["reason"], actor=request.user))
        )


class HandoverSerializer(serializers.Serializer):
    situation = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    equipment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    tools = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    quality = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    open_records = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    incoming = UserField(required=False, allow_null=True)


class HandoverListView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]

    def get(self, request):
        handovers = Handover.objects.select_related("outgoing_user", "incoming_user").order_by("-created_at")
        mine = handovers.filter(outgoing_user=request.user) | handovers.filter(incoming_user=request.user)
        visible = scoped(request, handovers, "outgoing_user_id") | mine
        return Response([handover_data(h) for h in visible.distinct()[:200]])

    def post(self, request):
        serializer = HandoverSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incoming = data.pop("incoming", None)
        handover = handover_write(user=request.user, items=data, incoming=incoming)
        return Response(handover_data(handover), status=status.HTTP_201_CREATED)


def _handover(request, pk: int) -> Handover:
    handover = get_object_or_404(Handover.objects.select_related("outgoing_user", "incoming_user"), pk=pk)
    involved = request.user.pk in (handover.outgoing_user_id, handover.incoming_user_id)
    if not involved and not may_see(request.user, handover.outgoing_user_id):
        raise ApplicationError("not_found", _("No such handover."), status=404)
    return handover


class HandoverSignView(APIView):
    permission_classes = [HasRole.of(*WORKFORCE_ROLES)]

    def post(self, request, pk: int):
        return Response(handover_data(handover_sign(handover=_handover(request, pk), user=request.user)))


class HandoverOverrideView(APIView):
    permission_classes = [HasRole.of(*CORRECT_ROLES)]

    def post(self, request, pk: int):
        handover = _handover(request, pk)
        if not may_decide(request.user, handover.outgoing_user_id):
            raise PermissionDeniedError("forbidden", _("You may not override this handover."))
        serializer = ReasonSerializer(data=body(request))
        serializer.is_valid(raise_exception=True)
        handover = handover_override(handover=handover, actor=request.user, reason=serializer.validated_data["reason"])
        return Response(handover_data(handover))
