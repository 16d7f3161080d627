"""Writes of the notifications app (see services/notifications.py)."""

from apps.notifications.services.notifications import (
    notification_mark_read,
    notifications_email,
    notifications_mark_all_read,
    notify,
)

__all__ = ["notification_mark_read", "notifications_email", "notifications_mark_all_read", "notify"]
