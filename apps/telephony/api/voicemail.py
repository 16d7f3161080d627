"""REST API of the voicemail inbox and of inbound callback requests (the pages' twins).

``GET voicemails`` (filters ``queue``, ``heard``, ``mine``, ``assigned``), ``GET voicemails/{id}``,
``POST voicemails/{id}/link`` (a short-lived signed link to play or download the audio),
``POST voicemails/{id}/heard`` ``{"heard": true|false}``, ``POST voicemails/{id}/assign``
``{"assignee": <user id>|null}``; ``GET callbacks`` (filters ``queue``, ``status``, ``since``,
``until``). Visibility and rules: apps/telephony/selectors/voicemail.py and services/voicemail.py.
Bad input is a 400 with the field's message, nothing changed; a message one may not see is a 404.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.api.permissions import HasRole
from apps.core.errors import NotFoundError
from apps.telephony.api.calls import _Named, _named
from apps.telephony.filtersets import CallbackFilterSet, VoicemailFilterSet
from apps.telephony.models import Call, CallbackRequest, Voicemail
from apps.telephony.selectors.voicemail import INBOX_ROLES, callbacks_visible_to, voicemails_visible_to
from apps.telephony.services.callback_requests import callback_request_cancel
from apps.telephony.services.voicemail import ACTIONS, voicemail_assign, voicemail_link, voicemail_mark_heard


class _Person(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name(), "email": user.email}


class VoicemailSerializer(serializers.ModelSerializer):
    call: serializers.SlugRelatedField[Call] = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    queue = serializers.SerializerMethodField()
    heard_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="email", read_only=True)
    assigned_to = serializers.SerializerMethodField()
    has_audio = serializers.SerializerMethodField()

    class Meta:
        model = Voicemail
        fields = [
            "id",
            "call",
            "queue",
            "caller",
            "duration_seconds",
            "created_at",
            "heard_by",
            "heard_at",
            "assigned_to",
            "assigned_at",
            "has_audio",
        ]
        read_only_fields = fields

    @extend_schema_field(_Named(allow_null=True))
    def get_queue(self, voicemail) -> dict | None:
        return _named(voicemail.queue, voicemail.queue.name if voicemail.queue else None)

    @extend_schema_field(_Person(allow_null=True))
    def get_assigned_to(self, voicemail) -> dict | None:
        return _person(voicemail.assigned_to)

    def get_has_audio(self, voicemail) -> bool:
        return bool(voicemail.file.name)


class VoicemailListView(generics.ListAPIView):
    """The inbox: administrators and supervisors see every message; agents theirs and their queues'."""

    permission_classes = [HasRole.of(*INBOX_ROLES)]
    serializer_class = VoicemailSerializer
    filterset_class = VoicemailFilterSet

    def get_queryset(self):
        return voicemails_visible_to(self.request.user)


def _visible(request, pk: int) -> Voicemail:
    voicemail = voicemails_visible_to(request.user).filter(pk=pk).first()
    if voicemail is None:
        raise NotFoundError("not_found", _("No such message."))
    return voicemail


class VoicemailDetailView(generics.RetrieveAPIView):
    permission_classes = [HasRole.of(*INBOX_ROLES)]
    serializer_class = VoicemailSerializer

    def get_object(self):
        return _visible(self.request, self.kwargs["pk"])


class LinkRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ACTIONS, default="play")


class VoicemailLinkView(APIView):
    permission_classes = [HasRole.of(*INBOX_ROLES)]

    @extend_schema(
        request=LinkRequestSerializer,
        responses={
            200: inline_serializer(
                "VoicemailLink", {"url": serializers.CharField(), "expires_at": serializers.DateTimeField()}
            )
        },
    )
    def post(self, request, pk: int):
        """A signed link to play (agents, managers) or download (managers) the message's audio,
        valid RECORDING_LINK_SECONDS; using it is logged, and a play marks the message heard."""
        serializer = LinkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        voicemail = _visible(request, pk)
        link = voicemail_link(voicemail=voicemail, user=request.user, action=serializer.validated_data["action"])
        return Response(
            {
                "url": request.build_absolute_uri(link.url),
                "expires_at": serializers.DateTimeField().to_representation(link.expires_at),
            }
        )


class HeardSerializer(serializers.Serializer):
    heard = serializers.BooleanField()


class VoicemailHeardView(APIView):
    permission_classes = [HasRole.of(*INBOX_ROLES)]

    @extend_schema(request=HeardSerializer, responses={200: VoicemailSerializer})
    def post(self, request, pk: int):
        """Mark the message heard (the first hearer and time are kept) or new again."""
        serializer = HeardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        voicemail = voicemail_mark_heard(
            voicemail=_visible(request, pk), user=request.user, heard=serializer.validated_data["heard"]
        )
        return Response(VoicemailSerializer(voicemail).data)


class AssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(allow_null=True, min_value=1)


class VoicemailAssignView(APIView):
    permission_classes = [HasRole.of(*INBOX_ROLES)]

    @extend_schema(request=AssignSerializer, responses={200: VoicemailSerializer})
    def post(self, request, pk: int):
        """Give the message to someone (``null``: nobody). Managers assign anyone who may use the
        inbox; an agent takes an unassigned message for themselves or hands back their own."""
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        voicemail = voicemail_assign(
            voicemail=_visible(request, pk), actor=request.user, assignee=serializer.validated_data["assignee"]
        )
        return Response(VoicemailSerializer(voicemail).data)


class CallbackSerializer(serializers.ModelSerializer):
    call: serializers.SlugRelatedField[Call] = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    callback_call: serializers.SlugRelatedField[Call] = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    queue = serializers.SerializerMethodField()

    class Meta:
        model = CallbackRequest
        fields = [
            "id",
            "call",
            "queue",
            "number",
            "status",
            "original_queued_at",
            "created_at",
            "completed_at",
            "callback_call",
            "attempts",
        ]
        read_only_fields = fields

    @extend_schema_field(_Named())
    def get_queue(self, callback) -> dict:
        return _named(callback.queue, callback.queue.name)


class CallbackListView(generics.ListAPIView):
    """Inbound callback requests and their outcome (pending, dialing, done, failed, cancelled)."""

    permission_classes = [HasRole.of(*INBOX_ROLES)]
    serializer_class = CallbackSerializer
    filterset_class = CallbackFilterSet

    def get_queryset(self):
        return callbacks_visible_to(self.request.user)


class CallbackCancelView(APIView):
    permission_classes = [HasRole.of(*INBOX_ROLES)]

    @extend_schema(request=None, responses={200: CallbackSerializer})
    def post(self, request, pk: int):
        """Cancel a waiting request (managers; 400 ``invalid_state`` unless pending or dialing)."""
        callback = callbacks_visible_to(request.user).filter(pk=pk).first()
        if callback is None:
            raise NotFoundError("not_found", _("No such callback request."))
        return Response(CallbackSerializer(callback_request_cancel(request=callback, actor=request.user)).data)
