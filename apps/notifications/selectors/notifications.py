"""Reads of one person's notifications (the page, the API, the bell, the socket's snapshot)."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.notifications.models import Notification

# How many unread notifications the socket's snapshot carries (the bell's menu shows these).
SNAPSHOT_LATEST = 5


def notifications_of(user: User, *, unread: bool | None = None) -> QuerySet[Notification]:
    rows = Notification.objects.filter(user=user)
    if unread is True:
        rows = rows.filter(read_at__isnull=True)
    elif unread is False:
        rows = rows.filter(read_at__isnull=False)
    return rows.order_by("-created_at", "-id")


def notification_of(user: User, pk: int) -> Notification | None:
    """``user``'s own notification ``pk``, or None (someone else's is as unknown as a missing one)."""
    return Notification.objects.filter(user=user, pk=pk).first()


def unread_count(user_id: int | None) -> int:
    if user_id is None:
        return 0
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
