"""``/api/v1/notifications``: the caller's own notifications, and marking them read.

Every signed-in user has notifications, so no role is required; nobody reads or marks another
person's (their ids answer 404 like a missing one).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.errors import ApplicationError, NotFoundError
from apps.notifications.models import Notification
from apps.notifications.selectors.notifications import notification_of, notifications_of, unread_count
from apps.notifications.services import notification_mark_read, notifications_mark_all_read


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


UNREAD = {"true": True, "1": True, "false": False, "0": False}


@extend_schema(
    parameters=[
        OpenApiParameter("unread", OpenApiTypes.BOOL, description="true: only unread; false: only read"),
    ]
)
class NotificationListView(ListAPIView):
    """The caller's notifications, newest first (paginated); ``unread_count`` in the page's header
    ``X-Unread-Count``."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer

    def get_queryset(self):
        raw = self.request.query_params.get("unread")
        if raw is not None and raw.lower() not in UNREAD:
            raise ApplicationError(
                "invalid", _("The request has invalid fields."), fields={"unread": [_("Use true or false.")]}
            )
        return notifications_of(self.request.user, unread=UNREAD.get((raw or "").lower()))

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response["X-Unread-Count"] = str(unread_count(request.user.pk))
        return response


@extend_schema(request=None, responses={200: NotificationSerializer})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def notification_read(request, pk: int):
    """Mark one notification read (already read: unchanged, 200)."""
    notification = notification_of(request.user, pk)
    if notification is None:
        raise NotFoundError("not_found", _("No such notification."))
    notification = notification_mark_read(notification=notification, user=request.user)
    return Response(NotificationSerializer(notification).data)


@extend_schema(
    request=None,
    responses={200: inline_serializer("NotificationsReadAll", {"marked": serializers.IntegerField()})},
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def notifications_read_all(request):
    """Mark every unread notification of the caller read."""
    return Response({"marked": notifications_mark_all_read(user=request.user)})
