"""Read API of calls (CDRs), recordings links, voicemails, callback requests and queue KPIs."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.permissions import HasRole
from apps.core.errors import ApplicationError, NotFoundError
from apps.telephony.filtersets import CallFilterSet
from apps.telephony.models import Call, CallEvent, Disposition, Recording
from apps.telephony.selectors.calls import (
    ALL_CALLS_ROLES,
    CALL_ROLES,
    access_call,
    call_list,
    call_timeline,
    calls_visible_to,
    recording_of,
)
from apps.telephony.selectors.kpis import day_bounds, queue_kpis
from apps.telephony.services.recordings import ACTIONS, recording_link, recording_may_access


class _Named(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _named(obj, name: str | None = None):
    if obj is None:
        return None
    return {"id": obj.pk, "name": name if name is not None else str(obj)}


class CallSerializer(serializers.ModelSerializer):
    queue = serializers.SerializerMethodField()
    agent = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    disposition: serializers.SlugRelatedField[Disposition] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    has_recording = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = [
            "uid",
            "direction",
            "status",
            "caller",
            "callee",
            "queue",
            "agent",
            "customer",
            "campaign",
            "priority",
            "arrived_at",
            "ivr_exited_at",
            "queued_at",
            "offered_at",
            "answered_at",
            "ended_at",
            "wrapup_ended_at",
            "wait_seconds",
            "talk_seconds",
            "hold_seconds",
            "wrapup_seconds",
            "ivr_seconds",
            "offer_count",
            "end_reason",
            "abandoned",
            "short_abandon",
            "blocked",
            "answered_within_sl",
            "sl_threshold_seconds",
            "disposition",
            "survey_score",
            "is_simulated",
            "has_recording",
        ]
        read_only_fields = fields

    @extend_schema_field(_Named(allow_null=True))
    def get_queue(self, call) -> dict | None:
        return _named(call.queue, call.queue.name if call.queue else None)

    @extend_schema_field(_Named(allow_null=True))
    def get_agent(self, call) -> dict | None:
        return _named(call.agent, call.agent.user.get_full_name() if call.agent else None)

    @extend_schema_field(_Named(allow_null=True))
    def get_customer(self, call) -> dict | None:
        return _named(call.customer, call.customer.name if call.customer else None)

    def get_has_recording(self, call) -> bool:
        return recording_of(call) is not None


class CallEventSerializer(serializers.ModelSerializer):
    agent = serializers.SerializerMethodField()

    class Meta:
        model = CallEvent
        fields = ["at", "kind", "agent", "data"]
        read_only_fields = fields

    @extend_schema_field(_Named(allow_null=True))
    def get_agent(self, event) -> dict | None:
        return _named(event.agent, event.agent.user.get_full_name() if event.agent else None)


class RecordingInfoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    duration_seconds = serializers.FloatField()
    size_bytes = serializers.IntegerField()
    content_type = serializers.CharField()
    created_at = serializers.DateTimeField()
    play_url = serializers.CharField(allow_null=True, help_text="A fresh signed link; null if you may not play it.")
    play_url_expires_at = serializers.DateTimeField(allow_null=True)
    can_download = serializers.BooleanField()


class CallDetailSerializer(CallSerializer):
    events = serializers.SerializerMethodField()
    recording = serializers.SerializerMethodField()

    class Meta(CallSerializer.Meta):
        fields = [*CallSerializer.Meta.fields, "notes", "ivr_path", "events", "recording"]
        read_only_fields = fields

    @extend_schema_field(CallEventSerializer(many=True))
    def get_events(self, call) -> list:
        # many=True builds a ListSerializer, whose .data is a ReturnList; the stubs see the child's ReturnDict
        return CallEventSerializer(call_timeline(call=call), many=True).data  # type: ignore[return-value]

    @extend_schema_field(RecordingInfoSerializer(allow_null=True))
    def get_recording(self, call) -> dict | None:
        recording = recording_of(call)
        if recording is None:
            return None
        request = self.context["request"]
        user = request.user
        link = None
        if recording_may_access(user=user, recording=recording, action="play"):
            link = recording_link(recording=recording, user=user, action="play")
        return {
            "id": recording.pk,
            "duration_seconds": recording.duration_seconds,
            "size_bytes": recording.size_bytes,
            "content_type": recording.content_type,
            "created_at": serializers.DateTimeField().to_representation(recording.created_at),
            "play_url": request.build_absolute_uri(link.url) if link else None,
            "play_url_expires_at": serializers.DateTimeField().to_representation(link.expires_at) if link else None,
            "can_download": recording_may_access(user=user, recording=recording, action="download"),
        }


class CallListView(generics.ListAPIView):
    """Calls (CDRs), newest first. Administrators, supervisors and QA see all; agents their own."""

    permission_classes = [HasRole.of(*CALL_ROLES)]
    serializer_class = CallSerializer
    filterset_class = CallFilterSet

    def get_queryset(self):
        return call_list(user=self.request.user)


class CallDetailView(generics.RetrieveAPIView):
    """One call with its event timeline and, if you may play it, a fresh signed recording link."""

    permission_classes = [HasRole.of(*CALL_ROLES)]
    serializer_class = CallDetailSerializer
    lookup_field = "uid"

    def get_object(self):
        return access_call(user=self.request.user, uid=self.kwargs["uid"])


class RecordingLinkRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ACTIONS, default="play")


class RecordingLinkView(APIView):
    permission_classes = [HasRole.of(*CALL_ROLES)]

    @extend_schema(
        request=RecordingLinkRequestSerializer,
        responses={
            200: inline_serializer(
                "RecordingLink", {"url": serializers.CharField(), "expires_at": serializers.DateTimeField()}
            )
        },
    )
    def post(self, request, pk: int):
        """A signed link to play or download a recording, valid for RECORDING_LINK_SECONDS (300 s)."""
        serializer = RecordingLinkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recording = (
            Recording.objects.select_related("call__agent")
            .filter(pk=pk, call__in=calls_visible_to(request.user).values("pk"))
            .first()
        )
        if recording is None:
            raise NotFoundError("not_found", _("No such recording."))
        link = recording_link(recording=recording, user=request.user, action=serializer.validated_data["action"])
        return Response(
            {
                "url": request.build_absolute_uri(link.url),
                "expires_at": serializers.DateTimeField().to_representation(link.expires_at),
            }
        )


def _moment(request, name: str, default):
    """An ISO 8601 date or date-time; without a UTC offset it is the tenant's local time."""
    raw = (request.query_params.get(name) or "").strip().replace(" ", "+")  # an unencoded "+" arrives as " "
    if not raw:
        return default
    try:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            value = datetime.combine(day, time.min) if day else None
    except ValueError:
        value = None
    if value is not None:
        try:
            value = timezone.make_aware(value) if timezone.is_naive(value) else value
            # In UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 parsing accepts, and
            # 0001-01-01 east of UTC is before the first representable instant (OverflowError).
            value = value.astimezone(UTC)
        except OverflowError:
            value = None
    if value is None:
        message = _("Give an ISO 8601 date or date-time, e.g. 2025-01-31T08:00:00+08:00.")
        raise ApplicationError("invalid", message, fields={name: [message]})
    return value


class QueueKpiView(APIView):
    permission_classes = [HasRole.of(*ALL_CALLS_ROLES)]

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Default: today 00:00 (tenant time)."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Default: tomorrow 00:00."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """Per-queue KPIs of calls that arrived in [since, until), by the definitions of
        docs/calls-and-recordings.md. Short abandons are excluded from SL and abandon rate."""
        today_start, today_end = day_bounds()
        since = _moment(request, "since", today_start)
        until = _moment(request, "until", today_end)
        if until <= since:
            raise ApplicationError("invalid", _("until must be after since."), fields={"until": [_("Too early.")]})
        kpis = queue_kpis(since=since, until=until)
        return Response(
            {
                "since": serializers.DateTimeField().to_representation(since),
                "until": serializers.DateTimeField().to_representation(until),
                "short_abandons_excluded": True,
                "queues": list(kpis.values()),
            }
        )
